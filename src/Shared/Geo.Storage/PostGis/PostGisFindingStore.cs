using System.Runtime.CompilerServices;
using System.Text;
using Geo.ChangeDetect.Findings;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace Geo.Storage.PostGis;

/// <summary>
/// The production <see cref="IFindingStore"/>: runs, findings, permits, reviews and the dispatch outbox in the same
/// PostgreSQL/PostGIS database as the grids (schema migration 4: <c>change_runs</c>, <c>findings</c> with
/// <c>geometry(Polygon, 4490)</c>, <c>permits</c> with <c>geometry(MultiPolygon, 4490)</c>, both GiST-indexed,
/// <c>finding_reviews</c>, <c>dispatch_outbox</c>). Every write runs through the grid store's write path: one
/// transaction that first bumps the shared <c>geo_revision</c> row (serialising writers of every instance, and moving
/// the revision the findings tile layer compares), then NOTIFYs at commit; a failed result rolls it all back.
/// <para>The outbox <c>sequence</c> is a bigserial; because outbox rows are only written under the revision row lock,
/// sequences are handed out in commit order, so a dispatch reader polling "after N" never skips a late-committing row.
/// Timestamps are kept to the millisecond, like the GeoPackage store.</para>
/// </summary>
public sealed partial class PostGisFindingStore : IFindingStore, IFindingRestore
{
    private const string RunColumns =
        "id, before_survey, after_survey, before_path, after_path, after_date, area_grids, area, parameters, software_version, state, started_at, finished_at, finding_count, before_dsm_path, after_dsm_path, problem, started_by";

    private const string FindingColumns =
        "id, run_id, geom, area_m2, kind, mean_dh, max_dh, confidence, grid_code, department_code, permitted, permit_number, review, reviewer, review_comment, reviewed_at";

    private static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(PostGisGridStore.Srid);

    private readonly PostGisGridStore _db;
    private readonly bool _ownsDatabase;
    private int _disposed;

    private PostGisFindingStore(PostGisGridStore db, bool ownsDatabase)
    {
        _db = db;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>The findings on the database of an open grid store (sharing its connection pool; not disposing it).</summary>
    public static PostGisFindingStore On(PostGisGridStore grids)
    {
        ArgumentNullException.ThrowIfNull(grids);
        return new PostGisFindingStore(grids, ownsDatabase: false);
    }

    /// <summary>Opens (and migrates, see <see cref="PostGisGridStore.OpenAsync"/>) the database and its findings.</summary>
    public static async Task<PostGisFindingStore> OpenAsync(string connectionString, PostGisOpenOptions? options = null, CancellationToken ct = default) =>
        new(await PostGisGridStore.OpenAsync(connectionString, options, ct).ConfigureAwait(false), ownsDatabase: true);

    public Task<long> GetRevisionAsync(CancellationToken ct = default) => _db.GetRevisionAsync(ct);

    // ---- runs -------------------------------------------------------------------------------------------------------

    public Task<Result<ChangeRun>> AddRunAsync(ChangeRun run, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var stored = run with
        {
            Started = PostGisGridStore.TruncateToMilliseconds(run.Started),
            Finished = run.Finished is { } f ? PostGisGridStore.TruncateToMilliseconds(f) : null,
        };
        return _db.WriteAsync<ChangeRun>(async (c, tx, ct) =>
        {
            if (await InsertRunAsync(c, tx, stored, ct).ConfigureAwait(false) == 0)
                return Failure.Conflict(FindingCodes.RunExists, $"A run {run.Id} exists already.");
            return stored;
        }, ct);
    }

    /// <summary>Inserts a run as given (times already truncated); 0 when its id exists.</summary>
    private static async Task<int> InsertRunAsync(NpgsqlConnection c, NpgsqlTransaction tx, ChangeRun stored, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO change_runs ({RunColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            ON CONFLICT (id) DO NOTHING;
            """, c, tx);
        insert.Parameters.Add(Text(stored.Id));
        insert.Parameters.Add(Text(stored.BeforeSurveyId));
        insert.Parameters.Add(Text(stored.AfterSurveyId));
        insert.Parameters.Add(Text(stored.BeforePath));
        insert.Parameters.Add(Text(stored.AfterPath));
        insert.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = stored.AfterSurveyDate });
        insert.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
            Value = stored.Area?.GridCodes is { Count: > 0 } g ? g.ToArray() : DBNull.Value,
        });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Geometry, Value = stored.Area?.Polygon is { } p ? Stored(p) : DBNull.Value });
        insert.Parameters.Add(Text(stored.ParametersJson));
        insert.Parameters.Add(Text(stored.SoftwareVersion));
        insert.Parameters.Add(Text(FindingText.State(stored.State)));
        insert.Parameters.Add(Time(stored.Started));
        insert.Parameters.Add(Time(stored.Finished));
        insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = stored.FindingCount });
        insert.Parameters.Add(Text(stored.BeforeDsmPath));
        insert.Parameters.Add(Text(stored.AfterDsmPath));
        insert.Parameters.Add(Text(stored.Problem));
        insert.Parameters.Add(Text(stored.StartedBy));
        return await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public Task<ChangeRun?> GetRunAsync(string id, CancellationToken ct = default) =>
        _db.ReadAsync((c, ct) => ReadRunAsync(c, null, id, ct), ct);

    public Task<IReadOnlyList<ChangeRun>> ListRunsAsync(CancellationToken ct = default) =>
        _db.ReadAsync<IReadOnlyList<ChangeRun>>(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand($"SELECT {RunColumns} FROM change_runs ORDER BY started_at DESC, id DESC;", c);
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<ChangeRun>();
            while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(ReadRun(r));
            return list;
        }, ct);

    public Task<Result<ChangeRun>> CompleteRunAsync(string runId, IReadOnlyList<Finding> findings, DateTimeOffset finished, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var at = PostGisGridStore.TruncateToMilliseconds(finished);
        return _db.WriteAsync<ChangeRun>(async (c, tx, ct) =>
        {
            var run = await ReadRunAsync(c, tx, runId, ct, forUpdate: true).ConfigureAwait(false);
            if (run is null) return Failure.NotFound(FindingCodes.RunNotFound, $"There is no run {runId}.");
            if (run.State != RunState.Running)
                return Failure.Conflict(FindingCodes.RunNotRunning, $"Run {runId} is {FindingText.State(run.State)}, not running: its findings are not stored.");
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in findings)
                if (!ids.Add(f.Id)) return Failure.Conflict(FindingCodes.FindingIdDuplicate, $"Finding id {f.Id} is used twice or exists already.");
            if (findings.Count > 0)
            {
                await using (var existing = new NpgsqlCommand("SELECT id FROM findings WHERE id = ANY($1) LIMIT 1;", c, tx))
                {
                    existing.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
                    if (await existing.ExecuteScalarAsync(ct).ConfigureAwait(false) is string taken)
                        return Failure.Conflict(FindingCodes.FindingIdDuplicate, $"Finding id {taken} is used twice or exists already.");
                }
                // Binary COPY: a run over a whole city can hold thousands of findings.
                await using var copy = await c.BeginBinaryImportAsync($"COPY findings ({FindingColumns}) FROM STDIN (FORMAT BINARY)", ct)
                    .ConfigureAwait(false);
                foreach (var f in findings) await WriteFindingRowAsync(copy, f with { RunId = runId }, asPending: true, ct).ConfigureAwait(false);
                await copy.CompleteAsync(ct).ConfigureAwait(false);
            }
            await using (var update = new NpgsqlCommand(
                             "UPDATE change_runs SET state = 'succeeded', finished_at = $1, finding_count = $2, problem = NULL WHERE id = $3;", c, tx))
            {
                update.Parameters.Add(Time(at));
                update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = findings.Count });
                update.Parameters.Add(Text(runId));
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return (await ReadRunAsync(c, tx, runId, ct).ConfigureAwait(false))!;
        }, ct);
    }

    public Task<Result<ChangeRun>> EndRunAsync(string runId, RunState state, string problem, DateTimeOffset finished, CancellationToken ct = default)
    {
        if (state is not (RunState.Failed or RunState.Cancelled))
            throw new ArgumentOutOfRangeException(nameof(state), state, "A run ends here as failed or cancelled.");
        var at = PostGisGridStore.TruncateToMilliseconds(finished);
        return _db.WriteAsync<ChangeRun>(async (c, tx, ct) =>
        {
            var run = await ReadRunAsync(c, tx, runId, ct, forUpdate: true).ConfigureAwait(false);
            if (run is null) return Failure.NotFound(FindingCodes.RunNotFound, $"There is no run {runId}.");
            if (run.State != RunState.Running)
                return Failure.Conflict(FindingCodes.RunNotRunning, $"Run {runId} has ended already ({FindingText.State(run.State)}).");
            await using (var update = new NpgsqlCommand("UPDATE change_runs SET state = $1, finished_at = $2, problem = $3 WHERE id = $4;", c, tx))
            {
                update.Parameters.Add(Text(FindingText.State(state)));
                update.Parameters.Add(Time(at));
                update.Parameters.Add(Text(problem));
                update.Parameters.Add(Text(runId));
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return (await ReadRunAsync(c, tx, runId, ct).ConfigureAwait(false))!;
        }, ct);
    }

    public async Task<int> FailStaleRunsAsync(string problem, DateTimeOffset at, CancellationToken ct = default)
    {
        var when = PostGisGridStore.TruncateToMilliseconds(at);
        var r = await _db.WriteAsync<int>(async (c, tx, ct) =>
        {
            await using var update = new NpgsqlCommand(
                "UPDATE change_runs SET state = 'failed', finished_at = $1, problem = $2 WHERE state = 'running';", c, tx);
            update.Parameters.Add(Time(when));
            update.Parameters.Add(Text(problem));
            return await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        return r.IsOk ? r.Value : throw new StoreUnavailableException(r.Failure.Message);
    }

    // ---- findings ---------------------------------------------------------------------------------------------------

    public Task<Finding?> GetFindingAsync(string id, CancellationToken ct = default) =>
        _db.ReadAsync((c, ct) => ReadFindingAsync(c, null, id, ct), ct);

    public Task<FindingPage> QueryFindingsAsync(FindingQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, FindingQuery.MaxLimit);
        var sql = new StringBuilder($"SELECT {FindingColumns} FROM findings WHERE true");
        var parameters = new List<NpgsqlParameter>();
        string Next(NpgsqlParameter p)
        {
            parameters.Add(p);
            return "$" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        // Fixed SQL fragments only; every value is a parameter.
        if (query.RunId is { } run) sql.Append(" AND run_id = ").Append(Next(Text(run)));
        if (query.Grid is { } grid) sql.Append(" AND grid_code = ").Append(Next(Text(grid)));
        if (query.Department is { } dept) sql.Append(" AND department_code = ").Append(Next(Text(dept)));
        if (query.Kind is { } kind) sql.Append(" AND kind = ").Append(Next(Text(FindingText.Kind(kind))));
        if (query.Review is { } review) sql.Append(" AND review = ").Append(Next(Text(FindingText.Review(review))));
        if (query.Permitted is { } permitted) sql.Append(" AND permitted = ").Append(Next(new NpgsqlParameter<bool> { TypedValue = permitted }));
        if (query.Bbox is { } b)
        {
            sql.Append(" AND geom && ST_MakeEnvelope(")
                .Append(Next(new NpgsqlParameter<double> { TypedValue = b.MinX })).Append(", ")
                .Append(Next(new NpgsqlParameter<double> { TypedValue = b.MinY })).Append(", ")
                .Append(Next(new NpgsqlParameter<double> { TypedValue = b.MaxX })).Append(", ")
                .Append(Next(new NpgsqlParameter<double> { TypedValue = b.MaxY })).Append(", 4490)");
        }
        // "C" collation: the same ordinal order as the GeoPackage store (ids are ASCII).
        if (query.After is { } after) sql.Append(" AND id COLLATE \"C\" > ").Append(Next(Text(after)));
        sql.Append(" ORDER BY id COLLATE \"C\" LIMIT ").Append(Next(new NpgsqlParameter<int> { TypedValue = limit + 1 })).Append(';');
        var text = sql.ToString();
        return _db.ReadAsync(async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(text, c);
            foreach (var p in parameters) command.Parameters.Add(p.Clone());
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
        }, ct);
    }

    public async IAsyncEnumerable<Finding> ScanFindingsAsync(string? runId = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        // Streamed on one connection (a scan is not retried half-way: the caller sees the failure).
        await using var c = await _db.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = runId is null
            ? new NpgsqlCommand($"SELECT {FindingColumns} FROM findings ORDER BY id COLLATE \"C\";", c)
            : new NpgsqlCommand($"SELECT {FindingColumns} FROM findings WHERE run_id = $1 ORDER BY id COLLATE \"C\";", c) { Parameters = { Text(runId) } };
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadFinding(r);
    }

    public Task<IReadOnlyList<FindingReview>> GetReviewsAsync(string findingId, CancellationToken ct = default) =>
        _db.ReadAsync<IReadOnlyList<FindingReview>>(async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT finding_id, decision, reviewer, comment, at FROM finding_reviews WHERE finding_id = $1 ORDER BY id;", c);
            command.Parameters.Add(Text(findingId));
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<FindingReview>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new FindingReview(r.GetString(0), r.GetString(1) == "confirm" ? ReviewDecision.Confirm : ReviewDecision.Dismiss, r.GetString(2),
                    r.IsDBNull(3) ? null : r.GetString(3), r.GetFieldValue<DateTimeOffset>(4)));
            return list;
        }, ct);

    public Task<Result<Finding>> ReviewAsync(FindingReview review, Func<Finding, (string EventClass, string PayloadJson)> casePayload,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(casePayload);
        var at = PostGisGridStore.TruncateToMilliseconds(review.At);
        return _db.WriteAsync<Finding>(async (c, tx, ct) =>
        {
            var current = await ReadFindingAsync(c, tx, review.FindingId, ct, forUpdate: true).ConfigureAwait(false);
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
            await using (var update = new NpgsqlCommand(
                             "UPDATE findings SET review = $1, reviewer = $2, review_comment = $3, reviewed_at = $4 WHERE id = $5;", c, tx))
            {
                update.Parameters.Add(Text(FindingText.Review(state)));
                update.Parameters.Add(Text(review.Reviewer));
                update.Parameters.Add(Text(review.Comment));
                update.Parameters.Add(Time(at));
                update.Parameters.Add(Text(current.Id));
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var history = new NpgsqlCommand(
                             "INSERT INTO finding_reviews (finding_id, decision, reviewer, comment, at) VALUES ($1, $2, $3, $4, $5);", c, tx))
            {
                history.Parameters.Add(Text(current.Id));
                history.Parameters.Add(Text(review.Decision == ReviewDecision.Confirm ? "confirm" : "dismiss"));
                history.Parameters.Add(Text(review.Reviewer));
                history.Parameters.Add(Text(review.Comment));
                history.Parameters.Add(Time(at));
                await history.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            if (state == ReviewState.Confirmed)
            {
                var (eventClass, payload) = casePayload(updated);
                await using var outbox = new NpgsqlCommand(
                    "INSERT INTO dispatch_outbox (finding_id, event_class, created_at, payload) VALUES ($1, $2, $3, $4);", c, tx);
                outbox.Parameters.Add(Text(current.Id));
                outbox.Parameters.Add(Text(eventClass));
                outbox.Parameters.Add(Time(at));
                outbox.Parameters.Add(Text(payload));
                await outbox.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return updated;
        }, ct);
    }

    // ---- outbox -----------------------------------------------------------------------------------------------------

    public Task<OutboxPage> ReadOutboxAsync(long after, int limit, CancellationToken ct = default)
    {
        limit = Math.Clamp(limit, 1, 1000);
        return _db.ReadAsync(async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT sequence, finding_id, event_class, created_at, payload FROM dispatch_outbox WHERE sequence > $1 ORDER BY sequence LIMIT $2;", c);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<OutboxEntry>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new OutboxEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), r.GetString(4)));
            return new OutboxPage(list, list.Count > 0 ? list[^1].Sequence : after);
        }, ct);
    }

    // ---- permits ----------------------------------------------------------------------------------------------------

    public Task<Result<int>> ImportPermitsAsync(IReadOnlyList<Permit> permits, string? source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(permits);
        if (permits.Count == 0) return Task.FromResult<Result<int>>(Failure.Invalid(FindingCodes.PermitsEmpty, "The file holds no permit."));
        var now = PostGisGridStore.TruncateToMilliseconds(DateTimeOffset.UtcNow);
        return _db.WriteAsync<int>(async (c, tx, ct) =>
        {
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO permits (number, holder, valid_from, valid_to, geom, source, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (number) DO UPDATE SET holder = excluded.holder, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
                  geom = excluded.geom, source = excluded.source, imported_at = excluded.imported_at;
                """, c, tx);
            var number = new NpgsqlParameter<string>();
            var holder = new NpgsqlParameter<string>();
            var from = new NpgsqlParameter<DateOnly>();
            var to = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Date };
            var geom = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Geometry };
            upsert.Parameters.AddRange(new NpgsqlParameter[] { number, holder, from, to, geom, Text(source), Time(now) });
            foreach (var p in permits)
            {
                number.TypedValue = p.Number;
                holder.TypedValue = p.Holder;
                from.TypedValue = p.ValidFrom;
                to.Value = p.ValidTo is { } t ? t : DBNull.Value;
                geom.Value = StoredPermit(p.Geometry);
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return permits.Count;
        }, ct);
    }

    public Task<IReadOnlyList<StoredPermit>> ListPermitsAsync(CancellationToken ct = default) =>
        _db.ReadAsync<IReadOnlyList<StoredPermit>>(static async (c, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT number, holder, valid_from, valid_to, geom, source, imported_at FROM permits ORDER BY number COLLATE \"C\";", c);
            await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<StoredPermit>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var g = r.GetFieldValue<Geometry>(4);
                // One-part multipolygons come back as the polygon they were given as (the GeoPackage store does the same).
                Geometry shape = g is MultiPolygon { NumGeometries: 1 } m ? Factory.CreatePolygon(((Polygon)m.GetGeometryN(0)).Shell,
                    ((Polygon)m.GetGeometryN(0)).Holes) : g;
                list.Add(new StoredPermit(
                    new Permit(r.GetString(0), r.GetString(1), r.GetFieldValue<DateOnly>(2), r.IsDBNull(3) ? null : r.GetFieldValue<DateOnly>(3), shape),
                    r.IsDBNull(5) ? null : r.GetString(5), r.GetFieldValue<DateTimeOffset>(6)));
            }
            return list;
        }, ct);

    // ---- rows -------------------------------------------------------------------------------------------------------

    private static async Task<ChangeRun?> ReadRunAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string id, CancellationToken ct, bool forUpdate = false)
    {
        await using var command = new NpgsqlCommand($"SELECT {RunColumns} FROM change_runs WHERE id = $1{(forUpdate ? " FOR UPDATE" : "")};", c, tx);
        command.Parameters.Add(Text(id));
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadRun(r) : null;
    }

    private static ChangeRun ReadRun(NpgsqlDataReader r)
    {
        AreaLimit? area = null;
        var grids = r.IsDBNull(6) ? null : r.GetFieldValue<string[]>(6);
        var polygon = r.IsDBNull(7) ? null : r.GetFieldValue<Geometry>(7) as Polygon;
        if (grids is not null || polygon is not null) area = new AreaLimit(grids, polygon);
        return new ChangeRun(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetFieldValue<DateOnly>(5),
            area, r.GetString(8), r.GetString(9), FindingText.ParseState(r.GetString(10)), r.GetFieldValue<DateTimeOffset>(11),
            r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12), r.GetInt32(13),
            r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16),
            r.IsDBNull(17) ? null : r.GetString(17));
    }

    private static async Task<Finding?> ReadFindingAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string id, CancellationToken ct, bool forUpdate = false)
    {
        await using var command = new NpgsqlCommand($"SELECT {FindingColumns} FROM findings WHERE id = $1{(forUpdate ? " FOR UPDATE" : "")};", c, tx);
        command.Parameters.Add(Text(id));
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadFinding(r) : null;
    }

    private static Finding ReadFinding(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), (Polygon)r.GetFieldValue<Geometry>(2), r.GetDouble(3), FindingText.ParseKind(r.GetString(4)),
        r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetDouble(6), r.GetDouble(7),
        r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetBoolean(10), r.IsDBNull(11) ? null : r.GetString(11),
        FindingText.ParseReview(r.GetString(12)), r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetString(14),
        r.IsDBNull(15) ? null : r.GetFieldValue<DateTimeOffset>(15));

    private static Polygon Stored(Polygon p) => p.SRID == PostGisGridStore.Srid ? p : (Polygon)Factory.CreateGeometry(p);

    private static MultiPolygon StoredPermit(Geometry g) => g switch
    {
        Polygon p => Factory.CreateMultiPolygon([Stored(p)]),
        MultiPolygon m => m.SRID == PostGisGridStore.Srid ? m : (MultiPolygon)Factory.CreateGeometry(m),
        _ => throw new ArgumentException($"A permit is a Polygon or MultiPolygon; got {g.GeometryType}.", nameof(g)),
    };

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Time(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v.UtcDateTime : DBNull.Value };

    private static async Task WriteNullable<T>(NpgsqlBinaryImporter copy, T? value, CancellationToken ct) where T : struct
    {
        if (value is { } v) await copy.WriteAsync(v, ct).ConfigureAwait(false);
        else await copy.WriteNullAsync(ct).ConfigureAwait(false);
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter copy, string? value, CancellationToken ct)
    {
        if (value is not null) await copy.WriteAsync(value, NpgsqlDbType.Text, ct).ConfigureAwait(false);
        else await copy.WriteNullAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_ownsDatabase) await _db.DisposeAsync().ConfigureAwait(false);
    }
}
