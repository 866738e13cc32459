using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Ownership;
using Geo.GridService.Tests.Support;

namespace Geo.GridService.Tests.Census;

/// <summary>Each reject reason of a census row, one case each; geometry as WKT (EPSG:4490) over a 9 x 3 test lattice.</summary>
public sealed class ComponentValidatorTests
{
    private static readonly DateOnly Today = new(2026, 11, 28);
    private static readonly ComponentValidator Validator = new(TestGrids.Ruzhou,
        new Taxonomy([
            new ComponentClass(ClassCode.Parse("C0101").Value, "公用设施", "上水井盖", false, null),
            new ComponentClass(ClassCode.Parse("C0118").Value, "公用设施", "路灯", false, null),
            new ComponentClass(ClassCode.Parse("C0603").Value, "其他设施", "护栏", false, null),
            new ComponentClass(ClassCode.Parse("C2101").Value, "扩展部件", "防蚊闸", true, null),
        ]),
        new HashSet<string> { "SW", "LD" },
        new GridLocator(new GridIndex(TestGrids.Lattice(9, 3))));

    // Inside the lattice (112.82.. + 9 x 0.006, 34.15.. + 3 x 0.006).
    private const string Inside = "POINT (112.835 34.16)";

    private static ComponentInput Row(string? code = "4104820101000001", string wkt = Inside, string? cls = null, string? maintainer = "SW",
        string? status = "完好", string? source = "实测", string? name = null, string? first = "2024-01-05", string? attributes = null) =>
        new(7, code, cls, name, TestGrids.Wkt(wkt), "LD", "汝州市自来水公司", maintainer, status, first, null, source, "a.jpg;b.jpg", null, attributes);

    private static string Reject(ComponentInput input)
    {
        var r = Validator.Validate(input, Today);
        Assert.False(r.IsOk);
        var f = Assert.Single(r.Failures);
        Assert.StartsWith("row 7, field ", f.Location);
        return f.Code;
    }

    [Fact]
    public void ValidRow_GetsItsGridFromTheGeometry_AndDefaults()
    {
        var c = Validator.Validate(Row(), Today).Value;
        Assert.Equal("上水井盖", c.Name); // the class name when no name is given
        Assert.Single(c.GridCodes);
        Assert.Equal(new DateOnly(2024, 1, 5), c.FirstRecorded);
        Assert.Equal(Today, c.LastChanged);
        Assert.Equal(["a.jpg", "b.jpg"], c.Photos);
        Assert.Equal(DataSource.Surveyed, c.Source);
    }

    [Fact]
    public void Line_AcrossGrids_GetsEveryGrid_LowestFirst()
    {
        var c = Validator.Validate(Row("4104820603000001", "LINESTRING (112.821 34.151, 112.845 34.151)"), Today).Value;
        Assert.True(c.GridCodes.Count >= 4); // crosses at least four lattice columns (the lattice is jittered)
        Assert.Equal(c.GridCodes.OrderBy(g => g.Value, StringComparer.Ordinal), c.GridCodes);
    }

    [Fact] public void BadCode() => Assert.Equal("component_code_format", Reject(Row("41048201010001")));
    [Fact] public void OtherCounty() => Assert.Equal("component_code_county", Reject(Row("4101000101000001")));
    [Fact] public void UnknownClassInCode() => Assert.Equal("class_unknown", Reject(Row("4104820199000001")));
    [Fact] public void ClassColumnDisagreesWithCode() => Assert.Equal("class_mismatch", Reject(Row(cls: "0118")));
    [Fact] public void ExtensionClassIsAccepted() => Assert.True(Validator.Validate(Row("4104822101000001"), Today).IsOk);

    [Fact]
    public void TaxonomyKnowsComponentMinorsByTheirFourDigits_NotEventClassesMajorsOrMalformedDigits()
    {
        var taxonomy = new Taxonomy([
            new ComponentClass(ClassCode.Parse("C0101").Value, "公用设施", "上水井盖", false, null),
            new ComponentClass(ClassCode.Parse("E0102").Value, "市容环境", "暴露垃圾", false, null),
        ]);

        Assert.True(taxonomy.ContainsComponentMinor("0101"));
        Assert.False(taxonomy.ContainsComponentMinor("0102")); // an event class of those digits
        Assert.False(taxonomy.ContainsComponentMinor("0118"));
        Assert.False(taxonomy.ContainsComponentMinor("01a1"));
        Assert.False(taxonomy.ContainsComponentMinor("101"));
    }
    [Fact] public void OutsideTheCity() => Assert.Equal("outside_city", Reject(Row(wkt: "POINT (113.5 34.5)")));
    [Fact] public void SelfIntersectingPolygon() => Assert.Equal("invalid_geometry",
        Reject(Row("4104820603000001", "POLYGON ((112.83 34.155, 112.84 34.165, 112.84 34.155, 112.83 34.165, 112.83 34.155))")));
    [Fact] public void PointThatIsNotALongitudeLatitude() => Assert.Equal("invalid_geometry", Reject(Row(wkt: "POINT (500000 3780000)")));
    [Fact] public void LineWithAVertexThatIsNotALongitudeLatitude() => Assert.Equal("invalid_geometry",
        Reject(Row("4104820603000001", "LINESTRING (112.821 34.151, 112.845 91)")));
    [Fact] public void GeometryCollectionIsNotAComponent() => Assert.Equal("invalid_geometry",
        Reject(Row(wkt: "GEOMETRYCOLLECTION (POINT (112.835 34.16))")));
    [Fact] public void UnknownDepartment() => Assert.Equal("department_unknown", Reject(Row(maintainer: "NOPE")));
    [Fact] public void StatusNotInTheCodeList() => Assert.Equal("status_invalid", Reject(Row(status: "坏了")));
    [Fact] public void DataSourceNotInTheCodeList() => Assert.Equal("data_source_invalid", Reject(Row(source: "猜的")));
    [Fact] public void BadDate() => Assert.Equal("date_invalid", Reject(Row(first: "2024-13-01")));
    [Fact] public void ControlCharactersInText() => Assert.Equal("text_invalid", Reject(Row(name: "井盖\u0007")));
    [Fact] public void VeryLongName() => Assert.Equal("text_invalid", Reject(Row(name: new string('井', 201))));
    [Fact] public void AttributesMustBeAJsonObject() => Assert.Equal("attributes_invalid", Reject(Row(attributes: "[1,2]")));

    [Fact]
    public void EveryProblemOfARowIsReported()
    {
        var r = Validator.Validate(Row("4101000101000001", "POINT (113.5 34.5)", maintainer: "NOPE", status: "x"), Today);
        Assert.Equal(["component_code_county", "outside_city", "department_unknown", "status_invalid"], r.Failures.Select(f => f.Code));
    }

    [Theory]
    [InlineData("破损", ComponentStatus.Damaged)]
    [InlineData("occupied", ComponentStatus.Occupied)]
    [InlineData("丢失", ComponentStatus.Missing)]
    public void StatusLabels(string text, ComponentStatus expected)
    {
        Assert.True(CensusText.TryParseStatus(text, out var s));
        Assert.Equal(expected, s);
    }
}
