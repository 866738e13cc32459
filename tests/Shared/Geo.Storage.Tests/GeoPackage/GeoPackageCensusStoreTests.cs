using System.Diagnostics;
using Geo.GridService.Census;
using Geo.Storage.GeoPackage;
using Microsoft.Data.Sqlite;

namespace Geo.Storage.Tests.GeoPackage;

/// <summary>
/// The census contract suite against the GeoPackage store, plus what only a GeoPackage has to prove: GDAL reads the
/// components layer (and validate_gpkg.py accepts the file), and it shares the file and revision with the grid store.
/// </summary>
public sealed class GeoPackageCensusStoreTests : CensusStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("geo-census-tests-").FullName;

    protected override async Task<ICensusStore> CreateEmptyStoreAsync() => await GeoPackageCensusStore.OpenAsync(NewPath());

    private string NewPath() => Path.Combine(_directory, $"census-{Guid.NewGuid():N}.gpkg");

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task SameFileAsTheGrids_SharesTheRevisionCounter()
    {
        var path = NewPath();
        await using var grids = await GeoPackageGridStore.OpenAsync(path);
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        var r0 = await grids.GetRevisionAsync();
        await census.AddComponentAsync(Make("4104820101000001"), Alice);
        Assert.Equal(r0 + 1, await grids.GetRevisionAsync());
        await grids.UpsertDepartmentsAsync([new GridService.Departments.Department(GridService.Codes.DepartmentCode.FromTrusted("SW"), "水务", null, null)]);
        Assert.Equal(r0 + 2, await census.GetRevisionAsync());
    }

    [Fact]
    public async Task Gdal_ReadsTheComponentsLayer_WithSpatialFilter_AndValidatesTheFile()
    {
        var path = NewPath();
        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
        {
            await using var bulk = await census.BeginBulkAsync(Alice, "test");
            bulk.Add(Make("4104820101000001", "POINT (112.845 34.167)"));
            bulk.Add(Make("4104820101000002", "POINT (112.745 34.067)"));
            bulk.Add(Make("4104820603000001", "LINESTRING (112.84 34.16, 112.85 34.17)", name: "护栏"));
            await bulk.CommitAsync();
        }
        SqliteConnection.ClearAllPools();
        var info = Run("ogrinfo", $"-ro -so {path} components");
        Assert.Contains("Feature Count: 3", info);
        // -spat goes through the R*Tree: the batched index maintenance of the bulk import must have filled it.
        var filtered = Run("ogrinfo", $"-ro -q -spat 112.84 34.16 112.85 34.17 {path} components");
        Assert.Contains("4104820101000001", filtered);
        Assert.Contains("4104820603000001", filtered);
        Assert.DoesNotContain("4104820101000002", filtered);
        Assert.Contains("status (String) = 完好", filtered);
        var validate = Run("python3", $"/usr/share/doc/python3-gdal/examples/validate_gpkg.py {path}", allowFail: true);
        Assert.DoesNotContain("Error", validate);
    }

    [Fact]
    public async Task RtreeTrigger_IsBackAfterABulkImport_SoSingleInsertsAreIndexedToo()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        await using (var bulk = await census.BeginBulkAsync(Alice, null))
        {
            bulk.Add(Make("4104820101000001"));
            await bulk.CommitAsync();
        }
        await census.AddComponentAsync(Make("4104820101000002", "POINT (112.8 34.1)"), Alice);
        using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM rtree_components_geom; ";
        Assert.Equal(2L, cmd.ExecuteScalar());
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'rtree_components_geom_insert';";
        Assert.Equal(1L, cmd.ExecuteScalar());
    }

    [Fact]
    public async Task LargeBulkImport_PacksTheRtree_WhichSqliteChecks_AndAnswersLikeABruteForceScan()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        var points = await ImportRandomPointsAsync(census, 30_000, firstSerial: 1, seed: 1); // over the index-drop threshold

        using var c = OpenReadOnly(path);
        Assert.Equal("ok", Scalar(c, "SELECT rtreecheck('rtree_components_geom');"));
        Assert.Equal(30_000L, Scalar(c, "SELECT count(*) FROM rtree_components_geom;"));
        foreach (var name in new[] { "ix_components_status", "components_check_insert", "components_check_update", "rtree_components_geom_insert" })
            Assert.Equal(1L, Scalar(c, $"SELECT count(*) FROM sqlite_master WHERE name = '{name}';"));
        Assert.Equal(30_000L, Scalar(c, "SELECT count(*) FROM component_grids;"));
        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check;"));

        // A window through the R*Tree finds exactly the points a scan finds (boxes are rounded outwards to float:
        // the window is chosen so no point lies within a float step of its edge).
        var (x0, x1, y0, y1) = (112.80, 112.86, 34.12, 34.17);
        var expected = points.Count(p => p.X >= x0 && p.X <= x1 && p.Y >= y0 && p.Y <= y1 && Math.Abs(p.X - x0) > 1e-5 && Math.Abs(p.X - x1) > 1e-5
                                         && Math.Abs(p.Y - y0) > 1e-5 && Math.Abs(p.Y - y1) > 1e-5);
        var near = points.Count(p => new[] { p.X - x0, p.X - x1, p.Y - y0, p.Y - y1 }.Any(d => Math.Abs(d) <= 1e-5));
        var found = (long)Scalar(c, $"SELECT count(*) FROM rtree_components_geom WHERE maxx >= {x0} AND minx <= {x1} AND maxy >= {y0} AND miny <= {y1};")!;
        Assert.InRange(found, expected, expected + near);
        Assert.True(expected > 1000);
        // GDAL's spatial filter uses the same index.
        SqliteConnection.ClearAllPools();
        Assert.Contains($"Feature Count: {found}", Run("ogrinfo", $"-ro -so -spat {x0} {y0} {x1} {y1} {path} components"));
    }

    [Fact]
    public async Task ImportsOverExistingRows_KeepTheOldEntries_WhetherTheTreeIsRebuiltOrAppendedTo()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        await ImportRandomPointsAsync(census, 1_000, firstSerial: 1, seed: 2);
        await ImportRandomPointsAsync(census, 5_000, firstSerial: 1_001, seed: 3); // larger than the table: packed rebuild
        await ImportRandomPointsAsync(census, 10, firstSerial: 6_001, seed: 4);    // small: inserted into the tree
        using var c = OpenReadOnly(path);
        Assert.Equal("ok", Scalar(c, "SELECT rtreecheck('rtree_components_geom');"));
        Assert.Equal(6_010L, Scalar(c, "SELECT count(*) FROM rtree_components_geom;"));
        Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM components k LEFT JOIN rtree_components_geom r ON r.id = k.fid WHERE r.id IS NULL;"));
    }

    [Fact]
    public async Task LargeBulkImport_NotCommitted_LeavesTheOldTreeAndIndexes()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        await ImportRandomPointsAsync(census, 1_000, firstSerial: 1, seed: 5);
        await using (var bulk = await census.BeginBulkAsync(Alice, null))
        {
            var rnd = new Random(6);
            for (var i = 0; i < 25_000; i++)
                Assert.True(bulk.Add(Make($"4104820101{1_001 + i:D6}", RandomPoint(rnd))).IsOk);
            // disposed without commit: the indexes it dropped and the tree must come back as they were
        }
        using var c = OpenReadOnly(path);
        Assert.Equal(1_000L, Scalar(c, "SELECT count(*) FROM components;"));
        Assert.Equal(1_000L, Scalar(c, "SELECT count(*) FROM rtree_components_geom;"));
        Assert.Equal("ok", Scalar(c, "SELECT rtreecheck('rtree_components_geom');"));
        Assert.Equal(4L, Scalar(c, """
            SELECT count(*) FROM sqlite_master WHERE name IN ('ix_components_status', 'components_check_insert', 'components_check_update', 'rtree_components_geom_insert');
            """));
    }

    private static async Task<List<(double X, double Y)>> ImportRandomPointsAsync(ICensusStore census, int count, int firstSerial, int seed)
    {
        var rnd = new Random(seed);
        var points = new List<(double X, double Y)>(count);
        await using var bulk = await census.BeginBulkAsync(Alice, "test");
        for (var i = 0; i < count; i++)
        {
            var wkt = RandomPoint(rnd);
            var p = (NetTopologySuite.Geometries.Point)FromWkt(wkt);
            points.Add((p.X, p.Y));
            Assert.True(bulk.Add(Make($"4104820101{firstSerial + i:D6}", wkt)).IsOk);
        }
        await bulk.CommitAsync();
        return points;
    }

    private static string RandomPoint(Random rnd) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"POINT ({112.78 + rnd.NextDouble() * 0.12:F7} {34.10 + rnd.NextDouble() * 0.12:F7})");

    private static SqliteConnection OpenReadOnly(string path)
    {
        var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        c.Open();
        return c;
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static string Run(string file, string args, bool allowFail = false)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (!allowFail) Assert.True(p.ExitCode == 0, output);
        return output;
    }
}
