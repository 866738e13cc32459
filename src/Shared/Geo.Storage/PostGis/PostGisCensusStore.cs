using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace Geo.Storage.PostGis;

/// <summary>
/// The production <see cref="ICensusStore"/>: the census in the same PostgreSQL/PostGIS database as the grids (schema
/// migration 2: <c>component_classes</c>, <c>components</c> with <c>geometry(Geometry, 4490)</c> and a GiST index,
/// <c>census_imports</c>, <c>component_audit</c>), bumping and NOTIFYing the same <c>geo_revision</c> as the grid store,
/// so every instance's census index and tile cache follow a write of any other within the change feed's delay.
/// <para>Single writes run through the grid store's write path (one transaction, revision row lock first, NOTIFY at
/// commit, retried on a dead pooled connection). A bulk import is one transaction that takes the revision row lock at
/// its start (serialising it against every other writer of every instance, as the GeoPackage's write lock does) and
/// streams its rows through binary COPY straight into <c>components</c>; disposing it without commit, a failure or a
/// killed process rolls all of it back.</para>
/// </summary>
public sealed class PostGisCensusStore : ICensusStore, ICensusRestore
{
    private const string Columns =
        "code, name, geom, grid_codes, competent_department, owner, maintainer, status, first_recorded, last_changed, data_source, photos, remarks, attributes::text, version";

    private static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(PostGisGridStore.Srid);

    private readonly PostGisGridStore _db;
    private readonly bool _ownsDatabase;
    private int _disposed;

    private PostGisCensusStore(PostGisGridStore db, bool ownsDatabase)
    {
        _db = db;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>The census on the database of an open grid store (sharing its connection pool; not disposing it).</summary>
    public static PostGisCensusStore On(PostGisGridStore grids)
    {
        ArgumentNullException.ThrowIfNull(grids);
        return new PostGisCensusStore(grids, ownsDatabase: false);
    }

    /// <summary>Opens (and migrates, see <see cref="PostGisGridStore.OpenAsync"/>) the database and its census.</summary>
    public static async Task<PostGisCensusStore> OpenAsync(string connectionString, PostGisOpenOptions? options = null, CancellationToken ct = default) =>
        new(await PostGisGridStore.OpenAsync(connectionString, options, ct).ConfigureAwait(false), ownsDatabase: true);

    /// <summary>The census's own revision (<c>census_revision</c>, migration 0005): moved by census writes only.</summary>
    public async Task<long> GetRevisionAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT revision FROM census_revision WHERE id = 1;", c);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Moves the census revision inside a write transaction (after the shared revision's row lock).</summary>
    internal static async Task BumpCensusRevisionAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var bump = new NpgsqlCommand("UPDATE census_revision SET revision = revision + 1 WHERE id = 1;", c, tx);
        await bump.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A census write: the shared write transaction (<see cref="PostGisGridStore.WriteAsync{T}"/>) that also
    /// moves the census revision when the work succeeds.</summary>
    private Task<Result<T>> WriteCensusAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<Result<T>>> work, CancellationToken ct) =>
        _db.WriteAsync<T>(async (c, tx, token) =>
        {
            var result = await work(c, tx, token).ConfigureAwait(false);
            if (result.IsOk) await BumpCensusRevisionAsync(c, tx, token).ConfigureAwait(false);
            return result;
        }, ct);

    // ---- classes ----------------------------------------------------------------------------------------------------

    public Task<IReadOnlyList<ComponentClass>> ListClassesAsync(CancellationToken ct = default) =>
        _db.ReadAsync<IReadOnlyList<ComponentClass>>(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT tree, code, major_name, name, extension, source FROM component_classes ORDER BY tree, code;", c);
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<ComponentClass>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var tree = r.GetString(0) == "event" ? ClassTree.Event : ClassTree.Component;
                list.Add(new ComponentClass(ClassCode.Create(tree, r.GetString(1)), r.GetString(2), r.GetString(3), r.GetBoolean(4),
                    r.IsDBNull(5) ? null : r.GetString(5)));
            }
            return list;
        }, ct);

    public Task<Result<int>> UpsertClassesAsync(IReadOnlyList<ComponentClass> classes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0) return Task.FromResult(Result<int>.Ok(0));
        foreach (var k in classes)
            if (!k.Code.IsMinor)
                return Task.FromResult(Result<int>.Fail(Failure.Invalid("class_not_minor", $"Class {k.Code} is not a minor class (4 digits).")));
        return WriteCensusAsync<int>(async (c, tx, ct) =>
        {
            await UpsertClassRowsAsync(c, tx, classes, ct).ConfigureAwait(false);
            return classes.Count;
        }, ct);
    }

    private static async Task UpsertClassRowsAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<ComponentClass> classes, CancellationToken ct)
    {
        await using var upsert = new NpgsqlCommand("""
            INSERT INTO component_classes (tree, code, major_name, name, extension, source) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tree, code) DO UPDATE SET major_name = excluded.major_name, name = excluded.name,
              extension = excluded.extension, source = excluded.source;
            """, c, tx);
        var tree = new NpgsqlParameter<string>();
        var code = new NpgsqlParameter<string>();
        var major = new NpgsqlParameter<string>();
        var name = new NpgsqlParameter<string>();
        var ext = new NpgsqlParameter<bool>();
        var source = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        upsert.Parameters.AddRange(new NpgsqlParameter[] { tree, code, major, name, ext, source });
        foreach (var k in classes)
        {
            tree.TypedValue = k.Code.Tree == ClassTree.Event ? "event" : "component";
            code.TypedValue = k.Code.Digits;
            major.TypedValue = k.MajorName;
            name.TypedValue = k.Name;
            ext.TypedValue = k.IsExtension;
            source.Value = (object?)k.Source ?? DBNull.Value;
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    // ---- reads ------------------------------------------------------------------------------------------------------

    public Task<Component?> GetComponentAsync(ComponentCode code, CancellationToken ct = default) =>
        _db.ReadAsync((c, ct) => ReadOneAsync(c, null, code, ct), ct);

    public Task<IReadOnlyList<Component>> GetComponentsAsync(IReadOnlyList<ComponentCode> codes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Count == 0) return Task.FromResult<IReadOnlyList<Component>>([]);
        return _db.ReadAsync<IReadOnlyList<Component>>(async (c, ct) =>
        {
            // One round trip; the order asked is restored by the array position.
            await using var command = new NpgsqlCommand($"""
                SELECT {Columns} FROM components k JOIN unnest($1::text[]) WITH ORDINALITY AS w(wanted, n) ON k.code = w.wanted ORDER BY w.n;
                """, c);
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = codes.Select(x => x.Value).ToArray() });
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<Component>(codes.Count);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(ReadComponent(r));
            return list;
        }, ct);
    }

    public Task<ComponentPage> QueryAsync(ComponentQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, ComponentQuery.MaxLimit);
        var sql = new StringBuilder($"SELECT {Columns} FROM components WHERE true");
        var parameters = new List<NpgsqlParameter>();
        string P(NpgsqlParameter p)
        {
            parameters.Add(p);
            return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
        }
        static NpgsqlParameter D(double v) => new NpgsqlParameter<double> { TypedValue = v };
        static NpgsqlParameter T(string v) => new NpgsqlParameter<string> { TypedValue = v };
        // Fixed SQL fragments only; every value is a parameter (SECURITY.md A1).
        if (query.Bbox is { } b)
            sql.Append($" AND geom && ST_MakeEnvelope({P(D(b.MinX))}, {P(D(b.MinY))}, {P(D(b.MaxX))}, {P(D(b.MaxY))}, 4490)");
        if (query.Grid is { } g)
            sql.Append($" AND grid_codes @> ARRAY[{P(T(g.Value))}]::text[]");
        if (query.Class is { } k)
        {
            if (k.IsMinor) sql.Append($" AND class_code = {P(T(k.Digits))}");
            else sql.Append($" AND class_code BETWEEN {P(T(k.Digits + "01"))} AND {P(T(k.Digits + "99"))}");
        }
        if (query.Status is { } s)
            sql.Append($" AND status = {P(T(CensusText.Label(s)))}");
        if (!string.IsNullOrEmpty(query.Text))
        {
            var t = P(T(query.Text));
            sql.Append($" AND (strpos(name, {t}) > 0 OR strpos(code, {t}) > 0 OR strpos(coalesce(remarks, ''), {t}) > 0 OR strpos(coalesce(owner, ''), {t}) > 0)");
        }
        if (query.After is { } after)
            sql.Append($" AND code > {P(T(after.Value))}");
        sql.Append($" ORDER BY code LIMIT {P(new NpgsqlParameter<int> { TypedValue = limit + 1 })};");

        return _db.ReadAsync(async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(sql.ToString(), c);
            // Fresh parameter objects per attempt: a parameter belongs to one command.
            foreach (var p in parameters) command.Parameters.Add(p.Clone());
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
        }, ct);
    }

    public Task<long> CountAsync(CancellationToken ct = default) =>
        _db.ReadAsync(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM components;", c);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, ct);

    public Task<int> NextSerialAsync(CountyCode county, ClassCode minorClass, CancellationToken ct = default) =>
        _db.ReadAsync(async (c, ct) =>
        {
            var prefix = county.Value + minorClass.Digits;
            await using var command = new NpgsqlCommand("SELECT max(code) FROM components WHERE code BETWEEN $1 AND $2;", c);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix + "000000" });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix + "999999" });
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is string max ? ComponentCode.FromTrusted(max).Serial + 1 : 1;
        }, ct);

    public Task<IReadOnlyList<AuditEntry>> GetAuditAsync(ComponentCode code, CancellationToken ct = default) =>
        _db.ReadAsync<IReadOnlyList<AuditEntry>>(async (c, ct) =>
        {
            var list = new List<AuditEntry>();
            // A bulk import is one row in census_imports; it appears in the trail of each component it created.
            await using (var imported = new NpgsqlCommand(
                             "SELECT i.actor, i.imported_at, i.source FROM components k JOIN census_imports i ON i.id = k.import_id WHERE k.code = $1;", c))
            {
                imported.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
                await using var r = await imported.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (await r.ReadAsync(ct).ConfigureAwait(false))
                    list.Add(new AuditEntry(code, "imported", r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), 1, null,
                        r.IsDBNull(2) ? null : JsonSerializer.Serialize(new { source = r.GetString(2) })));
            }
            await using var command = new NpgsqlCommand(
                "SELECT action, actor, at, version, before::text, after::text FROM component_audit WHERE code = $1 ORDER BY id;", c);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new AuditEntry(code, reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
            return list;
        }, ct);

    public Task<IReadOnlyList<CensusStatisticsRow>> StatisticsAsync(CancellationToken ct = default) =>
        _db.ReadAsync<IReadOnlyList<CensusStatisticsRow>>(static async (c, ct) =>
        {
            // A component touching several grids counts once in each.
            await using var command = new NpgsqlCommand("""
                SELECT g.grid, k.class_code, k.status, count(*)
                FROM components k CROSS JOIN LATERAL (SELECT DISTINCT unnest(k.grid_codes) AS grid) g
                GROUP BY g.grid, k.class_code, k.status ORDER BY g.grid, k.class_code, k.status COLLATE "C";
                """, c);
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var rows = new List<CensusStatisticsRow>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                CensusText.TryParseStatus(r.GetString(2), out var status);
                rows.Add(new CensusStatisticsRow(r.GetString(0), r.GetString(1), status, r.GetInt64(3)));
            }
            return rows;
        }, ct);

    public IAsyncEnumerable<ComponentLocation> ScanLocationsAsync(CancellationToken ct = default) =>
        StreamAsync("""
            SELECT code::bigint, status, GeometryType(geom) = 'POINT', CASE WHEN GeometryType(geom) = 'POINT' THEN ST_X(geom) END,
                   CASE WHEN GeometryType(geom) = 'POINT' THEN ST_Y(geom) END, CASE WHEN GeometryType(geom) <> 'POINT' THEN geom END
            FROM components;
            """, static r =>
        {
            CensusText.TryParseStatus(r.GetString(1), out var status);
            if (r.GetBoolean(2))
            {
                var x = r.GetDouble(3);
                var y = r.GetDouble(4);
                return new ComponentLocation(r.GetInt64(0), status, x, y, x, y, null);
            }
            var g = ToComponentGeometry(r.GetFieldValue<Geometry>(5));
            var e = g.EnvelopeInternal;
            return new ComponentLocation(r.GetInt64(0), status, e.MinX, e.MinY, e.MaxX, e.MaxY, g);
        }, ct);

    /// <summary>
    /// Streams the rows of a constant query on one connection. A connection failure before the first row (a pooled
    /// connection the restarted server closed) clears the pool and retries, like the grid store's reads; once rows
    /// flow, a failure ends the stream with the exception (a half-read stream cannot be resumed transparently).
    /// </summary>
    private async IAsyncEnumerable<T> StreamAsync<T>(string sql, Func<NpgsqlDataReader, T> map, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? c = null;
            NpgsqlCommand? command = null;
            NpgsqlDataReader? r = null;
            bool any;
            try
            {
                c = await OpenAsync(ct).ConfigureAwait(false);
                command = new NpgsqlCommand(sql, c);
                r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                any = await r.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when ((e is StoreUnavailableException || PostGisGridStore.IsConnectionFailure(e, ct)) && attempt < 3)
            {
                await DisposeAllAsync(r, command, c).ConfigureAwait(false);
                _db.DataSource.Clear();
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), ct).ConfigureAwait(false);
                continue;
            }
            catch
            {
                await DisposeAllAsync(r, command, c).ConfigureAwait(false);
                throw;
            }
            try
            {
                if (!any) yield break;
                do yield return map(r);
                while (await r.ReadAsync(ct).ConfigureAwait(false));
                yield break;
            }
            finally
            {
                await DisposeAllAsync(r, command, c).ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask DisposeAllAsync(NpgsqlDataReader? r, NpgsqlCommand? command, NpgsqlConnection? c)
    {
        if (r is not null) await r.DisposeAsync().ConfigureAwait(false);
        if (command is not null) await command.DisposeAsync().ConfigureAwait(false);
        if (c is not null) await c.DisposeAsync().ConfigureAwait(false);
    }

    // ---- single writes ----------------------------------------------------------------------------------------------

    public Task<Result<Component>> AddComponentAsync(Component component, AuditActor who, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(who);
        if (component.GridCodes.Count == 0) throw new ArgumentException("A component to store needs its grid codes derived.", nameof(component));
        var stored = component with { Version = 1 };
        return WriteCensusAsync<Component>(async (c, tx, ct) =>
        {
            await using (var insert = new NpgsqlCommand("""
                             INSERT INTO components (code, name, geom, grid_codes, competent_department, owner, maintainer, status, first_recorded,
                               last_changed, data_source, photos, remarks, attributes, version)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                             ON CONFLICT (code) DO NOTHING;
                             """, c, tx))
            {
                AddRowParameters(insert, stored);
                if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return Duplicate(stored.Code);
            }
            await AuditAsync(c, tx, stored.Code, "created", who, 1, null, ComponentJson.Write(stored), ct).ConfigureAwait(false);
            return stored;
        }, ct);
    }

    public Task<Result<Component>> UpdateComponentAsync(Component component, long expectedVersion, AuditActor who, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(who);
        if (component.GridCodes.Count == 0) throw new ArgumentException("A component to store needs its grid codes derived.", nameof(component));
        return WriteCensusAsync<Component>(async (c, tx, ct) =>
        {
            // FOR UPDATE: the before image of the audit is the row this transaction replaces.
            var current = await ReadOneAsync(c, tx, component.Code, ct, forUpdate: true).ConfigureAwait(false);
            if (current is null)
                return Failure.NotFound("component_not_found", $"There is no component {component.Code}.", $"component {component.Code}");
            if (current.Version != expectedVersion) return Stale(component.Code, expectedVersion, current.Version);
            var updated = component with { Version = current.Version + 1 };
            await using (var update = new NpgsqlCommand("""
                             UPDATE components SET code = $1, name = $2, geom = $3, grid_codes = $4, competent_department = $5, owner = $6,
                               maintainer = $7, status = $8, first_recorded = $9, last_changed = $10, data_source = $11, photos = $12,
                               remarks = $13, attributes = $14, version = $15
                             WHERE code = $1 AND version = $16;
                             """, c, tx))
            {
                AddRowParameters(update, updated);
                update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion });
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1) return Stale(component.Code, expectedVersion, current.Version);
            }
            await AuditAsync(c, tx, updated.Code, "updated", who, updated.Version, ComponentJson.Write(current), ComponentJson.Write(updated), ct)
                .ConfigureAwait(false);
            return updated;
        }, ct);
    }

    public Task<Result<bool>> DeleteComponentAsync(ComponentCode code, long expectedVersion, AuditActor who, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        return WriteCensusAsync<bool>(async (c, tx, ct) =>
        {
            var current = await ReadOneAsync(c, tx, code, ct, forUpdate: true).ConfigureAwait(false);
            if (current is null) return Failure.NotFound("component_not_found", $"There is no component {code}.", $"component {code}");
            if (current.Version != expectedVersion) return Stale(code, expectedVersion, current.Version);
            await using (var delete = new NpgsqlCommand("DELETE FROM components WHERE code = $1;", c, tx))
            {
                delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
                await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await AuditAsync(c, tx, code, "deleted", who, current.Version + 1, ComponentJson.Write(current), null, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    private static Failure Duplicate(ComponentCode code) =>
        new(CensusCodes.Duplicate, $"Component code {code} already exists.", FailureKind.Conflict, $"component {code}",
            new Dictionary<string, object?> { ["field"] = "code" });

    private static Failure Stale(ComponentCode code, long expected, long current) =>
        new(CensusCodes.VersionStale,
            $"Component {code} is at version {current}, not {expected}: someone changed it meanwhile. Reload it and apply the edit again.",
            FailureKind.Conflict, $"component {code}", new Dictionary<string, object?> { ["currentVersion"] = current });

    private static async Task AuditAsync(NpgsqlConnection c, NpgsqlTransaction tx, ComponentCode code, string action, AuditActor who, long? version,
        string? before, string? after, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO component_audit (code, action, actor, at, version, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7);", c, tx);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = action });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = who.ToString() });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = PostGisGridStore.TruncateToMilliseconds(DateTimeOffset.UtcNow) });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)version ?? DBNull.Value });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Json, Value = (object?)before ?? DBNull.Value });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Json, Value = (object?)after ?? DBNull.Value });
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Parameters $1..$15 of a row in <see cref="Columns"/> order.</summary>
    private static void AddRowParameters(NpgsqlCommand command, Component k)
    {
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = k.Code.Value });
        p.Add(new NpgsqlParameter<string> { TypedValue = k.Name });
        p.Add(new NpgsqlParameter<Geometry> { TypedValue = ToStored(k.Geometry), NpgsqlDbType = NpgsqlDbType.Geometry });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = GridTexts(k) });
        p.Add(Nullable(k.CompetentDepartment?.Value, NpgsqlDbType.Text));
        p.Add(Nullable(k.Owner, NpgsqlDbType.Text));
        p.Add(Nullable(k.Maintainer?.Value, NpgsqlDbType.Text));
        p.Add(new NpgsqlParameter<string> { TypedValue = CensusText.Label(k.Status) });
        p.Add(new NpgsqlParameter<DateOnly> { TypedValue = k.FirstRecorded });
        p.Add(new NpgsqlParameter<DateOnly> { TypedValue = k.LastChanged });
        p.Add(new NpgsqlParameter<string> { TypedValue = CensusText.Label(k.Source) });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. k.Photos] });
        p.Add(Nullable(k.Remarks, NpgsqlDbType.Text));
        p.Add(Nullable(k.AttributesJson, NpgsqlDbType.Json));
        p.Add(new NpgsqlParameter<long> { TypedValue = k.Version });
    }

    private static NpgsqlParameter Nullable(string? value, NpgsqlDbType type) => new() { NpgsqlDbType = type, Value = (object?)value ?? DBNull.Value };

    private static string[] GridTexts(Component k)
    {
        var a = new string[k.GridCodes.Count];
        for (var i = 0; i < a.Length; i++) a[i] = k.GridCodes[i].Value;
        return a;
    }

    private static Geometry ToStored(Geometry g) => g.SRID == PostGisGridStore.Srid ? g : Factory.CreateGeometry(g);

    private static Geometry ToComponentGeometry(Geometry g) => g.SRID == PostGisGridStore.Srid ? g : Factory.CreateGeometry(g);

    private static async Task<Component?> ReadOneAsync(NpgsqlConnection c, NpgsqlTransaction? tx, ComponentCode code, CancellationToken ct,
        bool forUpdate = false)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM components WHERE code = $1{(forUpdate ? " FOR UPDATE" : "")};", c, tx);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadComponent(r) : null;
    }

    private static Component ReadComponent(NpgsqlDataReader r)
    {
        CensusText.TryParseStatus(r.GetString(7), out var status);
        CensusText.TryParseSource(r.GetString(10), out var source);
        var grids = r.GetFieldValue<string[]>(3);
        var gridCodes = new GridCode[grids.Length];
        for (var i = 0; i < grids.Length; i++) gridCodes[i] = GridCode.FromTrusted(grids[i]);
        return new Component(
            ComponentCode.FromTrusted(r.GetString(0)),
            r.GetString(1),
            ToComponentGeometry(r.GetFieldValue<Geometry>(2)),
            gridCodes,
            r.IsDBNull(4) ? null : DepartmentCode.FromTrusted(r.GetString(4)),
            r.IsDBNull(5) ? null : r.GetString(5),
            r.IsDBNull(6) ? null : DepartmentCode.FromTrusted(r.GetString(6)),
            status,
            r.GetFieldValue<DateOnly>(8),
            r.GetFieldValue<DateOnly>(9),
            source,
            r.GetFieldValue<string[]>(11),
            r.IsDBNull(12) ? null : r.GetString(12),
            r.IsDBNull(13) ? null : r.GetString(13),
            r.GetInt64(14));
    }

    // ---- bulk -------------------------------------------------------------------------------------------------------

    /// <summary>The columns of the bulk COPY into <c>components</c> (class_code is generated from the code).</summary>
    private const string CopyCommand =
        "COPY components (code, name, geom, grid_codes, competent_department, owner, maintainer, status, first_recorded, last_changed, data_source, photos, remarks, attributes, version, import_id) FROM STDIN (FORMAT BINARY)";

    public async Task<ICensusBulkWriter> BeginBulkAsync(AuditActor who, string? source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        var c = await OpenAsync(ct).ConfigureAwait(false);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await c.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
            // The revision row lock first: from here until commit or rollback no other writer of any instance changes the
            // store, so the codes read below stay the complete set of stored codes for the duplicate check.
            long revision;
            await using (var bump = new NpgsqlCommand("UPDATE geo_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision;", c, tx))
                revision = (long)(await bump.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            await BumpCensusRevisionAsync(c, tx, ct).ConfigureAwait(false);
            long importId;
            await using (var insert = new NpgsqlCommand(
                             "INSERT INTO census_imports (imported_at, actor, source, row_count) VALUES ($1, $2, $3, 0) RETURNING id;", c, tx))
            {
                insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = PostGisGridStore.TruncateToMilliseconds(DateTimeOffset.UtcNow) });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = who.ToString() });
                insert.Parameters.Add(Nullable(source, NpgsqlDbType.Text));
                importId = (long)(await insert.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            var codes = new HashSet<long>();
            await using (var select = new NpgsqlCommand("SELECT code::bigint FROM components;", c, tx))
            await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) codes.Add(r.GetInt64(0));
            }
            var importer = await c.BeginBinaryImportAsync(CopyCommand, ct).ConfigureAwait(false);
            return new BulkWriter(c, tx, importer, codes, importId, revision);
        }
        catch (Exception e)
        {
            if (tx is not null) await tx.DisposeAsync().ConfigureAwait(false);
            await c.DisposeAsync().ConfigureAwait(false);
            if (PostGisGridStore.IsConnectionFailure(e, ct))
                throw new StoreUnavailableException($"The PostgreSQL store is unavailable: {PostGisGridStore.Describe(e)}", e);
            throw;
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return await _db.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (PostGisGridStore.IsConnectionFailure(e, ct))
        {
            _db.DataSource.Clear();
            throw new StoreUnavailableException($"The PostgreSQL store is unavailable: {PostGisGridStore.Describe(e)}", e);
        }
    }

    /// <summary>
    /// One bulk import: rows go straight into the COPY stream as they are added (nothing is held in memory but the set
    /// of codes, for the immediate duplicate check, and the highest serial per county and class).
    /// </summary>
    private sealed class BulkWriter(NpgsqlConnection c, NpgsqlTransaction tx, NpgsqlBinaryImporter importer, HashSet<long> codes, long importId,
        long revision) : ICensusBulkWriter
    {
        private Dictionary<long, int>? _maxSerial;
        private bool _done;

        public int Count { get; private set; }

        public Result<bool> Add(Component component)
        {
            ArgumentNullException.ThrowIfNull(component);
            ObjectDisposedException.ThrowIf(_done, this);
            if (component.GridCodes.Count == 0) throw new ArgumentException("A component to store needs its grid codes derived.", nameof(component));
            var number = component.Code.Number;
            if (!codes.Add(number)) return Duplicate(component.Code);
            importer.StartRow();
            importer.Write(component.Code.Value, NpgsqlDbType.Text);
            importer.Write(component.Name, NpgsqlDbType.Text);
            importer.Write(ToStored(component.Geometry), NpgsqlDbType.Geometry);
            importer.Write(GridTexts(component), NpgsqlDbType.Array | NpgsqlDbType.Text);
            WriteNullable(component.CompetentDepartment?.Value, NpgsqlDbType.Text);
            WriteNullable(component.Owner, NpgsqlDbType.Text);
            WriteNullable(component.Maintainer?.Value, NpgsqlDbType.Text);
            importer.Write(CensusText.Label(component.Status), NpgsqlDbType.Text);
            importer.Write(component.FirstRecorded, NpgsqlDbType.Date);
            importer.Write(component.LastChanged, NpgsqlDbType.Date);
            importer.Write(CensusText.Label(component.Source), NpgsqlDbType.Text);
            importer.Write(component.Photos as string[] ?? [.. component.Photos], NpgsqlDbType.Array | NpgsqlDbType.Text);
            WriteNullable(component.Remarks, NpgsqlDbType.Text);
            WriteNullable(component.AttributesJson, NpgsqlDbType.Json);
            importer.Write(1L, NpgsqlDbType.Bigint);
            importer.Write(importId, NpgsqlDbType.Bigint);
            Count++;
            if (_maxSerial is not null) Track(number);
            return true;
        }

        private void WriteNullable(string? value, NpgsqlDbType type)
        {
            if (value is null) importer.WriteNull();
            else importer.Write(value, type);
        }

        public int NextSerial(CountyCode county, ClassCode minorClass)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            if (_maxSerial is null)
            {
                // Built on first use from every code seen (stored and added): the connection is busy with the COPY.
                _maxSerial = [];
                foreach (var code in codes) Track(code);
            }
            var prefix = long.Parse(county.Value + minorClass.Digits, NumberStyles.None, CultureInfo.InvariantCulture);
            return _maxSerial.TryGetValue(prefix, out var max) ? max + 1 : 1;
        }

        private void Track(long code)
        {
            var prefix = code / 1_000_000;
            var serial = (int)(code % 1_000_000);
            if (!_maxSerial!.TryGetValue(prefix, out var max) || serial > max) _maxSerial[prefix] = serial;
        }

        public async Task CommitAsync(CancellationToken ct = default)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            _done = true;
            await importer.CompleteAsync(ct).ConfigureAwait(false);
            await importer.DisposeAsync().ConfigureAwait(false);
            await using (var update = new NpgsqlCommand("UPDATE census_imports SET row_count = $1 WHERE id = $2;", c, tx))
            {
                update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Count });
                update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = importId });
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await PostGisGridStore.NotifyAsync(c, tx, revision, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            _done = true;
            try
            {
                // Disposing an uncompleted importer cancels the COPY; the rollback then drops everything of the import.
                await importer.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // A broken connection: the server rolls the transaction back by itself.
            }
            try
            {
                await tx.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // ---- restore (store copy) ---------------------------------------------------------------------------------------

    /// <inheritdoc />
    public IAsyncEnumerable<CensusImportRecord> ReadImportsAsync(CancellationToken ct = default) =>
        StreamAsync("SELECT id, imported_at, actor, source, row_count FROM census_imports ORDER BY id;", static r =>
            new CensusImportRecord(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.GetInt32(4)), ct);

    /// <inheritdoc />
    public IAsyncEnumerable<StoredComponent> ReadAllComponentsAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT {Columns}, import_id FROM components ORDER BY code;", static r =>
            new StoredComponent(ReadComponent(r), r.IsDBNull(15) ? null : r.GetInt64(15)), ct);

    /// <inheritdoc />
    public IAsyncEnumerable<AuditRecord> ReadAllAuditAsync(CancellationToken ct = default) =>
        StreamAsync("SELECT code, action, actor, at, version, before::text, after::text FROM component_audit ORDER BY id;", static r =>
            new AuditRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3),
                r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)), ct);

    /// <inheritdoc />
    public Task<bool> IsCensusEmptyAsync(CancellationToken ct = default) =>
        _db.ReadAsync(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT NOT EXISTS (SELECT 1 FROM components) AND NOT EXISTS (SELECT 1 FROM component_audit)
                   AND NOT EXISTS (SELECT 1 FROM census_imports);
                """, c);
            return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, ct);

    /// <inheritdoc />
    public Task<Result<long>> RestoreCensusAsync(IReadOnlyList<ComponentClass> classes, IReadOnlyList<CensusImportRecord> imports,
        IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit, IProgress<long>? componentsWritten = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(imports);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(audit);
        return WriteCensusAsync<long>(async (c, tx, ct) =>
        {
            await using (var empty = new NpgsqlCommand("""
                             SELECT NOT EXISTS (SELECT 1 FROM components) AND NOT EXISTS (SELECT 1 FROM component_audit)
                                AND NOT EXISTS (SELECT 1 FROM census_imports);
                             """, c, tx))
            {
                if (!(bool)(await empty.ExecuteScalarAsync(ct).ConfigureAwait(false))!) return StoreContentCheck.NotEmpty(_db.Display);
            }
            return await RestoreRowsAsync(c, tx, classes, imports, components, audit, componentsWritten, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <summary>
    /// The census rows (classes upserted; imports with their ids, components and the audit trail by binary COPY into
    /// tables the caller found empty) inside the caller's transaction.
    /// </summary>
    internal async Task<Result<long>> RestoreRowsAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<ComponentClass> classes,
        IReadOnlyList<CensusImportRecord> imports, IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit,
        IProgress<long>? componentsWritten, CancellationToken ct)
    {
        await BumpCensusRevisionAsync(c, tx, ct).ConfigureAwait(false); // also when a store copy calls this directly
        if (classes.Count > 0) await UpsertClassRowsAsync(c, tx, classes, ct).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand(
                         "INSERT INTO census_imports (id, imported_at, actor, source, row_count) VALUES ($1, $2, $3, $4, $5);", c, tx))
        {
            foreach (var i in imports)
            {
                insert.Parameters.Clear();
                insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = i.Id });
                insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = PostGisGridStore.TruncateToMilliseconds(i.ImportedAt) });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = i.Actor });
                insert.Parameters.Add(Nullable(i.Source, NpgsqlDbType.Text));
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = i.RowCount });
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        await using (var sync = new NpgsqlCommand(
                         "SELECT setval(pg_get_serial_sequence('census_imports', 'id'), coalesce((SELECT max(id) FROM census_imports), 0) + 1, false);", c, tx))
            await sync.ExecuteNonQueryAsync(ct).ConfigureAwait(false);

        long written = 0;
        await using (var importer = await c.BeginBinaryImportAsync(CopyCommand, ct).ConfigureAwait(false))
        {
            await foreach (var s in components.WithCancellation(ct).ConfigureAwait(false))
            {
                var k = s.Component;
                await importer.StartRowAsync(ct).ConfigureAwait(false);
                await importer.WriteAsync(k.Code.Value, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(k.Name, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(ToStored(k.Geometry), NpgsqlDbType.Geometry, ct).ConfigureAwait(false);
                await importer.WriteAsync(GridTexts(k), NpgsqlDbType.Array | NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullableAsync(importer, k.CompetentDepartment?.Value, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullableAsync(importer, k.Owner, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullableAsync(importer, k.Maintainer?.Value, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(CensusText.Label(k.Status), NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(k.FirstRecorded, NpgsqlDbType.Date, ct).ConfigureAwait(false);
                await importer.WriteAsync(k.LastChanged, NpgsqlDbType.Date, ct).ConfigureAwait(false);
                await importer.WriteAsync(CensusText.Label(k.Source), NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(k.Photos.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullableAsync(importer, k.Remarks, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullableAsync(importer, k.AttributesJson, NpgsqlDbType.Json, ct).ConfigureAwait(false);
                await importer.WriteAsync(k.Version, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                if (s.ImportId is { } id) await importer.WriteAsync(id, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                else await importer.WriteNullAsync(ct).ConfigureAwait(false);
                if (++written % 1000 == 0) componentsWritten?.Report(written);
            }
            await importer.CompleteAsync(ct).ConfigureAwait(false);
        }

        const string auditCopy = "COPY component_audit (code, action, actor, at, version, before, after) FROM STDIN (FORMAT BINARY)";
        await using (var importer = await c.BeginBinaryImportAsync(auditCopy, ct).ConfigureAwait(false))
        {
            await foreach (var a in audit.WithCancellation(ct).ConfigureAwait(false))
            {
                await importer.StartRowAsync(ct).ConfigureAwait(false);
                await importer.WriteAsync(a.Code, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(a.Action, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(a.Actor, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(PostGisGridStore.TruncateToMilliseconds(a.At), NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
                if (a.Version is { } v) await importer.WriteAsync(v, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                else await importer.WriteNullAsync(ct).ConfigureAwait(false);
                await WriteNullableAsync(importer, a.Before, NpgsqlDbType.Json, ct).ConfigureAwait(false);
                await WriteNullableAsync(importer, a.After, NpgsqlDbType.Json, ct).ConfigureAwait(false);
            }
            await importer.CompleteAsync(ct).ConfigureAwait(false);
        }
        componentsWritten?.Report(written);
        return written;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken ct) =>
        value is null ? importer.WriteNullAsync(ct) : importer.WriteAsync(value, type, ct);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_ownsDatabase) await _db.DisposeAsync().ConfigureAwait(false);
    }
}
