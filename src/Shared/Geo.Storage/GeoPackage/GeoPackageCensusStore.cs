using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
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
/// migrations 3 and 5, <see cref="GeoPackageCensusSchema"/>) and bumps the same <c>geo_revision</c> counter. Layer
/// <c>components</c> (GEOMETRY, EPSG:4490; fid = the code as a number) has the standard R*Tree index, maintained by the
/// GeoPackage triggers (points take a copy-free fast path in the trigger functions) except during a bulk load, which
/// builds it at commit.
/// <para>Concurrency as in <see cref="GeoPackageGridStore"/>: writes serialised in-process by a semaphore and across
/// processes (and against the grid store object on the same file) by <c>BEGIN IMMEDIATE</c>; reads see the last commit.</para>
/// </summary>
public sealed partial class GeoPackageCensusStore : ICensusStore, ICensusRestore
{
    private const int SqliteConstraintPrimaryKey = 1555;

    private const string Columns =
        "code, name, geom, grid_codes, competent_department, owner, maintainer, status, first_recorded, last_changed, data_source, photos, remarks, attributes, version";

    /// <summary>SQLite's default <c>wal_autocheckpoint</c> (pages), restored on a bulk connection after its commit.</summary>
    private const int AutoCheckpointPages = 1000;

    /// <summary>The page cache of a bulk import's connection (KiB): its transaction's pages stay in memory until the commit.</summary>
    private const int BulkCacheKib = 262_144;

    /// <summary>The same in pages of 4 KiB (SQLite's default page size, which these files keep), for <c>PRAGMA cache_spill</c>.</summary>
    private const int BulkCachePages = BulkCacheKib / 4;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _checkpointGate = new();
    private Task _checkpoint = Task.CompletedTask;
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
        await using var command = Command(c, null, "SELECT revision FROM census_revision WHERE id = 1;");
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
        using var select = Command(c, null, $"SELECT {Columns} FROM components WHERE fid = $fid;");
        var p = select.Parameters.Add("$fid", SqliteType.Integer);
        select.Prepare();
        var list = new List<Component>(codes.Count);
        foreach (var code in codes)
        {
            p.Value = code.Number;
            using var r = select.ExecuteReader();
            if (r.Read()) list.Add(ReadComponent(r));
        }
        return list;
    }

    public async Task<ComponentPage> QueryAsync(ComponentQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, ComponentQuery.MaxLimit);
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
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
            // First grid (every point's only one) by its index, further grids of lines/polygons by component_grids.
            sql.Append(" AND fid IN (SELECT fid FROM components WHERE grid_code = $grid UNION ALL SELECT fid FROM component_grids WHERE grid_code = $grid)");
            parameters.Add(("$grid", g.Value));
        }
        if (query.Class is { } k)
        {
            // A class is a fid range per county (fid = the code: county 6 digits, class 4, serial 6); one range in
            // practice, as the validator admits only the configured county.
            var (classLo, classHi) = k.IsMinor
                ? (long.Parse(k.Digits, CultureInfo.InvariantCulture) * ClassScale, long.Parse(k.Digits, CultureInfo.InvariantCulture) * ClassScale + ClassScale - 1)
                : ((long.Parse(k.Digits, CultureInfo.InvariantCulture) * 100 + 1) * ClassScale, (long.Parse(k.Digits, CultureInfo.InvariantCulture) * 100 + 99) * ClassScale + ClassScale - 1);
            var counties = Counties(c);
            sql.Append(" AND (0");
            for (var i = 0; i < counties.Count; i++)
            {
                sql.Append(CultureInfo.InvariantCulture, $" OR fid BETWEEN $classLo{i} AND $classHi{i}");
                parameters.AddRange([($"$classLo{i}", counties[i] * CountyScale + classLo), ($"$classHi{i}", counties[i] * CountyScale + classHi)]);
            }
            sql.Append(')');
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
            sql.Append(" AND fid > $after");
            parameters.Add(("$after", after.Number));
        }
        sql.Append(" ORDER BY fid LIMIT $limit;");
        parameters.Add(("$limit", limit + 1));

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
        var lo = ClassPrefix(county, minorClass) * ClassScale;
        using var command = Command(c, tx, "SELECT max(fid) FROM components WHERE fid BETWEEN $lo AND $hi;", ("$lo", lo), ("$hi", lo + ClassScale - 1));
        return command.ExecuteScalar() is long max ? (int)(max % ClassScale) + 1 : 1;
    }

    /// <summary>One serial range: fid / <see cref="ClassScale"/> is county + class digits (10 digits).</summary>
    private const long ClassScale = 1_000_000;

    /// <summary>fid / <see cref="CountyScale"/> is the county code.</summary>
    private const long CountyScale = 10_000_000_000;

    private static long ClassPrefix(CountyCode county, ClassCode minorClass) =>
        long.Parse(county.Value, CultureInfo.InvariantCulture) * 10_000 + long.Parse(minorClass.Digits, CultureInfo.InvariantCulture);

    /// <summary>The counties with stored components, ascending: one index seek each (usually there is one).</summary>
    private static List<long> Counties(SqliteConnection c)
    {
        var list = new List<long>(1);
        using var next = Command(c, null, "SELECT min(fid) FROM components WHERE fid >= $from;");
        var from = next.Parameters.Add("$from", SqliteType.Integer);
        from.Value = 0L;
        while (next.ExecuteScalar() is long fid)
        {
            var county = fid / CountyScale;
            list.Add(county);
            from.Value = (county + 1) * CountyScale;
        }
        return list;
    }

    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(ComponentCode code, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        var list = new List<AuditEntry>();
        // A bulk import is one row in census_imports; it appears in the trail of each component it created.
        using (var imported = Command(c, null, """
                   SELECT i.actor, i.imported_at, i.source FROM components k JOIN census_imports i ON i.fid = k.import_id WHERE k.fid = $fid;
                   """, ("$fid", code.Number)))
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
            SELECT grid_code, class_code, status, sum(n) FROM (
              SELECT grid_code, class_code, status, count(*) AS n FROM components WHERE instr(grid_codes, ' ') = 0 GROUP BY grid_code, class_code, status
              UNION ALL
              SELECT g.grid_code, k.class_code, k.status, count(*) FROM component_grids g JOIN components k ON k.fid = g.fid GROUP BY g.grid_code, k.class_code, k.status)
            GROUP BY grid_code, class_code, status ORDER BY grid_code, class_code, status;
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
        await using var command = Command(c, null, "SELECT fid, status, geom FROM components;");
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var code = r.GetInt64(0); // fid = the code as a number (migration 5)
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
            using var writer = new RowWriter(c);
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
            DeleteGridRows(c, tx, current);
            using (var update = Command(c, tx, """
                       UPDATE components SET geom = $geom, name = $name, grid_code = $grid, grid_codes = $grids,
                         competent_department = $competent, owner = $owner, maintainer = $maintainer, status = $status,
                         first_recorded = $first, last_changed = $changed, data_source = $source, photos = $photos,
                         remarks = $remarks, attributes = $attributes, version = $version
                       WHERE fid = $fid AND version = $expected;
                       """,
                       ("$geom", ComponentBlob.Write(updated.Geometry)), ("$name", updated.Name),
                       ("$grid", updated.GridCodes[0].Value), ("$grids", string.Join(' ', updated.GridCodes.Select(x => x.Value))),
                       ("$competent", updated.CompetentDepartment?.Value), ("$owner", updated.Owner), ("$maintainer", updated.Maintainer?.Value),
                       ("$status", CensusText.Label(updated.Status)), ("$first", SqlText.FromDate(updated.FirstRecorded)),
                       ("$changed", SqlText.FromDate(updated.LastChanged)), ("$source", CensusText.Label(updated.Source)),
                       ("$photos", PhotosText(updated.Photos)), ("$remarks", updated.Remarks), ("$attributes", updated.AttributesJson),
                       ("$version", updated.Version), ("$fid", updated.Code.Number), ("$expected", expectedVersion)))
            {
                if (update.ExecuteNonQuery() != 1) return Stale(component.Code, expectedVersion, current.Version);
            }
            if (updated.GridCodes.Count > 1)
            {
                using var grids = Command(c, tx, "INSERT INTO component_grids (grid_code, fid) VALUES ($grid, $fid);");
                var gp = grids.Parameters.Add("$grid", SqliteType.Text);
                grids.Parameters.AddWithValue("$fid", updated.Code.Number);
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
            DeleteGridRows(c, tx, current);
            using (var d = Command(c, tx, "DELETE FROM components WHERE fid = $fid;", ("$fid", code.Number))) d.ExecuteNonQuery();
            Audit(c, tx, code, "deleted", who, current.Version + 1, ComponentJson.Write(current), null);
            TouchContents(c, tx, GeoPackageCensusSchema.ComponentsTable);
            return Result<bool>.Ok(true);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The grid rows of a stored component, by its stored grid codes (component_grids is keyed by grid, then fid;
    /// only components touching several grids have rows there).</summary>
    private static void DeleteGridRows(SqliteConnection c, SqliteTransaction tx, Component stored)
    {
        if (stored.GridCodes.Count < 2) return;
        using var delete = Command(c, tx, "DELETE FROM component_grids WHERE grid_code = $grid AND fid = $fid;");
        var grid = delete.Parameters.Add("$grid", SqliteType.Text);
        delete.Parameters.AddWithValue("$fid", stored.Code.Number);
        foreach (var g in stored.GridCodes)
        {
            grid.Value = g.Value;
            delete.ExecuteNonQuery();
        }
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
            // A bulk transaction may be large: keep its pages in memory until the commit (per connection; 256 MB), sorts
            // and any statement journal in memory, and let the index builds at commit sort on two threads. Durability
            // is the file's (WAL, synchronous=FULL at commit).
            GeoPackageSchema.Execute(c, null, $"PRAGMA cache_size = -{BulkCacheKib}; PRAGMA temp_store = MEMORY; PRAGMA threads = 2;");
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

    private static Failure Duplicate(ComponentCode code) =>
        new(CensusCodes.Duplicate, $"Component code {code} already exists.", FailureKind.Conflict, $"component {code}",
            new Dictionary<string, object?> { ["field"] = "code" });

    /// <summary>
    /// One bulk import: a single write transaction. What makes it fast (a census import is hundreds of thousands of
    /// rows; issue #3 asks for 100,000 a second) — all inside the same transaction, so a rollback undoes it and readers
    /// (WAL) never see a half state:
    /// <list type="bullet">
    /// <item>rows go in through <see cref="RawStatement"/>s (no per-row ADO.NET work) into a table whose primary key is
    /// the code (migration 5): no AUTOINCREMENT counter, no separate unique or class index; the check and R*Tree
    /// insert triggers are dropped at the start and created again at commit (the validator has checked each row);</item>
    /// <item>once the import has a quarter as many rows as the table held (at least <see cref="BatchRows"/>, at most
    /// <see cref="PipelineAfterRows"/>; so an import into an empty table from its second batch on), it turns
    /// <b>pipelined</b>: the stored codes are read once into memory (8 bytes each), duplicates and next serials are
    /// answered from there on the caller's thread (which parses and validates), and the rows go in batches through a
    /// bounded queue (at most <see cref="QueuedBatches"/> x <see cref="BatchRows"/> rows held) to one writer thread
    /// that owns the connection until commit — parsing and SQLite work on two cores; each batch is put in code order
    /// on the parsing thread (which waits for the writer otherwise), and columns repeating from row to row stay bound;</item>
    /// <item>the R*Tree: each row's box is kept (40 bytes a row) and the tree is built packed at commit when the import
    /// is at least as large as the table was (<see cref="RtreeBulkLoad"/>), otherwise the boxes are inserted in Hilbert
    /// order; the layer extent comes from the boxes;</item>
    /// <item>the status and grid indexes are dropped once the import outgrows the table and built again at commit (a
    /// sort instead of a B-tree insert per row); <c>component_grids</c> gets rows only for the (few) components touching
    /// several grids;</item>
    /// <item>the commit returns once the rows are durable in the WAL; the checkpoint into the database file runs after
    /// it on another connection (<see cref="WhenCheckpointedAsync"/>).</item>
    /// </list>
    /// </summary>
    private sealed class BulkWriter : ICensusBulkWriter
    {
        private const int PipelineAfterRows = 20_000;
        private const int BatchRows = 2048;
        private const int QueuedBatches = 8;
        private static readonly (string Name, string Create)[] SecondaryIndexes =
        [
            ("ix_components_status", "CREATE INDEX ix_components_status ON components(status);"),
            ("ix_components_grid", "CREATE INDEX ix_components_grid ON components(grid_code);"),
        ];

        private readonly GeoPackageCensusStore _store;
        private readonly SqliteConnection _c;
        private readonly SqliteTransaction _tx;
        private readonly RowWriter _rows;
        private readonly long _importId;
        private readonly long _rowsBefore;
        private readonly List<RtreeBox> _boxes = [];
        private long _written;
        private bool _indexesDropped;
        private bool _autocheckpointOff;
        private bool _done;

        // Pipelined mode (see the class remarks); null before.
        private HashSet<long>? _codes;
        private Dictionary<long, long>? _maxSerial; // fid / 10^6 (county + class) -> highest serial stored or added
        private BlockingCollection<Batch>? _queue;
        private Task? _writer;
        private Component[] _batch = [];
        private readonly long[] _batchKeys = new long[BatchRows]; // the batch's codes as numbers, to sort it by
        private int _batchCount;
        private volatile Exception? _writerFault;
        private volatile bool _abandon;

        private readonly record struct Batch(Component[] Rows, int Count);

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
            GeoPackageSchema.Execute(c, tx, "DROP TRIGGER rtree_components_geom_insert;");
            foreach (var name in GeoPackageCensusSchema.CheckTriggerNames) GeoPackageSchema.Execute(c, tx, $"DROP TRIGGER {name};");
            _rows = new RowWriter(c);
        }

        public int Count { get; private set; }

        public Result<bool> Add(Component component)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            ArgumentNullException.ThrowIfNull(component);
            if (component.GridCodes.Count == 0) throw new ArgumentException("A component to store needs its grid codes derived.", nameof(component));
            if (_codes is null)
            {
                var r = _rows.Insert(component, _importId, _boxes, version: 1);
                if (!r.IsOk) return r;
                Count++;
                _written++;
                if (Count >= Math.Clamp(_rowsBefore / 4, BatchRows, PipelineAfterRows) && Count * 4L >= _rowsBefore) StartPipeline();
                return r;
            }
            if (_writerFault is { } fault) ExceptionDispatchInfo.Throw(fault);
            var fid = component.Code.Number;
            if (!_codes.Add(fid)) return Duplicate(component.Code);
            NoteSerial(fid);
            _batchKeys[_batchCount] = fid;
            _batch[_batchCount++] = component;
            Count++;
            if (_batchCount == BatchRows) Flush();
            return true;
        }

        public int NextSerial(CountyCode county, ClassCode minorClass)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            if (_maxSerial is null) return GeoPackageCensusStore.NextSerial(_c, _tx, county, minorClass);
            return _maxSerial.TryGetValue(ClassPrefix(county, minorClass), out var max) ? (int)max + 1 : 1;
        }

        private void StartPipeline()
        {
            _codes = new HashSet<long>((int)Math.Min(int.MaxValue / 2, (_rowsBefore + Count) * 2));
            _maxSerial = [];
            using (var all = Command(_c, _tx, "SELECT fid FROM components;"))
            using (var r = all.ExecuteReader())
            {
                while (r.Read())
                {
                    var fid = r.GetInt64(0);
                    _codes.Add(fid);
                    NoteSerial(fid);
                }
            }
            _batch = new Component[BatchRows];
            _queue = new BlockingCollection<Batch>(QueuedBatches);
            _writer = Task.Factory.StartNew(WriteBatches, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        private void NoteSerial(long fid)
        {
            ref var max = ref CollectionsMarshal.GetValueRefOrAddDefault(_maxSerial!, fid / ClassScale, out _);
            max = Math.Max(max, fid % ClassScale);
        }

        private void Flush()
        {
            if (_batchCount == 0) return;
            // In code order (on this thread, which has time to spare while the writer works): consecutive codes of a class
            // then go into neighbouring cells of one leaf, where SQLite steps to the next slot instead of seeking from
            // the root, whatever order the file lists its rows in.
            Array.Sort(_batchKeys, _batch, 0, _batchCount);
            _queue!.Add(new Batch(_batch, _batchCount)); // blocks while the writer is QueuedBatches behind
            _batch = new Component[BatchRows];
            _batchCount = 0;
        }

        /// <summary>The writer thread: owns the connection from the switch to pipelined mode until the queue is complete.</summary>
        private void WriteBatches()
        {
            foreach (var batch in _queue!.GetConsumingEnumerable())
            {
                if (_abandon || _writerFault is not null) continue; // keep draining so the producer never blocks
                try
                {
                    _rows.InsertMany(batch.Rows.AsSpan(0, batch.Count), _importId, _boxes, version: 1);
                    _written += batch.Count;
                    if (!_indexesDropped && _written > _rowsBefore && _written >= PipelineAfterRows)
                    {
                        // The import has outgrown the table: one sort at commit beats a B-tree insert per row.
                        foreach (var (name, _) in SecondaryIndexes) GeoPackageSchema.Execute(_c, _tx, $"DROP INDEX {name};");
                        _indexesDropped = true;
                    }
                }
                catch (Exception e)
                {
                    _writerFault = e;
                }
            }
        }

        /// <summary>Hands the last rows to the writer thread and waits until everything is in the table.</summary>
        private async Task FinishWritingAsync()
        {
            if (_queue is null) return;
            Flush();
            _queue.CompleteAdding();
            await _writer!.ConfigureAwait(false);
            if (_writerFault is { } fault) ExceptionDispatchInfo.Throw(fault);
        }

        public async Task CommitAsync(CancellationToken ct = default)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            await FinishWritingAsync().ConfigureAwait(false);
            var extent = Extent(_boxes);
            // The R*Tree: rebuilt packed when the import is at least as large as the table was (old entries read back
            // first), planned on another core while this connection builds the secondary indexes.
            const string rtree = "rtree_components_geom";
            Task<PackedRtree>? plan = null;
            if (_boxes.Count > 0 && _boxes.Count >= _rowsBefore)
            {
                using (var old = Command(_c, _tx, $"SELECT id, minx, maxx, miny, maxy FROM {rtree};"))
                using (var r = old.ExecuteReader())
                    while (r.Read()) _boxes.Add(new RtreeBox(r.GetInt64(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3), r.GetDouble(4)));
                var nodeSize = RtreeBulkLoad.NodeSize(_c, _tx);
                plan = Task.Run(() => RtreeBulkLoad.Plan(_boxes, nodeSize, ct), ct);
            }
            if (_indexesDropped)
            {
                // SQLite sorts an index build in chunks of the cache size, and on its worker threads (PRAGMA threads)
                // only when the chunks go to temp files. With the transaction's 256 MB cache and temp_store=MEMORY it
                // sorted all 500,000 keys as one list on this thread; in 2 MB chunks through temp files (deleted on
                // close) the sorts run beside the table scan. cache_spill keeps the transaction's pages in memory
                // meanwhile (they are all dirty: nothing else may be evicted); both settings go back after.
                GeoPackageSchema.Execute(_c, _tx, $"PRAGMA cache_spill = {BulkCachePages}; PRAGMA cache_size = -2048; PRAGMA temp_store = FILE;");
                foreach (var (_, create) in SecondaryIndexes) GeoPackageSchema.Execute(_c, _tx, create);
                GeoPackageSchema.Execute(_c, _tx, $"PRAGMA cache_size = -{BulkCacheKib}; PRAGMA temp_store = MEMORY;");
            }
            var rebuilt = plan is not null;
            if (plan is not null)
            {
                RtreeBulkLoad.Write(_c, _tx, rtree, await plan.ConfigureAwait(false), ct);
                extent = Extent(_boxes); // every box of the table: the exact extent
            }
            else InsertBoxes(ct);
            GeoPackageSchema.Execute(_c, _tx, GeoPackageCensusSchema.InsertTrigger);
            GeoPackageSchema.Execute(_c, _tx, GeoPackageCensusSchema.CheckTriggers);
            using (var update = Command(_c, _tx, "UPDATE census_imports SET row_count = $n WHERE fid = $id;", ("$n", Count), ("$id", _importId)))
                update.ExecuteNonQuery();
            if (!extent.IsNull)
            {
                // A packed rebuild knows every box; otherwise the stored extent grows by the new boxes.
                using var update = Command(_c, _tx, rebuilt
                        ? "UPDATE gpkg_contents SET min_x = $minx, max_x = $maxx, min_y = $miny, max_y = $maxy WHERE table_name = 'components';"
                        : """
                          UPDATE gpkg_contents SET min_x = min(coalesce(min_x, $minx), $minx), max_x = max(coalesce(max_x, $maxx), $maxx),
                            min_y = min(coalesce(min_y, $miny), $miny), max_y = max(coalesce(max_y, $maxy), $maxy)
                          WHERE table_name = 'components';
                          """,
                    ("$minx", extent.MinX), ("$maxx", extent.MaxX), ("$miny", extent.MinY), ("$maxy", extent.MaxY));
                update.ExecuteNonQuery();
            }
            TouchContents(_c, _tx, GeoPackageCensusSchema.ComponentsTable);
            TouchContents(_c, _tx, GeoPackageCensusSchema.ImportsTable);
            BumpRevision(_c, _tx);
            GeoPackageCensusSchema.BumpCensusRevision(_c, _tx);
            // COMMIT writes the transaction's pages (on a fresh import, the whole table: ~130 MB for 500,000 rows) to the
            // WAL: durable (synchronous=FULL) and visible to every reader from then on. Copying them on into the database
            // file, the checkpoint SQLite would otherwise run inside COMMIT (about as long again), happens after the
            // import has returned, on another connection; readers are never blocked by it (PASSIVE).
            GeoPackageSchema.Execute(_c, _tx, "PRAGMA wal_autocheckpoint = 0;");
            _autocheckpointOff = true;
            _tx.Commit();
            _done = true;
            _store.CheckpointLater();
        }

        private static Envelope Extent(List<RtreeBox> boxes)
        {
            var e = new Envelope();
            foreach (var b in boxes)
            {
                e.ExpandToInclude(b.MinX, b.MinY);
                e.ExpandToInclude(b.MaxX, b.MaxY);
            }
            return e;
        }

        /// <summary>
        /// The R*Tree entries of an import smaller than the table: inserted one by one in Hilbert order, so consecutive
        /// inserts descend to neighbouring leaves.
        /// </summary>
        private void InsertBoxes(CancellationToken ct)
        {
            if (_boxes.Count == 0) return;
            var order = RtreeBulkLoad.HilbertOrder(_boxes);
            using var insert = new RawStatement(_c, "INSERT OR REPLACE INTO rtree_components_geom VALUES (?1, ?2, ?3, ?4, ?5);");
            for (var i = 0; i < order.Length; i++)
            {
                if ((i & 65535) == 0) ct.ThrowIfCancellationRequested();
                var b = _boxes[order[i]];
                insert.Bind(1, b.Fid);
                insert.Bind(2, b.MinX);
                insert.Bind(3, b.MaxX);
                insert.Bind(4, b.MinY);
                insert.Bind(5, b.MaxY);
                insert.StepOrThrow();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_queue is not null && !_queue.IsAddingCompleted)
                {
                    _abandon = true;
                    _queue.CompleteAdding();
                }
                if (_writer is not null)
                {
                    try { await _writer.ConfigureAwait(false); }
                    catch (Exception) when (_abandon) { /* rolled back below */ }
                }
                _rows.Dispose();
                _queue?.Dispose();
                if (!_done) _tx.Rollback();
            }
            finally
            {
                _done = true;
                _tx.Dispose();
                // The connection goes back to the pool: with SQLite's usual checkpoint after each commit again.
                if (_autocheckpointOff)
                {
                    try { GeoPackageSchema.Execute(_c, null, $"PRAGMA wal_autocheckpoint = {AutoCheckpointPages.ToString(CultureInfo.InvariantCulture)};"); }
                    catch (SqliteException) { SqliteConnection.ClearPool(_c); }
                }
                await _c.DisposeAsync().ConfigureAwait(false);
                _store._writeLock.Release();
            }
        }
    }

    /// <summary>
    /// Inserts of a component (and the grid rows of one touching several grids) as <see cref="RawStatement"/>s, reused across rows of one transaction;
    /// fid = the code as a number (migration 5). A point's blob is written into one reused buffer, dates are formatted
    /// once per distinct value.
    /// <para>INSERT OR FAIL, and no foreign keys on the table: a single-row insert whose only possible failure is the
    /// primary key (the code) cannot abort half-way, so SQLite needs no statement journal — with one, every row copied
    /// its touched pages (about 20 KB a row) and bulk imports ran 30 times slower.</para>
    /// </summary>
    private sealed class RowWriter : IDisposable
    {
        /// <summary>Rows per statement of <see cref="InsertMany"/> (16 x 19 parameters).</summary>
        public const int RowsPerStatement = 16;
        private const int ColumnCount = 19;
        private const string InsertPrefix = """
            INSERT OR FAIL INTO components (fid, geom, code, class_code, name, grid_code, grid_codes, competent_department, owner, maintainer,
              status, first_recorded, last_changed, data_source, photos, remarks, attributes, version, import_id) VALUES
            """;

        private readonly SqliteConnection _c;
        private readonly RawStatement _insert;
        private RawStatement? _insertMany;
        private readonly RawStatement _grid;
        private readonly byte[] _point = new byte[ComponentBlob.PointBlobLength];
        private DateOnly _date0, _date1;
        private string? _text0, _text1;

        public RowWriter(SqliteConnection c)
        {
            _c = c;
            _insert = new RawStatement(c, InsertPrefix + Values(0) + ";");
            _grid = new RawStatement(c, "INSERT OR IGNORE INTO component_grids (grid_code, fid) VALUES (?1, ?2);");
        }

        /// <param name="boxes">Receives the row's R*Tree box (bulk mode, where the insert trigger is dropped).</param>
        /// <param name="version">The version to store; the component's own when null.</param>
        public Result<bool> Insert(Component k, long? importId, List<RtreeBox>? boxes = null, long? version = null)
        {
            if (k.GridCodes.Count == 0) throw new ArgumentException("A component to store needs its grid codes derived.", nameof(k));
            var fid = BindRow(_insert, 0, k, importId, version ?? k.Version);
            var failed = _insert.Step();
            if (failed == SqliteConstraintPrimaryKey) return Duplicate(k.Code);
            if (failed != 0) _insert.Throw();
            Inserted(k, fid, boxes);
            return true;
        }

        /// <summary>
        /// Inserts rows known not to be stored yet (the pipelined bulk mode checked their codes in memory), <see
        /// cref="RowsPerStatement"/> to a statement: SQLite's per-statement work (program start, cursor, reset) is paid
        /// once per group. A primary-key conflict here is a bug and throws.
        /// </summary>
        public void InsertMany(ReadOnlySpan<Component> rows, long importId, List<RtreeBox> boxes, long version)
        {
            var i = 0;
            if (rows.Length >= RowsPerStatement)
            {
                _insertMany ??= new RawStatement(_c, InsertPrefix + string.Join(", ", Enumerable.Range(0, RowsPerStatement).Select(Values)) + ";");
                Span<long> fids = stackalloc long[RowsPerStatement];
                for (; i + RowsPerStatement <= rows.Length; i += RowsPerStatement)
                {
                    for (var r = 0; r < RowsPerStatement; r++) fids[r] = BindRow(_insertMany, r, rows[i + r], importId, version);
                    _insertMany.StepOrThrow();
                    for (var r = 0; r < RowsPerStatement; r++) Inserted(rows[i + r], fids[r], boxes);
                }
            }
            for (; i < rows.Length; i++)
            {
                var added = Insert(rows[i], importId, boxes, version);
                if (!added.IsOk) throw new InvalidOperationException($"Component {rows[i].Code} was stored twice: {added.Failure.Message}");
            }
        }

        /// <summary>The VALUES tuple of row <paramref name="at"/> of a (multi-row) insert: parameters ?(19 at + 1) ... ?(19 at + 19).</summary>
        private static string Values(int at)
        {
            string P(int column) => "?" + (at * ColumnCount + column).ToString(CultureInfo.InvariantCulture);
            return $"({P(1)}, {P(2)}, {P(3)}, substr({P(3)}, 7, 4), {P(5)}, {P(6)}, coalesce({P(7)}, {P(6)}), "
                   + string.Join(", ", Enumerable.Range(8, ColumnCount - 7).Select(P)) + ")";
        }

        /// <summary>Binds row <paramref name="at"/> of a (multi-row) insert; returns the fid.</summary>
        private long BindRow(RawStatement s, int at, Component k, long? importId, long version)
        {
            if (k.GridCodes.Count == 0) throw new ArgumentException("A component to store needs its grid codes derived.", nameof(k));
            var b = at * ColumnCount;
            var fid = k.Code.Number;
            s.Bind(b + 1, fid);
            if (k.Geometry is Point p)
            {
                ComponentBlob.WritePoint(_point, p.X, p.Y);
                s.BindBlob(b + 2, _point); // SQLite copies it: the buffer is free again for the next row
            }
            else s.BindBlob(b + 2, ComponentBlob.Write(k.Geometry));
            s.Bind(b + 3, k.Code.Value);
            // ?4 is unused: class_code is substr(code, 7, 4) in the statement. Columns that repeat from row to row keep
            // their binding (BindKept); grid_codes binds NULL for a single grid (the statement takes grid_code then).
            s.BindKept(b + 5, k.Name);
            s.BindKept(b + 6, k.GridCodes[0].Value);
            s.BindKept(b + 7, k.GridCodes.Count == 1 ? null : string.Join(' ', k.GridCodes.Select(x => x.Value)));
            s.BindKept(b + 8, k.CompetentDepartment?.Value);
            s.BindKept(b + 9, k.Owner);
            s.BindKept(b + 10, k.Maintainer?.Value);
            s.BindKept(b + 11, CensusText.Label(k.Status));
            s.BindKept(b + 12, Date(k.FirstRecorded));
            s.BindKept(b + 13, Date(k.LastChanged));
            s.BindKept(b + 14, CensusText.Label(k.Source));
            s.BindKept(b + 15, PhotosText(k.Photos));
            s.BindKept(b + 16, k.Remarks);
            s.BindKept(b + 17, k.AttributesJson);
            s.BindKept(b + 18, version);
            if (importId is { } id) s.BindKept(b + 19, id);
            else s.BindKept(b + 19, (string?)null);
            return fid;
        }

        /// <summary>After a row is in: its R*Tree box (bulk mode) and, for a component touching several grids, its grid rows.</summary>
        private void Inserted(Component k, long fid, List<RtreeBox>? boxes)
        {
            if (boxes is not null)
            {
                if (k.Geometry is Point q) boxes.Add(new RtreeBox(fid, q.X, q.X, q.Y, q.Y));
                else if (k.Geometry.EnvelopeInternal is { IsNull: false } e) boxes.Add(new RtreeBox(fid, e.MinX, e.MaxX, e.MinY, e.MaxY));
            }
            if (k.GridCodes.Count == 1) return; // the first grid is the row's grid_code (indexed)
            _grid.Bind(2, fid);
            for (var i = 0; i < k.GridCodes.Count; i++)
            {
                _grid.Bind(1, k.GridCodes[i].Value);
                _grid.StepOrThrow();
            }
        }

        private string Date(DateOnly d)
        {
            if (_text0 is not null && d == _date0) return _text0;
            if (_text1 is not null && d == _date1) return _text1;
            (_date1, _text1) = (_date0, _text0);
            (_date0, _text0) = (d, SqlText.FromDate(d));
            return _text0;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _insertMany?.Dispose();
            _grid.Dispose();
        }
    }

    private static string? PhotosText(IReadOnlyList<string> photos) => photos.Count == 0 ? null : JsonSerializer.Serialize(photos);

    private static Component? ReadOne(SqliteConnection c, SqliteTransaction? tx, ComponentCode code)
    {
        using var command = Command(c, tx, $"SELECT {Columns} FROM components WHERE fid = $fid;", ("$fid", code.Number));
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

    /// <summary>A census write: the shared write transaction that also moves the census revision when the work succeeds.</summary>
    private Task<Result<T>> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Result<T>> work, CancellationToken ct) =>
        GeoPackageFile.WriteAsync(_writeLock, OpenConnectionAsync, (c, tx) =>
        {
            var result = work(c, tx);
            if (result.IsOk) GeoPackageCensusSchema.BumpCensusRevision(c, tx);
            return result;
        }, ct);

    private Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return GeoPackageFile.OpenAsync(_connectionString, ct);
    }





    /// <summary>
    /// Completes when the pages of the bulk imports committed so far have been copied from the WAL into the database
    /// file (see <see cref="ICensusBulkWriter.CommitAsync"/>: an import returns once its rows are durable in the WAL).
    /// The data is readable and durable before; this is for callers measuring the whole write or handing the file on.
    /// </summary>
    public Task WhenCheckpointedAsync()
    {
        lock (_checkpointGate) return _checkpoint;
    }

    /// <summary>Runs a PASSIVE checkpoint on its own connection after the ones already pending (best effort: a
    /// checkpoint that cannot run now is done by a later commit or at dispose).</summary>
    private void CheckpointLater()
    {
        lock (_checkpointGate) _checkpoint = After(_checkpoint);

        async Task After(Task previous)
        {
            await previous.ConfigureAwait(false);
            await Task.Yield();
            try
            {
                await using var c = await GeoPackageFile.OpenAsync(_connectionString, CancellationToken.None).ConfigureAwait(false);
                GeoPackageSchema.Execute(c, null, "PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (SqliteException)
            {
                // Best effort, as at dispose.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            // Under the write lock: a bulk import that committed before starts its checkpoint before it lets go of it.
            await WhenCheckpointedAsync().ConfigureAwait(false);
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
