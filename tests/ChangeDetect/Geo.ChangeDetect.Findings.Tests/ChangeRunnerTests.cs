using Geo.GridService.Ownership;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Geo.Storage.GeoPackage;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings.Tests;

/// <summary>
/// Run orchestration on the real GeoPackage store with a test-double detector: the paths the HTTP tests do not reach
/// (a queued run cancelled before it starts, the service stopping, a run ended by someone else while detecting).
/// No grids are loaded here (an empty ownership snapshot): grid and department are covered by the service tests.
/// </summary>
public sealed class ChangeRunnerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("geo-runner-tests-").FullName;
    private GeoPackageFindingStore _store = null!;
    private ChangeRunner _runner = null!;

    public async Task InitializeAsync()
    {
        _store = await GeoPackageFindingStore.OpenAsync(Path.Combine(_dir, "f.gpkg"));
        var empty = new OwnershipSnapshot(0, [], new Dictionary<int, IReadOnlyList<GridService.Grids.Grid>>(), [], []);
        _runner = new ChangeRunner(_store, _ => Task.FromResult(empty), new PermitRule());
    }

    public async Task DisposeAsync()
    {
        _runner.Dispose();
        await _store.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>Blocks until cancelled, or until released (then returns one 20 m square near Ruzhou).</summary>
    private sealed class Gate : ISurveyChangeDetector
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Func<Task>? WhileDetecting { get; init; }

        public async Task<Result<IReadOnlyList<ChangeCandidate>>> DetectAsync(SurveyPairInput input, IProgress<DetectionProgress>? progress, CancellationToken ct)
        {
            Entered.TrySetResult();
            if (WhileDetecting is { } w) await w();
            await Release.Task.WaitAsync(ct);
            var p = new GeometryFactory().CreatePolygon([new(395_000, 3_780_000), new(395_020, 3_780_000), new(395_020, 3_780_020), new(395_000, 3_780_020), new(395_000, 3_780_000)]);
            return new[] { new ChangeCandidate(p, CrsId.Cgcs2000GK114, ChangeKind.NewStructure, 5, 7, 0.9) };
        }
    }

    private ChangeRun Run() => new(_runner.NewRunId(), "before01", "after002", "/b.tif", "/a.tif", new DateOnly(2026, 6, 1), null, "{}", "test",
        RunState.Running, DateTimeOffset.UtcNow, null, 0);

    private static SurveyPairInput Input => new("/b.tif", null, "/a.tif", null, null);

    private async Task<int> FindingsOf(string runId)
    {
        var n = 0;
        await foreach (var _ in _store.ScanFindingsAsync(runId)) n++;
        return n;
    }

    [Fact]
    public async Task A_released_run_stores_its_findings_with_the_success()
    {
        var gate = new Gate();
        var run = (await _runner.StartAsync(Run(), Input, gate)).Value;
        await gate.Entered.Task;
        Assert.Equal(0, await FindingsOf(run.Id));
        gate.Release.SetResult();
        await _runner.CompletionOf(run.Id)!;
        var stored = await _store.GetRunAsync(run.Id);
        Assert.Equal(RunState.Succeeded, stored!.State);
        Assert.Equal(1, stored.FindingCount);
        var f = (await _store.GetFindingAsync(run.Id + "-00001"))!;
        Assert.Equal(400, f.AreaM2, 0.5);
        Assert.Null(f.GridCode); // no grids in this snapshot
        Assert.Equal(100, _runner.ProgressOf(run.Id)!.Percent);
    }

    [Fact]
    public async Task A_queued_run_cancelled_before_it_starts_ends_cancelled_without_findings()
    {
        var first = new Gate();
        var second = new Gate();
        var r1 = (await _runner.StartAsync(Run(), Input, first)).Value;
        await first.Entered.Task;
        var r2 = (await _runner.StartAsync(Run() with { Id = _runner.NewRunId() + "b" }, Input, second)).Value;
        Assert.Equal("queued", _runner.ProgressOf(r2.Id)!.Stage);
        Assert.True(_runner.Cancel(r2.Id));
        await _runner.CompletionOf(r2.Id)!;
        Assert.False(second.Entered.Task.IsCompleted); // never reached the detector
        var ended = await _store.GetRunAsync(r2.Id);
        Assert.Equal(RunState.Cancelled, ended!.State);
        Assert.Equal("Cancelled on request.", ended.Problem);
        first.Release.SetResult();
        await _runner.CompletionOf(r1.Id)!;
        Assert.Equal(RunState.Succeeded, (await _store.GetRunAsync(r1.Id))!.State);
        Assert.Equal(0, await FindingsOf(r2.Id));
    }

    [Fact]
    public async Task Stopping_the_service_records_live_runs_as_cancelled()
    {
        var gate = new Gate();
        var run = (await _runner.StartAsync(Run(), Input, gate)).Value;
        await gate.Entered.Task;
        await _runner.StopAsync();
        var ended = await _store.GetRunAsync(run.Id);
        Assert.Equal(RunState.Cancelled, ended!.State);
        Assert.Equal("The service stopped during the run.", ended.Problem);
        Assert.Equal(0, await FindingsOf(run.Id));
    }

    [Fact]
    public async Task A_run_marked_failed_by_a_restart_meanwhile_stores_no_findings_when_it_finishes()
    {
        // Another process started and swept 'running' runs while this one was detecting.
        var gate = new Gate { WhileDetecting = () => _store.FailStaleRunsAsync("found running at start-up", DateTimeOffset.UtcNow) };
        var run = (await _runner.StartAsync(Run(), Input, gate)).Value;
        gate.Release.SetResult();
        await _runner.CompletionOf(run.Id)!;
        var ended = await _store.GetRunAsync(run.Id);
        Assert.Equal(RunState.Failed, ended!.State);
        Assert.Equal("found running at start-up", ended.Problem);
        Assert.Equal(0, await FindingsOf(run.Id));
    }
}
