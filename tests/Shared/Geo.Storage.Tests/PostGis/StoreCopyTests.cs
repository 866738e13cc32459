using Geo.GridService.Access;
using Geo.GridService.Codes;
using Geo.GridService.Grids;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;

namespace Geo.Storage.Tests.PostGis;

/// <summary>
/// <c>geo store copy</c>'s core: an embedded store copied into PostGIS and back loses nothing; a copy into a store that
/// holds data writes nothing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreCopyTests(PostgresFixture pg) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("geo-copy-tests-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    private string NewPath() => Path.Combine(_directory, $"{Guid.NewGuid():N}.gpkg");

    /// <summary>
    /// Two versions (a multipolygon with a hole among them, 15-digit codes, null names), departments with and without
    /// contact, rules of every shape, an active and a revoked key.
    /// </summary>
    private static async Task FillAsync(IGridStore store)
    {
        Grid G(string code, string wkt, string? sub = "煤山街道", string? community = "丹阳社区") =>
            new(GridCode.FromTrusted(code), "网格" + code[^3..], sub, community, Wkt(wkt));
        Assert.True((await store.AddGridVersionAsync(new DateOnly(2023, 1, 1), [
            G("41048200100101", "POLYGON ((112.80 34.10, 112.83 34.10, 112.83 34.13, 112.80 34.13, 112.80 34.10), (112.81 34.11, 112.81 34.12, 112.82 34.12, 112.81 34.11))"),
            G("410482001001002", "MULTIPOLYGON (((112.85 34.15, 112.86 34.15, 112.86 34.16, 112.85 34.16, 112.85 34.15)), ((112.87 34.15, 112.88 34.15, 112.88 34.16, 112.87 34.15)))", null, null),
        ], "2023 普查.shp", "首版")).IsOk);
        Assert.True((await store.AddGridVersionAsync(new DateOnly(2024, 7, 1), [
            G("41048200100101", "POLYGON ((112.8912345678901 34.1987654321012, 112.8999999999999 34.1987654321012, 112.8999999999999 34.1999999999999, 112.8912345678901 34.1987654321012))"),
        ], null, null)).IsOk);
        Assert.True((await store.UpsertDepartmentsAsync([
            new(DepartmentCode.FromTrusted("CGJ"), "汝州市城市管理局", "值班室", "0375-6800000"),
            new(DepartmentCode.FromTrusted("SW"), "水务公司", null, null),
        ])).IsOk);
        Assert.True((await store.ReplaceRulesAsync([
            new("R9", null, null, DepartmentCode.FromTrusted("CGJ"), "兜底"),
            new("R1", GridCode.FromTrusted("41048200100101"), ClassCode.Parse("C0101").Value, DepartmentCode.FromTrusted("SW"), null),
            new("R5", null, ClassCode.Parse("E01").Value, DepartmentCode.FromTrusted("CGJ"), null),
        ])).IsOk);
        var at = new DateTimeOffset(2024, 3, 1, 8, 30, 15, 123, TimeSpan.FromHours(8));
        Assert.True((await store.AddApiKeyAsync(new ApiKey("k-admin", "管理员", Role.Admin, "geo_abcd", new string('a', 64), at, null))).IsOk);
        Assert.True((await store.AddApiKeyAsync(new ApiKey("k-gis", "GIS 科", Role.Gis, "geo_efgh", new string('b', 64), at.AddDays(1), null))).IsOk);
        Assert.True((await store.RevokeApiKeyAsync("k-gis", at.AddDays(2))).IsOk);
    }

    private static NetTopologySuite.Geometries.Geometry Wkt(string wkt)
    {
        var g = new NetTopologySuite.IO.WKTReader().Read(wkt);
        g.SRID = 4490;
        return g;
    }

    [Fact]
    public async Task GeoPackage_ToPostGis_AndBack_LosesNothing()
    {
        await using var source = await GeoPackageGridStore.OpenAsync(NewPath());
        await FillAsync(source);
        var original = await StoreContent.ReadAsync(source);
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        await using var back = await GeoPackageGridStore.OpenAsync(NewPath());
        var steps = new List<StoreCopy.Step>();

        var there = await StoreCopy.CopyAsync(source, postgis, new SyncProgress<StoreCopy.Step>(steps.Add));
        var home = await StoreCopy.CopyAsync(postgis, back);

        Assert.True(there.IsOk, there.IsOk ? "" : there.Failure.ToString());
        Assert.True(home.IsOk, home.IsOk ? "" : home.Failure.ToString());
        Assert.Equal(new StoreCopyReport(2, 3, 2, 3, 2), there.Value);
        Assert.Null(StoreContentComparer.FirstDifference(original, await StoreContent.ReadAsync(postgis)));
        Assert.Null(StoreContentComparer.FirstDifference(original, await StoreContent.ReadAsync(back)));
        Assert.Equal(new DateOnly(2024, 7, 1), (await postgis.ListGridVersionsAsync())[0].ValidTo);
        Assert.Equal(["R9", "R1", "R5"], (await back.ListRulesAsync()).Select(r => r.Id));
        Assert.Contains(steps, s => s.Phase == "write" && s.Done == 3 && s.Total == 3);
    }

    [Fact]
    public async Task CopiedStore_TakesNewWrites_AfterTheCopiedVersions()
    {
        await using var source = await GeoPackageGridStore.OpenAsync(NewPath());
        await FillAsync(source);
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        Assert.True((await StoreCopy.CopyAsync(source, postgis)).IsOk);

        var next = await postgis.AddGridVersionAsync(new DateOnly(2025, 1, 1), (await postgis.GetGridsAsync(2)).ToList(), null, null);

        Assert.True(next.IsOk);
        Assert.Equal(3, next.Value.Number);
        Assert.Equal(new DateOnly(2025, 1, 1), (await postgis.ListGridVersionsAsync())[1].ValidTo);
    }

    [Fact]
    public async Task CopyIntoANonEmptyStore_IsConflict_AndWritesNothing()
    {
        await using var source = await GeoPackageGridStore.OpenAsync(NewPath());
        await FillAsync(source);
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        await postgis.UpsertDepartmentsAsync([new(DepartmentCode.FromTrusted("XX"), "已有部门", null, null)]);
        var revision = await postgis.GetRevisionAsync();

        var result = await StoreCopy.CopyAsync(source, postgis);

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.Conflict, result.Failure.Kind);
        Assert.Equal("store_not_empty", result.Failure.Code);
        Assert.Empty(await postgis.ListGridVersionsAsync());
        Assert.Single(await postgis.ListDepartmentsAsync());
        Assert.Equal(revision, await postgis.GetRevisionAsync());
    }

    [Fact]
    public async Task CopyIntoANonEmptyGeoPackage_IsConflict_Too()
    {
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        await FillAsync(postgis);
        await using var target = await GeoPackageGridStore.OpenAsync(NewPath());
        await target.AddApiKeyAsync(new ApiKey("k-x", "x", Role.Viewer, "geo_xxxx", new string('c', 64), DateTimeOffset.UtcNow, null));

        var result = await StoreCopy.CopyAsync(postgis, target);

        Assert.Equal("store_not_empty", result.Failure.Code);
        Assert.Empty(await target.ListGridVersionsAsync());
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
