using Geo.GridService.Codes;
using Geo.GridService.Tests.Support;

namespace Geo.GridService.Tests.Codes;

public class GridCodeTests
{
    [Theory]
    [InlineData("41048200100101")]   // 14 digits: county 6 + subdistrict 3 + community 3 + sequence 2
    [InlineData("410482001001001")]  // 15 digits: sequence 3
    public void Unit_grid_codes_of_14_or_15_digits_with_the_county_prefix_are_accepted(string code)
    {
        var r = GridCode.Parse(code, TestGrids.Ruzhou);
        Assert.True(r.IsOk);
        Assert.Equal("410482001", r.Value.SubdistrictCode);
        Assert.Equal("410482001001", r.Value.CommunityCode);
    }

    [Theory]
    [InlineData("4104820010010", "grid_code_format")]     // 13 digits
    [InlineData("4104820010010012", "grid_code_format")]  // 16 digits
    [InlineData("41048200100A01", "grid_code_format")]
    [InlineData("41030200100101", "grid_code_county")]    // another county
    [InlineData("41048200000101", "grid_code_format")]    // zero subdistrict
    [InlineData("", "grid_code_missing")]
    [InlineData(null, "grid_code_missing")]
    public void Other_codes_are_rejected_with_a_reason(string? code, string reason) =>
        Assert.Equal(reason, GridCode.Parse(code, TestGrids.Ruzhou).Failure.Code);
}

public class ClassCodeTests
{
    [Theory]
    [InlineData("C0101", ClassTree.Component, "0101")]
    [InlineData("E01", ClassTree.Event, "01")]
    [InlineData("e0101", ClassTree.Event, "0101")]
    [InlineData("component:0118", ClassTree.Component, "0118")]
    [InlineData("event:05", ClassTree.Event, "05")]
    [InlineData("C2101", ClassTree.Component, "2101")] // a local extension major
    public void Component_and_event_classes_parse_with_their_tree(string text, ClassTree tree, string digits)
    {
        var c = ClassCode.Parse(text).Value;
        Assert.Equal(tree, c.Tree);
        Assert.Equal(digits, c.Digits);
    }

    [Theory]
    [InlineData("0101", "class_ambiguous")]
    [InlineData("C010", "class_format")]
    [InlineData("C0100", "class_format")]
    [InlineData("C00", "class_format")]
    [InlineData("X0101", "class_format")]
    [InlineData("C01'; DROP TABLE grids;--", "class_format")]
    public void Malformed_or_ambiguous_classes_are_rejected(string text, string reason) =>
        Assert.Equal(reason, ClassCode.Parse(text).Failure.Code);

    [Fact]
    public void A_minor_class_knows_its_major() => Assert.Equal("C01", ClassCode.Parse("C0118").Value.Major.ToString());
}
