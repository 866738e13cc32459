using System.Diagnostics;
using Geo.ChangeDetect.Findings;
using Geo.Storage.GeoPackage;
using Microsoft.Data.Sqlite;

namespace Geo.Storage.Tests.GeoPackage;

/// <summary>
/// The findings contract suite against the GeoPackage store, plus what only a GeoPackage has to prove: GDAL reads the
/// findings and permits layers through their R*Tree (QGIS opens the same way), validate_gpkg.py accepts the file, and
/// it shares the file and revision with the grid store.
/// </summary>
public sealed class GeoPackageFindingStoreTests : FindingStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("geo-findings-tests-").FullName;

    protected override async Task<IFindingStore> CreateEmptyStoreAsync() => await GeoPackageFindingStore.OpenAsync(NewPath());

    private string NewPath() => Path.Combine(_directory, $"findings-{Guid.NewGuid():N}.gpkg");

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task SameFileAsTheGrids_SharesTheRevisionCounter_AndRecordsMigration4()
    {
        var path = NewPath();
        await using var grids = await GeoPackageGridStore.OpenAsync(path);
        await using var findings = await GeoPackageFindingStore.OpenAsync(path);
        var r0 = await grids.GetRevisionAsync();
        await findings.AddRunAsync(Run("r1"));
        Assert.Equal(r0 + 1, await grids.GetRevisionAsync());
        using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT description FROM geo_schema_migrations WHERE version = 4;";
        Assert.StartsWith("Change findings", (string)cmd.ExecuteScalar()!);
    }

    [Fact]
    public async Task Gdal_ReadsFindingsAndPermits_WithSpatialFilter_AndValidatesTheFile()
    {
        var path = NewPath();
        await using (var store = await GeoPackageFindingStore.OpenAsync(path))
        {
            await store.AddRunAsync(Run("r1"));
            await store.CompleteRunAsync("r1", [Make("r1", 1, 112.84, 34.16), Make("r1", 2, 112.75, 34.06)], T0);
            await store.ImportPermitsAsync([new Permit("P-1", "张三", new(2026, 1, 1), null, Square(112.84, 34.16, 0.001))], "test");
            await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Confirm, "key:a", "确认", T0), f => ("0101", "{}"));
        }
        SqliteConnection.ClearAllPools();
        var info = Run("ogrinfo", $"-ro -so {path} findings");
        Assert.Contains("Feature Count: 2", info);
        Assert.Contains("4490", info);
        var filtered = Run("ogrinfo", $"-ro -q -spat 112.8399 34.1599 112.8401 34.1601 {path} findings");
        Assert.Contains("r1-00001", filtered);
        Assert.DoesNotContain("r1-00002", filtered);
        Assert.Contains("review (String) = confirmed", filtered);
        Assert.Contains("Feature Count: 1", Run("ogrinfo", $"-ro -so {path} permits"));
        var validate = Run("python3", $"/usr/share/doc/python3-gdal/examples/validate_gpkg.py {path}", allowFail: true);
        Assert.DoesNotContain("Error", validate);
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
