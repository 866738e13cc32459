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
