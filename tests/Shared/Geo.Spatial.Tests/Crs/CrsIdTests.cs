using Geo.Spatial.Crs;
using Geo.Spatial.Failures;

namespace Geo.Spatial.Tests.Crs;

public sealed class CrsIdTests
{
    [Theory]
    [InlineData("EPSG:4326", CrsKind.Wgs84)]
    [InlineData("4326", CrsKind.Wgs84)]
    [InlineData("epsg:4326", CrsKind.Wgs84)]
    [InlineData("WGS84", CrsKind.Wgs84)]
    [InlineData("wgs84", CrsKind.Wgs84)]
    [InlineData("http://www.opengis.net/def/crs/OGC/1.3/CRS84", CrsKind.Wgs84)]
    [InlineData("urn:ogc:def:crs:OGC:1.3:CRS84", CrsKind.Wgs84)]
    [InlineData("urn:ogc:def:crs:EPSG::4326", CrsKind.Wgs84)]
    [InlineData("EPSG:4490", CrsKind.Cgcs2000)]
    [InlineData("epsg:4490", CrsKind.Cgcs2000)]
    [InlineData("4490", CrsKind.Cgcs2000)]
    [InlineData("CGCS2000", CrsKind.Cgcs2000)]
    [InlineData("http://www.opengis.net/def/crs/EPSG/0/4490", CrsKind.Cgcs2000)]
    [InlineData("https://www.opengis.net/def/crs/EPSG/0/4490", CrsKind.Cgcs2000)]
    [InlineData("EPSG:4547", CrsKind.Cgcs2000GaussKruger114)]
    [InlineData("4547", CrsKind.Cgcs2000GaussKruger114)]
    [InlineData("urn:ogc:def:crs:EPSG::4547", CrsKind.Cgcs2000GaussKruger114)]
    [InlineData("URN:OGC:DEF:CRS:EPSG:9.9.1:4547", CrsKind.Cgcs2000GaussKruger114)]
    [InlineData("EPSG:3857", CrsKind.WebMercator)]
    [InlineData("3857", CrsKind.WebMercator)]
    [InlineData("GCJ02", CrsKind.Gcj02)]
    [InlineData("GCJ-02", CrsKind.Gcj02)]
    [InlineData("gcj02", CrsKind.Gcj02)]
    [InlineData("BD09", CrsKind.Bd09)]
    [InlineData("BD-09", CrsKind.Bd09)]
    [InlineData("bd09", CrsKind.Bd09)]
    [InlineData("  EPSG:4326  ", CrsKind.Wgs84)]
    public void Parse_accepts_supported_spelling(string text, CrsKind expected)
    {
        var result = CrsId.Parse(text);

        Assert.True(result.IsOk, result.IsOk ? "" : result.Failure.ToString());
        Assert.Equal(new CrsId(expected), result.Value);
    }

    [Theory]
    [InlineData("EPSG:9999")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("4326; DROP TABLE")]
    [InlineData("EPSG:")]
    [InlineData("EPSG:43260")]
    [InlineData("EPSG:4326x")]
    [InlineData("urn:ogc:def:crs:EPSG::")]
    [InlineData("urn:ogc:def:crs:EPSG:x:4326")]
    [InlineData("http://www.opengis.net/def/crs/EPSG/0/")]
    [InlineData("http://evil.example/def/crs/EPSG/0/4326")]
    [InlineData("EPSG:4547/../4326")]
    [InlineData("GCJ")]
    public void Parse_rejects_unsupported_with_bad_request(string? text)
    {
        var result = CrsId.Parse(text);

        Assert.False(result.IsOk);
        Assert.Equal("unsupported_crs", result.Failure.Code);
        Assert.Equal(FailureKind.BadRequest, result.Failure.Kind);
    }

    [Fact]
    public void Parse_failure_lists_the_supported_systems()
    {
        var message = CrsId.Parse("EPSG:9999").Failure.Message;

        foreach (var name in new[] { "EPSG:4326", "EPSG:4490", "EPSG:4547", "EPSG:3857", "GCJ02", "BD09" })
        {
            Assert.Contains(name, message, StringComparison.Ordinal);
        }

        Assert.Contains("EPSG:9999", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_failure_does_not_echo_huge_input()
    {
        var message = CrsId.Parse(new string('A', 10_000)).Failure.Message;

        Assert.True(message.Length < 400, $"message is {message.Length} characters long");
    }

    [Theory]
    [InlineData(CrsKind.Wgs84, "EPSG:4326", 4326, true)]
    [InlineData(CrsKind.Cgcs2000, "EPSG:4490", 4490, true)]
    [InlineData(CrsKind.Cgcs2000GaussKruger114, "EPSG:4547", 4547, false)]
    [InlineData(CrsKind.WebMercator, "EPSG:3857", 3857, false)]
    [InlineData(CrsKind.Gcj02, "GCJ02", null, true)]
    [InlineData(CrsKind.Bd09, "BD09", null, true)]
    public void Properties_describe_the_system(CrsKind kind, string name, int? epsg, bool geographic)
    {
        var crs = new CrsId(kind);

        Assert.Equal(name, crs.Name);
        Assert.Equal(name, crs.ToString());
        Assert.Equal(epsg, crs.Epsg);
        Assert.Equal(geographic, crs.IsGeographic);
    }

    [Fact]
    public void Canonical_name_parses_back_to_the_same_system()
    {
        foreach (var kind in Enum.GetValues<CrsKind>())
        {
            var crs = new CrsId(kind);
            Assert.Equal(crs, CrsId.Parse(crs.Name).Value);
        }
    }

    [Fact]
    public void Static_instances_match_their_kinds()
    {
        Assert.Equal(CrsKind.Wgs84, CrsId.Wgs84.Kind);
        Assert.Equal(CrsKind.Cgcs2000, CrsId.Cgcs2000.Kind);
        Assert.Equal(CrsKind.Cgcs2000GaussKruger114, CrsId.Cgcs2000GK114.Kind);
        Assert.Equal(CrsKind.WebMercator, CrsId.WebMercator.Kind);
        Assert.Equal(CrsKind.Gcj02, CrsId.Gcj02.Kind);
        Assert.Equal(CrsKind.Bd09, CrsId.Bd09.Kind);
    }
}
