using Geo.GridService.Access;
using Geo.GridService.Codes;
using Geo.GridService.Departments;
using Geo.GridService.Grids;
using Geo.GridService.Responsibility;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

/// <summary>
/// The embedded default <see cref="IGridStore"/>: one OGC GeoPackage 1.3 file that QGIS and GDAL open directly.
/// Layer <c>grids</c> (MULTIPOLYGON, EPSG:4490, every version; filter on <c>version</c>) with an R*Tree index, and
/// attribute tables <c>grid_versions</c>, <c>departments</c>, <c>responsibility_rules</c>, <c>api_keys</c>.
/// <para>Concurrency: each operation opens its own pooled connection. Writes are serialised in-process by a
/// semaphore and across processes by <c>BEGIN IMMEDIATE</c>; reads run concurrently with a write (WAL) and see the
/// last committed state. Durability: WAL with <c>synchronous=FULL</c>, so a committed write survives power loss.</para>
/// <para>Geometries: a Polygon is stored as a one-part MultiPolygon (the column type, as the spec requires) and comes
/// back as a Polygon; timestamps are kept to the millisecond (GeoPackage DATETIME).</para>
/// </summary>
public sealed partial class GeoPackageGridStore : IGridStore, IStoreChanges, IStoreRestore
{
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintForeignKey = 787;
    private const int SqliteConstraintUnique = 2067;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _disposed;

    private GeoPackageGridStore(string path, string connectionString)
    {
        FilePath = path;
        _connectionString = connectionString;
    }

    /// <summary>The full path of the GeoPackage file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Opens the GeoPackage at <paramref name="path"/>, creating the file and its schema when missing and applying any
    /// newer schema migration. Idempotent on an existing store. Throws <see cref="InvalidDataException"/> when the file
    /// is some other application's SQLite database or was written by a newer schema.
    /// </summary>
    public static async Task<GeoPackageGridStore> OpenAsync(string path, CancellationToken ct = default)
    {
        var (full, connectionString) = GeoPackageFile.Locate(path);

        var store = new GeoPackageGridStore(full, connectionString);
        try
        {
            await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
            GeoPackageSchema.Migrate(connection);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<long> GetRevisionAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT revision FROM geo_revision WHERE id = 1;");
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    // ---- grids and versions -------------------------------------------------------------------------------------

    /// <inheritdoc />
    public async Task<IReadOnlyList<GridVersion>> ListGridVersionsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null,
            "SELECT number, valid_from, valid_to, imported_at, grid_count, source, note FROM grid_versions ORDER BY number;");
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var versions = new List<GridVersion>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            versions.Add(new GridVersion(
                reader.GetInt32(0),
                SqlText.ToDate(reader.GetString(1)),
                reader.IsDBNull(2) ? null : SqlText.ToDate(reader.GetString(2)),
                SqlText.ToTimestamp(reader.GetString(3)),
                reader.GetInt32(4),
                NullableString(reader, 5),
                NullableString(reader, 6)));
        }
        return versions;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Grid>> GetGridsAsync(int version, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        // ORDER BY code uses SQLite's BINARY collation: ordinal, the order GridCode defines.
        await using var command = Command(c, null,
            "SELECT code, name, subdistrict_name, community_name, geom FROM grids WHERE version = $version ORDER BY code;",
            ("$version", version));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var grids = new List<Grid>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            grids.Add(new Grid(
                GridCode.FromTrusted(reader.GetString(0)),
                reader.GetString(1),
                NullableString(reader, 2),
                NullableString(reader, 3),
                GeoPackageBlob.ToGridGeometry((byte[])reader.GetValue(4))));
        }
        return grids;
    }

    /// <inheritdoc />
    public async Task<Result<GridVersion>> AddGridVersionAsync(DateOnly validFrom, IReadOnlyList<Grid> grids, string? source,
        string? note, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(grids);
        var invalid = CheckGridGeometries(grids);
        if (invalid.Count > 0) return Result<GridVersion>.Fail(invalid);

        var importedAt = SqlText.Truncate(DateTimeOffset.UtcNow);
        return await WriteAsync((c, tx) =>
        {
            int number;
            using (var current = Command(c, tx, "SELECT number, valid_from FROM grid_versions ORDER BY number DESC LIMIT 1;"))
            using (var reader = current.ExecuteReader())
            {
                if (reader.Read())
                {
                    var currentNumber = reader.GetInt32(0);
                    var currentFrom = SqlText.ToDate(reader.GetString(1));
                    if (validFrom <= currentFrom)
                        return Failure.Conflict("grid_version_date",
                            $"A new grid version must start after the current version {currentNumber}, which starts on {SqlText.FromDate(currentFrom)}; got {SqlText.FromDate(validFrom)}.",
                            $"version {currentNumber}");
                    number = currentNumber + 1;
                }
                else number = 1;
            }

            if (number > 1)
            {
                using var close = Command(c, tx, "UPDATE grid_versions SET valid_to = $to WHERE number = $number;",
                    ("$to", SqlText.FromDate(validFrom)), ("$number", number - 1));
                close.ExecuteNonQuery();
            }

            using (var insertVersion = Command(c, tx, """
                       INSERT INTO grid_versions (number, valid_from, valid_to, imported_at, grid_count, source, note)
                       VALUES ($number, $from, NULL, $at, $count, $source, $note);
                       """,
                       ("$number", number), ("$from", SqlText.FromDate(validFrom)), ("$at", SqlText.FromTimestamp(importedAt)),
                       ("$count", grids.Count), ("$source", source), ("$note", note)))
            {
                insertVersion.ExecuteNonQuery();
            }

            var inserted = InsertGrids(c, tx, number, grids, ct);
            if (!inserted.IsOk) return Result<GridVersion>.Fail(inserted.Failures);
            if (inserted.Value is { } extent) UpdateExtent(c, tx, extent);
            TouchContents(c, tx, GeoPackageSchema.GridsTable);
            TouchContents(c, tx, GeoPackageSchema.GridVersionsTable);
            return new GridVersion(number, validFrom, null, importedAt, grids.Count, source, note);
        }, ct).ConfigureAwait(false);
    }

    private static List<Failure> CheckGridGeometries(IReadOnlyList<Grid> grids)
    {
        var failures = new List<Failure>();
        for (var i = 0; i < grids.Count; i++)
        {
            var g = grids[i];
            if (g.Geometry is not (Polygon or MultiPolygon))
                failures.Add(Failure.Invalid("grid_geometry_type",
                    $"A grid is a Polygon or MultiPolygon; got {g.Geometry.GeometryType}.", $"grid {i} ({g.Code})"));
            else if (g.Geometry.SRID is not (0 or GeoPackageSchema.Srid))
                failures.Add(Failure.Invalid("grid_srid",
                    $"Grid geometries are stored in EPSG:{GeoPackageSchema.Srid}; got SRID {g.Geometry.SRID}.", $"grid {i} ({g.Code})"));
        }
        return failures;
    }

    /// <summary>Inserts the grids with one prepared command; returns their combined envelope (null when none).</summary>
    private static Result<Envelope?> InsertGrids(SqliteConnection c, SqliteTransaction tx, int version, IReadOnlyList<Grid> grids,
        CancellationToken ct)
    {
        using var insert = Command(c, tx, """
            INSERT INTO grids (geom, version, code, name, subdistrict_code, subdistrict_name, community_code, community_name)
            VALUES ($geom, $version, $code, $name, $subdistrictCode, $subdistrictName, $communityCode, $communityName);
            """);
        var geom = insert.Parameters.Add("$geom", SqliteType.Blob);
        insert.Parameters.AddWithValue("$version", version);
        var code = insert.Parameters.Add("$code", SqliteType.Text);
        var name = insert.Parameters.Add("$name", SqliteType.Text);
        var subdistrictCode = insert.Parameters.Add("$subdistrictCode", SqliteType.Text);
        var subdistrictName = insert.Parameters.Add("$subdistrictName", SqliteType.Text);
        var communityCode = insert.Parameters.Add("$communityCode", SqliteType.Text);
        var communityName = insert.Parameters.Add("$communityName", SqliteType.Text);
        insert.Prepare();

        Envelope? extent = null;
        for (var i = 0; i < grids.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var grid = grids[i];
            geom.Value = GeoPackageBlob.WriteGrid(grid.Geometry);
            code.Value = grid.Code.Value;
            name.Value = grid.Name;
            subdistrictCode.Value = grid.SubdistrictCode;
            subdistrictName.Value = (object?)grid.SubdistrictName ?? DBNull.Value;
            communityCode.Value = grid.CommunityCode;
            communityName.Value = (object?)grid.CommunityName ?? DBNull.Value;
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint && e.SqliteExtendedErrorCode == SqliteConstraintUnique)
            {
                return Failure.Conflict("grid_code_duplicate",
                    $"Grid code {grid.Code} occurs more than once in the version; nothing was stored.", $"grid {i} ({grid.Code})");
            }

            if (extent is null) extent = new Envelope(grid.Geometry.EnvelopeInternal);
            else extent.ExpandToInclude(grid.Geometry.EnvelopeInternal);
        }
        return extent;
    }

    /// <summary>Grows the layer extent in gpkg_contents to include <paramref name="extent"/> (it covers every version).</summary>
    private static void UpdateExtent(SqliteConnection c, SqliteTransaction tx, Envelope extent)
    {
        using var update = Command(c, tx, """
            UPDATE gpkg_contents SET
              min_x = min(coalesce(min_x, $minX), $minX), min_y = min(coalesce(min_y, $minY), $minY),
              max_x = max(coalesce(max_x, $maxX), $maxX), max_y = max(coalesce(max_y, $maxY), $maxY)
            WHERE table_name = $table;
            """,
            ("$minX", extent.MinX), ("$minY", extent.MinY), ("$maxX", extent.MaxX), ("$maxY", extent.MaxY),
            ("$table", GeoPackageSchema.GridsTable));
        update.ExecuteNonQuery();
    }

    // ---- departments ------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public async Task<IReadOnlyList<Department>> ListDepartmentsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT code, name, contact, phone FROM departments ORDER BY code;");
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var departments = new List<Department>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            departments.Add(new Department(DepartmentCode.FromTrusted(reader.GetString(0)), reader.GetString(1),
                NullableString(reader, 2), NullableString(reader, 3)));
        }
        return departments;
    }

    /// <inheritdoc />
    public async Task<Result<int>> UpsertDepartmentsAsync(IReadOnlyList<Department> departments, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(departments);
        if (departments.Count == 0) return 0; // nothing to write: no revision bump

        return await WriteAsync((c, tx) =>
        {
            using var upsert = Command(c, tx, """
                INSERT INTO departments (code, name, contact, phone) VALUES ($code, $name, $contact, $phone)
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, contact = excluded.contact, phone = excluded.phone;
                """);
            var code = upsert.Parameters.Add("$code", SqliteType.Text);
            var name = upsert.Parameters.Add("$name", SqliteType.Text);
            var contact = upsert.Parameters.Add("$contact", SqliteType.Text);
            var phone = upsert.Parameters.Add("$phone", SqliteType.Text);
            upsert.Prepare();
            foreach (var d in departments)
            {
                code.Value = d.Code.Value;
                name.Value = d.Name;
                contact.Value = (object?)d.Contact ?? DBNull.Value;
                phone.Value = (object?)d.Phone ?? DBNull.Value;
                upsert.ExecuteNonQuery();
            }
            TouchContents(c, tx, GeoPackageSchema.DepartmentsTable);
            return Result<int>.Ok(departments.Count);
        }, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Result<bool>> DeleteDepartmentAsync(DepartmentCode code, CancellationToken ct = default) =>
        await WriteAsync((c, tx) =>
        {
            using (var exists = Command(c, tx, "SELECT count(*) FROM departments WHERE code = $code;", ("$code", code.Value)))
            {
                if ((long)exists.ExecuteScalar()! == 0)
                    return Failure.NotFound("department_not_found", $"There is no department '{code}'.", $"department {code}");
            }

            using (var inUse = Command(c, tx, "SELECT id FROM responsibility_rules WHERE department_code = $code ORDER BY id LIMIT 3;",
                       ("$code", code.Value)))
            using (var reader = inUse.ExecuteReader())
            {
                var ids = new List<string>();
                while (reader.Read()) ids.Add(reader.GetString(0));
                if (ids.Count > 0)
                    return Failure.Conflict("department_in_use",
                        $"Department '{code}' is named by responsibility rules ({string.Join(", ", ids)}{(ids.Count == 3 ? ", ..." : "")}); change the matrix first.",
                        $"department {code}");
            }

            using var delete = Command(c, tx, "DELETE FROM departments WHERE code = $code;", ("$code", code.Value));
            delete.ExecuteNonQuery();
            TouchContents(c, tx, GeoPackageSchema.DepartmentsTable);
            return Result<bool>.Ok(true);
        }, ct).ConfigureAwait(false);

    // ---- responsibility rules ---------------------------------------------------------------------------------------

    /// <inheritdoc />
    public async Task<IReadOnlyList<ResponsibilityRule>> ListRulesAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null,
            "SELECT id, grid_code, class_code, department_code, note FROM responsibility_rules ORDER BY fid;");
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
    }

    /// <inheritdoc />
    public async Task<Result<int>> ReplaceRulesAsync(IReadOnlyList<ResponsibilityRule> rules, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return await WriteAsync((c, tx) =>
        {
            using (var clear = Command(c, tx, "DELETE FROM responsibility_rules;")) clear.ExecuteNonQuery();

            using var insert = Command(c, tx, """
                INSERT INTO responsibility_rules (id, grid_code, class_code, department_code, note)
                VALUES ($id, $grid, $class, $department, $note);
                """);
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var grid = insert.Parameters.Add("$grid", SqliteType.Text);
            var @class = insert.Parameters.Add("$class", SqliteType.Text);
            var department = insert.Parameters.Add("$department", SqliteType.Text);
            var note = insert.Parameters.Add("$note", SqliteType.Text);
            insert.Prepare();
            foreach (var rule in rules)
            {
                id.Value = rule.Id;
                grid.Value = rule.Grid is { } g ? g.Value : DBNull.Value;
                @class.Value = rule.Class is { } k ? k.ToString() : DBNull.Value;
                department.Value = rule.Department.Value;
                note.Value = (object?)rule.Note ?? DBNull.Value;
                try
                {
                    insert.ExecuteNonQuery();
                }
                catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint && e.SqliteExtendedErrorCode == SqliteConstraintForeignKey)
                {
                    return Failure.Conflict("rule_department_unknown",
                        $"Rule '{rule.Id}' names department '{rule.Department}', which does not exist; the matrix was not changed.",
                        $"rule {rule.Id}");
                }
                catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint && e.SqliteExtendedErrorCode == SqliteConstraintUnique)
                {
                    return Failure.Conflict("rule_id_duplicate",
                        $"Rule id '{rule.Id}' occurs more than once; the matrix was not changed.", $"rule {rule.Id}");
                }
            }
            TouchContents(c, tx, GeoPackageSchema.RulesTable);
            return Result<int>.Ok(rules.Count);
        }, ct).ConfigureAwait(false);
    }

    // ---- API keys -----------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null,
            "SELECT id, name, role, prefix, sha256_hex, created_at, revoked_at FROM api_keys ORDER BY created_at, id;");
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var keys = new List<ApiKey>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) keys.Add(ReadApiKey(reader));
        return keys;
    }

    /// <inheritdoc />
    public async Task<Result<ApiKey>> AddApiKeyAsync(ApiKey key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var stored = key with
        {
            CreatedAt = SqlText.Truncate(key.CreatedAt),
            RevokedAt = key.RevokedAt is { } r ? SqlText.Truncate(r) : null,
        };
        return await WriteAsync((c, tx) =>
        {
            using (var clash = Command(c, tx, "SELECT id = $id FROM api_keys WHERE id = $id OR sha256_hex = $hash LIMIT 1;",
                       ("$id", stored.Id), ("$hash", stored.Sha256Hex)))
            {
                switch (clash.ExecuteScalar())
                {
                    case 1L:
                        return Failure.Conflict("api_key_id_duplicate", $"An API key with id '{stored.Id}' already exists.",
                            $"api key {stored.Id}");
                    case 0L:
                        // Never echo the hash: it identifies the other key.
                        return Failure.Conflict("api_key_duplicate", "An API key with the same hash already exists.",
                            $"api key {stored.Id}");
                }
            }

            using var insert = Command(c, tx, """
                INSERT INTO api_keys (id, name, role, prefix, sha256_hex, created_at, revoked_at)
                VALUES ($id, $name, $role, $prefix, $hash, $created, $revoked);
                """,
                ("$id", stored.Id), ("$name", stored.Name), ("$role", RoleText(stored.Role)), ("$prefix", stored.Prefix),
                ("$hash", stored.Sha256Hex), ("$created", SqlText.FromTimestamp(stored.CreatedAt)),
                ("$revoked", stored.RevokedAt is { } at ? SqlText.FromTimestamp(at) : null));
            insert.ExecuteNonQuery();
            TouchContents(c, tx, GeoPackageSchema.ApiKeysTable);
            return Result<ApiKey>.Ok(stored);
        }, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Revoking a revoked key keeps its first revocation time.</remarks>
    public async Task<Result<ApiKey>> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await WriteAsync((c, tx) =>
        {
            using (var update = Command(c, tx, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $at) WHERE id = $id;",
                       ("$at", SqlText.FromTimestamp(at)), ("$id", id)))
            {
                if (update.ExecuteNonQuery() == 0)
                    return Failure.NotFound("api_key_not_found", "There is no API key with this id.", $"api key {Shorten(id)}");
            }

            using var select = Command(c, tx,
                "SELECT id, name, role, prefix, sha256_hex, created_at, revoked_at FROM api_keys WHERE id = $id;", ("$id", id));
            using var reader = select.ExecuteReader();
            reader.Read();
            var key = ReadApiKey(reader);
            TouchContents(c, tx, GeoPackageSchema.ApiKeysTable);
            return Result<ApiKey>.Ok(key);
        }, ct).ConfigureAwait(false);
    }

    private static ApiKey ReadApiKey(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        ParseRole(reader.GetString(2)),
        reader.GetString(3),
        reader.GetString(4),
        SqlText.ToTimestamp(reader.GetString(5)),
        reader.IsDBNull(6) ? null : SqlText.ToTimestamp(reader.GetString(6)));

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

    private Task<Result<T>> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Result<T>> work, CancellationToken ct) =>
        GeoPackageFile.WriteAsync(_writeLock, OpenConnectionAsync, work, ct);

    private Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return GeoPackageFile.OpenAsync(_connectionString, ct);
    }





    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;

    /// <summary>
    /// Checkpoints the WAL into the main file (so the .gpkg alone is complete for copying) and releases the pooled
    /// connections, and with them the file.
    /// </summary>
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
                // Best effort: another process may hold the file; the WAL is checkpointed on its next open.
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
