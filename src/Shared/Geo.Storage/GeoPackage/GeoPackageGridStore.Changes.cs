using System.Runtime.CompilerServices;
using Geo.GridService.Storage;
using Microsoft.Data.Sqlite;

namespace Geo.Storage.GeoPackage;

public sealed partial class GeoPackageGridStore
{
    /// <summary>
    /// The change feed of the embedded store: SQLite has no notification between processes, so the revision is read
    /// every <see cref="StoreWatchOptions.PollInterval"/> and yielded when it moved (and once at the start). A failed
    /// read (the file locked or briefly unavailable) is reported and retried at the next tick.
    /// </summary>
    public async IAsyncEnumerable<long> WatchAsync(StoreWatchOptions options, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var poll = options.PollInterval > TimeSpan.Zero ? options.PollInterval : TimeSpan.FromSeconds(1);
        using var timer = new PeriodicTimer(poll);
        long last = -1;
        do
        {
            long revision;
            try
            {
                revision = await GetRevisionAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SqliteException or IOException or InvalidOperationException)
            {
                options.OnProblem?.Invoke("Reading the GeoPackage revision failed; retrying.", e);
                continue;
            }
            if (revision == last) continue;
            last = revision;
            yield return revision;
        } while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }
}
