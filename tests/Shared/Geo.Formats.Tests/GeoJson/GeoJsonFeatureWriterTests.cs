using System.Text;
using Geo.Formats.Tests.TestSupport;
using NetTopologySuite.IO;

namespace Geo.Formats.Tests.GeoJson;

public sealed class GeoJsonFeatureWriterTests
{
    private static readonly WKTReader Wkt = new();

    private static List<VectorFeature> Grids() =>
    [
        new(0, Wkt.Read("POLYGON ((112.84 34.16, 112.85 34.16, 112.85 34.17, 112.84 34.17, 112.84 34.16))"),
            new Dictionary<string, object?> { ["code"] = "410482001001", ["name"] = "汝州市钟楼街道第一网格", ["level"] = 3L, ["area"] = 1250.5, ["active"] = true, ["note"] = null }),
        new(1, Wkt.Read("MULTIPOLYGON (((112.85 34.16, 112.86 34.16, 112.86 34.17, 112.85 34.16)), ((112.9 34.2, 112.91 34.2, 112.91 34.21, 112.9 34.2)))"),
            new Dictionary<string, object?> { ["code"] = "410482001002", ["name"] = "煤山街道「测试」", ["level"] = 4L, ["area"] = 0.1 + 0.2, ["active"] = false, ["note"] = "备注" }),
        new(2, null, new Dictionary<string, object?> { ["code"] = "410482001003", ["name"] = "无几何", ["level"] = 5L, ["area"] = -1.5, ["active"] = true, ["note"] = null }),
    ];

    private static byte[] Write(string crs)
    {
        using var stream = new MemoryStream();
        VectorWriter.WriteGeoJson(stream, Grids(), crs);
        return stream.ToArray();
    }

    [Fact]
    public void Round_trip_keeps_geometry_and_chinese_attributes()
    {
        var set = VectorReader.ReadGeoJson(new MemoryStream(Write("EPSG:4490"))).Value;

        Assert.Equal("EPSG:4490", set.CrsHint);
        var expected = Grids();
        Assert.Equal(expected.Count, set.Features.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Index, set.Features[i].Index);
            Assert.Equal(expected[i].Geometry, set.Features[i].Geometry);
            Assert.Equal(expected[i].Attributes, set.Features[i].Attributes);
        }
    }

    [Fact]
    public void Output_is_utf8_without_bom_and_chinese_is_unescaped()
    {
        var bytes = Write("EPSG:4490");

        Assert.False(bytes.AsSpan().StartsWith(Encoding.UTF8.GetPreamble()));
        Assert.Contains("汝州市钟楼街道第一网格", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Wgs84_output_has_no_crs_member()
    {
        Assert.DoesNotContain("\"crs\"", Encoding.UTF8.GetString(Write("EPSG:4326")));
    }

    [Fact]
    public void Gdal_reads_the_features_and_epsg_4490()
    {
        using var dir = new TempDirectory();
        var path = dir.File("grids.geojson");
        File.WriteAllBytes(path, Write("EPSG:4490"));

        var info = Gdal.OgrInfo("-al", "-so", path);

        Assert.Contains("Feature Count: 3", info);
        Assert.Contains("ID[\"EPSG\",4490]", info);
    }

    [Fact]
    public void Gdal_reads_the_chinese_attribute_values()
    {
        using var dir = new TempDirectory();
        var path = dir.File("grids.geojson");
        File.WriteAllBytes(path, Write("EPSG:4490"));

        Assert.Contains("煤山街道「测试」", Gdal.OgrInfo("-al", path));
    }

    [Fact]
    public void A_non_epsg_crs_name_is_a_caller_bug()
    {
        Assert.Throws<ArgumentException>(() => VectorWriter.WriteGeoJson(new MemoryStream(), Grids(), "Beijing 1954 local"));
    }
}
