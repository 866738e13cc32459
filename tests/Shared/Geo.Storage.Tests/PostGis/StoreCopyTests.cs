using Geo.GridService.Access;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Grids;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;
using Geo.Surveys;

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

    /// <summary>
    /// A census and survey records on top of <see cref="FillAsync"/>: standard and local classes, 5,000 points, a line
    /// and an area by two bulk imports, single creates, an update and a delete (audit trail with before/after), a DSM
    /// and the orthophoto paired with it.
    /// </summary>
    private static async Task FillCensusAndSurveysAsync(ICensusStore census, ISurveyStore surveys)
    {
        var alice = new AuditActor("key:alice", "GIS 科 小王");
        Assert.True((await census.UpsertClassesAsync([
            new ComponentClass(ClassCode.Parse("C0101").Value, "公用设施", "上水井盖", false, "GB/T 30428"),
            new ComponentClass(ClassCode.Parse("E0101").Value, "市容环境", "私搭乱建", false, null),
            new ComponentClass(ClassCode.Parse("C2101").Value, "扩展部件", "防蚊闸", true, "cli:admin"),
        ])).IsOk);
        Component K(string code, string wkt, string grids = "41048200100101", string? remarks = null, string? attributes = """{"材质":"铸铁"}""") =>
            new(ComponentCode.Parse(code).Value, "部件" + code[^3..], Wkt(wkt), grids.Split(' ').Select(GridCode.FromTrusted).ToArray(),
                DepartmentCode.FromTrusted("SW"), remarks is null ? null : "汝州市自来水公司", null, ComponentStatus.Damaged, new DateOnly(2024, 3, 1),
                new DateOnly(2024, 6, 1), DataSource.FieldMapping, remarks is null ? [] : ["photos/a.jpg"], remarks, attributes);
        await using (var bulk = await census.BeginBulkAsync(alice, "first.csv"))
        {
            for (var i = 1; i <= 5000; i++)
                Assert.True(bulk.Add(K($"4104820101{i:D6}", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"POINT ({112.80 + i * 0.0000123456789:R} {34.10 + i * 0.00001:R})"), remarks: i % 7 == 0 ? "备注" + i : null)).IsOk);
            await bulk.CommitAsync();
        }
        await using (var bulk = await census.BeginBulkAsync(alice, null))
        {
            Assert.True(bulk.Add(K("4104820603000001", "LINESTRING (112.84 34.16, 112.85 34.17, 112.86 34.165)", "41048200100101 410482001001002")).IsOk);
            Assert.True(bulk.Add(K("4104822101000001", "POLYGON ((112.84 34.16, 112.85 34.16, 112.85 34.17, 112.84 34.16))", attributes: null)).IsOk);
            await bulk.CommitAsync();
        }
        var single = await census.AddComponentAsync(K("4104820101900001", "POINT (112.845 34.167)", remarks: "单个"), alice);
        Assert.True((await census.UpdateComponentAsync(single.Value with { Status = ComponentStatus.Missing }, 1, new AuditActor("key:bob"))).IsOk);
        Assert.True((await census.DeleteComponentAsync(ComponentCode.Parse("4104820101000007").Value, 1, alice)).IsOk);

        var footprint = Wkt("POLYGON ((112.836 34.164, 112.839 34.164, 112.839 34.166, 112.836 34.1655, 112.836 34.164))");
        Survey S(string sha, SurveyKind kind, SurveyId? dsm) => new(SurveyId.New(), "东区 " + kind, new DateOnly(2026, 4, 12), kind, dsm,
            new LonLatBounds(112.836, 34.164, 112.839, 34.166), 0.1, 2048, 2048, 4547, sha.PadRight(64, '0'),
            new DateTimeOffset(2026, 4, 13, 8, 30, 15, 123, TimeSpan.Zero), "东区.tif", 1_234_567,
            kind == SurveyKind.Dsm ? 95.5 : null, kind == SurveyKind.Dsm ? 121.25 : null, footprint);
        var dsmSurvey = S("d1", SurveyKind.Dsm, null);
        Assert.True((await surveys.AddAsync(dsmSurvey)).IsOk);
        Assert.True((await surveys.AddAsync(S("a1", SurveyKind.Ortho, dsmSurvey.Id))).IsOk);
    }

    [Fact]
    public async Task Census_AndSurveys_GeoPackage_ToPostGis_AndBack_LoseNothing()
    {
        var path = NewPath();
        await using var source = await GeoPackageGridStore.OpenAsync(path);
        await FillAsync(source);
        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
        await using (var surveys = await GeoPackageSurveyStore.OpenAsync(path))
            await FillCensusAndSurveysAsync(census, surveys);
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        var backPath = NewPath();
        await using var back = await GeoPackageGridStore.OpenAsync(backPath);
        var steps = new List<StoreCopy.Step>();

        var there = await StoreCopy.CopyAsync(source, postgis, new SyncProgress<StoreCopy.Step>(steps.Add));
        var home = await StoreCopy.CopyAsync(postgis, back);

        Assert.True(there.IsOk, there.IsOk ? "" : there.Failure.ToString());
        Assert.True(home.IsOk, home.IsOk ? "" : home.Failure.ToString());
        // 5,000 + 2 + 1 created - 1 deleted; two imports; audit: created, updated, deleted.
        Assert.Equal(new StoreCopyReport(2, 3, 2, 3, 2, 3, 5002, 2, 3, 2), there.Value);
        Assert.Equal(there.Value, home.Value);
        Assert.Contains(steps, s => s.Phase == "census" && s.Done == 5002 && s.Total == 5002);
        await using var original = await GeoPackageCensusStore.OpenAsync(path);
        await using var final = await GeoPackageCensusStore.OpenAsync(backPath);
        await using var inPostGis = PostGisCensusStore.On(postgis);
        Assert.Null(await CensusComparer.FirstDifferenceAsync(original, inPostGis));
        Assert.Null(await CensusComparer.FirstDifferenceAsync(original, final));
        await using var originalSurveys = await GeoPackageSurveyStore.OpenAsync(path);
        await using var finalSurveys = await GeoPackageSurveyStore.OpenAsync(backPath);
        Assert.Null(SurveyComparer.FirstDifference(await originalSurveys.ListAsync(), await finalSurveys.ListAsync()));
        Assert.Null(SurveyComparer.FirstDifference(await originalSurveys.ListAsync(), await PostGisSurveyStore.On(postgis).ListAsync()));

        // What the public contract shows agrees too: audit trails (imported entries included), statistics, versions.
        var code = ComponentCode.Parse("4104820101900001").Value;
        Assert.Equal((await original.GetAuditAsync(code)).Select(a => (a.Action, a.Actor, a.At, a.Version, a.BeforeJson, a.AfterJson)),
            (await final.GetAuditAsync(code)).Select(a => (a.Action, a.Actor, a.At, a.Version, a.BeforeJson, a.AfterJson)));
        var imported = ComponentCode.Parse("4104820603000001").Value;
        Assert.Equal((await original.GetAuditAsync(imported)).Select(a => (a.Action, a.Actor, a.At)),
            (await inPostGis.GetAuditAsync(imported)).Select(a => (a.Action, a.Actor, a.At)));
        Assert.Equal(await original.StatisticsAsync(), await inPostGis.StatisticsAsync());
        Assert.Equal(2, (await final.GetComponentAsync(code))!.Version);
        Assert.Null(await final.GetComponentAsync(ComponentCode.Parse("4104820101000007").Value));
        // The copied census takes new bulk imports after the copied ones.
        await using (var bulk = await inPostGis.BeginBulkAsync(new AuditActor("key:x"), null))
        {
            Assert.Equal(900002, bulk.NextSerial(CountyCode.Parse("410482").Value, ClassCode.Parse("C0101").Value));
            Assert.True(bulk.Add((await inPostGis.GetComponentAsync(code))! with { Code = ComponentCode.Parse("4104820101950001").Value }).IsOk);
            await bulk.CommitAsync();
        }
    }

    [Fact]
    public async Task CopyIntoAStoreWithACensus_IsConflict_AndWritesNothing()
    {
        await using var source = await GeoPackageGridStore.OpenAsync(NewPath());
        await FillAsync(source);
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        await using (var census = PostGisCensusStore.On(postgis))
        {
            var k = new Component(ComponentCode.Parse("4104820101000001").Value, "井盖", Wkt("POINT (112.845 34.167)"),
                [GridCode.FromTrusted("41048200100101")], null, null, null, ComponentStatus.Intact, new DateOnly(2024, 1, 1),
                new DateOnly(2024, 1, 1), DataSource.Surveyed, [], null, null);
            Assert.True((await census.AddComponentAsync(k, new AuditActor("key:x"))).IsOk);
        }

        var result = await StoreCopy.CopyAsync(source, postgis);

        Assert.Equal("store_not_empty", result.Failure.Code);
        Assert.Empty(await postgis.ListGridVersionsAsync());
        Assert.Empty(await postgis.ListDepartmentsAsync());
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
