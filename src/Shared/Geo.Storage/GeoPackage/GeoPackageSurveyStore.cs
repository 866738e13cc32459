using System.Globalization;
using Geo.Spatial.Failures;
using Geo.Surveys;
using Microsoft.Data.Sqlite;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

/// <summary>
/// <see cref="ISurveyStore"/> on the same GeoPackage file as the grids: feature layer <c>surveys</c> (footprint
/// MULTIPOLYGON, EPSG:4490, R*Tree) with the metadata as attributes. One transaction per write; WAL with
/// <c>synchronous=FULL</c>. Opening applies the store's schema migrations (shared with <see cref="GeoPackageGridStore"/>).
/// </summary>
public sealed class GeoPackageSurveyStore : ISurveyStore, IAsyncDisposable
{
    private const int SqliteConstraint = 19;
    private const string Columns =
        "geom, id, name, flight_date, kind, paired_dsm_id, west, south, east, north, gsd_m, width, height, epsg, sha256, created_at, source_name, file_bytes, value_min, value_max";

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private GeoPackageSurveyStore(string connectionString) => _connectionString = connectionString;

    /// <summary>Opens (creating or migrating) the GeoPackage at <paramref name="path"/>.</summary>
    public static async Task<GeoPackageSurveyStore> OpenAsync(string path, CancellationToken ct = default)
    {
        var store = new GeoPackageSurveyStore(GeoPackageFile.Locate(path).ConnectionString);
        await using var c = await GeoPackageFile.OpenAsync(store._connectionString, ct).ConfigureAwait(false);
        GeoPackageSchema.Migrate(c);
        return store;
    }

    /// <inheritdoc />
    public async Task<Result<Survey>> AddAsync(Survey survey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(survey);
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await GeoPackageFile.OpenAsync(_connectionString, ct).ConfigureAwait(false);
            GeoPackageBlob.RegisterFunctions(c);
            using var tx = c.BeginTransaction(deferred: false);
            var inserted = InsertRow(c, tx, survey);
            if (!inserted.IsOk) return inserted;
            tx.Commit();
            return inserted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Checks and inserts one survey record inside the caller's transaction (also used by <c>geo store copy</c>).</summary>
    internal static Result<Survey> InsertRow(SqliteConnection c, SqliteTransaction tx, Survey survey)
    {
        if (survey.PairedDsmId is { } dsm)
        {
            using var check = Command(c, tx, "SELECT kind FROM surveys WHERE id = $id;", ("$id", dsm.Value));
            if (check.ExecuteScalar() as string != "dsm")
                return Failure.Invalid(SurveyFailureCodes.PairedDsmMissing, $"No DSM survey {dsm} is stored.");
        }

        using (var dup = Command(c, tx, "SELECT id FROM surveys WHERE id = $id OR (sha256 = $sha AND kind = $kind);",
                   ("$id", survey.Id.Value), ("$sha", survey.Sha256), ("$kind", KindText(survey.Kind))))
        {
            if (dup.ExecuteScalar() is string existing)
                return Exists(existing);
        }

        using var insert = Command(c, tx, $"INSERT INTO surveys ({Columns}) VALUES ($geom, $id, $name, $date, $kind, $dsm, $w, $s, $e, $n, $gsd, $width, $height, $epsg, $sha, $created, $source, $bytes, $min, $max);",
            ("$geom", GeoPackageBlob.WriteGrid(survey.Footprint)),
            ("$id", survey.Id.Value), ("$name", survey.Name), ("$date", SqlText.FromDate(survey.FlightDate)),
            ("$kind", KindText(survey.Kind)), ("$dsm", survey.PairedDsmId?.Value),
            ("$w", survey.BoundsLonLat.West), ("$s", survey.BoundsLonLat.South), ("$e", survey.BoundsLonLat.East), ("$n", survey.BoundsLonLat.North),
            ("$gsd", survey.GsdMetres), ("$width", survey.Width), ("$height", survey.Height), ("$epsg", survey.Epsg),
            ("$sha", survey.Sha256), ("$created", SqlText.FromTimestamp(survey.CreatedAt)), ("$source", survey.SourceName),
            ("$bytes", survey.FileBytes), ("$min", survey.ValueMin), ("$max", survey.ValueMax));
        try
        {
            insert.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
        {
            return Exists(survey.Id.Value);
        }

        TouchContents(c, tx, "surveys");
        return survey with { CreatedAt = SqlText.Truncate(survey.CreatedAt) };
    }

    /// <inheritdoc />
    public async Task<Survey?> GetAsync(SurveyId id, CancellationToken ct = default) =>
        (await QueryAsync("WHERE id = $p", id.Value, ct).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<Survey?> FindBySha256Async(string sha256, SurveyKind kind, CancellationToken ct = default) =>
        (await QueryAsync("WHERE sha256 = $p AND kind = '" + KindText(kind) + "'", sha256, ct).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public Task<IReadOnlyList<Survey>> ListAsync(CancellationToken ct = default) =>
        QueryAsync("ORDER BY flight_date DESC, name, id", null, ct);

    /// <inheritdoc />
    public async Task<Result<bool>> DeleteAsync(SurveyId id, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await GeoPackageFile.OpenAsync(_connectionString, ct).ConfigureAwait(false);
            GeoPackageBlob.RegisterFunctions(c);
            using var tx = c.BeginTransaction(deferred: false);
            using (var used = Command(c, tx, "SELECT id FROM surveys WHERE paired_dsm_id = $id LIMIT 1;", ("$id", id.Value)))
            {
                if (used.ExecuteScalar() is string ortho)
                    return Failure.Conflict(SurveyFailureCodes.SurveyInUse, $"DSM {id} belongs to orthophoto {ortho}; delete that first.");
            }

            using var delete = Command(c, tx, "DELETE FROM surveys WHERE id = $id;", ("$id", id.Value));
            var n = delete.ExecuteNonQuery();
            tx.Commit();
            return n > 0;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Releases pooled connections.</summary>
    public ValueTask DisposeAsync()
    {
        using var c = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(c);
        return ValueTask.CompletedTask;
    }

    private async Task<IReadOnlyList<Survey>> QueryAsync(string tail, string? parameter, CancellationToken ct)
    {
        await using var c = await GeoPackageFile.OpenAsync(_connectionString, ct).ConfigureAwait(false);
        await using var command = Command(c, null, $"SELECT {Columns} FROM surveys {tail};", ("$p", parameter));
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<Survey>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new Survey(
                SurveyId.Parse(r.GetString(1)).Value,
                r.GetString(2),
                SqlText.ToDate(r.GetString(3)),
                r.GetString(4) == "dsm" ? SurveyKind.Dsm : SurveyKind.Ortho,
                r.IsDBNull(5) ? null : SurveyId.Parse(r.GetString(5)).Value,
                new LonLatBounds(r.GetDouble(6), r.GetDouble(7), r.GetDouble(8), r.GetDouble(9)),
                r.GetDouble(10), r.GetInt32(11), r.GetInt32(12), r.GetInt32(13), r.GetString(14),
                SqlText.ToTimestamp(r.GetString(15)),
                r.IsDBNull(16) ? null : r.GetString(16),
                r.GetInt64(17),
                r.IsDBNull(18) ? null : r.GetDouble(18),
                r.IsDBNull(19) ? null : r.GetDouble(19),
                GeoPackageBlob.ToGridGeometry((byte[])r[0])));
        }

        return list;
    }

    private static Failure Exists(string existingId) => new(SurveyFailureCodes.SurveyExists,
        $"This file is already registered as survey {existingId}.", FailureKind.Conflict, null,
        new Dictionary<string, object?> { ["surveyId"] = existingId });

    private static string KindText(SurveyKind kind) => kind == SurveyKind.Dsm ? "dsm" : "ortho";



}
