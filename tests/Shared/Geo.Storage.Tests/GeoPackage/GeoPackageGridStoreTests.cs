using System.Diagnostics;
using Geo.GridService.Storage;
using Geo.Storage.GeoPackage;
using Geo.GridService.Grids;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Geo.Storage.Tests.GeoPackage;

/// <summary>
/// The contract suite against the GeoPackage store (a temp file per test), plus what only a GeoPackage has to
/// prove: that GDAL reads the file as a GeoPackage, and that the R*Tree, header and pragmas are right.
/// </summary>
public sealed class GeoPackageGridStoreTests : GridStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("geo-storage-tests-").FullName;

    protected override async Task<IGridStore> CreateEmptyStoreAsync() => await GeoPackageGridStore.OpenAsync(NewPath());

    private string NewPath() => Path.Combine(_directory, $"grids-{Guid.NewGuid():N}.gpkg");

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* a leftover temp file is not a test failure */ }
    }

    /// <summary>A store file with version 1 (3 grids), version 2 (1 grid), two departments and a rule.</summary>
    private async Task<string> PopulatedFileAsync()
    {
        var path = NewPath();
        await using var store = await GeoPackageGridStore.OpenAsync(path);
        Assert.True((await store.AddGridVersionAsync(Jan1, VersionOneGrids(), "import.geojson", null)).IsOk);
        Assert.True((await store.AddGridVersionAsync(Jul1, [Square("41048200100101", 112.85, 34.15, 0.02, "风穴路网格")], null, null)).IsOk);
        await store.UpsertDepartmentsAsync([Dept("CGJ", "汝州市城市管理局"), Dept("SW", "汝州市水务公司")]);
        await store.ReplaceRulesAsync([Rule("R1", null, null, "CGJ"), Rule("R2", null, "C0101", "SW")]);
        return path;
    }

    private static SqliteConnection OpenRaw(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    private static object? Scalar(SqliteConnection c, string sql, params (string, object)[] parameters)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        foreach (var (n, v) in parameters) command.Parameters.AddWithValue(n, v);
        return command.ExecuteScalar();
    }

    private static (int ExitCode, string Out, string Err) Ogrinfo(params string[] args) => Run("ogrinfo", args);

    private static (int ExitCode, string Out, string Err) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"These tests need {program} on PATH (apt-get install gdal-bin python3-gdal).", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(60_000), $"{program} did not finish within a minute");
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    [Fact]
    [Trait("Category", "Gdal")]
    public async Task Ogrinfo_ReadsGridsLayer_WithFeatureCountAndEpsg4490_WithoutWarnings()
    {
        var path = await PopulatedFileAsync();

        var (exit, stdout, stderr) = Ogrinfo("-so", "-al", path);

        Assert.Equal(0, exit);
        Assert.Equal("", stderr.Trim());
        Assert.DoesNotContain("Warning", stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("using driver `GPKG'", stdout);
        var grids = stdout[stdout.IndexOf("Layer name: grids", StringComparison.Ordinal)..];
        grids = grids[..(grids.IndexOf("Layer name:", 5, StringComparison.Ordinal) is var next and > 0 ? next : grids.Length)];
        Assert.Contains("Geometry: Multi Polygon", grids);
        Assert.Contains("Feature Count: 4", grids);
        Assert.Contains("ID[\"EPSG\",4490]", grids);
        Assert.Contains("FID Column = fid", grids);
        Assert.Contains("Geometry Column NOT NULL = geom", grids);
        Assert.Contains("code: String", grids);
    }

    [Fact]
    [Trait("Category", "Gdal")]
    public async Task Ogrinfo_ListsTheAttributeTables()
    {
        var path = await PopulatedFileAsync();

        var (exit, stdout, stderr) = Ogrinfo(path);

        Assert.Equal(0, exit);
        Assert.Equal("", stderr.Trim());
        Assert.Contains("grids (Multi Polygon)", stdout);
        foreach (var table in new[] { "grid_versions", "departments", "responsibility_rules", "api_keys" })
            Assert.Contains($"{table} (None)", stdout);
    }

    [Fact]
    [Trait("Category", "Gdal")]
    public async Task Ogrinfo_ReadsChineseAttributesAndDates()
    {
        var path = await PopulatedFileAsync();

        var (_, stdout, stderr) = Ogrinfo("-q", path, "departments", "grid_versions");

        Assert.Equal("", stderr.Trim());
        Assert.Contains("name (String) = 汝州市城市管理局", stdout);
        Assert.Contains("valid_from (Date) = 2024/01/01", stdout);
        Assert.Contains("valid_to (Date) = 2024/07/01", stdout);
    }

    [Fact]
    public async Task RTree_BboxQuery_ReturnsTheFidOfTheGridThere()
    {
        var path = await PopulatedFileAsync();
        using var c = OpenRaw(path);

        // A point inside grid 41048200100201 of version 1 (112.82..112.83, 34.10..34.11) and inside no other box.
        using var command = c.CreateCommand();
        command.CommandText = "SELECT id FROM rtree_grids_geom WHERE minx <= $x AND maxx >= $x AND miny <= $y AND maxy >= $y;";
        command.Parameters.AddWithValue("$x", 112.825);
        command.Parameters.AddWithValue("$y", 34.105);
        var ids = new List<long>();
        using (var reader = command.ExecuteReader())
            while (reader.Read()) ids.Add(reader.GetInt64(0));

        var expected = Scalar(c, "SELECT fid FROM grids WHERE version = 1 AND code = $code;", ("$code", "41048200100201"));
        Assert.Equal([(long)expected!], ids);
        Assert.Equal(4L, Scalar(c, "SELECT count(*) FROM rtree_grids_geom;"));
    }

    [Fact]
    public async Task File_HasGeoPackageHeader_WalJournal_AndPassesIntegrityChecks()
    {
        var path = await PopulatedFileAsync();
        using var c = OpenRaw(path);

        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check;"));
        Assert.Null(Scalar(c, "PRAGMA foreign_key_check;"));
        Assert.Equal((long)0x47504B47, Scalar(c, "PRAGMA application_id;"));
        Assert.Equal(10300L, Scalar(c, "PRAGMA user_version;"));
        Assert.Equal("wal", Scalar(c, "PRAGMA journal_mode;"));
        Assert.Equal(6L, Scalar(c, "SELECT max(version) FROM geo_schema_migrations;")); // 1 grids, 2 surveys, 3 census, 4 findings, 5 census for bulk loads, 6 census revision
        Assert.Equal(4L, Scalar(c, "SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326, 4490);"));
        Assert.Equal("gpkg_rtree_index",
            Scalar(c, "SELECT extension_name FROM gpkg_extensions WHERE table_name = 'grids' AND column_name = 'geom';"));
        // The layer extent covers every version's grids: v1 112.80..112.83 x 34.10..34.11, v2 112.85..112.87 x 34.15..34.17.
        Assert.Equal(112.80, (double)Scalar(c, "SELECT min_x FROM gpkg_contents WHERE table_name = 'grids';")!, 9);
        Assert.Equal(34.17, (double)Scalar(c, "SELECT max_y FROM gpkg_contents WHERE table_name = 'grids';")!, 9);
        Assert.Equal(15L, Scalar(c, "SELECT count(*) FROM gpkg_contents;")); // 5 grid-service tables, surveys, 4 census tables, 5 findings tables
    }

    [Fact]
    public async Task Reopen_KeepsData_AndDoesNotMigrateAgain()
    {
        var path = await PopulatedFileAsync();

        await using var store = await GeoPackageGridStore.OpenAsync(path);

        Assert.Equal([1, 2], (await store.ListGridVersionsAsync()).Select(v => v.Number));
        Assert.Equal(3, (await store.GetGridsAsync(1)).Count);
        Assert.Equal("风穴路网格", Assert.Single(await store.GetGridsAsync(2)).Name);
        Assert.Equal(2, (await store.ListDepartmentsAsync()).Count);
        Assert.Equal(2, (await store.ListRulesAsync()).Count);
        var v3 = await store.AddGridVersionAsync(new DateOnly(2025, 1, 1), VersionOneGrids(), null, null);
        Assert.Equal(3, v3.Value.Number);
        using var c = OpenRaw(path);
        Assert.Equal(6L, Scalar(c, "SELECT count(*) FROM geo_schema_migrations;")); // each migration once
    }

    [Fact]
    public async Task OpeningAnotherApplicationsDatabase_Throws_AndLeavesItAlone()
    {
        var path = NewPath();
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var command = c.CreateCommand();
            command.CommandText = "PRAGMA application_id = 1234; CREATE TABLE t (x INTEGER);";
            command.ExecuteNonQuery();
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => GeoPackageGridStore.OpenAsync(path));

        using var raw = OpenRaw(path);
        Assert.Equal(0L, Scalar(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'gpkg_contents';"));
    }

    [Fact]
    [Trait("Category", "Gdal")]
    public async Task GdalValidator_AcceptsTheFile()
    {
        // GDAL's own GeoPackage conformance checker (python3-gdal); it prints nothing and exits 0 on a valid file.
        const string validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py";
        Assert.True(File.Exists(validator), $"{validator} is missing (apt-get install python3-gdal)");
        var path = await PopulatedFileAsync();

        var (exit, stdout, stderr) = Run(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", validator, path);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("", (stdout + stderr).Trim());
    }

    [Fact]
    [Trait("Category", "Gdal")]
    public async Task EditInGdal_KeepsTheRTreeRight_ThroughTheStandardTriggers()
    {
        var path = await PopulatedFileAsync();
        long fid;
        using (var c = OpenRaw(path))
            fid = (long)Scalar(c, "SELECT fid FROM grids WHERE version = 1 AND code = '41048200100101';")!;

        // Move grid fid to version 2's box (112.85..112.87, 34.15..34.17), as a QGIS user editing the layer would.
        var (exit, _, stderr) = Ogrinfo(path, "-sql",
            $"UPDATE grids SET geom = (SELECT geom FROM grids WHERE version = 2) WHERE fid = {fid}");

        Assert.Equal(0, exit);
        Assert.Equal("", stderr.Trim());
        using var raw = OpenRaw(path);
        Assert.Equal(112.85, (double)Scalar(raw, "SELECT minx FROM rtree_grids_geom WHERE id = $id;", ("$id", fid))!, 4);
        Assert.Equal("ok", Scalar(raw, "PRAGMA integrity_check;"));
    }

    [Fact]
    public async Task GeometryBlobs_CarrySrs4490AndAnEnvelope_InTheirHeader()
    {
        var path = await PopulatedFileAsync();
        using var c = OpenRaw(path);

        var blob = (byte[])Scalar(c, "SELECT geom FROM grids ORDER BY fid LIMIT 1;")!;

        Assert.Equal("GP"u8.ToArray(), blob[..2]);
        Assert.Equal(0, blob[2]); // version 1
        var littleEndian = (blob[3] & 1) == 1;
        Assert.Equal(1, (blob[3] >> 1) & 7); // envelope [minx, maxx, miny, maxy]
        var srs = littleEndian ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(4))
            : System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(blob.AsSpan(4));
        Assert.Equal(4490, srs);
    }
}
