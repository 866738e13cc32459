using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Geo.Storage.PostGis;

/// <summary>One versioned SQL migration shipped inside the assembly (<c>PostGis/Migrations/NNNN_name.sql</c>).</summary>
/// <param name="Version">The number before the underscore; migrations run in this order.</param>
/// <param name="Name">The file name without extension, e.g. <c>0001_grid_service</c>.</param>
/// <param name="Sql">The script, line endings normalised to LF.</param>
/// <param name="Sha256">Hex SHA-256 of <paramref name="Sql"/>; recorded when applied, compared on every start.</param>
public sealed record PostGisMigration(int Version, string Name, string Sql, string Sha256);

/// <summary>What a migration run found and did.</summary>
/// <param name="Version">The schema version after the run.</param>
/// <param name="Applied">The migrations this run applied (empty when the schema was up to date).</param>
public sealed record PostGisMigrationReport(int Version, IReadOnlyList<PostGisMigration> Applied);

/// <summary>
/// The PostGIS schema's versioned migrations: embedded SQL scripts, applied in order and recorded in
/// <c>geo_schema_migrations</c> (version, name, sha256, applied_at). A run holds a transaction-scoped advisory lock, so
/// several instances starting together apply each migration once; all pending migrations run in one transaction
/// (PostgreSQL DDL is transactional: a failing script leaves the schema as it was). An applied migration whose script
/// changed, or a database migrated by newer software, stops the run with <see cref="InvalidDataException"/>.
/// <para>Adding a migration: a new file <c>NNNN_what.sql</c> in <c>PostGis/Migrations</c> with the next number.
/// Never edit a released one.</para>
/// </summary>
public static partial class PostGisMigrations
{
    /// <summary>Arbitrary but fixed key of the advisory lock that serialises migration runs ('geomig' in ASCII).</summary>
    private const long AdvisoryLockKey = 0x67656F6D6967;

    private const string ResourcePrefix = "Geo.Storage.PostGis.Migrations.";

    private static readonly Lazy<IReadOnlyList<PostGisMigration>> Embedded = new(Load);

    /// <summary>Every migration this build ships, by version.</summary>
    public static IReadOnlyList<PostGisMigration> All => Embedded.Value;

    /// <summary>The newest schema version this build knows.</summary>
    public static int LatestVersion => All[^1].Version;

    /// <summary>Applies every pending migration (see the type's remarks). Idempotent.</summary>
    public static async Task<PostGisMigrationReport> ApplyAsync(NpgsqlConnection connection, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await Execute(connection, tx, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey.ToString(CultureInfo.InvariantCulture)});", ct)
            .ConfigureAwait(false);
        await Execute(connection, tx, """
            CREATE TABLE IF NOT EXISTS geo_schema_migrations (
              version     integer PRIMARY KEY,
              name        text NOT NULL,
              sha256      text NOT NULL,
              applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """, ct).ConfigureAwait(false);

        var applied = await ReadAppliedAsync(connection, tx, ct).ConfigureAwait(false);
        Check(applied);

        var ran = new List<PostGisMigration>();
        foreach (var migration in All)
        {
            if (applied.ContainsKey(migration.Version)) continue;
            await Execute(connection, tx, migration.Sql, ct).ConfigureAwait(false);
            await using var record = new NpgsqlCommand(
                "INSERT INTO geo_schema_migrations (version, name, sha256) VALUES ($1, $2, $3);", connection, tx);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Sha256 });
            await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            ran.Add(migration);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new PostGisMigrationReport(LatestVersion, ran);
    }

    /// <summary>
    /// The schema version of the database without changing anything: 0 when never migrated. Throws
    /// <see cref="InvalidDataException"/> like <see cref="ApplyAsync"/> when the recorded migrations do not match this build.
    /// </summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('geo_schema_migrations') IS NOT NULL;", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!) return 0;
        }
        var applied = await ReadAppliedAsync(connection, null, ct).ConfigureAwait(false);
        Check(applied);
        return applied.Count == 0 ? 0 : applied.Keys.Max();
    }

    private static async Task<Dictionary<int, (string Name, string Sha256)>> ReadAppliedAsync(NpgsqlConnection c, NpgsqlTransaction? tx,
        CancellationToken ct)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var select = new NpgsqlCommand("SELECT version, name, sha256 FROM geo_schema_migrations ORDER BY version;", c, tx);
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        return applied;
    }

    private static void Check(Dictionary<int, (string Name, string Sha256)> applied)
    {
        foreach (var (version, (name, sha)) in applied)
        {
            var known = All.FirstOrDefault(m => m.Version == version);
            if (known is null)
                throw new InvalidDataException(
                    $"The database has schema migration {version} ({name}), which this software does not know (it knows up to {LatestVersion}); upgrade the software.");
            if (!string.Equals(known.Sha256, sha, StringComparison.Ordinal))
                throw new InvalidDataException(
                    $"Schema migration {known.Name} was applied from a different script than the one this software ships (checksum mismatch); refusing to continue.");
        }
    }

    /// <summary>Runs constant SQL (migration scripts, DDL). Never used with values from outside: those are parameters.</summary>
    private static async Task Execute(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, c, tx);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static IReadOnlyList<PostGisMigration> Load()
    {
        var assembly = typeof(PostGisMigrations).Assembly;
        var migrations = new List<PostGisMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var name = resource[ResourcePrefix.Length..^4];
            var match = FileName().Match(name);
            if (!match.Success)
                throw new InvalidOperationException($"Embedded migration '{name}' is not named NNNN_description.sql.");
            var sql = Read(assembly, resource).Replace("\r\n", "\n", StringComparison.Ordinal);
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            migrations.Add(new PostGisMigration(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), name, sql, sha));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"Embedded migrations must be numbered 1, 2, 3 ... without gaps; found {migrations[i].Name}.");
        }
        if (migrations.Count == 0) throw new InvalidOperationException("No embedded PostGIS migrations were found.");
        return migrations;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(\d{4})_[a-z0-9_]+$")]
    private static partial Regex FileName();
}
