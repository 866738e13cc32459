using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Geo.GridService.Storage;
using Npgsql;

namespace Geo.Storage.PostGis;

public sealed partial class PostGisGridStore
{
    /// <summary>
    /// The change feed over LISTEN/NOTIFY: a dedicated (unpooled) connection LISTENs on <see cref="ChangesChannel"/>;
    /// every committed write of any process NOTIFYs it with the new revision, delivered within milliseconds of the
    /// commit. The connection also reads the revision every <see cref="StoreWatchOptions.PollInterval"/> (a safety net
    /// and a liveness check). When the connection is lost (server restart, network) the feed reports it, reconnects
    /// with a backoff of 100 ms doubling to 500 ms, and yields the revision read right after reconnecting, so writes made
    /// while it was away are not missed.
    /// </summary>
    public async IAsyncEnumerable<long> WatchAsync(StoreWatchOptions options, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Only the newest revision matters: a slow consumer sees the latest, never a backlog.
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var listener = Task.Run(() => ListenAsync(channel.Writer, options, stop.Token), CancellationToken.None);
        try
        {
            while (await channel.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var revision)) yield return revision;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ListenAsync(ChannelWriter<long> writer, StoreWatchOptions options, CancellationToken ct)
    {
        var poll = options.PollInterval > TimeSpan.Zero ? options.PollInterval : TimeSpan.FromSeconds(1);
        var builder = new NpgsqlConnectionStringBuilder(_connectionString)
        {
            Pooling = false,
            // Npgsql pings an idle connection after this many seconds, so a silently dropped one is noticed.
            KeepAlive = (int)Math.Clamp(poll.TotalSeconds, 1, 30),
            TcpKeepAlive = true,
        };
        var connectionString = builder.ConnectionString;
        var backoff = TimeSpan.FromMilliseconds(100);
        long last = -1;
        var failures = 0;

        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision != last)
                    {
                        last = revision;
                        writer.TryWrite(revision);
                    }
                };
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChangesChannel};", connection))
                    await listen.ExecuteNonQueryAsync(ct).ConfigureAwait(false);

                // Listening from here on; whatever was committed before (or while disconnected) is in this read.
                last = await ReadRevisionAsync(connection, ct).ConfigureAwait(false);
                writer.TryWrite(last);
                backoff = TimeSpan.FromMilliseconds(100);
                if (failures > 0) options.OnProblem?.Invoke($"The PostgreSQL change listener reconnected after {failures} failed attempt(s).", null);
                failures = 0;

                while (true)
                {
                    if (await connection.WaitAsync(poll, ct).ConfigureAwait(false)) continue; // a notification: handled by the event
                    var revision = await ReadRevisionAsync(connection, ct).ConfigureAwait(false);
                    if (revision != last)
                    {
                        last = revision;
                        writer.TryWrite(revision);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The first failure of a streak with its exception; the retries while the server stays away in one line each.
                options.OnProblem?.Invoke($"The PostgreSQL change listener lost its connection ({Describe(e)}); reconnecting in {backoff.TotalMilliseconds:0} ms.",
                    ++failures == 1 ? e : null);
                try
                {
                    await Task.Delay(backoff, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 500));
            }
        }
        writer.TryComplete();
    }

    private static async Task<long> ReadRevisionAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT revision FROM geo_revision WHERE id = 1;", connection);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
