using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings;

/// <summary>A review decision on a finding.</summary>
public enum ReviewDecision { Confirm, Dismiss }

/// <summary>
/// Filters of a findings query, all optional and combined with AND. <paramref name="Bbox"/> is in EPSG:4490 degrees
/// (x = longitude, y = latitude) and matches findings whose envelope intersects it. Results are ordered by finding id
/// (ordinal), which is the run's start time then the finding's index in the run, so paging with
/// <paramref name="After"/> (the last id of the previous page) is stable while findings are added or reviewed.
/// </summary>
public sealed record FindingQuery(
    string? RunId = null,
    string? Grid = null,
    string? Department = null,
    ChangeKind? Kind = null,
    ReviewState? Review = null,
    bool? Permitted = null,
    Envelope? Bbox = null,
    string? After = null,
    int Limit = FindingQuery.DefaultLimit)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
}

/// <summary>One page of findings; <see cref="Next"/> is the cursor for the next page (null on the last).</summary>
public sealed record FindingPage(IReadOnlyList<Finding> Items, string? Next);

/// <summary>A stored review: who decided what, when, and why. Every review of a finding is kept (history).</summary>
public sealed record FindingReview(string FindingId, ReviewDecision Decision, string Reviewer, string? Comment, DateTimeOffset At);

/// <summary>
/// One dispatch case in the outbox. <see cref="Sequence"/> is the cursor: strictly increasing in commit order and never
/// reused; a reader asks for entries after the last sequence it processed (at-least-once: it must tolerate seeing an
/// entry again after a crash between processing and remembering the cursor; <see cref="FindingId"/> is the idempotency key).
/// </summary>
public sealed record OutboxEntry(long Sequence, string FindingId, string EventClass, DateTimeOffset CreatedAt, string PayloadJson);

/// <summary>A page of the outbox; <see cref="Next"/> is the sequence to pass as <c>after</c> next time (the last one
/// returned, or the given cursor when the page is empty).</summary>
public sealed record OutboxPage(IReadOnlyList<OutboxEntry> Items, long Next);

/// <summary>A stored permit with where it came from.</summary>
public sealed record StoredPermit(Permit Permit, string? Source, DateTimeOffset ImportedAt);

/// <summary>Failure codes of the findings application (machine codes in problem+json and CLI lines).</summary>
public static class FindingCodes
{
    public const string RunNotFound = "run_not_found";
    public const string RunExists = "run_exists";
    public const string RunNotRunning = "run_not_running";
    public const string FindingNotFound = "finding_not_found";
    public const string AlreadyConfirmed = "finding_already_confirmed";
    public const string AlreadyReviewed = "finding_already_reviewed";
    public const string FindingIdDuplicate = "finding_id_duplicate";
    public const string PermitsEmpty = "permits_empty";
}

/// <summary>
/// Storage of the findings application: runs, their findings, approved-construction permits, reviews and the dispatch
/// outbox. Geometries are EPSG:4490 (x = longitude, y = latitude). Every write is one transaction.
/// <para>Atomicity of runs: a run is recorded when it starts (state running) and its findings are written only by
/// <see cref="CompleteRunAsync"/>, in the same transaction that marks it succeeded; so a cancelled, failed or killed
/// run never leaves findings. A process that dies leaves its run 'running': <see cref="FailStaleRunsAsync"/> at the
/// next start marks such runs failed.</para>
/// <para>Review rules (enforced here, so every edge gets them): a pending finding may be confirmed or dismissed; a
/// dismissed one may later be confirmed (a second look overrides a dismissal) but not dismissed again; a confirmed one is
/// final (its case was handed to dispatch): 409. Each review is kept in the history; confirming writes exactly one
/// outbox entry, in the review's transaction.</para>
/// </summary>
public interface IFindingStore : IAsyncDisposable
{
    /// <summary>The store's revision: moves on every write (tiles and caches compare it).</summary>
    Task<long> GetRevisionAsync(CancellationToken ct = default);

    // ---- runs ----

    /// <summary>Records a new run (its <see cref="ChangeRun.State"/> should be Running). Conflict when the id exists.</summary>
    Task<Result<ChangeRun>> AddRunAsync(ChangeRun run, CancellationToken ct = default);

    Task<ChangeRun?> GetRunAsync(string id, CancellationToken ct = default);

    /// <summary>Every run, newest first.</summary>
    Task<IReadOnlyList<ChangeRun>> ListRunsAsync(CancellationToken ct = default);

    /// <summary>
    /// In one transaction: stores every finding of the run and marks it succeeded with its finding count. NotFound for an
    /// unknown run, Conflict when it is not running (cancelled or failed meanwhile); nothing is stored then.
    /// </summary>
    Task<Result<ChangeRun>> CompleteRunAsync(string runId, IReadOnlyList<Finding> findings, DateTimeOffset finished, CancellationToken ct = default);

    /// <summary>Marks a running run failed or cancelled with the reason; Conflict when it is no longer running.</summary>
    Task<Result<ChangeRun>> EndRunAsync(string runId, RunState state, string problem, DateTimeOffset finished, CancellationToken ct = default);

    /// <summary>Marks every run still 'running' as failed (call at start, before any run is started); returns how many.</summary>
    Task<int> FailStaleRunsAsync(string problem, DateTimeOffset at, CancellationToken ct = default);

    // ---- findings ----

    Task<Finding?> GetFindingAsync(string id, CancellationToken ct = default);

    Task<FindingPage> QueryFindingsAsync(FindingQuery query, CancellationToken ct = default);

    /// <summary>Every finding, in id order (for the map's tiles and exports).</summary>
    IAsyncEnumerable<Finding> ScanFindingsAsync(string? runId = null, CancellationToken ct = default);

    /// <summary>The reviews of a finding, oldest first.</summary>
    Task<IReadOnlyList<FindingReview>> GetReviewsAsync(string findingId, CancellationToken ct = default);

    /// <summary>
    /// Reviews a finding under the rules above. On confirm, <paramref name="casePayload"/> is called with the finding as
    /// confirmed and its JSON is written to the outbox in the same transaction.
    /// </summary>
    Task<Result<Finding>> ReviewAsync(FindingReview review, Func<Finding, (string EventClass, string PayloadJson)> casePayload,
        CancellationToken ct = default);

    // ---- outbox ----

    /// <summary>Outbox entries with a sequence greater than <paramref name="after"/>, in sequence order, at most <paramref name="limit"/>.</summary>
    Task<OutboxPage> ReadOutboxAsync(long after, int limit, CancellationToken ct = default);

    // ---- permits ----

    /// <summary>Stores permits all or nothing; a permit whose number exists is replaced (a re-issued permit).</summary>
    Task<Result<int>> ImportPermitsAsync(IReadOnlyList<Permit> permits, string? source, CancellationToken ct = default);

    Task<IReadOnlyList<StoredPermit>> ListPermitsAsync(CancellationToken ct = default);
}
