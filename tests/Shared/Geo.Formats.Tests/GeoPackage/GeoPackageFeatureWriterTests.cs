using Geo.Formats.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using NetTopologySuite.IO;

namespace Geo.Formats.Tests.GeoPackage;

public sealed class GeoPackageFeatureWriterTests
{
    private static readonly WKTReader Wkt = new();

    private static readonly (string Name, Type Type)[] Columns =
        [("code", typeof(string)), ("name", typeof(string)), ("level", typeof(long)), ("area", typeof(double)), ("active", typeof(bool))];

    private static List<VectorFeature> Grids() =>
    [
        new(0, Wkt.Read("POLYGON ((112.84 34.16, 112.85 34.16, 112.85 34.17, 112.84 34.17, 112.84 34.16))"),
            new Dictionary<string, object?> { ["code"] = "410482001001", ["name"] = "汝州市钟楼街道第一网格", ["level"] = 3L, ["area"] = 1250.5, ["active"] = true }),
        new(1, Wkt.Read("POLYGON ((112.85 34.16, 112.86 34.16, 112.86 34.17, 112.85 34.17, 112.85 34.16))"),
            new Dictionary<string, object?> { ["code"] = "410482001002", ["name"] = "煤山街道", ["level"] = 4L, ["area"] = 99.25, ["active"] = false }),
        new(2, null, new Dictionary<string, object?> { ["code"] = "410482001003", ["name"] = null, ["level"] = null, ["area"] = null, ["active"] = null }),
    ];

    private static string WriteGrids(TempDirectory dir)
    {
        var path = dir.File("grids.gpkg");
        VectorWriter.WriteGeoPackage(path, "grids", Grids(), 4490, Fixtures.Cgcs2000Wkt, Columns);
        return path;
    }

    [Fact]
    public void Gdal_lists_the_layer_with_epsg_4490_and_its_feature_count()
    {
        using var dir = new TempDirectory();

        var info = Gdal.OgrInfo("-al", "-so", WriteGrids(dir));

        Assert.Contains("Layer name: grids", info);
        Assert.Contains("Geometry: Polygon", info);
        Assert.Contains("Feature Count: 3", info);
        Assert.Contains("ID[\"EPSG\",4490]", info);
        Assert.Contains("name: String", info);
        Assert.Contains("active: Integer(Boolean)", info);
    }

    [Fact]
    public void Gdal_sees_the_spatial_index()
    {
        using var dir = new TempDirectory();

        var info = Gdal.OgrInfo(WriteGrids(dir), "-sql", "SELECT HasSpatialIndex('grids', 'geom')");

        Assert.Contains("HasSpatialIndex (Integer) = 1", info);
    }

    [Fact]
    public void Gdal_spatial_filter_uses_the_index_and_finds_one_grid()
    {
        using var dir = new TempDirectory();

        var info = Gdal.OgrInfo("-al", "-so", "-spat", "112.841", "34.161", "112.842", "34.162", WriteGrids(dir));

        Assert.Contains("Feature Count: 1", info);
    }

    [Fact]
    public void Gdal_can_edit_it_and_the_rtree_triggers_fire()
    {
        using var dir = new TempDirectory();
        var path = WriteGrids(dir);

        Gdal.OgrInfo(path, "-sql", "DELETE FROM grids WHERE fid = 1");
        var info = Gdal.OgrInfo(path, "-sql", "SELECT COUNT(*) AS n FROM rtree_grids_geom");

        Assert.Contains("n (Integer) = 1", info);
    }

    [Fact]
    public void Read_back_gives_equal_features_and_the_crs_hint()
    {
        using var dir = new TempDirectory();

        var set = VectorReader.ReadFile(WriteGrids(dir)).Value;

        Assert.Equal("EPSG:4490", set.CrsHint);
        var expected = Grids();
        Assert.Equal(expected.Count, set.Features.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Geometry, set.Features[i].Geometry);
            Assert.Equal(expected[i].Attributes, set.Features[i].Attributes);
        }

        Assert.Equal(4490, set.Features[0].Geometry!.SRID);
    }

    [Fact]
    public void The_file_carries_the_geopackage_application_id()
    {
        using var dir = new TempDirectory();
        var path = WriteGrids(dir);

        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA application_id";

        Assert.Equal(0x47504B47L, (long)command.ExecuteScalar()!);
    }

    [Fact]
    public void Writing_replaces_an_existing_file_and_leaves_no_partial_files()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("grids.gpkg"), "old");

        WriteGrids(dir);

        Assert.Equal(["grids.gpkg"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Equal(3, VectorReader.ReadFile(dir.File("grids.gpkg")).Value.Features.Count);
    }

    [Fact]
    public void An_unsupported_column_type_is_a_caller_bug()
    {
        using var dir = new TempDirectory();

        Assert.Throws<ArgumentException>(() =>
            VectorWriter.WriteGeoPackage(dir.File("x.gpkg"), "x", Grids(), 4490, Fixtures.Cgcs2000Wkt, [("when", typeof(TimeSpan))]));
    }
}
