using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// The plumbing every store on the one GeoPackage file shares (grids, census, surveys): connections with
/// <c>synchronous=FULL</c>, parameterised commands, the write discipline (serialised, one IMMEDIATE transaction, the
/// shared <c>geo_revision</c> bumped inside it) and the <c>gpkg_contents.last_change</c> stamp.
/// </summary>
internal static class GeoPackageFile
{
    private const int SqliteConfigMemStatus = 9; // SQLITE_CONFIG_MEMSTATUS

    /// <summary>
    /// Turns SQLite's memory statistics off for the process (before its first connection): with them on, every
    /// allocation and free inside SQLite takes one global mutex to count bytes — a bulk import makes millions (a
    /// profile of a 500,000-row import showed that mutex among the writer thread's largest costs). Nothing here reads
    /// the statistics (no soft heap limit is set). SQLite accepts the setting only before it initialises: when another
    /// part of the process opened a connection first, it answers SQLITE_MISUSE and keeps counting, which is harmless.
    /// </summary>
    static GeoPackageFile()
    {
        SQLitePCL.Batteries_V2.Init();
        _ = SQLitePCL.raw.sqlite3_config(SqliteConfigMemStatus, 0);
    }

    /// <summary>
    /// The full path of the GeoPackage at <paramref name="path"/> (its directory created) and the connection string every
    /// store on the file uses: read-write-create, private cache, pooled, foreign keys on, and a 30 s busy timeout (also
    /// how long a writer waits for another process's lock).
    /// </summary>
    public static (string FullPath, string ConnectionString) Locate(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } directory) Directory.CreateDirectory(directory);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        return (full, connectionString);
    }

    /// <summary>Opens a connection; FULL syncs the WAL on every commit (per connection, not stored in the file;
    /// SECURITY.md item 10).</summary>
    public static async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            GeoPackageSchema.Execute(connection, null, "PRAGMA synchronous = FULL;");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs one write: serialised by <paramref name="gate"/>, one IMMEDIATE transaction, the revision bumped inside it.
    /// A failed result or an exception rolls everything back.
    /// </summary>
    public static Task<Result<T>> WriteAsync<T>(SemaphoreSlim gate, Func<CancellationToken, Task<SqliteConnection>> open,
        Func<SqliteConnection, SqliteTransaction, Result<T>> work, CancellationToken ct) =>
        WriteAwaitingAsync(gate, open, (c, tx, _) => Task.FromResult(work(c, tx)), ct);

    /// <summary>
    /// <see cref="WriteAsync{T}"/> for work that awaits inside the transaction (a copy streaming its rows from another store). The connection is
    /// used by one flow at a time; an exception, a cancellation or a failed result rolls everything back.
    /// </summary>
    public static async Task<Result<T>> WriteAwaitingAsync<T>(SemaphoreSlim gate, Func<CancellationToken, Task<SqliteConnection>> open,
        Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<Result<T>>> work, CancellationToken ct)
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await open(ct).ConfigureAwait(false);
            GeoPackageBlob.RegisterFunctions(c);
            using var tx = c.BeginTransaction(deferred: false);
            var result = await work(c, tx, ct).ConfigureAwait(false);
            if (!result.IsOk)
            {
                tx.Rollback();
                return result;
            }
            BumpRevision(c, tx);
            tx.Commit();
            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Moves the revision every store and cache on this file compares against.</summary>
    public static void BumpRevision(SqliteConnection c, SqliteTransaction tx)
    {
        using var bump = Command(c, tx, "UPDATE geo_revision SET revision = revision + 1 WHERE id = 1;");
        bump.ExecuteNonQuery();
    }

    /// <summary>Stamps a table's <c>gpkg_contents.last_change</c> (QGIS and GDAL read it).</summary>
    public static void TouchContents(SqliteConnection c, SqliteTransaction tx, string table)
    {
        using var touch = Command(c, tx,
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = $table;",
            ("$table", table));
        touch.ExecuteNonQuery();
    }

    /// <summary>A command whose values are all parameters; <paramref name="sql"/> is always a constant.</summary>
    public static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
