using System.Collections.Concurrent;
using Geo.GridService.Ownership;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings;

/// <summary>Live state of a run in this process: percent 0-100 and the stage in words.</summary>
public sealed record RunProgress(int Percent, string Stage);

/// <summary>
/// Runs change-detection runs as background jobs, one at a time (the detector keeps both cores busy), and records them:
/// the run row is written when it is queued (state running), the detector is called, its candidates are resolved into
/// findings (EPSG:4490, area in EPSG:4547, grid and department for E0101, permit marking) and stored with the run's
/// success in one transaction. Cancellation or a failure ends the run (cancelled / failed, with the reason) and stores
/// no finding; a process that dies leaves the run 'running' for <see cref="IFindingStore.FailStaleRunsAsync"/>.
/// Progress is kept in memory: 0-90 % is the detector's share, then resolving and storing.
/// </summary>
public sealed class ChangeRunner(
    IFindingStore store,
    Func<CancellationToken, Task<OwnershipSnapshot>> ownership,
    PermitRule permitRule,
    TimeProvider? clock = null,
    IRunLeases? leases = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Live> _live = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private sealed class Live(CancellationTokenSource cts)
    {
        public CancellationTokenSource Cts { get; } = cts;
        public volatile RunProgress Progress = new(0, "queued");
        public Task Completion = Task.CompletedTask;
    }

    /// <summary>A new run id: <c>r</c> + UTC start time to the millisecond + 4 random hex digits, so ids sort by start time.</summary>
    public string NewRunId() =>
        "r" + _clock.GetUtcNow().UtcDateTime.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture) +
        Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2));

    /// <summary>Records <paramref name="run"/> (state running) and queues it; returns the stored run.</summary>
    public async Task<Result<ChangeRun>> StartAsync(ChangeRun run, SurveyPairInput input, ISurveyChangeDetector detector, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(detector);
        // The lease first (a fresh id: nobody else holds it), so the run is never 'running' without a live holder.
        var lease = leases is null ? null : await leases.TryTakeAsync(run.Id, ct).ConfigureAwait(false);
        if (leases is not null && lease is null)
            return new Failure("run_lease_held", $"Run {run.Id} is held by another process.", FailureKind.Conflict);
        var added = await store.AddRunAsync(run with { State = RunState.Running, Finished = null, FindingCount = 0 }, ct).ConfigureAwait(false);
        if (!added.IsOk)
        {
            if (lease is not null) await lease.DisposeAsync().ConfigureAwait(false);
            return added;
        }

        var live = new Live(CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        _live[run.Id] = live;
        live.Completion = Task.Run(async () =>
        {
            try { await ExecuteAsync(added.Value, input, detector, live).ConfigureAwait(false); }
            finally { if (lease is not null) await lease.DisposeAsync().ConfigureAwait(false); }
        }, CancellationToken.None);
        return added;
    }

    /// <summary>
    /// Marks failed every run stored as 'running' that no live process executes: not live here and, with leases, whose
    /// lease nobody holds (its process died). Without leases (a store that has none) every 'running' run not live here
    /// is taken as abandoned, which is right only when this is the one process that runs changes. Returns how many.
    /// </summary>
    public async Task<int> FailAbandonedRunsAsync(string problem, CancellationToken ct = default)
    {
        var failed = 0;
        foreach (var run in await store.ListRunsAsync(ct).ConfigureAwait(false))
        {
            if (run.State != RunState.Running || _live.ContainsKey(run.Id)) continue;
            if (leases is not null && await leases.IsHeldAsync(run.Id, ct).ConfigureAwait(false)) continue;
            var ended = await store.EndRunAsync(run.Id, RunState.Failed, problem, _clock.GetUtcNow(), ct).ConfigureAwait(false);
            if (ended.IsOk) failed++;
        }

        return failed;
    }

    /// <summary>Live progress of a run this process is running or has queued; null otherwise.</summary>
    public RunProgress? ProgressOf(string runId) => _live.TryGetValue(runId, out var l) ? l.Progress : null;

    /// <summary>The task that ends when the run has ended (for the CLI's --wait and for tests); null when not live here.</summary>
    public Task? CompletionOf(string runId) => _live.TryGetValue(runId, out var l) ? l.Completion : null;

    /// <summary>Asks a live run to stop. False when this process is not running it.</summary>
    public bool Cancel(string runId)
    {
        if (!_live.TryGetValue(runId, out var l)) return false;
        try { l.Cts.Cancel(); }
        catch (ObjectDisposedException) { return false; }
        return true;
    }

    private async Task ExecuteAsync(ChangeRun run, SurveyPairInput input, ISurveyChangeDetector detector, Live live)
    {
        var ct = live.Cts.Token;
        try
        {
            await _oneAtATime.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                live.Progress = new RunProgress(0, "detecting");
                var progress = new Progress(live);
                var detected = await detector.DetectAsync(input, progress, ct).ConfigureAwait(false);
                if (!detected.IsOk)
                {
                    await EndAsync(run.Id, RunState.Failed, string.Join("; ", detected.Failures.Select(f => f.ToString()))).ConfigureAwait(false);
                    return;
                }

                ct.ThrowIfCancellationRequested();
                live.Progress = new RunProgress(90, "resolving");
                var snapshot = await ownership(ct).ConfigureAwait(false);
                var permits = (await store.ListPermitsAsync(ct).ConfigureAwait(false)).Select(p => p.Permit).ToList();
                var findings = Resolve(run, detected.Value, input.Area, snapshot, permits, ct);
                ct.ThrowIfCancellationRequested();
                live.Progress = new RunProgress(95, "storing");
                var completed = await store.CompleteRunAsync(run.Id, findings, _clock.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                if (!completed.IsOk && completed.Failure.Code != FindingCodes.RunNotRunning)
                    await EndAsync(run.Id, RunState.Failed, completed.Failure.ToString()).ConfigureAwait(false);
                live.Progress = new RunProgress(100, "done");
            }
            finally
            {
                _oneAtATime.Release();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await EndAsync(run.Id, RunState.Cancelled,
                _stopping.IsCancellationRequested ? "The service stopped during the run." : "Cancelled on request.").ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await EndAsync(run.Id, RunState.Failed, "The run failed unexpectedly: " + e.GetType().Name + ": " + e.Message).ConfigureAwait(false);
        }
        finally
        {
            live.Progress = live.Progress with { Stage = "ended" };
            // Keep the entry a little so a poller sees the end; the stored run is the truth from here on.
            _ = Task.Delay(TimeSpan.FromMinutes(10), CancellationToken.None).ContinueWith(_ =>
            {
                _live.TryRemove(run.Id, out var _);
                live.Cts.Dispose();
            }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Candidates to findings: each resolved by <see cref="FindingResolver"/>; ids are the run id, '-' and the index (5
    /// digits), so a run's findings sort in detection order. Candidates whose interior point lies outside the run's area
    /// limit are dropped (the detector was asked to stay inside; this makes sure).
    /// </summary>
    public IReadOnlyList<Finding> Resolve(ChangeRun run, IReadOnlyList<ChangeCandidate> candidates, Geometry? area, OwnershipSnapshot snapshot,
        IReadOnlyList<Permit> permits, CancellationToken ct)
    {
        var resolver = new FindingResolver(snapshot, permitRule);
        var prepared = area is null ? null : NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(area);
        var list = new List<Finding>(candidates.Count);
        foreach (var c in candidates)
        {
            ct.ThrowIfCancellationRequested();
            if (c.Polygon is null || c.Polygon.IsEmpty) continue;
            var f = resolver.Resolve(run.Id, c, permits, run.AfterSurveyDate);
            if (prepared is not null && !prepared.Contains(f.Polygon.InteriorPoint)) continue;
            list.Add(f with { Id = $"{run.Id}-{list.Count + 1:D5}" });
        }
        return list;
    }

    private async Task EndAsync(string runId, RunState state, string problem)
    {
        try
        {
            await store.EndRunAsync(runId, state, problem.Length > 2000 ? problem[..2000] : problem, _clock.GetUtcNow(), CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // The store is closing with the process: the run stays 'running' and is marked failed at the next start.
        }
    }

    private sealed class Progress(Live live) : IProgress<DetectionProgress>
    {
        public void Report(DetectionProgress value)
        {
            var percent = (int)Math.Clamp(Math.Floor(value.Fraction * 90), 0, 89);
            var current = live.Progress;
            if (percent >= current.Percent) live.Progress = new RunProgress(percent, value.Stage);
        }
    }

    /// <summary>Cancels every live run (service stopping) and waits briefly for them to record it.</summary>
    public async Task StopAsync()
    {
        _stopping.Cancel();
        var pending = _live.Values.Select(l => l.Completion).ToArray();
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _oneAtATime.Dispose();
    }
}
