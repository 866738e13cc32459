using Geo.GridService.Codes;
using Geo.GridService.Responsibility;
using Geo.GridService.Tests.Support;

namespace Geo.GridService.Tests.Responsibility;

public class ResponsibilityMatrixTests
{
    private static readonly GridCode G0 = TestGrids.Code(0), G1 = TestGrids.Code(1);
    private static DepartmentCode D(string s) => DepartmentCode.Parse(s).Value;
    private static ClassCode C(string s) => ClassCode.Parse(s).Value;

    private static readonly ResponsibilityRule[] Rules =
    [
        new("default-all", null, null, D("CGJ")),
        new("default-g0", G0, null, D("MSJD")),
        new("major-all", null, C("C01"), D("SZ")),
        new("major-g1", G1, C("C01"), D("FXLJD")),
        new("minor-all", null, C("C0101"), D("GS")),
        new("minor-g0", G0, C("C0105"), D("GD")),
        new("event-minor", null, C("E0101"), D("CGZF")),
    ];

    private static readonly ResponsibilityMatrix Matrix = new([G0, G1], Rules);

    [Theory]
    [InlineData(0, "C0105", "minor-g0")]     // minor@grid beats everything
    [InlineData(1, "C0105", "major-g1")]     // no minor rule for grid 1: its major@grid rule
    [InlineData(0, "C0101", "minor-all")]    // minor@all beats major@grid and default@grid
    [InlineData(1, "C0101", "minor-all")]
    [InlineData(0, "C0118", "major-all")]    // major@all beats the grid's catch-all default
    [InlineData(1, "C0118", "major-g1")]     // major@grid beats major@all
    [InlineData(0, "C0301", "default-g0")]   // nothing for class 03: the grid's default
    [InlineData(1, "C0301", "default-all")]  // no grid default either: the city-wide default
    [InlineData(0, "E0101", "event-minor")]  // the event tree is separate from the component tree
    [InlineData(0, "E0102", "default-g0")]   // E01 has no rule although C01 has: trees do not mix
    public void The_most_specific_rule_decides(int grid, string cls, string expectedRule) =>
        Assert.Equal(expectedRule, Matrix.Resolve(grid, C(cls))!.Id);

    [Fact]
    public void Without_a_class_the_grid_default_decides() => Assert.Equal("default-g0", Matrix.Resolve(0, null)!.Id);

    [Fact]
    public void Without_any_applicable_rule_there_is_no_answer()
    {
        var matrix = new ResponsibilityMatrix([G0], [new ResponsibilityRule("only", null, C("C0101"), D("GS"))]);
        Assert.Null(matrix.Resolve(0, C("C0102")));
        Assert.Equal("only", matrix.Resolve(0, C("C0101"))!.Id);
    }
}
