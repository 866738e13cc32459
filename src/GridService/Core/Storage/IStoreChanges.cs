namespace Geo.GridService.Storage;

/// <summary>
/// A store's change feed: how a process learns that another process (or another instance of the service on the same
/// database) committed a write, so that in-memory views (the ownership snapshot, the key registry, tile caches) can
/// refresh. Backends with push notification (PostGIS: LISTEN/NOTIFY) deliver a change within milliseconds; the
/// embedded GeoPackage polls its revision.
/// </summary>
public interface IStoreChanges
{
    /// <summary>
    /// Yields the store's revision (see <see cref="IGridStore.GetRevisionAsync"/>): once when the watch starts, after
    /// every committed write by any process, and after the feed reconnects (writes may have been missed meanwhile).
    /// The same revision may be yielded more than once and intermediate revisions may be skipped (only the newest
    /// matters); consumers compare with what they last loaded. Connection problems never end the sequence: the feed
    /// reports them through <see cref="StoreWatchOptions.OnProblem"/> and retries until <paramref name="ct"/> is
    /// cancelled.
    /// </summary>
    IAsyncEnumerable<long> WatchAsync(StoreWatchOptions options, CancellationToken ct = default);
}

/// <summary>How a change feed runs.</summary>
/// <param name="PollInterval">How often the revision is read directly: the only mechanism of a polling backend, and a
/// safety net (and liveness check of the listening connection) for a push backend.</param>
/// <param name="OnProblem">Called with a short description and the exception when the feed loses its connection or a
/// poll fails; the feed keeps retrying. Never receives connection strings or passwords.</param>
public sealed record StoreWatchOptions(TimeSpan PollInterval, Action<string, Exception?>? OnProblem = null)
{
    /// <summary>One second polling, no problem reporting.</summary>
    public static StoreWatchOptions Default { get; } = new(TimeSpan.FromSeconds(1));
}
