using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

public sealed partial class GeoPackageGridStore
{
    /// <summary>
    /// Writes a whole store's content into this empty GeoPackage in one IMMEDIATE transaction (see
    /// <see cref="IStoreRestore"/>): versions with their numbers, dates and import times, every version's grids (R*Tree
    /// maintained by the triggers), departments, the matrix in its order, API keys; one revision bump.
    /// </summary>
    public async Task<Result<int>> RestoreAsync(StoreContent content, IProgress<long>? gridsWritten = null, CancellationToken ct = default)
    {
        var invalid = StoreContentCheck.Validate(content);
        if (invalid.Count > 0) return Result<int>.Fail(invalid);

        return await WriteAsync<int>((c, tx) =>
        {
            using (var empty = Command(c, tx, """
                       SELECT NOT EXISTS (SELECT 1 FROM grid_versions) AND NOT EXISTS (SELECT 1 FROM departments)
                          AND NOT EXISTS (SELECT 1 FROM responsibility_rules) AND NOT EXISTS (SELECT 1 FROM api_keys);
                       """))
            {
                if ((long)empty.ExecuteScalar()! == 0) return StoreContentCheck.NotEmpty(FilePath);
            }
            return RestoreRows(c, tx, content, gridsWritten, ct);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One transaction on this file for a whole <c>geo store copy</c> (every domain written through
    /// <paramref name="work"/>): serialised with this store's writes, IMMEDIATE, the revision bumped once; a failed
    /// result, an exception or a cancellation rolls all of it back.
    /// </summary>
    internal Task<Result<T>> WriteInOneTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<Result<T>>> work,
        CancellationToken ct) => GeoPackageFile.WriteAwaitingAsync(_writeLock, OpenConnectionAsync, work, ct);

    /// <summary>The rows of <paramref name="content"/> (checked already, into tables the caller found empty), inside the caller's transaction.</summary>
    internal static Result<int> RestoreRows(SqliteConnection c, SqliteTransaction tx, StoreContent content, IProgress<long>? gridsWritten, CancellationToken ct)
    {
        long written = 0;
        foreach (var v in content.Versions)
        {
            using (var insert = Command(c, tx, """
                       INSERT INTO grid_versions (number, valid_from, valid_to, imported_at, grid_count, source, note)
                       VALUES ($number, $from, $to, $at, $count, $source, $note);
                       """,
                       ("$number", v.Number), ("$from", SqlText.FromDate(v.ValidFrom)),
                       ("$to", v.ValidTo is { } to ? SqlText.FromDate(to) : null),
                       ("$at", SqlText.FromTimestamp(SqlText.Truncate(v.ImportedAt))), ("$count", v.GridCount),
                       ("$source", v.Source), ("$note", v.Note)))
            {
                insert.ExecuteNonQuery();
            }
            var grids = content.Grids[v.Number];
            var inserted = InsertGrids(c, tx, v.Number, grids, ct);
            if (!inserted.IsOk) return Result<int>.Fail(inserted.Failures);
            if (inserted.Value is { } extent) UpdateExtent(c, tx, extent);
            written += grids.Count;
            gridsWritten?.Report(written);
        }

        foreach (var d in content.Departments)
        {
            using var insert = Command(c, tx, "INSERT INTO departments (code, name, contact, phone) VALUES ($code, $name, $contact, $phone);",
                ("$code", d.Code.Value), ("$name", d.Name), ("$contact", d.Contact), ("$phone", d.Phone));
            insert.ExecuteNonQuery();
        }
        foreach (var r in content.Rules)
        {
            using var insert = Command(c, tx, """
                INSERT INTO responsibility_rules (id, grid_code, class_code, department_code, note)
                VALUES ($id, $grid, $class, $department, $note);
                """,
                ("$id", r.Id), ("$grid", r.Grid?.Value), ("$class", r.Class?.ToString()), ("$department", r.Department.Value),
                ("$note", r.Note));
            insert.ExecuteNonQuery();
        }
        foreach (var k in content.ApiKeys)
        {
            using var insert = Command(c, tx, """
                INSERT INTO api_keys (id, name, role, prefix, sha256_hex, created_at, revoked_at)
                VALUES ($id, $name, $role, $prefix, $hash, $created, $revoked);
                """,
                ("$id", k.Id), ("$name", k.Name), ("$role", RoleText(k.Role)), ("$prefix", k.Prefix), ("$hash", k.Sha256Hex),
                ("$created", SqlText.FromTimestamp(SqlText.Truncate(k.CreatedAt))),
                ("$revoked", k.RevokedAt is { } at ? SqlText.FromTimestamp(SqlText.Truncate(at)) : null));
            insert.ExecuteNonQuery();
        }
        foreach (var table in (ReadOnlySpan<string>)[GeoPackageSchema.GridsTable, GeoPackageSchema.GridVersionsTable,
                     GeoPackageSchema.DepartmentsTable, GeoPackageSchema.RulesTable, GeoPackageSchema.ApiKeysTable])
            TouchContents(c, tx, table);
        return (int)written;
    }
}
