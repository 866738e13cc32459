using System.Runtime.CompilerServices;
using Geo.ChangeDetect.Findings;

namespace Geo.Storage;

/// <summary>
/// What <c>geo store copy</c> needs of a findings backend beyond <see cref="IFindingStore"/>: the whole review history
/// streamed in the store's order (oldest first, over all findings), so a copy keeps every review and its order without
/// one query per finding.
/// </summary>
public interface IFindingRestore
{
    IAsyncEnumerable<FindingReview> ReadAllReviewsAsync(CancellationToken ct = default);
}

/// <summary>
/// Everything a findings store holds, as <c>geo store copy</c> writes it: runs (every state, parameters, software,
/// times), permits (with their source and import time), findings (all fields, review state included), the review
/// history in store order, and the dispatch outbox with its sequences (the dispatch system's cursor stays valid on the
/// copy). The large parts are streams, read from the source while they are written.
/// </summary>
public sealed record FindingContent(
    IReadOnlyList<ChangeRun> Runs,
    IReadOnlyList<StoredPermit> Permits,
    IAsyncEnumerable<Finding> Findings,
    IAsyncEnumerable<FindingReview> Reviews,
    IAsyncEnumerable<OutboxEntry> Outbox)
{
    /// <summary>The content of <paramref name="store"/>: small lists read now, findings, reviews and outbox streamed.</summary>
    public static async Task<FindingContent> ReadAsync(IFindingStore store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store is not IFindingRestore restore)
            throw new NotSupportedException($"{store.GetType().Name} cannot read out its review history.");
        return new FindingContent(
            await store.ListRunsAsync(ct).ConfigureAwait(false),
            await store.ListPermitsAsync(ct).ConfigureAwait(false),
            store.ScanFindingsAsync(null, ct),
            restore.ReadAllReviewsAsync(ct),
            ReadOutboxAsync(store, ct));
    }

    /// <summary>Every outbox entry in sequence order, a page at a time.</summary>
    public static async IAsyncEnumerable<OutboxEntry> ReadOutboxAsync(IFindingStore store, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        long after = 0;
        while (true)
        {
            var page = await store.ReadOutboxAsync(after, 1000, ct).ConfigureAwait(false);
            foreach (var e in page.Items) yield return e;
            if (page.Items.Count == 0) yield break;
            after = page.Next;
        }
    }
}

/// <summary>How many rows of each findings table a copy wrote.</summary>
public sealed record FindingCounts(int Runs, int Permits, long Findings, long Reviews, long OutboxEntries);

/// <summary>
/// Value equality of two findings stores, as stored: runs (every field, the area polygon exactly), findings streamed
/// pairwise in id order (every field, the polygon exactly: same vertices in the same order), the review history in
/// store order, the outbox with its sequences, permits with source and import time.
/// </summary>
public static class FindingComparer
{
    /// <summary>Null when equal, else a short description of the first difference found.</summary>
    public static async Task<string?> FirstDifferenceAsync(IFindingStore a, IFindingStore b, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ra = await a.ListRunsAsync(ct).ConfigureAwait(false);
        var rb = await b.ListRunsAsync(ct).ConfigureAwait(false);
        if (ra.Count != rb.Count) return "run count";
        for (var i = 0; i < ra.Count; i++)
            if (RunDifference(ra[i], rb[i]) is { } d) return $"run {ra[i].Id}: {d}";

        var pa = await a.ListPermitsAsync(ct).ConfigureAwait(false);
        var pb = await b.ListPermitsAsync(ct).ConfigureAwait(false);
        if (pa.Count != pb.Count) return "permit count";
        for (var i = 0; i < pa.Count; i++)
        {
            var (x, y) = (pa[i], pb[i]);
            if (x.Source != y.Source || x.ImportedAt != y.ImportedAt || x.Permit with { Geometry = y.Permit.Geometry } != y.Permit
                || !SameGeometry(x.Permit.Geometry, y.Permit.Geometry))
                return $"permit {x.Permit.Number}";
        }

        if (await FirstAsync(a.ScanFindingsAsync(null, ct), b.ScanFindingsAsync(null, ct),
                static (x, y) => x with { Polygon = y.Polygon } == y && SameGeometry(x.Polygon, y.Polygon), static f => $"finding {f.Id}", "finding count", ct)
            .ConfigureAwait(false) is { } finding) return finding;
        if (a is not IFindingRestore xa || b is not IFindingRestore xb) return "findings backends without a full read";
        if (await FirstAsync(xa.ReadAllReviewsAsync(ct), xb.ReadAllReviewsAsync(ct), static (x, y) => x == y,
                static r => $"review of {r.FindingId} at {r.At:O}", "review count", ct).ConfigureAwait(false) is { } review) return review;
        return await FirstAsync(FindingContent.ReadOutboxAsync(a, ct), FindingContent.ReadOutboxAsync(b, ct), static (x, y) => x == y,
            static e => $"outbox entry {e.Sequence}", "outbox entry count", ct).ConfigureAwait(false);
    }

    /// <summary>Null when the two runs are equal in every field, else the first that differs.</summary>
    public static string? RunDifference(ChangeRun x, ChangeRun y)
    {
        if (x with { Area = null } != y with { Area = null }) return "fields";
        if ((x.Area is null) != (y.Area is null)) return "area";
        if (x.Area is { } ax && y.Area is { } ay)
        {
            if (!(ax.GridCodes ?? []).SequenceEqual(ay.GridCodes ?? [])) return "area grids";
            if ((ax.Polygon is null) != (ay.Polygon is null) || ax.Polygon is { } p && !SameGeometry(p, ay.Polygon!)) return "area polygon";
        }
        return null;
    }

    private static bool SameGeometry(NetTopologySuite.Geometries.Geometry x, NetTopologySuite.Geometries.Geometry y) =>
        x.GeometryType == y.GeometryType && y.SRID == 4490 && x.EqualsExact(y);

    private static async Task<string?> FirstAsync<T>(IAsyncEnumerable<T> a, IAsyncEnumerable<T> b, Func<T, T, bool> equal, Func<T, string> name,
        string countName, CancellationToken ct)
    {
        await using var ea = a.GetAsyncEnumerator(ct);
        await using var eb = b.GetAsyncEnumerator(ct);
        while (true)
        {
            var hasA = await ea.MoveNextAsync().ConfigureAwait(false);
            var hasB = await eb.MoveNextAsync().ConfigureAwait(false);
            if (hasA != hasB) return countName;
            if (!hasA) return null;
            if (!equal(ea.Current, eb.Current)) return name(ea.Current);
        }
    }
}
