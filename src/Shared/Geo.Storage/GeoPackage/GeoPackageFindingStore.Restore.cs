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
        using (var insert = Command(c, tx, $"""
                   INSERT INTO findings ({FindingColumns}) VALUES ($id, $run, $geom, $area, $kind, $mean, $max, $conf, $grid, $dept,
                     $permitted, $permit, $review, $reviewer, $comment, $reviewedAt);
                   """))
        {
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var run = insert.Parameters.Add("$run", SqliteType.Text);
            var geom = insert.Parameters.Add("$geom", SqliteType.Blob);
            var area = insert.Parameters.Add("$area", SqliteType.Real);
            var kind = insert.Parameters.Add("$kind", SqliteType.Text);
            var mean = insert.Parameters.Add("$mean", SqliteType.Real);
            var max = insert.Parameters.Add("$max", SqliteType.Real);
            var conf = insert.Parameters.Add("$conf", SqliteType.Real);
            var grid = insert.Parameters.Add("$grid", SqliteType.Text);
            var dept = insert.Parameters.Add("$dept", SqliteType.Text);
            var permitted = insert.Parameters.Add("$permitted", SqliteType.Integer);
            var permit = insert.Parameters.Add("$permit", SqliteType.Text);
            var review = insert.Parameters.Add("$review", SqliteType.Text);
            var reviewer = insert.Parameters.Add("$reviewer", SqliteType.Text);
            var comment = insert.Parameters.Add("$comment", SqliteType.Text);
            var reviewedAt = insert.Parameters.Add("$reviewedAt", SqliteType.Text);
            insert.Prepare();
            await foreach (var f in content.Findings.WithCancellation(ct).ConfigureAwait(false))
            {
                id.Value = f.Id;
                run.Value = f.RunId;
                geom.Value = WritePolygon(f.Polygon);
                area.Value = f.AreaM2;
                kind.Value = FindingText.Kind(f.Kind);
                mean.Value = (object?)f.MeanDh ?? DBNull.Value;
                max.Value = (object?)f.MaxDh ?? DBNull.Value;
                conf.Value = f.Confidence;
                grid.Value = (object?)f.GridCode ?? DBNull.Value;
                dept.Value = (object?)f.DepartmentCode ?? DBNull.Value;
                permitted.Value = f.Permitted ? 1 : 0;
                permit.Value = (object?)f.PermitId ?? DBNull.Value;
                review.Value = FindingText.Review(f.Review);
                reviewer.Value = (object?)f.ReviewerKeyId ?? DBNull.Value;
                comment.Value = (object?)f.ReviewComment ?? DBNull.Value;
                reviewedAt.Value = f.ReviewedAt is { } ra ? SqlText.FromTimestamp(ra) : DBNull.Value;
                insert.ExecuteNonQuery();
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
