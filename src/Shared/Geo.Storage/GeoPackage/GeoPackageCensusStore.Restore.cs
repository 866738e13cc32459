using System.Runtime.CompilerServices;
using Geo.GridService.Census;
using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

public sealed partial class GeoPackageCensusStore
{
    /// <inheritdoc />
    public async Task<bool> IsCensusEmptyAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, """
            SELECT NOT EXISTS (SELECT 1 FROM components) AND NOT EXISTS (SELECT 1 FROM component_audit) AND NOT EXISTS (SELECT 1 FROM census_imports);
            """);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 1;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CensusImportRecord> ReadImportsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT fid, imported_at, actor, source, row_count FROM census_imports ORDER BY fid;");
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new CensusImportRecord(r.GetInt64(0), SqlText.ToTimestamp(r.GetString(1)), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.GetInt32(4));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredComponent> ReadAllComponentsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, $"SELECT {Columns}, import_id FROM components ORDER BY fid;");
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new StoredComponent(ReadComponent(r), r.IsDBNull(15) ? null : r.GetInt64(15));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditRecord> ReadAllAuditAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT code, action, actor, at, version, before, after FROM component_audit ORDER BY fid;");
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new AuditRecord(r.GetString(0), r.GetString(1), r.GetString(2), SqlText.ToTimestamp(r.GetString(3)),
                r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6));
    }

    /// <inheritdoc />
    /// <remarks>One IMMEDIATE transaction; the R*Tree insert trigger is dropped inside it and the index filled in one
    /// statement at the end (as a bulk import does); a failure rolls it all back, the trigger included.</remarks>
    public async Task<Result<long>> RestoreCensusAsync(IReadOnlyList<ComponentClass> classes, IReadOnlyList<CensusImportRecord> imports,
        IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit, IProgress<long>? componentsWritten = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(imports);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(audit);
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
            GeoPackageBlob.RegisterFunctions(c);
            using var tx = c.BeginTransaction(deferred: false);
            using (var empty = Command(c, tx, """
                       SELECT NOT EXISTS (SELECT 1 FROM components) AND NOT EXISTS (SELECT 1 FROM component_audit) AND NOT EXISTS (SELECT 1 FROM census_imports);
                       """))
            {
                if ((long)empty.ExecuteScalar()! != 1) return StoreContentCheck.NotEmpty(FilePath);
            }
            var written = await RestoreRowsAsync(c, tx, classes, imports, components, audit, componentsWritten, ct).ConfigureAwait(false);
            if (!written.IsOk) return written;
            BumpRevision(c, tx);
            tx.Commit();
            return written;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The census rows (classes upserted; imports with their ids, components, the audit trail into tables the caller
    /// found empty) inside the caller's transaction; the caller bumps the revision and commits.
    /// </summary>
    internal static async Task<Result<long>> RestoreRowsAsync(SqliteConnection c, SqliteTransaction tx, IReadOnlyList<ComponentClass> classes,
        IReadOnlyList<CensusImportRecord> imports, IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit,
        IProgress<long>? componentsWritten, CancellationToken ct)
    {
        GeoPackageSchema.Execute(c, tx, "PRAGMA cache_size = -65536;");
        GeoPackageCensusSchema.BumpCensusRevision(c, tx); // also when a store copy calls this directly
        if (classes.Count > 0)
        {
            var upserted = UpsertClassRows(c, tx, classes);
            if (!upserted.IsOk) return Result<long>.Fail(upserted.Failures);
        }
        using (var insert = Command(c, tx, "INSERT INTO census_imports (fid, imported_at, actor, source, row_count) VALUES ($id, $at, $actor, $source, $n);"))
        {
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var at = insert.Parameters.Add("$at", SqliteType.Text);
            var actor = insert.Parameters.Add("$actor", SqliteType.Text);
            var source = insert.Parameters.Add("$source", SqliteType.Text);
            var n = insert.Parameters.Add("$n", SqliteType.Integer);
            foreach (var i in imports)
            {
                id.Value = i.Id;
                at.Value = SqlText.FromTimestamp(i.ImportedAt);
                actor.Value = i.Actor;
                source.Value = (object?)i.Source ?? DBNull.Value;
                n.Value = i.RowCount;
                insert.ExecuteNonQuery();
            }
        }

        GeoPackageSchema.Execute(c, tx, "DROP TRIGGER rtree_components_geom_insert;");
        // The check triggers too (as a bulk import does): each would make SQLite keep a statement journal per row.
        // The rows come from a store that enforced the same rules.
        foreach (var name in GeoPackageCensusSchema.CheckTriggerNames) GeoPackageSchema.Execute(c, tx, $"DROP TRIGGER {name};");
        long written = 0;
        using (var rows = new RowWriter(c))
        {
            await foreach (var s in components.WithCancellation(ct).ConfigureAwait(false))
            {
                var added = rows.Insert(s.Component, s.ImportId);
                if (!added.IsOk) return Result<long>.Fail(added.Failures);
                if (++written % 1000 == 0) componentsWritten?.Report(written);
            }
        }
        using (var index = Command(c, tx, """
                   INSERT OR REPLACE INTO rtree_components_geom
                   SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM components WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
                   """))
            index.ExecuteNonQuery();
        GeoPackageSchema.Execute(c, tx, GeoPackageCensusSchema.InsertTrigger);
        GeoPackageSchema.Execute(c, tx, GeoPackageCensusSchema.CheckTriggers);
        using (var extent = Command(c, tx, """
                   UPDATE gpkg_contents SET min_x = (SELECT min(minx) FROM rtree_components_geom), max_x = (SELECT max(maxx) FROM rtree_components_geom),
                     min_y = (SELECT min(miny) FROM rtree_components_geom), max_y = (SELECT max(maxy) FROM rtree_components_geom)
                   WHERE table_name = 'components';
                   """))
            extent.ExecuteNonQuery();

        using (var insert = Command(c, tx, """
                   INSERT INTO component_audit (code, action, actor, at, version, before, after) VALUES ($code, $action, $actor, $at, $version, $before, $after);
                   """))
        {
            var code = insert.Parameters.Add("$code", SqliteType.Text);
            var action = insert.Parameters.Add("$action", SqliteType.Text);
            var actor = insert.Parameters.Add("$actor", SqliteType.Text);
            var at = insert.Parameters.Add("$at", SqliteType.Text);
            var version = insert.Parameters.Add("$version", SqliteType.Integer);
            var before = insert.Parameters.Add("$before", SqliteType.Text);
            var after = insert.Parameters.Add("$after", SqliteType.Text);
            insert.Prepare();
            await foreach (var a in audit.WithCancellation(ct).ConfigureAwait(false))
            {
                code.Value = a.Code;
                action.Value = a.Action;
                actor.Value = a.Actor;
                at.Value = SqlText.FromTimestamp(a.At);
                version.Value = a.Version is { } v ? v : DBNull.Value;
                before.Value = (object?)a.Before ?? DBNull.Value;
                after.Value = (object?)a.After ?? DBNull.Value;
                insert.ExecuteNonQuery();
            }
        }
        TouchContents(c, tx, GeoPackageCensusSchema.ComponentsTable);
        TouchContents(c, tx, GeoPackageCensusSchema.ImportsTable);
        TouchContents(c, tx, GeoPackageCensusSchema.AuditTable);
        componentsWritten?.Report(written);
        return written;
    }
}
