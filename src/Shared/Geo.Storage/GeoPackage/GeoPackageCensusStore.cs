using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

/// <summary>
/// The embedded <see cref="ICensusStore"/>: the census lives in the same GeoPackage file as the grids (schema
/// migration 3, <see cref="GeoPackageCensusSchema"/>) and bumps the same <c>geo_revision</c> counter. Layer
/// <c>components</c> (GEOMETRY, EPSG:4490) has the standard R*Tree index, maintained by the GeoPackage triggers (points
/// take a copy-free fast path in the trigger functions).
/// <para>Concurrency as in <see cref="GeoPackageGridStore"/>: writes serialised in-process by a semaphore and across
/// processes (and against the grid store object on the same file) by <c>BEGIN IMMEDIATE</c>; reads see the last commit.</para>
/// </summary>
public sealed partial class GeoPackageCensusStore : ICensusStore, ICensusRestore
{
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    private const string Columns =
        "code, name, geom, grid_codes, competent_department, owner, maintainer, status, first_recorded, last_changed, data_source, photos, remarks, attributes, version";

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _disposed;

    private GeoPackageCensusStore(string path, string connectionString)
    {
        FilePath = path;
        _connectionString = connectionString;
    }

    public string FilePath { get; }

    /// <summary>Opens (creating and migrating when needed) the GeoPackage at <paramref name="path"/>.</summary>
    public static async Task<GeoPackageCensusStore> OpenAsync(string path, CancellationToken ct = default)
    {
        var (full, connectionString) = GeoPackageFile.Locate(path);
        var store = new GeoPackageCensusStore(full, connectionString);
        try
        {
            await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
            GeoPackageSchema.Migrate(c);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<long> GetRevisionAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT revision FROM geo_revision WHERE id = 1;");
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    // ---- classes ----------------------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<ComponentClass>> ListClassesAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null,
            "SELECT tree, code, major_name, name, extension, source FROM component_classes ORDER BY tree, code;");
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ComponentClass>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var tree = r.GetString(0) == "event" ? ClassTree.Event : ClassTree.Component;
            list.Add(new ComponentClass(ClassCode.Create(tree, r.GetString(1)), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0,
                r.IsDBNull(5) ? null : r.GetString(5)));
        }
        return list;
    }

    public async Task<Result<int>> UpsertClassesAsync(IReadOnlyList<ComponentClass> classes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0) return 0;
        return await WriteAsync((c, tx) => UpsertClassRows(c, tx, classes), ct).ConfigureAwait(false);
    }

    /// <summary>The class upsert inside the caller's transaction (also used by <c>geo store copy</c>).</summary>
    internal static Result<int> UpsertClassRows(SqliteConnection c, SqliteTransaction tx, IReadOnlyList<ComponentClass> classes)
    {
        using var upsert = Command(c, tx, """
            INSERT INTO component_classes (tree, code, major_name, name, extension, source)
            VALUES ($tree, $code, $major, $name, $ext, $source)
            ON CONFLICT (tree, code) DO UPDATE SET major_name = excluded.major_name, name = excluded.name,
              extension = excluded.extension, source = excluded.source;
            """);
        var tree = upsert.Parameters.Add("$tree", SqliteType.Text);
        var code = upsert.Parameters.Add("$code", SqliteType.Text);
        var major = upsert.Parameters.Add("$major", SqliteType.Text);
        var name = upsert.Parameters.Add("$name", SqliteType.Text);
        var ext = upsert.Parameters.Add("$ext", SqliteType.Integer);
        var source = upsert.Parameters.Add("$source", SqliteType.Text);
        upsert.Prepare();
        foreach (var k in classes)
        {
            if (!k.Code.IsMinor) return Failure.Invalid("class_not_minor", $"Class {k.Code} is not a minor class (4 digits).");
            tree.Value = k.Code.Tree == ClassTree.Event ? "event" : "component";
            code.Value = k.Code.Digits;
            major.Value = k.MajorName;
            name.Value = k.Name;
            ext.Value = k.IsExtension ? 1 : 0;
            source.Value = (object?)k.Source ?? DBNull.Value;
            upsert.ExecuteNonQuery();
        }
        TouchContents(c, tx, GeoPackageCensusSchema.ClassesTable);
        return Result<int>.Ok(classes.Count);
    }

    // ---- reads ------------------------------------------------------------------------------------------------------

    public async Task<Component?> GetComponentAsync(ComponentCode code, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return ReadOne(c, null, code);
    }

    public async Task<IReadOnlyList<Component>> GetComponentsAsync(IReadOnlyList<ComponentCode> codes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(codes);
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        using var select = Command(c, null, $"SELECT {Columns} FROM components WHERE code = $code;");
        var p = select.Parameters.Add("$code", SqliteType.Text);
        select.Prepare();
        var list = new List<Component>(codes.Count);
        foreach (var code in codes)
        {
            p.Value = code.Value;
            using var r = select.ExecuteReader();
            if (r.Read()) list.Add(ReadComponent(r));
        }
        return list;
    }

    public async Task<ComponentPage> QueryAsync(ComponentQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, ComponentQuery.MaxLimit);
        var sql = new StringBuilder($"SELECT {Columns} FROM components WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        // Fixed SQL fragments only; every value is a parameter (SECURITY.md A1).
        if (query.Bbox is { } b)
        {
            sql.Append(" AND fid IN (SELECT id FROM rtree_components_geom WHERE minx <= $maxX AND maxx >= $minX AND miny <= $maxY AND maxy >= $minY)");
            parameters.AddRange([("$minX", b.MinX), ("$minY", b.MinY), ("$maxX", b.MaxX), ("$maxY", b.MaxY)]);
        }
        if (query.Grid is { } g)
        {
            sql.Append(" AND code IN (SELECT code FROM component_grids WHERE grid_code = $grid)");
            parameters.Add(("$grid", g.Value));
        }
        if (query.Class is { } k)
        {
            if (k.IsMinor)
            {
                sql.Append(" AND class_code = $class");
                parameters.Add(("$class", k.Digits));
            }
            else
            {
                sql.Append(" AND class_code BETWEEN $classLo AND $classHi");
                parameters.AddRange([("$classLo", k.Digits + "01"), ("$classHi", k.Digits + "99")]);
            }
        }
        if (query.Status is { } s)
        {
            sql.Append(" AND status = $status");
            parameters.Add(("$status", CensusText.Label(s)));
        }
        if (!string.IsNullOrEmpty(query.Text))
        {
            sql.Append(" AND (instr(name, $text) > 0 OR instr(code, $text) > 0 OR instr(coalesce(remarks, ''), $text) > 0 OR instr(coalesce(owner, ''), $text) > 0)");
            parameters.Add(("$text", query.Text));
        }
        if (query.After is { } after)
        {
            sql.Append(" AND code > $after");
            parameters.Add(("$after", after.Value));
        }
        sql.Append(" ORDER BY code LIMIT $limit;");
        parameters.Add(("$limit", limit + 1));

        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, sql.ToString(), [.. parameters]);
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var items = new List<Component>(Math.Min(limit + 1, 128));
        while (await r.ReadAsync(ct).ConfigureAwait(false)) items.Add(ReadComponent(r));
        ComponentCode? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].Code;
        }
        return new ComponentPage(items, next);
    }

    public async Task<long> CountAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT count(*) FROM components;");
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async Task<int> NextSerialAsync(CountyCode county, ClassCode minorClass, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return NextSerial(c, null, county, minorClass);
    }

    private static int NextSerial(SqliteConnection c, SqliteTransaction? tx, CountyCode county, ClassCode minorClass)
    {
        var prefix = county.Value + minorClass.Digits;
        using var command = Command(c, tx, "SELECT max(code) FROM components WHERE code BETWEEN $lo AND $hi;",
            ("$lo", prefix + "000000"), ("$hi", prefix + "999999"));
        return command.ExecuteScalar() is string max ? ComponentCode.FromTrusted(max).Serial + 1 : 1;
    }

    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(ComponentCode code, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        var list = new List<AuditEntry>();
        // A bulk import is one row in census_imports; it appears in the trail of each component it created.
        using (var imported = Command(c, null, """
                   SELECT i.actor, i.imported_at, i.source FROM components k JOIN census_imports i ON i.fid = k.import_id WHERE k.code = $code;
                   """, ("$code", code.Value)))
        using (var r = imported.ExecuteReader())
        {
            if (r.Read())
                list.Add(new AuditEntry(code, "imported", r.GetString(0), SqlText.ToTimestamp(r.GetString(1)), 1, null,
                    r.IsDBNull(2) ? null : JsonSerializer.Serialize(new { source = r.GetString(2) })));
        }
        using var command = Command(c, null,
            "SELECT action, actor, at, version, before, after FROM component_audit WHERE code = $code ORDER BY fid;", ("$code", code.Value));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            list.Add(new AuditEntry(code, reader.GetString(0), reader.GetString(1), SqlText.ToTimestamp(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return list;
    }

    public async Task<IReadOnlyList<CensusStatisticsRow>> StatisticsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, """
            SELECT g.grid_code, k.class_code, k.status, count(*) FROM component_grids g JOIN components k ON k.code = g.code
            GROUP BY g.grid_code, k.class_code, k.status ORDER BY g.grid_code, k.class_code, k.status;
            """);
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<CensusStatisticsRow>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            CensusText.TryParseStatus(r.GetString(2), out var status);
            rows.Add(new CensusStatisticsRow(r.GetString(0), r.GetString(1), status, r.GetInt64(3)));
        }
        return rows;
    }

    public async IAsyncEnumerable<ComponentLocation> ScanLocationsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT code, status, geom FROM components;");
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var code = r.GetInt64(0); // the 16-digit text has INTEGER affinity when read as a number
            CensusText.TryParseStatus(r.GetString(1), out var status);
            var blob = (byte[])r.GetValue(2);
            if (ComponentBlob.TryReadPoint(blob, out var x, out var y))
                yield return new ComponentLocation(code, status, x, y, x, y, null);
            else
            {
                var g = ComponentBlob.Read(blob);
                var e = g.EnvelopeInternal;
                yield return new ComponentLocation(code, status, e.MinX, e.MinY, e.MaxX, e.MaxY, g);
            }
        }
    }

    // ---- writes -----------------------------------------------------------------------------------------------------

    public async Task<Result<Component>> AddComponentAsync(Component component, AuditActor who, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(who);
        var stored = component with { Version = 1 };
        return await WriteAsync((c, tx) =>
        {
            using var writer = new RowWriter(c, tx);
            var added = writer.Insert(stored, null);
            if (!added.IsOk) return Result<Component>.Fail(added.Failures);
            Audit(c, tx, stored.Code, "created", who, 1, null, ComponentJson.Write(stored));
            TouchContents(c, tx, GeoPackageCensusSchema.ComponentsTable);
            return Result<Component>.Ok(stored);
        }, ct).ConfigureAwait(false);
    }

    public async Task<Result<Component>> UpdateComponentAsync(Component component, long expectedVersion, AuditActor who, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(who);
        return await WriteAsync((c, tx) =>
        {
            var current = ReadOne(c, tx, component.Code);
            if (current is null)
                return Failure.NotFound("component_not_found", $"There is no component {component.Code}.", $"component {component.Code}");
            if (current.Version != expectedVersion)
                return Stale(component.Code, expectedVersion, current.Version);
            var updated = component with { Version = current.Version + 1 };
            using (var delete = Command(c, tx, "DELETE FROM component_grids WHERE code = $code;", ("$code", component.Code.Value)))
                delete.ExecuteNonQuery();
            using (var update = Command(c, tx, """
                       UPDATE components SET geom = $geom, name = $name, grid_code = $grid, grid_codes = $grids,
                         competent_department = $competent, owner = $owner, maintainer = $maintainer, status = $status,
                         first_recorded = $first, last_changed = $changed, data_source = $source, photos = $photos,
                         remarks = $remarks, attributes = $attributes, version = $version
                       WHERE code = $code AND version = $expected;
                       """,
                       ("$geom", ComponentBlob.Write(updated.Geometry)), ("$name", updated.Name),
                       ("$grid", updated.GridCodes[0].Value), ("$grids", string.Join(' ', updated.GridCodes.Select(x => x.Value))),
                       ("$competent", updated.CompetentDepartment?.Value), ("$owner", updated.Owner), ("$maintainer", updated.Maintainer?.Value),
                       ("$status", CensusText.Label(updated.Status)), ("$first", SqlText.FromDate(updated.FirstRecorded)),
                       ("$changed", SqlText.FromDate(updated.LastChanged)), ("$source", CensusText.Label(updated.Source)),
                       ("$photos", PhotosText(updated.Photos)), ("$remarks", updated.Remarks), ("$attributes", updated.AttributesJson),
                       ("$version", updated.Version), ("$code", updated.Code.Value), ("$expected", expectedVersion)))
            {
                if (update.ExecuteNonQuery() != 1) return Stale(component.Code, expectedVersion, current.Version);
            }
            using (var grids = Command(c, tx, "INSERT INTO component_grids (grid_code, code) VALUES ($grid, $code);"))
            {
                var gp = grids.Parameters.Add("$grid", SqliteType.Text);
                grids.Parameters.AddWithValue("$code", updated.Code.Value);
                foreach (var g in updated.GridCodes.Distinct())
                {
                    gp.Value = g.Value;
                    grids.ExecuteNonQuery();
                }
            }
            Audit(c, tx, updated.Code, "updated", who, updated.Version, ComponentJson.Write(current), ComponentJson.Write(updated));
            TouchContents(c, tx, GeoPackageCensusSchema.ComponentsTable);
            return Result<Component>.Ok(updated);
        }, ct).ConfigureAwait(false);
    }

    public async Task<Result<bool>> DeleteComponentAsync(ComponentCode code, long expectedVersion, AuditActor who, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        return await WriteAsync((c, tx) =>
        {
            var current = ReadOne(c, tx, code);
            if (current is null) return Failure.NotFound("component_not_found", $"There is no component {code}.", $"component {code}");
            if (current.Version != expectedVersion) return Stale(code, expectedVersion, current.Version);
            using (var d = Command(c, tx, "DELETE FROM component_grids WHERE code = $code;", ("$code", code.Value))) d.ExecuteNonQuery();
            using (var d = Command(c, tx, "DELETE FROM components WHERE code = $code;", ("$code", code.Value))) d.ExecuteNonQuery();
            Audit(c, tx, code, "deleted", who, current.Version + 1, ComponentJson.Write(current), null);
            TouchContents(c, tx, GeoPackageCensusSchema.ComponentsTable);
            return Result<bool>.Ok(true);
        }, ct).ConfigureAwait(false);
    }

    private static Failure Stale(ComponentCode code, long expected, long current) =>
        new(CensusCodes.VersionStale,
            $"Component {code} is at version {current}, not {expected}: someone changed it meanwhile. Reload it and apply the edit again.",
            FailureKind.Conflict, $"component {code}", new Dictionary<string, object?> { ["currentVersion"] = current });

    public async Task<ICensusBulkWriter> BeginBulkAsync(AuditActor who, string? source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        SqliteConnection? c = null;
        try
        {
            c = await OpenConnectionAsync(ct).ConfigureAwait(false);
            GeoPackageBlob.RegisterFunctions(c);
            // A bulk transaction may be large: keep more pages in memory (per connection; 64 MB), and any statement journal
            // in memory rather than in a temp file.
            GeoPackageSchema.Execute(c, null, "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;");
            var tx = c.BeginTransaction(deferred: false);
            return new BulkWriter(this, c, tx, who, source);
        }
        catch
        {
            if (c is not null) await c.DisposeAsync().ConfigureAwait(false);
            _writeLock.Release();
            throw;
        }
    }

    /// <summary>
    /// One bulk import: a single write transaction, rows inserted with prepared statements as they come. What makes it
    /// fast (a census import is hundreds of thousands of rows) is the index work it moves to the commit, all inside
    /// the same transaction so a rollback undoes it and readers (WAL) never see a half state:
    /// <list type="bullet">
    /// <item>the R*Tree: its insert trigger is dropped; each row's box is kept (40 bytes a row) and the boxes are
    /// inserted at commit in Hilbert order of their centres, so SQLite's R*Tree works on neighbouring nodes instead
    /// of descending to random leaves (5-10x faster than row-by-row);</item>
    /// <item><c>component_grids</c>: single-grid rows (nearly all) are filled at commit by one INSERT ... SELECT in
    /// key order;</item>
    /// <item>secondary indexes (class, status, component_grids by code): when the import grows larger than what the
    /// table held before, they are dropped and built again at commit (a sort, instead of one B-tree insert per row).
    /// The unique index on the code stays: it is what finds duplicates, in the store and in the file.</item>
    /// </list>
    /// </summary>
    private sealed class BulkWriter : ICensusBulkWriter
    {
        private const int MinRowsBeforeIndexDrop = 20_000;

        private static readonly (string Name, string Create)[] SecondaryIndexes =
        [
            ("ix_components_class", "CREATE INDEX ix_components_class ON components(class_code, code);"),
            ("ix_components_status", "CREATE INDEX ix_components_status ON components(status, code);"),
            ("ix_component_grids_code", "CREATE INDEX ix_component_grids_code ON component_grids(code);"),
        ];

        private readonly GeoPackageCensusStore _store;
        private readonly SqliteConnection _c;
        private readonly SqliteTransaction _tx;
        private readonly RowWriter _rows;
        private readonly long _importId;
        private readonly long _rowsBefore;
        private readonly List<RtreeBox> _boxes = [];
        private long _nextFid;
        private bool _indexesDropped;
        private bool _done;

        public BulkWriter(GeoPackageCensusStore store, SqliteConnection c, SqliteTransaction tx, AuditActor who, string? source)
        {
            _store = store;
            _c = c;
            _tx = tx;
            using (var insert = Command(c, tx,
                       "INSERT INTO census_imports (imported_at, actor, source, row_count) VALUES ($at, $actor, $source, 0) RETURNING fid;",
                       ("$at", SqlText.FromTimestamp(DateTimeOffset.UtcNow)), ("$actor", who.ToString()), ("$source", source)))
            {
                _importId = (long)insert.ExecuteScalar()!;
            }
            using (var count = Command(c, tx, "SELECT count(*) FROM components;"))
                _rowsBefore = (long)count.ExecuteScalar()!;
            // Fids are given explicitly (so the boxes can be kept without asking SQLite for each rowid); AUTOINCREMENT
            // never reuses one, so start above both the largest fid and the sequence.
            using (var max = Command(c, tx, """
                       SELECT max(coalesce((SELECT max(fid) FROM components), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'components'), 0));
                       """))
                _nextFid = (long)max.ExecuteScalar()! + 1;
            GeoPackageSchema.Execute(c, tx, "DROP TRIGGER rtree_components_geom_insert;");
            _rows = new RowWriter(c, tx, deferGridRows: true);
        }

        public int Count { get; private set; }

        public Result<bool> Add(Component component)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            var fid = _nextFid;
            var r = _rows.Insert(component with { Version = 1 }, _importId, fid);
            if (!r.IsOk) return r;
            _nextFid++;
            Count++;
            var e = component.Geometry.EnvelopeInternal;
            if (!e.IsNull) _boxes.Add(new RtreeBox(fid, e.MinX, e.MaxX, e.MinY, e.MaxY));
            if (!_indexesDropped && Count >= MinRowsBeforeIndexDrop && Count > _rowsBefore)
            {
                foreach (var (name, _) in SecondaryIndexes) GeoPackageSchema.Execute(_c, _tx, $"DROP INDEX {name};");
                _indexesDropped = true;
            }
            return r;
        }

        public int NextSerial(CountyCode county, ClassCode minorClass)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            return GeoPackageCensusStore.NextSerial(_c, _tx, county, minorClass);
        }

        public Task CommitAsync(CancellationToken ct = default)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            // Grid rows of single-grid components, in key order (multi-grid ones were written as they came).
            using (var grids = Command(_c, _tx, """
                       INSERT OR IGNORE INTO component_grids (grid_code, code)
                       SELECT grid_code, code FROM components WHERE import_id = $id AND instr(grid_codes, ' ') = 0 ORDER BY grid_code, code;
                       """, ("$id", _importId)))
                grids.ExecuteNonQuery();
            if (_indexesDropped)
                foreach (var (_, create) in SecondaryIndexes) GeoPackageSchema.Execute(_c, _tx, create);
            InsertBoxes(ct);
            GeoPackageSchema.Execute(_c, _tx, GeoPackageCensusSchema.InsertTrigger);
            using (var update = Command(_c, _tx, "UPDATE census_imports SET row_count = $n WHERE fid = $id;", ("$n", Count), ("$id", _importId)))
                update.ExecuteNonQuery();
            using (var extent = Command(_c, _tx, """
                       UPDATE gpkg_contents SET min_x = (SELECT min(minx) FROM rtree_components_geom), max_x = (SELECT max(maxx) FROM rtree_components_geom),
                         min_y = (SELECT min(miny) FROM rtree_components_geom), max_y = (SELECT max(maxy) FROM rtree_components_geom)
                       WHERE table_name = 'components';
                       """))
                extent.ExecuteNonQuery();
            TouchContents(_c, _tx, GeoPackageCensusSchema.ComponentsTable);
            TouchContents(_c, _tx, GeoPackageCensusSchema.ImportsTable);
            BumpRevision(_c, _tx);
            _tx.Commit();
            _done = true;
            return Task.CompletedTask;
        }

        /// <summary>
        /// The R*Tree entries of the new rows. When they are at least as many as the rows stored before, the whole
        /// tree is rebuilt packed (<see cref="RtreeBulkLoad"/>, old entries read back first); otherwise the new boxes
        /// are inserted one by one in Hilbert order, so consecutive inserts descend to neighbouring leaves.
        /// </summary>
        private void InsertBoxes(CancellationToken ct)
        {
            if (_boxes.Count == 0) return;
            const string rtree = "rtree_components_geom";
            if (_boxes.Count >= _rowsBefore)
            {
                using (var old = Command(_c, _tx, $"SELECT id, minx, maxx, miny, maxy FROM {rtree};"))
                using (var r = old.ExecuteReader())
                    while (r.Read()) _boxes.Add(new RtreeBox(r.GetInt64(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3), r.GetDouble(4)));
                RtreeBulkLoad.Rebuild(_c, _tx, rtree, _boxes, ct);
                return;
            }
            var order = RtreeBulkLoad.HilbertOrder(_boxes);
            using var insert = Command(_c, _tx, $"INSERT OR REPLACE INTO {rtree} VALUES ($id, $minx, $maxx, $miny, $maxy);");
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var minx = insert.Parameters.Add("$minx", SqliteType.Real);
            var maxx = insert.Parameters.Add("$maxx", SqliteType.Real);
            var miny = insert.Parameters.Add("$miny", SqliteType.Real);
            var maxy = insert.Parameters.Add("$maxy", SqliteType.Real);
            insert.Prepare();
            for (var i = 0; i < order.Length; i++)
            {
                if ((i & 65535) == 0) ct.ThrowIfCancellationRequested();
                var b = _boxes[order[i]];
                id.Value = b.Fid;
                minx.Value = b.MinX;
                maxx.Value = b.MaxX;
                miny.Value = b.MinY;
                maxy.Value = b.MaxY;
                insert.ExecuteNonQuery();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_rows is { } rows) rows.Dispose();
            try
            {
                if (!_done) _tx.Rollback();
            }
            finally
            {
                _done = true;
                _tx.Dispose();
                await _c.DisposeAsync().ConfigureAwait(false);
                _store._writeLock.Release();
            }
        }
    }

    /// <summary>
    /// Prepared inserts of a component and its grid rows, reused across rows of one transaction.
    /// <para>INSERT OR FAIL, and no foreign keys on the table: a single-row insert whose only possible failure is the
    /// unique code (checked before anything is written) cannot abort half-way, so SQLite needs no statement journal —
    /// with one, every row copied its touched pages (about 20 KB a row) and bulk imports ran 30 times slower.</para>
    /// </summary>
    private sealed class RowWriter : IDisposable
    {
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _grid;
        private readonly SqliteParameter _fid, _geom, _code, _class, _name, _gridCode, _gridCodes, _competent, _owner, _maintainer, _status,
            _first, _changed, _source, _photos, _remarks, _attributes, _version, _import, _gGrid, _gCode;

        private readonly bool _deferGridRows;

        /// <param name="deferGridRows">Bulk mode: the <c>component_grids</c> row of a single-grid component is left to the
        /// caller (filled in one statement at commit); rows of multi-grid components are still written here.</param>
        public RowWriter(SqliteConnection c, SqliteTransaction tx, bool deferGridRows = false)
        {
            _deferGridRows = deferGridRows;
            _insert = Command(c, tx, """
                INSERT OR FAIL INTO components (fid, geom, code, class_code, name, grid_code, grid_codes, competent_department, owner, maintainer,
                  status, first_recorded, last_changed, data_source, photos, remarks, attributes, version, import_id)
                VALUES ($fid, $geom, $code, $class, $name, $grid, $grids, $competent, $owner, $maintainer, $status, $first, $changed,
                  $source, $photos, $remarks, $attributes, $version, $import);
                """);
            _fid = _insert.Parameters.Add("$fid", SqliteType.Integer);
            _geom = _insert.Parameters.Add("$geom", SqliteType.Blob);
            _code = _insert.Parameters.Add("$code", SqliteType.Text);
            _class = _insert.Parameters.Add("$class", SqliteType.Text);
            _name = _insert.Parameters.Add("$name", SqliteType.Text);
            _gridCode = _insert.Parameters.Add("$grid", SqliteType.Text);
            _gridCodes = _insert.Parameters.Add("$grids", SqliteType.Text);
            _competent = _insert.Parameters.Add("$competent", SqliteType.Text);
            _owner = _insert.Parameters.Add("$owner", SqliteType.Text);
            _maintainer = _insert.Parameters.Add("$maintainer", SqliteType.Text);
            _status = _insert.Parameters.Add("$status", SqliteType.Text);
            _first = _insert.Parameters.Add("$first", SqliteType.Text);
            _changed = _insert.Parameters.Add("$changed", SqliteType.Text);
            _source = _insert.Parameters.Add("$source", SqliteType.Text);
            _photos = _insert.Parameters.Add("$photos", SqliteType.Text);
            _remarks = _insert.Parameters.Add("$remarks", SqliteType.Text);
            _attributes = _insert.Parameters.Add("$attributes", SqliteType.Text);
            _version = _insert.Parameters.Add("$version", SqliteType.Integer);
            _import = _insert.Parameters.Add("$import", SqliteType.Integer);
            _insert.Prepare();
            _grid = Command(c, tx, "INSERT OR IGNORE INTO component_grids (grid_code, code) VALUES ($grid, $code);");
            _gGrid = _grid.Parameters.Add("$grid", SqliteType.Text);
            _gCode = _grid.Parameters.Add("$code", SqliteType.Text);
            _grid.Prepare();
        }

        /// <param name="fid">The feature id to give the row; null lets SQLite choose.</param>
        public Result<bool> Insert(Component k, long? importId, long? fid = null)
        {
            _fid.Value = fid is { } f ? f : DBNull.Value;
            if (k.GridCodes.Count == 0) throw new ArgumentException("A component to store needs its grid codes derived.", nameof(k));
            _geom.Value = ComponentBlob.Write(k.Geometry);
            _code.Value = k.Code.Value;
            _class.Value = k.Code.ClassDigits;
            _name.Value = k.Name;
            _gridCode.Value = k.GridCodes[0].Value;
            _gridCodes.Value = k.GridCodes.Count == 1 ? k.GridCodes[0].Value : string.Join(' ', k.GridCodes.Select(x => x.Value));
            _competent.Value = k.CompetentDepartment is { } cd ? cd.Value : DBNull.Value;
            _owner.Value = (object?)k.Owner ?? DBNull.Value;
            _maintainer.Value = k.Maintainer is { } m ? m.Value : DBNull.Value;
            _status.Value = CensusText.Label(k.Status);
            _first.Value = SqlText.FromDate(k.FirstRecorded);
            _changed.Value = SqlText.FromDate(k.LastChanged);
            _source.Value = CensusText.Label(k.Source);
            _photos.Value = (object?)PhotosText(k.Photos) ?? DBNull.Value;
            _remarks.Value = (object?)k.Remarks ?? DBNull.Value;
            _attributes.Value = (object?)k.AttributesJson ?? DBNull.Value;
            _version.Value = k.Version;
            _import.Value = importId is { } id ? id : DBNull.Value;
            try
            {
                _insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint && e.SqliteExtendedErrorCode == SqliteConstraintUnique)
            {
                return new Failure(CensusCodes.Duplicate, $"Component code {k.Code} already exists.", FailureKind.Conflict,
                    $"component {k.Code}", new Dictionary<string, object?> { ["field"] = "code" });
            }
            if (_deferGridRows && k.GridCodes.Count == 1) return true;
            _gCode.Value = k.Code.Value;
            for (var i = 0; i < k.GridCodes.Count; i++)
            {
                _gGrid.Value = k.GridCodes[i].Value;
                _grid.ExecuteNonQuery();
            }
            return true;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _grid.Dispose();
        }
    }

    private static string? PhotosText(IReadOnlyList<string> photos) => photos.Count == 0 ? null : JsonSerializer.Serialize(photos);

    private static Component? ReadOne(SqliteConnection c, SqliteTransaction? tx, ComponentCode code)
    {
        using var command = Command(c, tx, $"SELECT {Columns} FROM components WHERE code = $code;", ("$code", code.Value));
        using var r = command.ExecuteReader();
        return r.Read() ? ReadComponent(r) : null;
    }

    private static Component ReadComponent(SqliteDataReader r)
    {
        CensusText.TryParseStatus(r.GetString(7), out var status);
        CensusText.TryParseSource(r.GetString(10), out var source);
        var grids = r.GetString(3).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(GridCode.FromTrusted).ToArray();
        return new Component(
            ComponentCode.FromTrusted(r.GetString(0)),
            r.GetString(1),
            ComponentBlob.Read((byte[])r.GetValue(2)),
            grids,
            r.IsDBNull(4) ? null : DepartmentCode.FromTrusted(r.GetString(4)),
            r.IsDBNull(5) ? null : r.GetString(5),
            r.IsDBNull(6) ? null : DepartmentCode.FromTrusted(r.GetString(6)),
            status,
            SqlText.ToDate(r.GetString(8)),
            SqlText.ToDate(r.GetString(9)),
            source,
            r.IsDBNull(11) ? [] : JsonSerializer.Deserialize<string[]>(r.GetString(11)) ?? [],
            r.IsDBNull(12) ? null : r.GetString(12),
            r.IsDBNull(13) ? null : r.GetString(13),
            r.GetInt64(14));
    }

    private static void Audit(SqliteConnection c, SqliteTransaction tx, ComponentCode code, string action, AuditActor who, long? version,
        string? before, string? after)
    {
        using var insert = Command(c, tx, """
            INSERT INTO component_audit (code, action, actor, at, version, before, after) VALUES ($code, $action, $actor, $at, $version, $before, $after);
            """,
            ("$code", code.Value), ("$action", action), ("$actor", who.ToString()), ("$at", SqlText.FromTimestamp(DateTimeOffset.UtcNow)),
            ("$version", version), ("$before", before), ("$after", after));
        insert.ExecuteNonQuery();
        TouchContents(c, tx, GeoPackageCensusSchema.AuditTable);
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------------

    private Task<Result<T>> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Result<T>> work, CancellationToken ct) =>
        GeoPackageFile.WriteAsync(_writeLock, OpenConnectionAsync, work, ct);

    private Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return GeoPackageFile.OpenAsync(_connectionString, ct);
    }





    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await using var c = new SqliteConnection(_connectionString);
            try
            {
                await c.OpenAsync().ConfigureAwait(false);
                GeoPackageSchema.Execute(c, null, "PRAGMA wal_checkpoint(TRUNCATE);");
            }
            catch (SqliteException)
            {
                // Best effort, as in the grid store.
            }
            SqliteConnection.ClearPool(c);
        }
        finally
        {
            _writeLock.Release();
            _writeLock.Dispose();
        }
    }
}
