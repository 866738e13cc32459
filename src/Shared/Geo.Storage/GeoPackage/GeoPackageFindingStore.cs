using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Geo.ChangeDetect.Findings;
using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

/// <summary>
/// The embedded <see cref="IFindingStore"/>: runs, findings, permits, reviews and the dispatch outbox in the same
/// GeoPackage file as the grids (schema migration 4, <see cref="GeoPackageFindingSchema"/>). Every write goes through
/// <see cref="GeoPackageFile.WriteAsync{T}"/>: serialised, one IMMEDIATE transaction, the shared <c>geo_revision</c>
/// bumped inside it (so the findings tile layer refreshes). Reads see the last commit (WAL).
/// </summary>
public sealed partial class GeoPackageFindingStore : IFindingStore, IFindingRestore
{
    private const string RunColumns =
        "id, before_survey, after_survey, before_path, after_path, after_date, area_grids, area_wkt, parameters, software_version, state, started_at, finished_at, finding_count, before_dsm_path, after_dsm_path, problem, started_by";

    internal const string FindingColumns =
        "id, run_id, geom, area_m2, kind, mean_dh, max_dh, confidence, grid_code, department_code, permitted, permit_number, review, reviewer, review_comment, reviewed_at";

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _disposed;

    private GeoPackageFindingStore(string path, string connectionString)
    {
        FilePath = path;
        _connectionString = connectionString;
    }

    /// <summary>The GeoPackage file.</summary>
    public string FilePath { get; }

    /// <summary>Opens (creating and migrating when needed) the GeoPackage at <paramref name="path"/>.</summary>
    public static async Task<GeoPackageFindingStore> OpenAsync(string path, CancellationToken ct = default)
    {
        var (full, connectionString) = GeoPackageFile.Locate(path);
        var store = new GeoPackageFindingStore(full, connectionString);
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

    // ---- runs -------------------------------------------------------------------------------------------------------

    public Task<Result<ChangeRun>> AddRunAsync(ChangeRun run, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var stored = run with { Started = SqlText.Truncate(run.Started), Finished = run.Finished is { } f ? SqlText.Truncate(f) : null };
        return WriteAsync((c, tx) =>
        {
            if (ReadRun(c, tx, run.Id) is not null)
                return Failure.Conflict(FindingCodes.RunExists, $"A run {run.Id} exists already.");
            InsertRun(c, tx, stored);
            TouchContents(c, tx, GeoPackageFindingSchema.RunsTable);
            return Result<ChangeRun>.Ok(stored);
        }, ct);
    }

    private static void InsertRun(SqliteConnection c, SqliteTransaction tx, ChangeRun stored)
    {
        using var insert = Command(c, tx, $"""
            INSERT INTO change_runs ({RunColumns}) VALUES ($id, $before, $after, $beforePath, $afterPath, $afterDate, $grids, $wkt,
              $parameters, $software, $state, $started, $finished, $count, $beforeDsm, $afterDsm, $problem, $by);
            """,
            ("$id", stored.Id), ("$before", stored.BeforeSurveyId), ("$after", stored.AfterSurveyId),
            ("$beforePath", stored.BeforePath), ("$afterPath", stored.AfterPath), ("$afterDate", SqlText.FromDate(stored.AfterSurveyDate)),
            ("$grids", stored.Area?.GridCodes is { Count: > 0 } g ? string.Join(',', g) : null),
            ("$wkt", stored.Area?.Polygon is { } p ? new WKTWriter().Write(p) : null),
            ("$parameters", stored.ParametersJson), ("$software", stored.SoftwareVersion), ("$state", FindingText.State(stored.State)),
            ("$started", SqlText.FromTimestamp(stored.Started)), ("$finished", stored.Finished is { } fin ? SqlText.FromTimestamp(fin) : null),
            ("$count", stored.FindingCount), ("$beforeDsm", stored.BeforeDsmPath), ("$afterDsm", stored.AfterDsmPath),
            ("$problem", stored.Problem), ("$by", stored.StartedBy));
        insert.ExecuteNonQuery();
    }

    public async Task<ChangeRun?> GetRunAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return ReadRun(c, null, id);
    }

    public async Task<IReadOnlyList<ChangeRun>> ListRunsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        using var command = Command(c, null, $"SELECT {RunColumns} FROM change_runs ORDER BY started_at DESC, id DESC;");
        using var r = command.ExecuteReader();
        var list = new List<ChangeRun>();
        while (r.Read()) list.Add(ReadRun(r));
        return list;
    }

    public Task<Result<ChangeRun>> CompleteRunAsync(string runId, IReadOnlyList<Finding> findings, DateTimeOffset finished, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(findings);
        return WriteAsync((c, tx) =>
        {
            var run = ReadRun(c, tx, runId);
            if (run is null) return Failure.NotFound(FindingCodes.RunNotFound, $"There is no run {runId}.");
            if (run.State != RunState.Running)
                return Failure.Conflict(FindingCodes.RunNotRunning, $"Run {runId} is {FindingText.State(run.State)}, not running: its findings are not stored.");
            using (var rows = new FindingRows(c, tx))
            {
                foreach (var f in findings)
                {
                    try
                    {
                        rows.Insert(f with { RunId = runId }, asPending: true);
                    }
                    catch (SqliteException e) when (e.SqliteErrorCode == 19)
                    {
                        return Failure.Conflict(FindingCodes.FindingIdDuplicate, $"Finding id {f.Id} is used twice or exists already.");
                    }
                }
            }
            using (var update = Command(c, tx,
                       "UPDATE change_runs SET state = 'succeeded', finished_at = $at, finding_count = $n, problem = NULL WHERE id = $id;",
                       ("$at", SqlText.FromTimestamp(finished)), ("$n", findings.Count), ("$id", runId)))
                update.ExecuteNonQuery();
            TouchContents(c, tx, GeoPackageFindingSchema.FindingsTable);
            TouchContents(c, tx, GeoPackageFindingSchema.RunsTable);
            return Result<ChangeRun>.Ok(ReadRun(c, tx, runId)!);
        }, ct);
    }

    public Task<Result<ChangeRun>> EndRunAsync(string runId, RunState state, string problem, DateTimeOffset finished, CancellationToken ct = default)
    {
        if (state is not (RunState.Failed or RunState.Cancelled))
            throw new ArgumentOutOfRangeException(nameof(state), state, "A run ends here as failed or cancelled.");
        return WriteAsync((c, tx) =>
        {
            var run = ReadRun(c, tx, runId);
            if (run is null) return Failure.NotFound(FindingCodes.RunNotFound, $"There is no run {runId}.");
            if (run.State != RunState.Running)
                return Failure.Conflict(FindingCodes.RunNotRunning, $"Run {runId} has ended already ({FindingText.State(run.State)}).");
            using (var update = Command(c, tx, "UPDATE change_runs SET state = $state, finished_at = $at, problem = $problem WHERE id = $id;",
                       ("$state", FindingText.State(state)), ("$at", SqlText.FromTimestamp(finished)), ("$problem", problem), ("$id", runId)))
                update.ExecuteNonQuery();
            TouchContents(c, tx, GeoPackageFindingSchema.RunsTable);
            return Result<ChangeRun>.Ok(ReadRun(c, tx, runId)!);
        }, ct);
    }

    public async Task<int> FailStaleRunsAsync(string problem, DateTimeOffset at, CancellationToken ct = default)
    {
        var r = await WriteAsync((c, tx) =>
        {
            using var update = Command(c, tx, "UPDATE change_runs SET state = 'failed', finished_at = $at, problem = $problem WHERE state = 'running';",
                ("$at", SqlText.FromTimestamp(at)), ("$problem", problem));
            var n = update.ExecuteNonQuery();
            if (n > 0) TouchContents(c, tx, GeoPackageFindingSchema.RunsTable);
            return Result<int>.Ok(n);
        }, ct).ConfigureAwait(false);
        return r.Value;
    }

    // ---- findings ---------------------------------------------------------------------------------------------------

    public async Task<Finding?> GetFindingAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return ReadFinding(c, null, id);
    }

    public async Task<FindingPage> QueryFindingsAsync(FindingQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, FindingQuery.MaxLimit);
        var sql = new StringBuilder($"SELECT {FindingColumns} FROM findings WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        // Fixed SQL fragments only; every value is a parameter.
        if (query.RunId is { } run) { sql.Append(" AND run_id = $run"); parameters.Add(("$run", run)); }
        if (query.Grid is { } grid) { sql.Append(" AND grid_code = $grid"); parameters.Add(("$grid", grid)); }
        if (query.Department is { } dept) { sql.Append(" AND department_code = $dept"); parameters.Add(("$dept", dept)); }
        if (query.Kind is { } kind) { sql.Append(" AND kind = $kind"); parameters.Add(("$kind", FindingText.Kind(kind))); }
        if (query.Review is { } review) { sql.Append(" AND review = $review"); parameters.Add(("$review", FindingText.Review(review))); }
        if (query.Permitted is { } permitted) { sql.Append(" AND permitted = $permitted"); parameters.Add(("$permitted", permitted ? 1 : 0)); }
        if (query.Bbox is { } b)
        {
            sql.Append(" AND fid IN (SELECT id FROM rtree_findings_geom WHERE minx <= $maxX AND maxx >= $minX AND miny <= $maxY AND maxy >= $minY)");
            parameters.AddRange([("$minX", b.MinX), ("$minY", b.MinY), ("$maxX", b.MaxX), ("$maxY", b.MaxY)]);
        }
        if (query.After is { } after) { sql.Append(" AND id > $after"); parameters.Add(("$after", after)); }
        sql.Append(" ORDER BY id LIMIT $limit;");
        parameters.Add(("$limit", limit + 1));

        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, sql.ToString(), [.. parameters]);
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var items = new List<Finding>(Math.Min(limit + 1, 128));
        while (await r.ReadAsync(ct).ConfigureAwait(false)) items.Add(ReadFinding(r));
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].Id;
        }
        return new FindingPage(items, next);
    }

    public async IAsyncEnumerable<Finding> ScanFindingsAsync(string? runId = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = runId is null
            ? Command(c, null, $"SELECT {FindingColumns} FROM findings ORDER BY id;")
            : Command(c, null, $"SELECT {FindingColumns} FROM findings WHERE run_id = $run ORDER BY id;", ("$run", runId));
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadFinding(r);
    }

    public async Task<IReadOnlyList<FindingReview>> GetReviewsAsync(string findingId, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        using var command = Command(c, null, "SELECT finding_id, decision, reviewer, comment, at FROM finding_reviews WHERE finding_id = $id ORDER BY fid;",
            ("$id", findingId));
        using var r = command.ExecuteReader();
        var list = new List<FindingReview>();
        while (r.Read())
            list.Add(new FindingReview(r.GetString(0), r.GetString(1) == "confirm" ? ReviewDecision.Confirm : ReviewDecision.Dismiss, r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), SqlText.ToTimestamp(r.GetString(4))));
        return list;
    }

    public Task<Result<Finding>> ReviewAsync(FindingReview review, Func<Finding, (string EventClass, string PayloadJson)> casePayload,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(casePayload);
        var at = SqlText.Truncate(review.At);
        return WriteAsync((c, tx) =>
        {
            var current = ReadFinding(c, tx, review.FindingId);
            if (current is null) return Failure.NotFound(FindingCodes.FindingNotFound, $"There is no finding {review.FindingId}.");
            if (current.Review == ReviewState.Confirmed)
                return new Failure(FindingCodes.AlreadyConfirmed,
                    $"Finding {current.Id} was confirmed by {current.ReviewerKeyId} and its case sent to dispatch; a confirmation is final.",
                    FailureKind.Conflict, $"finding {current.Id}", new Dictionary<string, object?> { ["review"] = "confirmed" });
            if (current.Review == ReviewState.Dismissed && review.Decision == ReviewDecision.Dismiss)
                return new Failure(FindingCodes.AlreadyReviewed, $"Finding {current.Id} is dismissed already.", FailureKind.Conflict,
                    $"finding {current.Id}", new Dictionary<string, object?> { ["review"] = "dismissed" });
            var state = review.Decision == ReviewDecision.Confirm ? ReviewState.Confirmed : ReviewState.Dismissed;
            var updated = current with { Review = state, ReviewerKeyId = review.Reviewer, ReviewComment = review.Comment, ReviewedAt = at };
            using (var update = Command(c, tx,
                       "UPDATE findings SET review = $review, reviewer = $who, review_comment = $comment, reviewed_at = $at WHERE id = $id;",
                       ("$review", FindingText.Review(state)), ("$who", review.Reviewer), ("$comment", review.Comment),
                       ("$at", SqlText.FromTimestamp(at)), ("$id", current.Id)))
                update.ExecuteNonQuery();
            using (var history = Command(c, tx,
                       "INSERT INTO finding_reviews (finding_id, decision, reviewer, comment, at) VALUES ($id, $decision, $who, $comment, $at);",
                       ("$id", current.Id), ("$decision", review.Decision == ReviewDecision.Confirm ? "confirm" : "dismiss"),
                       ("$who", review.Reviewer), ("$comment", review.Comment), ("$at", SqlText.FromTimestamp(at))))
                history.ExecuteNonQuery();
            if (state == ReviewState.Confirmed)
            {
                var (eventClass, payload) = casePayload(updated);
                using var outbox = Command(c, tx,
                    "INSERT INTO dispatch_outbox (finding_id, event_class, created_at, payload) VALUES ($id, $class, $at, $payload);",
                    ("$id", current.Id), ("$class", eventClass), ("$at", SqlText.FromTimestamp(at)), ("$payload", payload));
                outbox.ExecuteNonQuery();
                TouchContents(c, tx, GeoPackageFindingSchema.OutboxTable);
            }
            TouchContents(c, tx, GeoPackageFindingSchema.FindingsTable);
            TouchContents(c, tx, GeoPackageFindingSchema.ReviewsTable);
            return Result<Finding>.Ok(updated);
        }, ct);
    }

    // ---- outbox -----------------------------------------------------------------------------------------------------

    public async Task<OutboxPage> ReadOutboxAsync(long after, int limit, CancellationToken ct = default)
    {
        limit = Math.Clamp(limit, 1, 1000);
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        using var command = Command(c, null,
            "SELECT fid, finding_id, event_class, created_at, payload FROM dispatch_outbox WHERE fid > $after ORDER BY fid LIMIT $limit;",
            ("$after", after), ("$limit", limit));
        using var r = command.ExecuteReader();
        var list = new List<OutboxEntry>();
        while (r.Read())
            list.Add(new OutboxEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), SqlText.ToTimestamp(r.GetString(3)), r.GetString(4)));
        return new OutboxPage(list, list.Count > 0 ? list[^1].Sequence : after);
    }

    // ---- permits ----------------------------------------------------------------------------------------------------

    public Task<Result<int>> ImportPermitsAsync(IReadOnlyList<Permit> permits, string? source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(permits);
        if (permits.Count == 0) return Task.FromResult<Result<int>>(Failure.Invalid(FindingCodes.PermitsEmpty, "The file holds no permit."));
        var now = SqlText.FromTimestamp(DateTimeOffset.UtcNow);
        return WriteAsync((c, tx) =>
        {
            // Replace by number: delete then insert (an UPSERT's conflict clause would override the R*Tree trigger's
            // INSERT OR REPLACE and fail on the index row).
            using var delete = Command(c, tx, "DELETE FROM permits WHERE number = $number;");
            var deleteNumber = delete.Parameters.Add("$number", SqliteType.Text);
            using var upsert = Command(c, tx, """
                INSERT INTO permits (geom, number, holder, valid_from, valid_to, source, imported_at)
                VALUES ($geom, $number, $holder, $from, $to, $source, $at);
                """);
            var geom = upsert.Parameters.Add("$geom", SqliteType.Blob);
            var number = upsert.Parameters.Add("$number", SqliteType.Text);
            var holder = upsert.Parameters.Add("$holder", SqliteType.Text);
            var from = upsert.Parameters.Add("$from", SqliteType.Text);
            var to = upsert.Parameters.Add("$to", SqliteType.Text);
            upsert.Parameters.AddWithValue("$source", (object?)source ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$at", now);
            upsert.Prepare();
            foreach (var p in permits)
            {
                deleteNumber.Value = p.Number;
                delete.ExecuteNonQuery();
                geom.Value = GeoPackageBlob.WriteGrid(p.Geometry);
                number.Value = p.Number;
                holder.Value = p.Holder;
                from.Value = SqlText.FromDate(p.ValidFrom);
                to.Value = p.ValidTo is { } t ? SqlText.FromDate(t) : DBNull.Value;
                upsert.ExecuteNonQuery();
            }
            TouchContents(c, tx, GeoPackageFindingSchema.PermitsTable);
            return Result<int>.Ok(permits.Count);
        }, ct);
    }

    public async Task<IReadOnlyList<StoredPermit>> ListPermitsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        using var command = Command(c, null, "SELECT number, holder, valid_from, valid_to, geom, source, imported_at FROM permits ORDER BY number;");
        using var r = command.ExecuteReader();
        var list = new List<StoredPermit>();
        while (r.Read())
            list.Add(new StoredPermit(
                new Permit(r.GetString(0), r.GetString(1), SqlText.ToDate(r.GetString(2)), r.IsDBNull(3) ? null : SqlText.ToDate(r.GetString(3)),
                    GeoPackageBlob.ToGridGeometry((byte[])r.GetValue(4))),
                r.IsDBNull(5) ? null : r.GetString(5), SqlText.ToTimestamp(r.GetString(6))));
        return list;
    }

    // ---- rows -------------------------------------------------------------------------------------------------------

    private static ChangeRun? ReadRun(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var command = Command(c, tx, $"SELECT {RunColumns} FROM change_runs WHERE id = $id;", ("$id", id));
        using var r = command.ExecuteReader();
        return r.Read() ? ReadRun(r) : null;
    }

    private static ChangeRun ReadRun(SqliteDataReader r)
    {
        AreaLimit? area = null;
        var grids = r.IsDBNull(6) ? null : r.GetString(6).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var polygon = r.IsDBNull(7) ? null : new WKTReader(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4490)).Read(r.GetString(7)) as Polygon;
        if (grids is not null || polygon is not null) area = new AreaLimit(grids, polygon);
        return new ChangeRun(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), SqlText.ToDate(r.GetString(5)),
            area, r.GetString(8), r.GetString(9), FindingText.ParseState(r.GetString(10)), SqlText.ToTimestamp(r.GetString(11)),
            r.IsDBNull(12) ? null : SqlText.ToTimestamp(r.GetString(12)), r.GetInt32(13),
            r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16),
            r.IsDBNull(17) ? null : r.GetString(17));
    }

    private static Finding? ReadFinding(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var command = Command(c, tx, $"SELECT {FindingColumns} FROM findings WHERE id = $id;", ("$id", id));
        using var r = command.ExecuteReader();
        return r.Read() ? ReadFinding(r) : null;
    }

    private static Finding ReadFinding(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), (Polygon)GeoPackageBlob.ToGridGeometry((byte[])r.GetValue(2)), r.GetDouble(3), FindingText.ParseKind(r.GetString(4)),
        r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetDouble(6), r.GetDouble(7),
        r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetInt64(10) != 0, r.IsDBNull(11) ? null : r.GetString(11),
        FindingText.ParseReview(r.GetString(12)), r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetString(14),
        r.IsDBNull(15) ? null : SqlText.ToTimestamp(r.GetString(15)));

    /// <summary>A finding polygon as a GeoPackage blob: POLYGON, SRID 4490, XY.</summary>
    internal static byte[] WritePolygon(Polygon p)
    {
        var copy = GeoPackageBlob.Factory.CreatePolygon((LinearRing)p.ExteriorRing.Copy(), p.InteriorRings.Select(h => (LinearRing)h.Copy()).ToArray());
        return new GeoPackageGeoWriter { HandleOrdinates = Ordinates.XY }.Write(copy);
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
            SqliteConnection.ClearPool(c);
        }
        finally
        {
            _writeLock.Release();
            _writeLock.Dispose();
        }
    }
}

/// <summary>
/// The one prepared <c>INSERT INTO findings</c> of the GeoPackage store: a run's completion writes its findings as
/// pending, a restore writes them with their review state as stored.
/// </summary>
internal sealed class FindingRows : IDisposable
{
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _id, _run, _geom, _area, _kind, _mean, _max, _conf, _grid, _dept, _permitted, _permit,
        _review, _reviewer, _comment, _reviewedAt;

    public FindingRows(SqliteConnection c, SqliteTransaction tx)
    {
        _insert = c.CreateCommand();
        _insert.Transaction = tx;
        _insert.CommandText = $"""
            INSERT INTO findings ({GeoPackageFindingStore.FindingColumns}) VALUES ($id, $run, $geom, $area, $kind, $mean, $max, $conf, $grid, $dept,
              $permitted, $permit, $review, $reviewer, $comment, $reviewedAt);
            """;
        _id = _insert.Parameters.Add("$id", SqliteType.Text);
        _run = _insert.Parameters.Add("$run", SqliteType.Text);
        _geom = _insert.Parameters.Add("$geom", SqliteType.Blob);
        _area = _insert.Parameters.Add("$area", SqliteType.Real);
        _kind = _insert.Parameters.Add("$kind", SqliteType.Text);
        _mean = _insert.Parameters.Add("$mean", SqliteType.Real);
        _max = _insert.Parameters.Add("$max", SqliteType.Real);
        _conf = _insert.Parameters.Add("$conf", SqliteType.Real);
        _grid = _insert.Parameters.Add("$grid", SqliteType.Text);
        _dept = _insert.Parameters.Add("$dept", SqliteType.Text);
        _permitted = _insert.Parameters.Add("$permitted", SqliteType.Integer);
        _permit = _insert.Parameters.Add("$permit", SqliteType.Text);
        _review = _insert.Parameters.Add("$review", SqliteType.Text);
        _reviewer = _insert.Parameters.Add("$reviewer", SqliteType.Text);
        _comment = _insert.Parameters.Add("$comment", SqliteType.Text);
        _reviewedAt = _insert.Parameters.Add("$reviewedAt", SqliteType.Text);
        _insert.Prepare();
    }

    /// <summary>Writes one finding; <paramref name="asPending"/> stores it unreviewed whatever its review fields say.</summary>
    public void Insert(Finding f, bool asPending)
    {
        _id.Value = f.Id;
        _run.Value = f.RunId;
        _geom.Value = GeoPackageFindingStore.WritePolygon(f.Polygon);
        _area.Value = f.AreaM2;
        _kind.Value = FindingText.Kind(f.Kind);
        _mean.Value = (object?)f.MeanDh ?? DBNull.Value;
        _max.Value = (object?)f.MaxDh ?? DBNull.Value;
        _conf.Value = f.Confidence;
        _grid.Value = (object?)f.GridCode ?? DBNull.Value;
        _dept.Value = (object?)f.DepartmentCode ?? DBNull.Value;
        _permitted.Value = f.Permitted ? 1 : 0;
        _permit.Value = (object?)f.PermitId ?? DBNull.Value;
        _review.Value = asPending ? "pending" : FindingText.Review(f.Review);
        _reviewer.Value = asPending ? DBNull.Value : (object?)f.ReviewerKeyId ?? DBNull.Value;
        _comment.Value = asPending ? DBNull.Value : (object?)f.ReviewComment ?? DBNull.Value;
        _reviewedAt.Value = !asPending && f.ReviewedAt is { } at ? SqlText.FromTimestamp(at) : DBNull.Value;
        _insert.ExecuteNonQuery();
    }

    public void Dispose() => _insert.Dispose();
}
