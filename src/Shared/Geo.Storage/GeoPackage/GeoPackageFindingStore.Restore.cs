using System.Runtime.CompilerServices;
using Geo.ChangeDetect.Findings;
using Microsoft.Data.Sqlite;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

public sealed partial class GeoPackageFindingStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<FindingReview> ReadAllReviewsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT finding_id, decision, reviewer, comment, at FROM finding_reviews ORDER BY fid;");
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new FindingReview(r.GetString(0), r.GetString(1) == "confirm" ? ReviewDecision.Confirm : ReviewDecision.Dismiss, r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), SqlText.ToTimestamp(r.GetString(4)));
    }

    /// <summary>
    /// Writes a whole findings content (see <see cref="FindingContent"/>) into the caller's transaction on a file whose
    /// findings tables are empty: permits with their source and import time, runs as they are, every finding with its
    /// review fields, the review history in order, outbox entries with their sequences as <c>fid</c> (AUTOINCREMENT
    /// then continues after the highest, so the dispatch cursor stays valid). R*Tree rows come from the triggers.
    /// </summary>
    internal static async Task<FindingCounts> RestoreRowsAsync(SqliteConnection c, SqliteTransaction tx, FindingContent content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        using (var insert = Command(c, tx, """
                   INSERT INTO permits (geom, number, holder, valid_from, valid_to, source, imported_at)
                   VALUES ($geom, $number, $holder, $from, $to, $source, $at);
                   """))
        {
            var geom = insert.Parameters.Add("$geom", SqliteType.Blob);
            var number = insert.Parameters.Add("$number", SqliteType.Text);
            var holder = insert.Parameters.Add("$holder", SqliteType.Text);
            var from = insert.Parameters.Add("$from", SqliteType.Text);
            var to = insert.Parameters.Add("$to", SqliteType.Text);
            var source = insert.Parameters.Add("$source", SqliteType.Text);
            var at = insert.Parameters.Add("$at", SqliteType.Text);
            foreach (var s in content.Permits)
            {
                geom.Value = GeoPackageBlob.WriteGrid(s.Permit.Geometry);
                number.Value = s.Permit.Number;
                holder.Value = s.Permit.Holder;
                from.Value = SqlText.FromDate(s.Permit.ValidFrom);
                to.Value = s.Permit.ValidTo is { } t ? SqlText.FromDate(t) : DBNull.Value;
                source.Value = (object?)s.Source ?? DBNull.Value;
                at.Value = SqlText.FromTimestamp(s.ImportedAt);
                insert.ExecuteNonQuery();
            }
        }

        foreach (var run in content.Runs) InsertRun(c, tx, run);

        long findings = 0;
        using (var rows = new FindingRows(c, tx))
        {
            await foreach (var f in content.Findings.WithCancellation(ct).ConfigureAwait(false))
            {
                rows.Insert(f, asPending: false);
                findings++;
            }
        }

        long reviews = 0;
        using (var insert = Command(c, tx, "INSERT INTO finding_reviews (finding_id, decision, reviewer, comment, at) VALUES ($id, $decision, $who, $comment, $at);"))
        {
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var decision = insert.Parameters.Add("$decision", SqliteType.Text);
            var who = insert.Parameters.Add("$who", SqliteType.Text);
            var comment = insert.Parameters.Add("$comment", SqliteType.Text);
            var at = insert.Parameters.Add("$at", SqliteType.Text);
            insert.Prepare();
            await foreach (var r in content.Reviews.WithCancellation(ct).ConfigureAwait(false))
            {
                id.Value = r.FindingId;
                decision.Value = r.Decision == ReviewDecision.Confirm ? "confirm" : "dismiss";
                who.Value = r.Reviewer;
                comment.Value = (object?)r.Comment ?? DBNull.Value;
                at.Value = SqlText.FromTimestamp(r.At);
                insert.ExecuteNonQuery();
                reviews++;
            }
        }

        long outbox = 0;
        using (var insert = Command(c, tx, "INSERT INTO dispatch_outbox (fid, finding_id, event_class, created_at, payload) VALUES ($seq, $id, $class, $at, $payload);"))
        {
            var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var eventClass = insert.Parameters.Add("$class", SqliteType.Text);
            var at = insert.Parameters.Add("$at", SqliteType.Text);
            var payload = insert.Parameters.Add("$payload", SqliteType.Text);
            insert.Prepare();
            await foreach (var e in content.Outbox.WithCancellation(ct).ConfigureAwait(false))
            {
                seq.Value = e.Sequence;
                id.Value = e.FindingId;
                eventClass.Value = e.EventClass;
                at.Value = SqlText.FromTimestamp(e.CreatedAt);
                payload.Value = e.PayloadJson;
                insert.ExecuteNonQuery();
                outbox++;
            }
        }

        foreach (var table in (ReadOnlySpan<string>)[GeoPackageFindingSchema.PermitsTable, GeoPackageFindingSchema.RunsTable,
                     GeoPackageFindingSchema.FindingsTable, GeoPackageFindingSchema.ReviewsTable, GeoPackageFindingSchema.OutboxTable])
            TouchContents(c, tx, table);
        return new FindingCounts(content.Runs.Count, content.Permits.Count, findings, reviews, outbox);
    }
}
