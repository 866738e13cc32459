using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Geo.ChangeDetect.Findings;
using Geo.GridService.Storage;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;
using Npgsql;

namespace Geo.Storage;

/// <summary>The run leases of a store's backend: lock files beside a GeoPackage, session advisory locks in PostgreSQL.</summary>
public static class RunLeases
{
    /// <summary>The leases for runs kept in <paramref name="grids"/>' backend; null for a backend without them.</summary>
    public static IRunLeases? For(IGridStore grids) => grids switch
    {
        PostGisGridStore pg => new PostGisRunLeases(pg.DataSource),
        GeoPackageGridStore gp => new FileRunLeases(gp.FilePath + ".runs"),
        _ => null,
    };
}

/// <summary>
/// Run leases as exclusive locks on files (<c>{id}.lock</c> in <paramref name="directory"/>; .NET takes
/// <c>flock(LOCK_EX)</c> for <see cref="FileShare.None"/> on Linux). The kernel drops a dead process's locks, so a lock
/// file that cannot be locked belongs to a live run, and one that can be locked was left by a killed process (and is
/// removed). For a store on one machine, as a GeoPackage file is.
/// </summary>
public sealed class FileRunLeases(string directory) : IRunLeases
{
    public ValueTask<IAsyncDisposable?> TryTakeAsync(string runId, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        try
        {
            var lockFile = new FileStream(PathOf(runId), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return ValueTask.FromResult<IAsyncDisposable?>(lockFile);
        }
        catch (IOException)
        {
            return ValueTask.FromResult<IAsyncDisposable?>(null); // another process holds it
        }
    }

    public ValueTask<bool> IsHeldAsync(string runId, CancellationToken ct = default)
    {
        var path = PathOf(runId);
        if (!File.Exists(path)) return ValueTask.FromResult(false);
        try
        {
            // Lockable: its holder is gone. DeleteOnClose removes the left-over file.
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return ValueTask.FromResult(false);
        }
        catch (FileNotFoundException)
        {
            return ValueTask.FromResult(false); // released meanwhile
        }
        catch (IOException)
        {
            return ValueTask.FromResult(true);
        }
    }

    private string PathOf(string runId)
    {
        if (runId.Length is 0 or > 64 || !runId.All(char.IsAsciiLetterOrDigit))
            throw new ArgumentException("A run id is 1-64 ASCII letters or digits.", nameof(runId));
        return Path.Combine(directory, runId + ".lock");
    }
}

/// <summary>
/// Run leases as PostgreSQL session advisory locks (<c>pg_try_advisory_lock(class, key)</c>, class 'GEOR', key a hash of
/// the run id), each held on its own connection for the length of the run: the database releases it when the holding
/// session ends, so a killed instance's runs are seen as abandoned by every other instance on the database.
/// </summary>
public sealed class PostGisRunLeases(NpgsqlDataSource dataSource) : IRunLeases
{
    private const int LockClass = 0x47454F52; // "GEOR"

    public async ValueTask<IAsyncDisposable?> TryTakeAsync(string runId, CancellationToken ct = default)
    {
        var c = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        try
        {
            if (await TryLockAsync(c, runId, ct).ConfigureAwait(false)) return new Lease(c, runId);
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await c.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    public async ValueTask<bool> IsHeldAsync(string runId, CancellationToken ct = default)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        if (!await TryLockAsync(c, runId, ct).ConfigureAwait(false)) return true;
        await UnlockAsync(c, runId, ct).ConfigureAwait(false);
        return false;
    }

    private static int KeyOf(string runId) => BinaryPrimitives.ReadInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(runId)));

    private static async Task<bool> TryLockAsync(NpgsqlConnection c, string runId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1, $2)", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = LockClass });
        cmd.Parameters.Add(new NpgsqlParameter { Value = KeyOf(runId) });
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static async Task UnlockAsync(NpgsqlConnection c, string runId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1, $2)", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = LockClass });
        cmd.Parameters.Add(new NpgsqlParameter { Value = KeyOf(runId) });
        await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private sealed class Lease(NpgsqlConnection connection, string runId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try { await UnlockAsync(connection, runId, CancellationToken.None).ConfigureAwait(false); }
            catch (NpgsqlException) { } // the session is gone, and its lock with it
            finally { await connection.DisposeAsync().ConfigureAwait(false); }
        }
    }
}
