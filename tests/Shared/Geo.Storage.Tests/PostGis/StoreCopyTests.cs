using Geo.ChangeDetect.Findings;
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

    // ---- change-detection data (issue #6: runs, findings, reviews, permits, outbox) -------------------------------------

    private static (string, string) Case(Finding f) => ("0101", $$"""{"caseId":"{{f.Id}}","grid":"{{f.GridCode}}","review":"{{f.Review}}"}""");

    /// <summary>
    /// The findings domain through its public contract, with the contract suite's fixtures: a succeeded run of four
    /// findings (one with no heights, grid or department; one permitted) of which one is confirmed, one dismissed then
    /// confirmed (two outbox entries, three reviews), one dismissed; a failed, a cancelled run with a polygon area and
    /// a run still running; two permits (a polygon and a two-part multipolygon, one open-ended).
    /// </summary>
    private static async Task FillFindingsAsync(IFindingStore store)
    {
        var t0 = FindingStoreContract.T0;
        Assert.True((await store.ImportPermitsAsync([
            new Permit("汝建许字2026-001", "汝州市第一建筑公司", new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31), FindingStoreContract.Square(112.84, 34.16, 0.001)),
            new Permit("汝建许字2026-002", "个人 张某", new DateOnly(2026, 3, 1), null, Wkt(
                "MULTIPOLYGON (((112.85 34.17, 112.851 34.17, 112.851 34.171, 112.85 34.17)), ((112.86 34.17, 112.861 34.17, 112.861 34.1712345678901, 112.86 34.17)))")),
        ], "许可 2026.geojson")).IsOk);
        var run = "r20260602083000123a1b2";
        Assert.True((await store.AddRunAsync(FindingStoreContract.Run(run))).IsOk);
        var complete = await store.CompleteRunAsync(run, [
            FindingStoreContract.Make(run, 1),
            FindingStoreContract.Make(run, 2, lon: 112.8412345678901, permitted: true, kind: ChangeKind.Extension),
            FindingStoreContract.Make(run, 3, grid: null, dept: null, kind: ChangeKind.Demolition) with { MeanDh = null, MaxDh = null, Confidence = 0.5 },
            FindingStoreContract.Make(run, 4, lat: 34.1623, kind: ChangeKind.Other),
        ], t0.AddMinutes(5));
        Assert.True(complete.IsOk, complete.IsOk ? "" : complete.Failure.ToString());
        Assert.True((await store.ReviewAsync(new FindingReview($"{run}-00001", ReviewDecision.Confirm, "key:gis1", "现场核实：违建", t0.AddHours(1)), Case)).IsOk);
        Assert.True((await store.ReviewAsync(new FindingReview($"{run}-00002", ReviewDecision.Dismiss, "key:gis1", null, t0.AddHours(2)), Case)).IsOk);
        Assert.True((await store.ReviewAsync(new FindingReview($"{run}-00002", ReviewDecision.Confirm, "key:gis2", "复核改判", t0.AddHours(3)), Case)).IsOk);
        Assert.True((await store.ReviewAsync(new FindingReview($"{run}-00004", ReviewDecision.Dismiss, "key:gis2", "阴影", t0.AddHours(4)), Case)).IsOk);
        Assert.True((await store.AddRunAsync(FindingStoreContract.Run("r20260603000000000ffff"))).IsOk);
        Assert.True((await store.EndRunAsync("r20260603000000000ffff", RunState.Failed, "The detector failed: 无法读取", t0.AddDays(1))).IsOk);
        Assert.True((await store.AddRunAsync(FindingStoreContract.Run("r20260604000000000abcd") with
        {
            Area = new AreaLimit(null, FindingStoreContract.Square(112.83, 34.16, 0.0123456789)), BeforeDsmPath = "/s/before-dsm.tif", StartedBy = null,
        })).IsOk);
        Assert.True((await store.EndRunAsync("r20260604000000000abcd", RunState.Cancelled, "Cancelled on request.", t0.AddDays(2))).IsOk);
        Assert.True((await store.AddRunAsync(FindingStoreContract.Run("r20260605000000000beef"))).IsOk);
    }

    [Fact]
    public async Task Findings_GeoPackage_ToPostGis_AndBack_LoseNothing()
    {
        var path = NewPath();
        await using var source = await GeoPackageGridStore.OpenAsync(path);
        await FillAsync(source);
        await using (var findings = await GeoPackageFindingStore.OpenAsync(path)) await FillFindingsAsync(findings);
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        var backPath = NewPath();
        await using var back = await GeoPackageGridStore.OpenAsync(backPath);

        var there = await StoreCopy.CopyAsync(source, postgis);
        var home = await StoreCopy.CopyAsync(postgis, back);

        Assert.True(there.IsOk, there.IsOk ? "" : there.Failure.ToString());
        Assert.True(home.IsOk, home.IsOk ? "" : home.Failure.ToString());
        Assert.Equal(new StoreCopyReport(2, 3, 2, 3, 2, Runs: 4, Findings: 4, Reviews: 4, OutboxEntries: 2, Permits: 2),
            there.Value with { Classes = 0 });
        Assert.Equal(there.Value, home.Value);
        await using var original = await GeoPackageFindingStore.OpenAsync(path);
        await using var inPostGis = PostGisFindingStore.On(postgis);
        await using var final = await GeoPackageFindingStore.OpenAsync(backPath);
        Assert.Null(await FindingComparer.FirstDifferenceAsync(original, inPostGis));
        Assert.Null(await FindingComparer.FirstDifferenceAsync(original, final));

        // What the API shows agrees too: the history of a finding, its review fields, the outbox a dispatcher reads.
        var id = "r20260602083000123a1b2-00002";
        Assert.Equal(await original.GetReviewsAsync(id), await final.GetReviewsAsync(id));
        Assert.Equal(await original.GetFindingAsync(id) is { } f ? (f.Review, f.ReviewerKeyId, f.ReviewComment, f.ReviewedAt) : default,
            await inPostGis.GetFindingAsync(id) is { } g ? (g.Review, g.ReviewerKeyId, g.ReviewComment, g.ReviewedAt) : default);
        var outbox = await original.ReadOutboxAsync(0, 100);
        Assert.Equal(outbox.Items, (await inPostGis.ReadOutboxAsync(0, 100)).Items);
        Assert.Equal(outbox.Items, (await final.ReadOutboxAsync(0, 100)).Items);
        Assert.Equal("现场核实：违建", (await final.GetFindingAsync("r20260602083000123a1b2-00001"))!.ReviewComment);
        Assert.Equal(RunState.Running, (await inPostGis.GetRunAsync("r20260605000000000beef"))!.State);

        // The copies go on from where the source was: a dispatcher's cursor stays valid, the next case comes after it.
        foreach (IFindingStore copy in (IFindingStore[])[inPostGis, final])
        {
            var confirmed = await copy.ReviewAsync(new FindingReview("r20260602083000123a1b2-00004", ReviewDecision.Confirm, "key:admin", null,
                FindingStoreContract.T0.AddDays(3)), Case);
            Assert.True(confirmed.IsOk);
            var next = await copy.ReadOutboxAsync(outbox.Next, 10);
            Assert.Equal("r20260602083000123a1b2-00004", Assert.Single(next.Items).FindingId);
            Assert.True(next.Next > outbox.Next);
        }
    }

    [Fact]
    public async Task Everything_GeoPackage_ToPostGis_IsOneTransaction_AFailureInTheLastPartLeavesTheTargetAsItWas()
    {
        // A legacy GeoPackage row PostGIS refuses (confidence above 1: the GeoPackage table has no check on it) makes the
        // findings part, written last, fail after grids, census and surveys were written in the same transaction.
        var path = NewPath();
        await using var source = await GeoPackageGridStore.OpenAsync(path);
        await FillAsync(source);
        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
        await using (var surveys = await GeoPackageSurveyStore.OpenAsync(path))
            await FillCensusAndSurveysAsync(census, surveys);
        await using (var findings = await GeoPackageFindingStore.OpenAsync(path))
        {
            await FillFindingsAsync(findings);
            Assert.True((await findings.AddRunAsync(FindingStoreContract.Run("r2099"))).IsOk);
            Assert.True((await findings.CompleteRunAsync("r2099", [FindingStoreContract.Make("r2099", 1) with { Confidence = 1.5 }], FindingStoreContract.T0)).IsOk);
        }
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        var revision = await postgis.GetRevisionAsync();
        var steps = new List<StoreCopy.Step>();

        var result = await StoreCopy.CopyAsync(source, postgis, new SyncProgress<StoreCopy.Step>(steps.Add));

        Assert.False(result.IsOk);
        Assert.Equal("store_constraint", result.Failure.Code);
        Assert.Contains(steps, s => s.Phase == "census" && s.Done == 5002);
        Assert.Contains(steps, s => s.Phase == "findings");
        Assert.Empty(await postgis.ListGridVersionsAsync());
        Assert.Empty(await postgis.ListDepartmentsAsync());
        Assert.Empty(await postgis.ListApiKeysAsync());
        await using (var census = PostGisCensusStore.On(postgis)) Assert.True(await census.IsCensusEmptyAsync());
        Assert.Empty(await PostGisSurveyStore.On(postgis).ListAsync());
        await using (var findings = PostGisFindingStore.On(postgis))
        {
            Assert.Empty(await findings.ListRunsAsync());
            Assert.Empty(await findings.ListPermitsAsync());
        }
        Assert.Equal(revision, await postgis.GetRevisionAsync());
    }

    [Fact]
    public async Task CancelledCopy_IntoAGeoPackage_LeavesItAsItWas()
    {
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        await FillAsync(postgis);
        await using (var census = PostGisCensusStore.On(postgis)) await FillCensusAndSurveysAsync(census, PostGisSurveyStore.On(postgis));
        await using (var findings = PostGisFindingStore.On(postgis)) await FillFindingsAsync(findings);
        var path = NewPath();
        await using var target = await GeoPackageGridStore.OpenAsync(path);
        var revision = await target.GetRevisionAsync();
        using var cancel = new CancellationTokenSource();
        // Cancelled from inside the copy, in the middle of the components (the census reports every 1,000 rows).
        var progress = new SyncProgress<StoreCopy.Step>(s =>
        {
            if (s.Phase == "census" && s.Done >= 2000) cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StoreCopy.CopyAsync(postgis, target, progress, cancel.Token));

        Assert.Empty(await target.ListGridVersionsAsync());
        Assert.Empty(await target.ListDepartmentsAsync());
        Assert.Equal(revision, await target.GetRevisionAsync());
        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
        {
            Assert.Equal(0, await census.CountAsync());
            Assert.True(await census.IsCensusEmptyAsync());
        }
        // And the file takes the whole copy afterwards.
        var again = await StoreCopy.CopyAsync(postgis, target);
        Assert.True(again.IsOk, again.IsOk ? "" : again.Failure.ToString());
        Assert.Equal(5002, again.Value.Components);
        Assert.Equal(4, again.Value.Findings);
        // Replacing a full GeoPackage (components with their grid rows and R*Tree, findings, outbox) gives the same copy.
        var replaced = await StoreCopy.CopyAsync(postgis, target, new StoreCopyOptions(Replace: true));
        Assert.True(replaced.IsOk, replaced.IsOk ? "" : replaced.Failure.ToString());
        Assert.Equal(again.Value, replaced.Value);
        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
            Assert.Null(await CensusComparer.FirstDifferenceAsync(PostGisCensusStore.On(postgis), census));
    }

    [Fact]
    public async Task CopyIntoAStoreWithFindings_IsRefused_UnlessReplace_AndAFailedReplaceKeepsTheOldContent()
    {
        await using var postgis = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        await using (var findings = PostGisFindingStore.On(postgis))
            Assert.True((await findings.AddRunAsync(FindingStoreContract.Run("r-old"))).IsOk);
        var path = NewPath();
        await using var source = await GeoPackageGridStore.OpenAsync(path);
        await FillAsync(source);
        await using (var findings = await GeoPackageFindingStore.OpenAsync(path)) await FillFindingsAsync(findings);

        var refused = await StoreCopy.CopyAsync(source, postgis);
        Assert.Equal("store_not_empty", refused.Failure.Code);
        Assert.Contains("change_runs", refused.Failure.Message);

        var replaced = await StoreCopy.CopyAsync(source, postgis, new StoreCopyOptions(Replace: true));
        Assert.True(replaced.IsOk, replaced.IsOk ? "" : replaced.Failure.ToString());
        await using var inPostGis = PostGisFindingStore.On(postgis);
        Assert.Null(await inPostGis.GetRunAsync("r-old"));
        await using (var original = await GeoPackageFindingStore.OpenAsync(path))
            Assert.Null(await FindingComparer.FirstDifferenceAsync(original, inPostGis));

        // A replacing copy that fails deletes nothing: the previous copy is all still there.
        await using var bad = await GeoPackageGridStore.OpenAsync(NewPath());
        await bad.UpsertDepartmentsAsync([new(DepartmentCode.FromTrusted("ZZ"), "新部门", null, null)]);
        await using (var findings = await GeoPackageFindingStore.OpenAsync(bad.FilePath))
        {
            Assert.True((await findings.AddRunAsync(FindingStoreContract.Run("r2099"))).IsOk);
            Assert.True((await findings.CompleteRunAsync("r2099", [FindingStoreContract.Make("r2099", 1) with { Confidence = 7 }], FindingStoreContract.T0)).IsOk);
        }
        var failed = await StoreCopy.CopyAsync(bad, postgis, new StoreCopyOptions(Replace: true));
        Assert.Equal("store_constraint", failed.Failure.Code);
        Assert.Equal(2, (await postgis.ListGridVersionsAsync()).Count);
        Assert.Equal(["CGJ", "SW"], (await postgis.ListDepartmentsAsync()).Select(d => d.Code.Value));
        Assert.Equal(4, (await inPostGis.ListRunsAsync()).Count);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
