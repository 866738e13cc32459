using System.Data;
using Geo.GridService.Access;
using Geo.GridService.Codes;
using Geo.GridService.Departments;
using Geo.GridService.Grids;
using Geo.GridService.Responsibility;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace Geo.Storage.PostGis;

/// <summary>How <see cref="PostGisGridStore.OpenAsync"/> treats the schema.</summary>
/// <param name="Migrate">Apply pending migrations at open (the default). When false, an out-of-date schema stops the
/// open with a message to run <c>geo store migrate</c> (for databases where the service account may not change DDL).</param>
public sealed record PostGisOpenOptions(bool Migrate = true);

/// <summary>
/// The production <see cref="IGridStore"/>: PostgreSQL 15+ with PostGIS 3.3+, shared by several service instances.
/// Tables <c>grids</c> (<c>geometry(MultiPolygon, 4490)</c>, GiST index, unique (version, code)), <c>grid_versions</c>,
/// <c>departments</c>, <c>responsibility_rules</c>, <c>api_keys</c> and <c>geo_revision</c>, created by the embedded
/// migrations (<see cref="PostGisMigrations"/>).
/// <para>Writes: one transaction each, which first bumps the revision row (so writers from every process are
/// serialised by its row lock), then writes (grids and the matrix through binary COPY), then
/// <c>NOTIFY geo_store_changes, '&lt;revision&gt;'</c>, delivered to listeners at commit (<see cref="WatchAsync"/>).
/// A failed result rolls everything back, the revision included. Reads see the last committed state.</para>
/// <para>Faults: after a server restart the pooled connections are dead; an operation that meets one clears the pool
/// and retries (reads up to three times; writes only when the failure came before COMMIT was sent, so a write is never
/// applied twice). When the server stays unreachable reads throw <see cref="StoreUnavailableException"/> and writes return
/// a Failure of kind Unavailable. Timestamps are kept to the millisecond, like the GeoPackage store.</para>
/// </summary>
public sealed partial class PostGisGridStore : IGridStore, IStoreChanges, IStoreRestore
{
    /// <summary>The NOTIFY channel every committed write signals, with the new revision as payload.</summary>
    public const string ChangesChannel = "geo_store_changes";

    /// <summary>CGCS2000 geographic: the only CRS grids are stored in.</summary>
    public const int Srid = 4490;

    private const int Attempts = 3;

    private static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(Srid);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _connectionString;
    private int _disposed;

    private PostGisGridStore(NpgsqlDataSource dataSource, string connectionString, string display, PostGisMigrationReport? migration)
    {
        _dataSource = dataSource;
        _connectionString = connectionString;
        Display = display;
        Migration = migration;
    }

    /// <summary>The connection without its password (safe to print).</summary>
    public string Display { get; }

    /// <summary>What the migration run at open did (null when opened without migrating).</summary>
    public PostGisMigrationReport? Migration { get; }

    /// <summary>The pooled connections, shared with the census and survey stores on the same database.</summary>
    internal NpgsqlDataSource DataSource
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _dataSource;
        }
    }

    /// <summary>
    /// The tail of every write transaction: <c>NOTIFY geo_store_changes, '&lt;revision&gt;'</c> (delivered at commit), for
    /// writers that run their own transaction (the census bulk import).
    /// </summary>
    internal static async Task NotifyAsync(NpgsqlConnection c, NpgsqlTransaction tx, long revision, CancellationToken ct)
    {
        await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2);", c, tx);
        notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ChangesChannel });
        notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await notify.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the store on <paramref name="connectionString"/> (an Npgsql connection string; see <see cref="StoreSpec"/> for
    /// URIs), checks the server is reachable and, by default, applies pending migrations. Defaults added when the
    /// string does not set them: a 5 s connect timeout (a dead server is reported quickly rather than after 15 s) and
    /// the application name <c>geo</c> (visible in <c>pg_stat_activity</c>).
    /// </summary>
    /// <exception cref="StoreUnavailableException">The server cannot be reached or refuses the login.</exception>
    /// <exception cref="InvalidDataException">The schema is newer than this software, or an applied migration changed.</exception>
    public static async Task<PostGisGridStore> OpenAsync(string connectionString, PostGisOpenOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        options ??= new PostGisOpenOptions();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Timeout == 15) builder.Timeout = 5;
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "geo";
        var display = StoreSpec.Parse(builder.ConnectionString) is { IsOk: true } spec ? spec.Value.Display : "postgres";

        var sourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString);
        sourceBuilder.UseNetTopologySuite(geographyAsDefault: false);
        var dataSource = sourceBuilder.Build();
        try
        {
            PostGisMigrationReport? report = null;
            await using (var c = await OpenForSetupAsync(dataSource, ct).ConfigureAwait(false))
            {
                if (options.Migrate)
                {
                    report = await PostGisMigrations.ApplyAsync(c, ct).ConfigureAwait(false);
                }
                else
                {
                    var version = await PostGisMigrations.CurrentVersionAsync(c, ct).ConfigureAwait(false);
                    if (version < PostGisMigrations.LatestVersion)
                        throw new InvalidDataException(
                            $"The database schema is at version {version}; this software needs {PostGisMigrations.LatestVersion}. Run `geo store migrate`.");
                }
            }
            // The composite types PostGIS registers during the first migration are loaded per data source: reload them.
            if (report is { Applied.Count: > 0 }) await dataSource.ReloadTypesAsync(ct).ConfigureAwait(false);
            return new PostGisGridStore(dataSource, builder.ConnectionString, display, report);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<NpgsqlConnection> OpenForSetupAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && e is not OperationCanceledException)
        {
            throw new StoreUnavailableException($"Cannot connect to PostgreSQL: {Describe(e)}", e);
        }
    }

    // ---- revision ------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<long> GetRevisionAsync(CancellationToken ct = default) =>
        ReadAsync(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT revision FROM geo_revision WHERE id = 1;", c);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, ct);

    // ---- grids and versions -------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyList<GridVersion>> ListGridVersionsAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<GridVersion>>(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT number, valid_from, valid_to, imported_at, grid_count, source, note FROM grid_versions ORDER BY number;", c);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var versions = new List<GridVersion>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                versions.Add(new GridVersion(
                    reader.GetInt32(0),
                    reader.GetFieldValue<DateOnly>(1),
                    reader.IsDBNull(2) ? null : reader.GetFieldValue<DateOnly>(2),
                    reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetInt32(4),
                    NullableString(reader, 5),
                    NullableString(reader, 6)));
            }
            return versions;
        }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<Grid>> GetGridsAsync(int version, CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<Grid>>(async (c, ct) =>
        {
            // code is COLLATE "C": ORDER BY is ordinal, the order GridCode defines.
            await using var command = new NpgsqlCommand(
                "SELECT code, name, subdistrict_name, community_name, geom FROM grids WHERE version = $1 ORDER BY code;", c);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var grids = new List<Grid>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                grids.Add(new Grid(
                    GridCode.FromTrusted(reader.GetString(0)),
                    reader.GetString(1),
                    NullableString(reader, 2),
                    NullableString(reader, 3),
                    ToGridGeometry(reader.GetFieldValue<Geometry>(4))));
            }
            return grids;
        }, ct);

    /// <inheritdoc />
    public async Task<Result<GridVersion>> AddGridVersionAsync(DateOnly validFrom, IReadOnlyList<Grid> grids, string? source,
        string? note, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(grids);
        var invalid = CheckGridGeometries(grids);
        if (invalid.Count > 0) return Result<GridVersion>.Fail(invalid);
        if (FirstDuplicateCode(grids) is { } duplicate)
            return Failure.Conflict("grid_code_duplicate",
                $"Grid code {grids[duplicate].Code} occurs more than once in the version; nothing was stored.",
                $"grid {duplicate} ({grids[duplicate].Code})");

        var importedAt = TruncateToMilliseconds(DateTimeOffset.UtcNow);
        return await WriteAsync<GridVersion>(async (c, tx, ct) =>
        {
            int number;
            await using (var current = new NpgsqlCommand(
                             "SELECT number, valid_from FROM grid_versions ORDER BY number DESC LIMIT 1;", c, tx))
            await using (var reader = await current.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var currentNumber = reader.GetInt32(0);
                    var currentFrom = reader.GetFieldValue<DateOnly>(1);
                    if (validFrom <= currentFrom)
                        return Failure.Conflict("grid_version_date",
                            $"A new grid version must start after the current version {currentNumber}, which starts on {currentFrom:yyyy-MM-dd}; got {validFrom:yyyy-MM-dd}.",
                            $"version {currentNumber}");
                    number = currentNumber + 1;
                }
                else number = 1;
            }

            if (number > 1)
            {
                await using var close = new NpgsqlCommand("UPDATE grid_versions SET valid_to = $1 WHERE number = $2;", c, tx);
                close.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = validFrom });
                close.Parameters.Add(new NpgsqlParameter<int> { TypedValue = number - 1 });
                await close.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            var version = new GridVersion(number, validFrom, null, importedAt, grids.Count, source, note);
            await InsertVersionAsync(c, tx, version, ct).ConfigureAwait(false);
            await CopyGridsAsync(c, number, grids, null, ct).ConfigureAwait(false);
            return version;
        }, ct).ConfigureAwait(false);
    }

    private static async Task InsertVersionAsync(NpgsqlConnection c, NpgsqlTransaction tx, GridVersion v, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO grid_versions (number, valid_from, valid_to, imported_at, grid_count, source, note)
            VALUES ($1, $2, $3, $4, $5, $6, $7);
            """, c, tx);
        insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = v.Number });
        insert.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = v.ValidFrom });
        insert.Parameters.Add(v.ValidTo is { } to ? new NpgsqlParameter<DateOnly> { TypedValue = to } : Null(NpgsqlDbType.Date));
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = v.ImportedAt.ToUniversalTime() });
        insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = v.GridCount });
        insert.Parameters.Add(Text(v.Source));
        insert.Parameters.Add(Text(v.Note));
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The grid columns of a binary COPY into <c>grids</c>, for one version.</summary>
    private static CopyColumn<Grid>[] GridColumns(int version) =>
    [
        CopyColumn.Value<Grid, int>("version", NpgsqlDbType.Integer, _ => version),
        CopyColumn.Of<Grid, string>("code", NpgsqlDbType.Text, static g => g.Code.Value),
        CopyColumn.Of<Grid, string>("name", NpgsqlDbType.Text, static g => g.Name),
        CopyColumn.Of<Grid, string>("subdistrict_code", NpgsqlDbType.Text, static g => g.SubdistrictCode),
        CopyColumn.Of<Grid, string>("subdistrict_name", NpgsqlDbType.Text, static g => g.SubdistrictName),
        CopyColumn.Of<Grid, string>("community_code", NpgsqlDbType.Text, static g => g.CommunityCode),
        CopyColumn.Of<Grid, string>("community_name", NpgsqlDbType.Text, static g => g.CommunityName),
        CopyColumn.Of<Grid, Geometry>("geom", NpgsqlDbType.Geometry, static g => ToStoredGeometry(g.Geometry)),
    ];

    private static Task<ulong> CopyGridsAsync(NpgsqlConnection c, int version, IReadOnlyList<Grid> grids, IProgress<long>? progress,
        CancellationToken ct) =>
        BinaryCopy.WriteAsync(c, "grids", GridColumns(version), grids, progress, ct);

    private static List<Failure> CheckGridGeometries(IReadOnlyList<Grid> grids)
    {
        var failures = new List<Failure>();
        for (var i = 0; i < grids.Count; i++)
        {
            var g = grids[i];
            if (g.Geometry is not (Polygon or MultiPolygon))
                failures.Add(Failure.Invalid("grid_geometry_type",
                    $"A grid is a Polygon or MultiPolygon; got {g.Geometry.GeometryType}.", $"grid {i} ({g.Code})"));
            else if (g.Geometry.SRID is not (0 or Srid))
                failures.Add(Failure.Invalid("grid_srid",
                    $"Grid geometries are stored in EPSG:{Srid}; got SRID {g.Geometry.SRID}.", $"grid {i} ({g.Code})"));
        }
        return failures;
    }

    /// <summary>The index of the first grid whose code occurred earlier in the list, or null.</summary>
    private static int? FirstDuplicateCode(IReadOnlyList<Grid> grids)
    {
        var seen = new HashSet<string>(grids.Count, StringComparer.Ordinal);
        for (var i = 0; i < grids.Count; i++)
            if (!seen.Add(grids[i].Code.Value)) return i;
        return null;
    }

    /// <summary>A grid geometry as the column takes it: a MultiPolygon with SRID 4490 (a Polygon becomes a one-part one).</summary>
    private static MultiPolygon ToStoredGeometry(Geometry geometry) => geometry switch
    {
        Polygon p => Factory.CreateMultiPolygon([p]),
        MultiPolygon { SRID: Srid } m => m,
        MultiPolygon m => Factory.CreateMultiPolygon(Polygons(m)),
        _ => throw new ArgumentException($"A grid geometry is a Polygon or MultiPolygon, not {geometry.GeometryType}.", nameof(geometry)),
    };

    /// <summary>A stored geometry as the contract returns it: a one-part MultiPolygon as its Polygon; SRID 4490.</summary>
    private static Geometry ToGridGeometry(Geometry stored) => stored switch
    {
        MultiPolygon { NumGeometries: 1 } m => Copy((Polygon)m.GetGeometryN(0)),
        MultiPolygon m => Factory.CreateMultiPolygon(Polygons(m)),
        Polygon p => Copy(p),
        _ => throw new InvalidDataException($"The grids table holds a {stored.GeometryType}; expected MultiPolygon."),
    };

    private static Polygon Copy(Polygon p) =>
        Factory.CreatePolygon((LinearRing)p.ExteriorRing, p.InteriorRings.Cast<LinearRing>().ToArray());

    private static Polygon[] Polygons(MultiPolygon m)
    {
        var result = new Polygon[m.NumGeometries];
        for (var i = 0; i < result.Length; i++) result[i] = (Polygon)m.GetGeometryN(i);
        return result;
    }

    // ---- departments ------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyList<Department>> ListDepartmentsAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<Department>>(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT code, name, contact, phone FROM departments ORDER BY code;", c);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var departments = new List<Department>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                departments.Add(new Department(DepartmentCode.FromTrusted(reader.GetString(0)), reader.GetString(1),
                    NullableString(reader, 2), NullableString(reader, 3)));
            return departments;
        }, ct);

    /// <inheritdoc />
    public async Task<Result<int>> UpsertDepartmentsAsync(IReadOnlyList<Department> departments, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(departments);
        if (departments.Count == 0) return 0; // nothing to write: no revision bump

        return await WriteAsync<int>(async (c, tx, ct) =>
        {
            await UpsertDepartmentRowsAsync(c, tx, departments, ct).ConfigureAwait(false);
            return departments.Count;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Inserts or updates by code; a code given twice takes its last entry (as row-by-row upserts would).</summary>
    private static async Task UpsertDepartmentRowsAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<Department> departments,
        CancellationToken ct)
    {
        var last = new Dictionary<string, Department>(StringComparer.Ordinal);
        foreach (var d in departments) last[d.Code.Value] = d;
        var rows = last.Values.ToArray();
        await using var upsert = new NpgsqlCommand("""
            INSERT INTO departments (code, name, contact, phone)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, contact = excluded.contact, phone = excluded.phone;
            """, c, tx);
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(d => d.Code.Value).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(d => d.Name).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = rows.Select(d => d.Contact).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = rows.Select(d => d.Phone).ToArray() });
        await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<Result<bool>> DeleteDepartmentAsync(DepartmentCode code, CancellationToken ct = default) =>
        WriteAsync<bool>(async (c, tx, ct) =>
        {
            await using (var exists = new NpgsqlCommand("SELECT count(*) FROM departments WHERE code = $1;", c, tx))
            {
                exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
                if ((long)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
                    return Failure.NotFound("department_not_found", $"There is no department '{code}'.", $"department {code}");
            }

            var ids = new List<string>();
            await using (var inUse = new NpgsqlCommand(
                             "SELECT id FROM responsibility_rules WHERE department_code = $1 ORDER BY seq LIMIT 3;", c, tx))
            {
                inUse.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
                await using var reader = await inUse.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add(reader.GetString(0));
            }
            if (ids.Count > 0)
                return Failure.Conflict("department_in_use",
                    $"Department '{code}' is named by responsibility rules ({string.Join(", ", ids)}{(ids.Count == 3 ? ", ..." : "")}); change the matrix first.",
                    $"department {code}");

            await using var delete = new NpgsqlCommand("DELETE FROM departments WHERE code = $1;", c, tx);
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code.Value });
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, ct);

    // ---- responsibility rules ---------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyList<ResponsibilityRule>> ListRulesAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<ResponsibilityRule>>(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT id, grid_code, class_code, department_code, note FROM responsibility_rules ORDER BY seq;", c);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var rules = new List<ResponsibilityRule>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rules.Add(new ResponsibilityRule(
                    reader.GetString(0),
                    reader.IsDBNull(1) ? null : GridCode.FromTrusted(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : ClassCode.Parse(reader.GetString(2)).Value,
                    DepartmentCode.FromTrusted(reader.GetString(3)),
                    NullableString(reader, 4)));
            }
            return rules;
        }, ct);

    /// <inheritdoc />
    public Task<Result<int>> ReplaceRulesAsync(IReadOnlyList<ResponsibilityRule> rules, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return WriteAsync<int>(async (c, tx, ct) =>
        {
            await using (var clear = new NpgsqlCommand("DELETE FROM responsibility_rules;", c, tx))
                await clear.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            var written = await WriteRulesAsync(c, tx, rules, ct).ConfigureAwait(false);
            return written;
        }, ct);
    }

    /// <summary>
    /// Checks the rules against the stored departments and each other (so a failure names the rule), then COPYs them in
    /// order. The caller's transaction holds the revision lock, so no department can disappear in between; the
    /// foreign key stays as the last line of defence.
    /// </summary>
    private static async Task<Result<int>> WriteRulesAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<ResponsibilityRule> rules,
        CancellationToken ct)
    {
        var departments = new HashSet<string>(StringComparer.Ordinal);
        await using (var select = new NpgsqlCommand("SELECT code FROM departments;", c, tx))
        await using (var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) departments.Add(reader.GetString(0));
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (!ids.Add(rule.Id))
                return Failure.Conflict("rule_id_duplicate", $"Rule id '{rule.Id}' occurs more than once; the matrix was not changed.",
                    $"rule {rule.Id}");
            if (!departments.Contains(rule.Department.Value))
                return Failure.Conflict("rule_department_unknown",
                    $"Rule '{rule.Id}' names department '{rule.Department}', which does not exist; the matrix was not changed.",
                    $"rule {rule.Id}");
        }
        CopyColumn<ResponsibilityRule>[] columns =
        [
            CopyColumn.Of<ResponsibilityRule, string>("id", NpgsqlDbType.Text, static r => r.Id),
            CopyColumn.Of<ResponsibilityRule, string>("grid_code", NpgsqlDbType.Text, static r => r.Grid?.Value),
            CopyColumn.Of<ResponsibilityRule, string>("class_code", NpgsqlDbType.Text, static r => r.Class?.ToString()),
            CopyColumn.Of<ResponsibilityRule, string>("department_code", NpgsqlDbType.Text, static r => r.Department.Value),
            CopyColumn.Of<ResponsibilityRule, string>("note", NpgsqlDbType.Text, static r => r.Note),
        ];
        await BinaryCopy.WriteAsync(c, "responsibility_rules", columns, rules, null, ct).ConfigureAwait(false);
        return rules.Count;
    }

    // ---- API keys -----------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<ApiKey>>(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT id, name, role, prefix, sha256_hex, created_at, revoked_at FROM api_keys ORDER BY created_at, id;", c);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var keys = new List<ApiKey>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) keys.Add(ReadApiKey(reader));
            return keys;
        }, ct);

    /// <inheritdoc />
    public Task<Result<ApiKey>> AddApiKeyAsync(ApiKey key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var stored = key with
        {
            CreatedAt = TruncateToMilliseconds(key.CreatedAt),
            RevokedAt = key.RevokedAt is { } r ? TruncateToMilliseconds(r) : null,
        };
        return WriteAsync<ApiKey>(async (c, tx, ct) =>
        {
            await using (var clash = new NpgsqlCommand("SELECT id = $1 FROM api_keys WHERE id = $1 OR sha256_hex = $2 LIMIT 1;", c, tx))
            {
                clash.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stored.Id });
                clash.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stored.Sha256Hex });
                switch (await clash.ExecuteScalarAsync(ct).ConfigureAwait(false))
                {
                    case true:
                        return Failure.Conflict("api_key_id_duplicate", $"An API key with id '{stored.Id}' already exists.",
                            $"api key {stored.Id}");
                    case false:
                        // Never echo the hash: it identifies the other key.
                        return Failure.Conflict("api_key_duplicate", "An API key with the same hash already exists.",
                            $"api key {stored.Id}");
                }
            }
            await InsertApiKeysAsync(c, tx, [stored], ct).ConfigureAwait(false);
            return stored;
        }, ct);
    }

    private static async Task InsertApiKeysAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<ApiKey> keys, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO api_keys (id, name, role, prefix, sha256_hex, created_at, revoked_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7);
            """, c, tx);
        var id = new NpgsqlParameter<string>();
        var name = new NpgsqlParameter<string>();
        var role = new NpgsqlParameter<string>();
        var prefix = new NpgsqlParameter<string>();
        var hash = new NpgsqlParameter<string>();
        var created = new NpgsqlParameter<DateTimeOffset>();
        var revoked = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz };
        insert.Parameters.AddRange(new NpgsqlParameter[] { id, name, role, prefix, hash, created, revoked });
        foreach (var key in keys)
        {
            id.TypedValue = key.Id;
            name.TypedValue = key.Name;
            role.TypedValue = RoleText(key.Role);
            prefix.TypedValue = key.Prefix;
            hash.TypedValue = key.Sha256Hex;
            created.TypedValue = key.CreatedAt.ToUniversalTime();
            revoked.Value = key.RevokedAt is { } at ? at.ToUniversalTime() : DBNull.Value;
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>Revoking a revoked key keeps its first revocation time.</remarks>
    public Task<Result<ApiKey>> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var revokedAt = TruncateToMilliseconds(at);
        return WriteAsync<ApiKey>(async (c, tx, ct) =>
        {
            await using var update = new NpgsqlCommand("""
                UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2
                RETURNING id, name, role, prefix, sha256_hex, created_at, revoked_at;
                """, c, tx);
            update.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = revokedAt });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await using var reader = await update.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                return Failure.NotFound("api_key_not_found", "There is no API key with this id.", $"api key {Shorten(id)}");
            return ReadApiKey(reader);
        }, ct);
    }

    private static ApiKey ReadApiKey(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        ParseRole(reader.GetString(2)),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));

    private static string RoleText(Role role) => role switch
    {
        Role.Viewer => "viewer",
        Role.Dispatch => "dispatch",
        Role.Gis => "gis",
        Role.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role."),
    };

    private static Role ParseRole(string text) => text switch
    {
        "viewer" => Role.Viewer,
        "dispatch" => Role.Dispatch,
        "gis" => Role.Gis,
        "admin" => Role.Admin,
        _ => throw new InvalidDataException($"Unknown role '{Shorten(text)}' in api_keys."),
    };

    // ---- plumbing -------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs one read on a pooled connection. A connection-level failure (a pooled connection the restarted server
    /// closed, the server starting up, a network error) clears the pool and retries; after the last attempt it becomes
    /// <see cref="StoreUnavailableException"/>. Other errors (bugs, schema problems) pass through unchanged.
    /// </summary>
    internal async Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            try
            {
                await using var c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                return await read(c, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionFailure(e, ct))
            {
                _dataSource.Clear();
                if (attempt >= Attempts) throw new StoreUnavailableException($"The PostgreSQL store is unavailable: {Describe(e)}", e);
                await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs one write: one transaction that first bumps the revision (taking the row lock that serialises writers of
    /// every process), then does the work, then NOTIFYs listeners and commits. A failed result or an exception rolls it
    /// all back. A connection failure before COMMIT is sent is retried from the start (nothing was applied); one during
    /// COMMIT is reported as <c>store_commit_unknown</c>, because the write may or may not have been applied.
    /// </summary>
    internal async Task<Result<T>> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<Result<T>>> work,
        CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var committing = false;
            try
            {
                await using var c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
                long revision;
                await using (var bump = new NpgsqlCommand(
                                 "UPDATE geo_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision;", c, tx))
                {
                    revision = (long)(await bump.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
                }

                var result = await work(c, tx, ct).ConfigureAwait(false);
                if (!result.IsOk)
                {
                    await tx.RollbackAsync(ct).ConfigureAwait(false);
                    return result;
                }

                await NotifyAsync(c, tx, revision, ct).ConfigureAwait(false);
                committing = true;
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation
                                                  or PostgresErrorCodes.CheckViolation)
            {
                // The checks before each write name the offending row; reaching here means a constraint they do not
                // cover (or a concurrent writer outside this software). The constraint name is schema, not data.
                return Failure.Conflict("store_constraint",
                    $"The write breaks the store's constraint {e.ConstraintName ?? e.SqlState}; nothing was stored.");
            }
            catch (Exception e) when (IsConnectionFailure(e, ct))
            {
                _dataSource.Clear();
                if (committing)
                    return Failure.Unavailable("store_commit_unknown",
                        "The connection to PostgreSQL was lost while committing: the write may or may not have been stored. Check before repeating it.");
                if (attempt >= Attempts)
                    return Failure.Unavailable("store_unavailable", $"The PostgreSQL store is unavailable; nothing was stored. {Describe(e)}");
                await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            }
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(100 * (1 << (attempt - 1)));

    /// <summary>
    /// Whether <paramref name="e"/> says the connection or the server is (temporarily) unusable, rather than that the
    /// statement was wrong: Npgsql's transient errors (I/O, timeouts, "terminating connection due to administrator
    /// command", "the database system is starting up"), SQLSTATE class 08 and operator intervention (57P).
    /// </summary>
    internal static bool IsConnectionFailure(Exception e, CancellationToken ct)
    {
        if (e is OperationCanceledException && ct.IsCancellationRequested) return false;
        return e switch
        {
            PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal)
                                   || p.SqlState == PostgresErrorCodes.TooManyConnections || p.IsTransient,
            NpgsqlException n => n.IsTransient || n.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
            TimeoutException or IOException or System.Net.Sockets.SocketException => true,
            InvalidOperationException when e.Message.Contains("connection", StringComparison.OrdinalIgnoreCase)
                                            && e.Message.Contains("broken", StringComparison.OrdinalIgnoreCase) => true,
            _ => false,
        };
    }

    /// <summary>A short reason for a connection failure: the server's message or the exception's, never connection details.</summary>
    internal static string Describe(Exception e) => e switch
    {
        PostgresException p => $"{p.SqlState}: {p.MessageText}",
        NpgsqlException { InnerException: { } inner } n => $"{n.Message} ({inner.GetType().Name}: {inner.Message})",
        _ => e.Message,
    };

    private static NpgsqlParameter Text(string? value) =>
        value is null ? Null(NpgsqlDbType.Text) : new NpgsqlParameter<string> { TypedValue = value };

    private static NpgsqlParameter Null(NpgsqlDbType type) => new() { NpgsqlDbType = type, Value = DBNull.Value };

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;

    /// <summary>The instant as the store keeps it: UTC, whole milliseconds (the GeoPackage store's precision).</summary>
    internal static DateTimeOffset TruncateToMilliseconds(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    /// <summary>Closes the pooled connections and stops the change feed's listening connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
