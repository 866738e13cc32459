using System.Collections.Concurrent;
using System.Threading.Channels;
using Geo.Spatial.Failures;

namespace Geo.Surveys;

/// <summary>State of an ingest job.</summary>
public enum JobState
{
    /// <summary>Waiting for the worker.</summary>
    Queued,
    /// <summary>Being ingested.</summary>
    Running,
    /// <summary>Done; the survey is stored.</summary>
    Succeeded,
    /// <summary>Rejected or failed; see the problem.</summary>
    Failed,
}

/// <summary>A snapshot of an ingest job. Percent is 0-100.</summary>
public sealed record JobStatus(string Id, JobState State, int Percent, SurveyId? SurveyId, Failure? Problem, DateTimeOffset CreatedAt);

/// <summary>
/// Ingest jobs run one at a time by a single background worker (ingest uses every core already). Job states are kept
/// in memory (the newest 1,000): a job lost in a restart never stored a survey, and its upload is swept at start.
/// </summary>
public sealed class SurveyJobs
{
    private const int Kept = 1000;
    private readonly ConcurrentDictionary<string, JobStatus> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly Channel<(string Id, Func<IProgress<double>, CancellationToken, Task<Result<Survey>>> Work)> _queue =
        Channel.CreateUnbounded<(string, Func<IProgress<double>, CancellationToken, Task<Result<Survey>>>)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The failure code of a job stopped by <see cref="Timeout"/>.</summary>
    public const string TimeoutCode = "ingest_timeout";

    /// <summary>Wall-clock limit of one job (null = none). A job over it is cancelled (GDAL stops at its next progress
    /// call, the partial COG is deleted, nothing is stored) and fails with <c>ingest_timeout</c>.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Queues work; returns the queued job.</summary>
    public JobStatus Enqueue(Func<IProgress<double>, CancellationToken, Task<Result<Survey>>> work)
    {
        var id = Guid.NewGuid().ToString("N")[..16];
        var status = new JobStatus(id, JobState.Queued, 0, null, null, DateTimeOffset.UtcNow);
        _jobs[id] = status;
        _order.Enqueue(id);
        while (_order.Count > Kept && _order.TryDequeue(out var old)) _jobs.TryRemove(old, out _);
        if (!_queue.Writer.TryWrite((id, work))) throw new InvalidOperationException("The job queue is closed.");
        return status;
    }

    /// <summary>The job, or null.</summary>
    public JobStatus? Get(string id) => _jobs.TryGetValue(id, out var s) ? s : null;

    /// <summary>Runs queued jobs until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        await foreach (var (id, work) in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            Update(id, s => s with { State = JobState.Running });
            var progress = new Progress(this, id);
            Result<Survey> result;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (Timeout is { } timeout) limit.CancelAfter(timeout);
            try
            {
                result = await Task.Run(() => work(progress, limit.Token), limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && limit.IsCancellationRequested)
            {
                Update(id, s => s with { State = JobState.Failed, Problem = new Failure(TimeoutCode,
                    $"The ingest took longer than the limit of {Timeout?.TotalSeconds:0} s and was stopped; nothing was stored.", FailureKind.Unavailable) });
                continue;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Update(id, s => s with { State = JobState.Failed, Problem = new Failure("job_cancelled", "The service stopped during the ingest.", FailureKind.Unavailable) });
                throw;
            }
            catch (Exception e)
            {
                Update(id, s => s with { State = JobState.Failed, Problem = new Failure("ingest_failed", "The ingest failed unexpectedly: " + e.GetType().Name, FailureKind.Unavailable) });
                continue;
            }

            Update(id, s => result.IsOk
                ? s with { State = JobState.Succeeded, Percent = 100, SurveyId = result.Value.Id }
                : s with { State = JobState.Failed, Problem = result.Failure, SurveyId = ExistingId(result.Failure) });
        }
    }

    private static SurveyId? ExistingId(Failure f) =>
        f.Code == SurveyFailureCodes.SurveyExists && f.Extensions?["surveyId"] is string s && SurveyId.Parse(s) is { IsOk: true } id ? id.Value : null;

    private void Update(string id, Func<JobStatus, JobStatus> change)
    {
        while (_jobs.TryGetValue(id, out var current))
        {
            if (_jobs.TryUpdate(id, change(current), current)) return;
        }
    }

    private sealed class Progress(SurveyJobs jobs, string id) : IProgress<double>
    {
        public void Report(double value)
        {
            var percent = (int)Math.Clamp(Math.Floor(value * 100), 0, 99);
            jobs.Update(id, s => percent > s.Percent ? s with { Percent = percent } : s);
        }
    }
}
