using Geo.Formats.Tests.TestSupport;
using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;

namespace Geo.Formats.Tests.GeoPackage;

public sealed class GeoPackageFeatureReaderTests
{
    private static string GdalGeoPackage(TempDirectory dir, string epsg = "EPSG:4547", string geojson = Fixtures.GridsGeoJson4547)
    {
        var source = Fixtures.WriteText(dir, "source.geojson", geojson);
        var path = dir.File("gdal.gpkg");
        Gdal.Ogr2Ogr("-f", "GPKG", path, source, "-a_srs", epsg, "-nln", "grids");
        return path;
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void A_gdal_geopackage_is_read_with_its_crs_hint()
    {
        using var dir = new TempDirectory();

        var set = VectorReader.ReadFile(GdalGeoPackage(dir)).Value;

        Assert.Equal("EPSG:4547", set.CrsHint);
        Assert.Equal(2, set.Features.Count);
        Assert.Equal("汝州市钟楼街道第一网格", set.Features[0].Attributes["name"]);
        Assert.Equal(3L, set.Features[0].Attributes["level"]);
        Assert.Equal(10_000, set.Features[0].Geometry!.Area, 6);
        Assert.DoesNotContain("fid", set.Features[0].Attributes.Keys);
    }

    [Fact]
    public void A_wal_mode_geopackage_is_read()
    {
        using var dir = new TempDirectory();
        var path = GdalGeoPackage(dir);
        Sql(path, "PRAGMA journal_mode = WAL");

        Assert.Equal(2, VectorReader.ReadFile(path).Value.Features.Count);
    }

    [Fact]
    public void The_first_feature_layer_is_read_by_default()
    {
        using var dir = new TempDirectory();
        var path = GdalGeoPackage(dir);
        var second = Fixtures.WriteText(dir, "second.geojson", Fixtures.GridsGeoJson4547);
        Gdal.Ogr2Ogr("-f", "GPKG", "-update", path, second, "-a_srs", "EPSG:4547", "-nln", "a_second", "-where", "level = 4");

        Assert.Equal(2, VectorReader.ReadFile(path).Value.Features.Count);
        Assert.Single(VectorReader.ReadFile(path, layer: "a_second").Value.Features);
    }

    [Fact]
    public void A_named_layer_is_read()
    {
        using var dir = new TempDirectory();

        Assert.Equal(2, VectorReader.ReadFile(GdalGeoPackage(dir), layer: "GRIDS").Value.Features.Count);
    }

    [Fact]
    public void An_unknown_layer_is_not_found()
    {
        using var dir = new TempDirectory();

        var failure = VectorReader.ReadFile(GdalGeoPackage(dir), layer: "roads").Failure;

        Assert.Equal("gpkg_layer_not_found", failure.Code);
        Assert.Equal(FailureKind.NotFound, failure.Kind);
    }

    [Fact]
    public void A_layer_name_is_a_parameter_not_sql()
    {
        using var dir = new TempDirectory();

        Assert.Equal("gpkg_layer_not_found", VectorReader.ReadFile(GdalGeoPackage(dir), layer: "x' OR '1'='1").Failure.Code);
    }

    [Fact]
    public void A_geopackage_without_feature_layers_has_no_feature_layer()
    {
        using var dir = new TempDirectory();
        var path = GdalGeoPackage(dir);
        Sql(path, "UPDATE gpkg_contents SET data_type = 'attributes'");

        Assert.Equal("gpkg_no_feature_layer", VectorReader.ReadFile(path).Failure.Code);
    }

    [Fact]
    public void An_sqlite_file_without_gpkg_tables_is_corrupt()
    {
        using var dir = new TempDirectory();
        var path = dir.File("plain.gpkg");
        Sql(path, "CREATE TABLE grids (id INTEGER PRIMARY KEY, name TEXT)");

        var failure = VectorReader.ReadFile(path).Failure;

        Assert.Equal("gpkg_corrupt", failure.Code);
        Assert.Equal("gpkg_contents", failure.Location);
    }

    [Fact]
    public void An_sqlite_header_followed_by_garbage_is_corrupt()
    {
        using var dir = new TempDirectory();
        var path = dir.File("garbage.gpkg");
        File.WriteAllBytes(path, [.. "SQLite format 3\0"u8, .. Enumerable.Repeat((byte)0xAB, 4000)]);

        Assert.Equal("gpkg_corrupt", VectorReader.ReadFile(path).Failure.Code);
    }

    [Fact]
    public void A_metadata_view_instead_of_a_table_is_corrupt()
    {
        using var dir = new TempDirectory();
        var path = GdalGeoPackage(dir);
        Sql(path, "ALTER TABLE gpkg_contents RENAME TO c2; CREATE VIEW gpkg_contents AS SELECT * FROM c2");

        Assert.Equal("gpkg_corrupt", VectorReader.ReadFile(path).Failure.Code);
    }

    [Fact]
    public void A_damaged_geometry_blob_is_malformed_at_its_feature()
    {
        using var dir = new TempDirectory();
        var path = GdalGeoPackage(dir);
        // The rtree triggers call GDAL's ST_* functions, which plain SQLite lacks.
        Sql(path, "DROP TRIGGER rtree_grids_geom_update1; DROP TRIGGER rtree_grids_geom_update2; DROP TRIGGER rtree_grids_geom_update3; DROP TRIGGER rtree_grids_geom_update4");
        Sql(path, "UPDATE grids SET geom = X'4750000100000000FFFF' WHERE fid = 2");

        var failure = VectorReader.ReadFile(path).Failure;

        Assert.Equal("geometry_malformed", failure.Code);
        Assert.Equal("feature 1", failure.Location);
    }

    [Fact]
    public void Exactly_the_feature_limit_is_accepted()
    {
        using var dir = new TempDirectory();

        Assert.True(VectorReader.ReadFile(GdalGeoPackage(dir), new VectorReadLimits(MaxFeatures: 2)).IsOk);
    }

    [Fact]
    public void One_feature_over_the_limit_is_too_many()
    {
        using var dir = new TempDirectory();

        var failure = VectorReader.ReadFile(GdalGeoPackage(dir), new VectorReadLimits(MaxFeatures: 1)).Failure;

        Assert.Equal("too_many_features", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
    }

    [Fact]
    public void A_geometry_over_the_vertex_limit_is_too_many_vertices()
    {
        using var dir = new TempDirectory();

        Assert.Equal("too_many_vertices", VectorReader.ReadFile(GdalGeoPackage(dir), new VectorReadLimits(MaxVerticesPerFeature: 4)).Failure.Code);
    }
}
