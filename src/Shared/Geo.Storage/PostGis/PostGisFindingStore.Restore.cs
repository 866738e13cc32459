using System.Runtime.CompilerServices;
using Geo.ChangeDetect.Findings;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace Geo.Storage.PostGis;

public sealed partial class PostGisFindingStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<FindingReview> ReadAllReviewsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        // Streamed on one connection (not retried half-way: the caller sees the failure).
        await using var c = await _db.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT finding_id, decision, reviewer, comment, at FROM finding_reviews ORDER BY id;", c);
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new FindingReview(r.GetString(0), r.GetString(1) == "confirm" ? ReviewDecision.Confirm : ReviewDecision.Dismiss, r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.GetFieldValue<DateTimeOffset>(4));
    }

    /// <summary>
    /// Writes a whole findings content (see <see cref="FindingContent"/>) inside the caller's transaction into findings
    /// tables that are empty: permits and runs by INSERT, findings, reviews and outbox entries by binary COPY (the
    /// outbox with its sequences; the bigserial then continues after the highest, so the dispatch cursor stays valid).
    /// Timestamps are truncated to the millisecond as every write of this store does.
    /// </summary>
    internal static async Task<FindingCounts> RestoreRowsAsync(NpgsqlConnection c, NpgsqlTransaction tx, FindingContent content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        await using (var insert = new NpgsqlCommand(
                         "INSERT INTO permits (number, holder, valid_from, valid_to, geom, source, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7);", c, tx))
        {
            foreach (var s in content.Permits)
            {
                insert.Parameters.Clear();
                insert.Parameters.Add(Text(s.Permit.Number));
                insert.Parameters.Add(Text(s.Permit.Holder));
                insert.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = s.Permit.ValidFrom });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Date, Value = s.Permit.ValidTo is { } t ? t : DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Geometry, Value = StoredPermit(s.Permit.Geometry) });
                insert.Parameters.Add(Text(s.Source));
                insert.Parameters.Add(Time(PostGisGridStore.TruncateToMilliseconds(s.ImportedAt)));
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }

        foreach (var run in content.Runs)
        {
            var stored = run with
            {
                Started = PostGisGridStore.TruncateToMilliseconds(run.Started),
                Finished = run.Finished is { } f ? PostGisGridStore.TruncateToMilliseconds(f) : null,
            };
            await InsertRunAsync(c, tx, stored, ct).ConfigureAwait(false);
        }

        long findings = 0;
        await using (var copy = await c.BeginBinaryImportAsync($"COPY findings ({FindingColumns}) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            await foreach (var f in content.Findings.WithCancellation(ct).ConfigureAwait(false))
            {
                await WriteFindingRowAsync(copy, f, asPending: false, ct).ConfigureAwait(false);
                findings++;
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }

        long reviews = 0;
        await using (var copy = await c.BeginBinaryImportAsync(
                         "COPY finding_reviews (finding_id, decision, reviewer, comment, at) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            await foreach (var r in content.Reviews.WithCancellation(ct).ConfigureAwait(false))
            {
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(r.FindingId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(r.Decision == ReviewDecision.Confirm ? "confirm" : "dismiss", NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(r.Reviewer, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullable(copy, r.Comment, ct).ConfigureAwait(false);
                await WriteTime(copy, r.At, ct).ConfigureAwait(false);
                reviews++;
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }

        long outbox = 0;
        await using (var copy = await c.BeginBinaryImportAsync(
                         "COPY dispatch_outbox (sequence, finding_id, event_class, created_at, payload) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            await foreach (var e in content.Outbox.WithCancellation(ct).ConfigureAwait(false))
            {
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(e.Sequence, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await copy.WriteAsync(e.FindingId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(e.EventClass, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteTime(copy, e.CreatedAt, ct).ConfigureAwait(false);
                await copy.WriteAsync(e.PayloadJson, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                outbox++;
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }
        // The next confirmation gets a sequence after every copied one (and after any the target had handed out before).
        await using (var sync = new NpgsqlCommand("""
                         SELECT setval(pg_get_serial_sequence('dispatch_outbox', 'sequence'),
                           greatest((SELECT max(sequence) FROM dispatch_outbox), (SELECT last_value FROM dispatch_outbox_sequence_seq), 1));
                         """, c, tx))
            await sync.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return new FindingCounts(content.Runs.Count, content.Permits.Count, findings, reviews, outbox);
    }

    /// <summary>One row of <c>COPY findings ({FindingColumns})</c>, for a run's completion and for a restore alike;
    /// <paramref name="asPending"/> stores it unreviewed whatever its review fields say.</summary>
    private static async Task WriteFindingRowAsync(NpgsqlBinaryImporter copy, Finding f, bool asPending, CancellationToken ct)
    {
        await copy.StartRowAsync(ct).ConfigureAwait(false);
        await copy.WriteAsync(f.Id, NpgsqlDbType.Text, ct).ConfigureAwait(false);
        await copy.WriteAsync(f.RunId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
        await copy.WriteAsync((Geometry)Stored(f.Polygon), NpgsqlDbType.Geometry, ct).ConfigureAwait(false);
        await copy.WriteAsync(f.AreaM2, NpgsqlDbType.Double, ct).ConfigureAwait(false);
        await copy.WriteAsync(FindingText.Kind(f.Kind), NpgsqlDbType.Text, ct).ConfigureAwait(false);
        await WriteNullable(copy, f.MeanDh, ct).ConfigureAwait(false);
        await WriteNullable(copy, f.MaxDh, ct).ConfigureAwait(false);
        await copy.WriteAsync(f.Confidence, NpgsqlDbType.Double, ct).ConfigureAwait(false);
        await WriteNullable(copy, f.GridCode, ct).ConfigureAwait(false);
        await WriteNullable(copy, f.DepartmentCode, ct).ConfigureAwait(false);
        await copy.WriteAsync(f.Permitted, NpgsqlDbType.Boolean, ct).ConfigureAwait(false);
        await WriteNullable(copy, f.PermitId, ct).ConfigureAwait(false);
        await copy.WriteAsync(asPending ? "pending" : FindingText.Review(f.Review), NpgsqlDbType.Text, ct).ConfigureAwait(false);
        await WriteNullable(copy, asPending ? null : f.ReviewerKeyId, ct).ConfigureAwait(false);
        await WriteNullable(copy, asPending ? null : f.ReviewComment, ct).ConfigureAwait(false);
        await WriteTime(copy, asPending ? null : f.ReviewedAt, ct).ConfigureAwait(false);
    }

    private static Task WriteTime(NpgsqlBinaryImporter copy, DateTimeOffset? at, CancellationToken ct) => at is { } v
        ? copy.WriteAsync(PostGisGridStore.TruncateToMilliseconds(v).UtcDateTime, NpgsqlDbType.TimestampTz, ct)
        : copy.WriteNullAsync(ct);
}
