using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// A prepared SQLite statement driven through SQLitePCLRaw directly, for the hot loops of bulk writes (the census
/// import, the packed R*Tree's rowid map). <see cref="SqliteCommand.ExecuteNonQuery()"/> costs several microseconds of
/// managed work per call (a data reader, parameter objects boxed and re-bound, UTF-8 copies of each string); here a
/// row is bound straight from spans (strings as UTF-8 through one reused buffer, blobs from the caller's; SQLite
/// copies both) and stepped.
/// <para>Owns the statement handle (finalized on dispose, before the connection closes). Runs on the connection and
/// transaction the caller has open; the caller must not use the connection from another thread meanwhile.
/// Parameters are positional, 1-based (<c>?1</c>, <c>?2</c> ...).</para>
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private SqliteException? _lastError;
    private byte[] _utf8 = new byte[256];

    // What each parameter holds, for BindKept: a string (by reference), NullBound, a boxed long, or null when unknown.
    private object?[]? _kept;
    private static readonly object NullBound = new();

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _stmt);
        if (rc != raw.SQLITE_OK) throw Error(rc);
    }

    public void Bind(int index, long value)
    {
        Forget(index);
        Check(raw.sqlite3_bind_int64(_stmt, index, value));
    }

    public void Bind(int index, double value)
    {
        Forget(index);
        Check(raw.sqlite3_bind_double(_stmt, index, value));
    }

    /// <summary>
    /// Binds text (null binds NULL) unless the parameter already holds this very string (the same reference, or NULL
    /// for null): SQLite keeps bindings across steps and resets, so a value repeated from row to row (a department,
    /// a status label, a date text, a cached cell of the CSV) is converted and copied once instead of per row.
    /// </summary>
    public void BindKept(int index, string? value)
    {
        var kept = _kept ??= new object?[raw.sqlite3_bind_parameter_count(_stmt) + 1];
        if (ReferenceEquals(kept[index], value ?? NullBound)) return;
        if (value is null) BindNull(index);
        else Bind(index, value.AsSpan());
        kept[index] = value ?? NullBound;
    }

    /// <summary><see cref="BindKept(int, string)"/> for an integer.</summary>
    public void BindKept(int index, long value)
    {
        var kept = _kept ??= new object?[raw.sqlite3_bind_parameter_count(_stmt) + 1];
        if (kept[index] is long held && held == value) return;
        Bind(index, value);
        kept[index] = value;
    }

    private void Forget(int index)
    {
        if (_kept is not null && (uint)index < (uint)_kept.Length) _kept[index] = null;
    }

    /// <summary>Binds text (null binds NULL), converted to UTF-8 here (a vectorised copy into a reused buffer) so SQLite
    /// does not translate it from UTF-16 with an allocation of its own.</summary>
    public void Bind(int index, string? value)
    {
        if (value is null) BindNull(index);
        else Bind(index, value.AsSpan());
    }

    public void Bind(int index, ReadOnlySpan<char> value)
    {
        Forget(index);
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < max) _utf8 = new byte[Math.Max(max, 2 * _utf8.Length)];
        var n = Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(_stmt, index, _utf8.AsSpan(0, n)));
    }

    public void BindBlob(int index, ReadOnlySpan<byte> value)
    {
        Forget(index);
        Check(raw.sqlite3_bind_blob(_stmt, index, value));
    }

    public void BindNull(int index)
    {
        Forget(index);
        Check(raw.sqlite3_bind_null(_stmt, index));
    }

    /// <summary>Runs the statement to completion and resets it for the next row. 0 when it succeeded; the extended
    /// result code when a constraint failed (e.g. 1555 primary key, 2067 unique, 1811 a trigger's RAISE), after which
    /// <see cref="Throw"/> reports it; any other error throws.</summary>
    public int Step()
    {
        var rc = raw.sqlite3_step(_stmt);
        if (rc is raw.SQLITE_DONE or raw.SQLITE_ROW)
        {
            raw.sqlite3_reset(_stmt);
            return 0;
        }
        var error = Error(rc);
        raw.sqlite3_reset(_stmt);
        if (rc == raw.SQLITE_CONSTRAINT)
        {
            _lastError = error;
            return error.SqliteExtendedErrorCode;
        }
        throw error;
    }

    /// <summary><see cref="Step"/>, throwing on a failed constraint too.</summary>
    public void StepOrThrow()
    {
        if (Step() != 0) Throw();
    }

    /// <summary>Throws the constraint failure of the last <see cref="Step"/>.</summary>
    [DoesNotReturn]
    public void Throw() => throw (Exception?)_lastError ?? new InvalidOperationException("No failed step to report.");

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) throw Error(rc);
    }

    private SqliteException Error(int rc) =>
        new(raw.sqlite3_errmsg(_db).utf8_to_string() ?? $"SQLite error {rc}", rc, raw.sqlite3_extended_errcode(_db));

    public void Dispose() => _stmt.Dispose();
}
