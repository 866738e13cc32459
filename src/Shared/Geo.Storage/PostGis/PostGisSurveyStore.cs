using Geo.Spatial.Failures;
using Geo.Surveys;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace Geo.Storage.PostGis;

/// <summary>
/// <see cref="ISurveyStore"/> on PostgreSQL/PostGIS (schema migration 3: table <c>surveys</c>, footprint
/// <c>geometry(MultiPolygon, 4490)</c> with a GiST index, unique (sha256, kind), the paired DSM a foreign key). The
/// records of every instance live in the one database; the COG files live in the survey data directory, which the
/// instances must share. Writes go through the grid store's write path: one transaction, the shared revision bumped
/// and NOTIFYed at commit. Timestamps are kept to the millisecond, like the GeoPackage store.
/// </summary>
public sealed class PostGisSurveyStore : ISurveyStore, IAsyncDisposable
{
    private const string Columns =
        "geom, id, name, flight_date, kind, paired_dsm_id, west, south, east, north, gsd_m, width, height, epsg, sha256, created_at, source_name, file_bytes, value_min, value_max";

    private static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(PostGisGridStore.Srid);

    private readonly PostGisGridStore _db;
    private readonly bool _ownsDatabase;
    private int _disposed;

    private PostGisSurveyStore(PostGisGridStore db, bool ownsDatabase)
    {
        _db = db;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>The surveys on the database of an open grid store (sharing its connection pool; not disposing it).</summary>
    public static PostGisSurveyStore On(PostGisGridStore grids)
    {
        ArgumentNullException.ThrowIfNull(grids);
        return new PostGisSurveyStore(grids, ownsDatabase: false);
    }

    /// <summary>Opens (and migrates, see <see cref="PostGisGridStore.OpenAsync"/>) the database and its survey records.</summary>
    public static async Task<PostGisSurveyStore> OpenAsync(string connectionString, PostGisOpenOptions? options = null, CancellationToken ct = default) =>
        new(await PostGisGridStore.OpenAsync(connectionString, options, ct).ConfigureAwait(false), ownsDatabase: true);

    /// <inheritdoc />
    public Task<Result<Survey>> AddAsync(Survey survey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(survey);
        var stored = survey with { CreatedAt = PostGisGridStore.TruncateToMilliseconds(survey.CreatedAt) };
        return _db.WriteAsync<Survey>((c, tx, ct) => InsertRowAsync(c, tx, stored, ct), ct);
    }

    /// <summary>Checks and inserts one survey record inside the caller's transaction (also used by <c>geo store copy</c>).</summary>
    internal static async Task<Result<Survey>> InsertRowAsync(NpgsqlConnection c, NpgsqlTransaction tx, Survey stored, CancellationToken ct)
    {
        if (stored.PairedDsmId is { } dsm)
        {
            await using var check = new NpgsqlCommand("SELECT kind FROM surveys WHERE id = $1 FOR SHARE;", c, tx);
            check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dsm.Value });
            if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) as string != "dsm")
                return Failure.Invalid(SurveyFailureCodes.PairedDsmMissing, $"No DSM survey {dsm} is stored.");
        }
        await using (var dup = new NpgsqlCommand("SELECT id FROM surveys WHERE id = $1 OR (sha256 = $2 AND kind = $3) LIMIT 1;", c, tx))
        {
            dup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stored.Id.Value });
            dup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stored.Sha256 });
            dup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = KindText(stored.Kind) });
            if (await dup.ExecuteScalarAsync(ct).ConfigureAwait(false) is string existing) return Exists(existing);
        }
        // The revision row lock serialises writers, so the check above cannot race another instance's insert; ON
        // CONFLICT is the belt to those braces (a writer outside this software).
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO surveys ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
            ON CONFLICT DO NOTHING;
            """, c, tx);
        var p = insert.Parameters;
        p.Add(new NpgsqlParameter<Geometry> { TypedValue = ToMultiPolygon(stored.Footprint), NpgsqlDbType = NpgsqlDbType.Geometry });
        p.Add(new NpgsqlParameter<string> { TypedValue = stored.Id.Value });
        p.Add(new NpgsqlParameter<string> { TypedValue = stored.Name });
        p.Add(new NpgsqlParameter<DateOnly> { TypedValue = stored.FlightDate });
        p.Add(new NpgsqlParameter<string> { TypedValue = KindText(stored.Kind) });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)stored.PairedDsmId?.Value ?? DBNull.Value });
        p.Add(new NpgsqlParameter<double> { TypedValue = stored.BoundsLonLat.West });
        p.Add(new NpgsqlParameter<double> { TypedValue = stored.BoundsLonLat.South });
        p.Add(new NpgsqlParameter<double> { TypedValue = stored.BoundsLonLat.East });
        p.Add(new NpgsqlParameter<double> { TypedValue = stored.BoundsLonLat.North });
        p.Add(new NpgsqlParameter<double> { TypedValue = stored.GsdMetres });
        p.Add(new NpgsqlParameter<int> { TypedValue = stored.Width });
        p.Add(new NpgsqlParameter<int> { TypedValue = stored.Height });
        p.Add(new NpgsqlParameter<int> { TypedValue = stored.Epsg });
        p.Add(new NpgsqlParameter<string> { TypedValue = stored.Sha256 });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = stored.CreatedAt });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)stored.SourceName ?? DBNull.Value });
        p.Add(new NpgsqlParameter<long> { TypedValue = stored.FileBytes });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = stored.ValueMin is { } min ? min : DBNull.Value });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = stored.ValueMax is { } max ? max : DBNull.Value });
        if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return Exists(stored.Id.Value);
        return stored;
    }

    /// <inheritdoc />
    public async Task<Survey?> GetAsync(SurveyId id, CancellationToken ct = default) =>
        (await QueryAsync("WHERE id = $1", [id.Value], ct).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<Survey?> FindBySha256Async(string sha256, SurveyKind kind, CancellationToken ct = default) =>
        (await QueryAsync("WHERE sha256 = $1 AND kind = $2", [sha256, KindText(kind)], ct).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public Task<IReadOnlyList<Survey>> ListAsync(CancellationToken ct = default) =>
        // name in the "C" collation: the ordinal order the GeoPackage store (SQLite's BINARY) gives.
        QueryAsync("ORDER BY flight_date DESC, name COLLATE \"C\", id", [], ct);

    /// <inheritdoc />
    public Task<Result<bool>> DeleteAsync(SurveyId id, CancellationToken ct = default) =>
        _db.WriteAsync<bool>(async (c, tx, ct) =>
        {
            await using (var used = new NpgsqlCommand("SELECT id FROM surveys WHERE paired_dsm_id = $1 LIMIT 1;", c, tx))
            {
                used.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id.Value });
                if (await used.ExecuteScalarAsync(ct).ConfigureAwait(false) is string ortho)
                    return Failure.Conflict(SurveyFailureCodes.SurveyInUse, $"DSM {id} belongs to orthophoto {ortho}; delete that first.");
            }
            await using var delete = new NpgsqlCommand("DELETE FROM surveys WHERE id = $1;", c, tx);
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id.Value });
            return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, ct);

    private Task<IReadOnlyList<Survey>> QueryAsync(string tail, string[] values, CancellationToken ct) =>
        _db.ReadAsync<IReadOnlyList<Survey>>(async (c, ct) =>
        {
            await using var command = new NpgsqlCommand($"SELECT {Columns} FROM surveys {tail};", c);
            foreach (var v in values) command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = v });
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<Survey>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new Survey(
                    SurveyId.Parse(r.GetString(1)).Value,
                    r.GetString(2),
                    r.GetFieldValue<DateOnly>(3),
                    r.GetString(4) == "dsm" ? SurveyKind.Dsm : SurveyKind.Ortho,
                    r.IsDBNull(5) ? null : SurveyId.Parse(r.GetString(5)).Value,
                    new LonLatBounds(r.GetDouble(6), r.GetDouble(7), r.GetDouble(8), r.GetDouble(9)),
                    r.GetDouble(10), r.GetInt32(11), r.GetInt32(12), r.GetInt32(13), r.GetString(14),
                    r.GetFieldValue<DateTimeOffset>(15),
                    r.IsDBNull(16) ? null : r.GetString(16),
                    r.GetInt64(17),
                    r.IsDBNull(18) ? null : r.GetDouble(18),
                    r.IsDBNull(19) ? null : r.GetDouble(19),
                    FromStored(r.GetFieldValue<Geometry>(0))));
            }
            return list;
        }, ct);

    /// <summary>The column is MultiPolygon: a Polygon footprint is stored as a one-part MultiPolygon.</summary>
    private static MultiPolygon ToMultiPolygon(Geometry g) => g switch
    {
        MultiPolygon mp when mp.SRID == PostGisGridStore.Srid => mp,
        MultiPolygon mp => (MultiPolygon)Factory.CreateGeometry(mp),
        Polygon p => Factory.CreateMultiPolygon([(Polygon)Factory.CreateGeometry(p)]),
        _ => throw new ArgumentException($"A survey footprint is a Polygon or MultiPolygon; got {g.GeometryType}.", nameof(g)),
    };

    /// <summary>A one-part MultiPolygon comes back as its Polygon, as the GeoPackage store returns footprints.</summary>
    private static Geometry FromStored(Geometry g) => g is MultiPolygon { NumGeometries: 1 } mp ? Factory.CreatePolygon(((Polygon)mp.GetGeometryN(0)).Shell, ((Polygon)mp.GetGeometryN(0)).Holes) : g;

    private static Failure Exists(string existingId) => new(SurveyFailureCodes.SurveyExists,
        $"This file is already registered as survey {existingId}.", FailureKind.Conflict, null,
        new Dictionary<string, object?> { ["surveyId"] = existingId });

    private static string KindText(SurveyKind kind) => kind == SurveyKind.Dsm ? "dsm" : "ortho";

    /// <summary>Releases the database when this store opened it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_ownsDatabase) await _db.DisposeAsync().ConfigureAwait(false);
    }
}
