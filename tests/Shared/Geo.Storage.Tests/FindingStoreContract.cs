using Geo.ChangeDetect.Findings;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="IFindingStore"/> backend must show (GeoPackage now, PostGIS later: derive and say how
/// to make an empty store). Geometry is WKT around Ruzhou in EPSG:4490 (x = longitude, y = latitude).
/// </summary>
public abstract class FindingStoreContract
{
    /// <summary>A new, empty store that no other test uses.</summary>
    protected abstract Task<IFindingStore> CreateEmptyStoreAsync();

    private static readonly WKTReader Wkt = new(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4490));
    protected internal static readonly DateTimeOffset T0 = new(2026, 6, 2, 8, 30, 0, 123, TimeSpan.Zero);

    protected internal static Polygon Square(double lon, double lat, double side = 0.0002) =>
        (Polygon)Wkt.Read(FormattableString.Invariant(
            $"POLYGON (({lon} {lat}, {lon + side} {lat}, {lon + side} {lat + side}, {lon} {lat + side}, {lon} {lat}))"));

    protected internal static ChangeRun Run(string id, RunState state = RunState.Running) => new(id, "before01", "after002", "/s/before01.tif", "/s/after002.tif",
        new DateOnly(2026, 6, 1), new AreaLimit(["41048200100101", "41048200100102"], null), """{"minAreaM2":20}""", "geo 1.0; test", state, T0, null, 0,
        null, "/s/after-dsm.tif", null, "key:gis1");

    protected internal static Finding Make(string runId, int index, double lon = 112.84, double lat = 34.16, string? grid = "41048200100101",
        string? dept = "CG", bool permitted = false, ChangeKind kind = ChangeKind.NewStructure) =>
        new($"{runId}-{index:D5}", runId, Square(lon, lat), 412.5 + index, kind, 3.2, 6.5, 0.87, grid, dept, permitted, permitted ? "P-1" : null,
            ReviewState.Pending, null, null, null);

    private static (string, string) Payload(Finding f) => ("0101", $$"""{"caseId":"{{f.Id}}","review":"{{f.Review}}"}""");

    protected async Task<IFindingStore> StoreWithRun(string runId, params Finding[] findings)
    {
        var store = await CreateEmptyStoreAsync();
        Assert.True((await store.AddRunAsync(Run(runId))).IsOk);
        var done = await store.CompleteRunAsync(runId, findings, T0.AddMinutes(5));
        Assert.True(done.IsOk, done.IsOk ? "" : done.Failure.ToString());
        return store;
    }

    [Fact]
    public async Task Run_RoundTrips_InputsParametersAndSoftwareVersion()
    {
        await using var store = await CreateEmptyStoreAsync();
        var added = await store.AddRunAsync(Run("r1"));
        Assert.True(added.IsOk);
        var back = await store.GetRunAsync("r1");
        Assert.NotNull(back);
        Assert.Equal(Run("r1") with { Area = null }, back with { Area = null });
        Assert.Equal(["41048200100101", "41048200100102"], back.Area!.GridCodes!);
        Assert.Equal(RunState.Running, back.State);
        Assert.Equal("/s/after-dsm.tif", back.AfterDsmPath);
        Assert.Single(await store.ListRunsAsync());
        Assert.False((await store.AddRunAsync(Run("r1"))).IsOk);
    }

    [Fact]
    public async Task Run_WithPolygonArea_KeepsThePolygon()
    {
        await using var store = await CreateEmptyStoreAsync();
        var area = Square(112.83, 34.16, 0.01);
        await store.AddRunAsync(Run("r1") with { Area = new AreaLimit(null, area) });
        var back = await store.GetRunAsync("r1");
        Assert.True(area.EqualsExact(back!.Area!.Polygon!));
        Assert.Null(back.Area.GridCodes);
    }

    [Fact]
    public async Task Complete_StoresEveryFinding_AndMarksTheRunSucceeded()
    {
        var a = Make("r1", 1);
        await using var store = await StoreWithRun("r1", a, Make("r1", 2, permitted: true, kind: ChangeKind.Demolition));
        var run = await store.GetRunAsync("r1");
        Assert.Equal(RunState.Succeeded, run!.State);
        Assert.Equal(2, run.FindingCount);
        Assert.Equal(T0.AddMinutes(5), run.Finished);
        var back = await store.GetFindingAsync(a.Id);
        Assert.NotNull(back);
        Assert.True(a.Polygon.EqualsExact(back.Polygon));
        Assert.Equal(a with { Polygon = back.Polygon }, back);
        var second = await store.GetFindingAsync("r1-00002");
        Assert.True(second!.Permitted);
        Assert.Equal("P-1", second.PermitId);
        Assert.Equal(ChangeKind.Demolition, second.Kind);
    }

    [Fact]
    public async Task Complete_IsAllOrNothing_ADuplicateIdStoresNoFinding()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.AddRunAsync(Run("r1"));
        var r = await store.CompleteRunAsync("r1", [Make("r1", 1), Make("r1", 2), Make("r1", 1)], T0);
        Assert.False(r.IsOk);
        Assert.Equal(FindingCodes.FindingIdDuplicate, r.Failure.Code);
        Assert.Empty((await store.QueryFindingsAsync(new FindingQuery())).Items);
        Assert.Equal(RunState.Running, (await store.GetRunAsync("r1"))!.State);
    }

    [Fact]
    public async Task CancelledRun_KeepsNoFindings_AndCannotCompleteLater()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.AddRunAsync(Run("r1"));
        var ended = await store.EndRunAsync("r1", RunState.Cancelled, "Cancelled on request.", T0.AddMinutes(1));
        Assert.Equal(RunState.Cancelled, ended.Value.State);
        Assert.Equal("Cancelled on request.", ended.Value.Problem);
        var late = await store.CompleteRunAsync("r1", [Make("r1", 1)], T0.AddMinutes(2));
        Assert.Equal(FindingCodes.RunNotRunning, late.Failure.Code);
        Assert.Empty((await store.QueryFindingsAsync(new FindingQuery())).Items);
        Assert.Equal(FindingCodes.RunNotRunning, (await store.EndRunAsync("r1", RunState.Failed, "x", T0)).Failure.Code);
        Assert.Equal(FindingCodes.RunNotFound, (await store.EndRunAsync("nope", RunState.Failed, "x", T0)).Failure.Code);
    }

    [Fact]
    public async Task FailStaleRuns_MarksOnlyRunningRunsFailed()
    {
        await using var store = await StoreWithRun("r1", Make("r1", 1));
        await store.AddRunAsync(Run("r2"));
        await store.AddRunAsync(Run("r3"));
        Assert.Equal(2, await store.FailStaleRunsAsync("The service stopped during the run.", T0.AddHours(1)));
        var runs = (await store.ListRunsAsync()).ToDictionary(r => r.Id);
        Assert.Equal(RunState.Succeeded, runs["r1"].State);
        Assert.Equal(RunState.Failed, runs["r2"].State);
        Assert.Equal("The service stopped during the run.", runs["r3"].Problem);
        Assert.Equal(0, await store.FailStaleRunsAsync("again", T0));
    }

    [Fact]
    public async Task Query_FiltersCombine()
    {
        await using var store = await StoreWithRun("r1",
            Make("r1", 1), Make("r1", 2, grid: "41048200100102", dept: "ZJ"), Make("r1", 3, permitted: true), Make("r1", 4, kind: ChangeKind.Extension, grid: null, dept: null));
        Assert.Equal(4, (await store.QueryFindingsAsync(new FindingQuery(RunId: "r1"))).Items.Count);
        Assert.Empty((await store.QueryFindingsAsync(new FindingQuery(RunId: "r2"))).Items);
        Assert.Equal(["r1-00002"], (await store.QueryFindingsAsync(new FindingQuery(Grid: "41048200100102"))).Items.Select(f => f.Id));
        Assert.Equal(["r1-00002"], (await store.QueryFindingsAsync(new FindingQuery(Department: "ZJ"))).Items.Select(f => f.Id));
        Assert.Equal(["r1-00003"], (await store.QueryFindingsAsync(new FindingQuery(Permitted: true))).Items.Select(f => f.Id));
        Assert.Equal(["r1-00004"], (await store.QueryFindingsAsync(new FindingQuery(Kind: ChangeKind.Extension))).Items.Select(f => f.Id));
        Assert.Equal(["r1-00001"], (await store.QueryFindingsAsync(new FindingQuery(Grid: "41048200100101", Permitted: false, Kind: ChangeKind.NewStructure)))
            .Items.Select(f => f.Id));
        Assert.Equal(4, (await store.QueryFindingsAsync(new FindingQuery(Review: ReviewState.Pending))).Items.Count);
    }

    [Fact]
    public async Task Query_Bbox_UsesTheFootprint()
    {
        await using var store = await StoreWithRun("r1", Make("r1", 1, 112.84, 34.16), Make("r1", 2, 112.85, 34.17));
        var page = await store.QueryFindingsAsync(new FindingQuery(Bbox: new Envelope(112.8399, 112.8401, 34.1599, 34.1601)));
        Assert.Equal(["r1-00001"], page.Items.Select(f => f.Id));
        Assert.Empty((await store.QueryFindingsAsync(new FindingQuery(Bbox: new Envelope(112.0, 112.1, 34.0, 34.1)))).Items);
    }

    [Fact]
    public async Task Paging_IsStable_ByIdWithAfter()
    {
        var findings = Enumerable.Range(1, 7).Select(i => Make("r1", i, 112.84 + i * 0.001)).ToArray();
        await using var store = await StoreWithRun("r1", findings);
        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await store.QueryFindingsAsync(new FindingQuery(After: after, Limit: 3));
            seen.AddRange(page.Items.Select(f => f.Id));
            after = page.Next;
            pages++;
            // A review between pages does not move anything.
            if (pages == 1) await store.ReviewAsync(new FindingReview("r1-00002", ReviewDecision.Dismiss, "key:a", null, T0), Payload);
        } while (after is not null);
        Assert.Equal(3, pages);
        Assert.Equal(findings.Select(f => f.Id), seen);
    }

    [Fact]
    public async Task Confirm_RecordsWhoAndWhen_AndWritesOneOutboxEntry()
    {
        await using var store = await StoreWithRun("r1", Make("r1", 1), Make("r1", 2));
        var r = await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Confirm, "key:gis1", "违建，已核实", T0.AddDays(1)), Payload);
        Assert.True(r.IsOk);
        Assert.Equal(ReviewState.Confirmed, r.Value.Review);
        var back = await store.GetFindingAsync("r1-00001");
        Assert.Equal("key:gis1", back!.ReviewerKeyId);
        Assert.Equal("违建，已核实", back.ReviewComment);
        Assert.Equal(T0.AddDays(1), back.ReviewedAt);
        var outbox = await store.ReadOutboxAsync(0, 10);
        var entry = Assert.Single(outbox.Items);
        Assert.Equal("r1-00001", entry.FindingId);
        Assert.Equal("0101", entry.EventClass);
        Assert.Contains("\"review\":\"Confirmed\"", entry.PayloadJson); // the payload saw the confirmed finding
        Assert.Equal(entry.Sequence, outbox.Next);
        var history = await store.GetReviewsAsync("r1-00001");
        Assert.Equal(ReviewDecision.Confirm, Assert.Single(history).Decision);
    }

    [Fact]
    public async Task Dismiss_WritesNoOutboxEntry()
    {
        await using var store = await StoreWithRun("r1", Make("r1", 1));
        Assert.True((await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Dismiss, "key:a", "阴影", T0), Payload)).IsOk);
        Assert.Empty((await store.ReadOutboxAsync(0, 10)).Items);
        Assert.Equal(ReviewState.Dismissed, (await store.GetFindingAsync("r1-00001"))!.Review);
    }

    [Fact]
    public async Task ReviewRules_ConfirmedIsFinal_DismissedMayBeConfirmedOnce()
    {
        await using var store = await StoreWithRun("r1", Make("r1", 1));
        await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Dismiss, "key:a", null, T0), Payload);
        var again = await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Dismiss, "key:b", null, T0), Payload);
        Assert.Equal(FindingCodes.AlreadyReviewed, again.Failure.Code);
        Assert.True((await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Confirm, "key:b", "复核确认", T0.AddHours(1)), Payload)).IsOk);
        var final = await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Dismiss, "key:c", null, T0), Payload);
        Assert.Equal(FindingCodes.AlreadyConfirmed, final.Failure.Code);
        var twice = await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Confirm, "key:c", null, T0), Payload);
        Assert.Equal(FindingCodes.AlreadyConfirmed, twice.Failure.Code);
        Assert.Single((await store.ReadOutboxAsync(0, 10)).Items);
        Assert.Equal(2, (await store.GetReviewsAsync("r1-00001")).Count);
        var missing = await store.ReviewAsync(new FindingReview("nope", ReviewDecision.Confirm, "key:c", null, T0), Payload);
        Assert.Equal(FindingCodes.FindingNotFound, missing.Failure.Code);
    }

    [Fact]
    public async Task Outbox_CursorPaging_SeesEachEntryOnceInOrder()
    {
        await using var store = await StoreWithRun("r1", Enumerable.Range(1, 5).Select(i => Make("r1", i)).ToArray());
        foreach (var i in new[] { 3, 1, 5, 2 })
            await store.ReviewAsync(new FindingReview($"r1-{i:D5}", ReviewDecision.Confirm, "key:a", null, T0), Payload);
        var first = await store.ReadOutboxAsync(0, 3);
        Assert.Equal(["r1-00003", "r1-00001", "r1-00005"], first.Items.Select(e => e.FindingId));
        var second = await store.ReadOutboxAsync(first.Next, 3);
        Assert.Equal(["r1-00002"], second.Items.Select(e => e.FindingId));
        var empty = await store.ReadOutboxAsync(second.Next, 3);
        Assert.Empty(empty.Items);
        Assert.Equal(second.Next, empty.Next);
        Assert.True(first.Items.Zip(first.Items.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
    }

    [Fact]
    public async Task Permits_ImportListAndReplaceByNumber()
    {
        await using var store = await CreateEmptyStoreAsync();
        Assert.False((await store.ImportPermitsAsync([], "x")).IsOk);
        var p1 = new Permit("汝建许[2026]001", "汝州市某公司", new(2026, 1, 1), new(2026, 12, 31), Square(112.84, 34.16, 0.001));
        var p2 = new Permit("汝建许[2026]002", "张三", new(2026, 3, 1), null, Square(112.85, 34.16, 0.001));
        Assert.Equal(2, (await store.ImportPermitsAsync([p1, p2], "permits.geojson")).Value);
        await store.ImportPermitsAsync([p1 with { Holder = "汝州市某公司（变更）" }], "again.geojson");
        var all = await store.ListPermitsAsync();
        Assert.Equal(2, all.Count);
        var first = all.Single(p => p.Permit.Number == p1.Number);
        Assert.Equal("汝州市某公司（变更）", first.Permit.Holder);
        Assert.Equal("again.geojson", first.Source);
        Assert.Null(all.Single(p => p.Permit.Number == p2.Number).Permit.ValidTo);
        Assert.True(p1.Geometry.EqualsExact(first.Permit.Geometry));
    }

    [Fact]
    public async Task EveryWrite_MovesTheRevision()
    {
        await using var store = await CreateEmptyStoreAsync();
        var r0 = await store.GetRevisionAsync();
        await store.AddRunAsync(Run("r1"));
        var r1 = await store.GetRevisionAsync();
        await store.CompleteRunAsync("r1", [Make("r1", 1)], T0);
        var r2 = await store.GetRevisionAsync();
        await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Confirm, "key:a", null, T0), Payload);
        var r3 = await store.GetRevisionAsync();
        Assert.True(r0 < r1 && r1 < r2 && r2 < r3);
        // A refused write leaves it.
        await store.ReviewAsync(new FindingReview("r1-00001", ReviewDecision.Confirm, "key:a", null, T0), Payload);
        Assert.Equal(r3, await store.GetRevisionAsync());
    }
}
