using Geo.Formats;
using Geo.GridService.Storage;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Application.Features;

/// <summary>A bounding box in CGCS2000 degrees (x = longitude, y = latitude), the store's frame.</summary>
public readonly record struct LonLatBox(double West, double South, double East, double North)
{
    public Envelope ToEnvelope() => new(West, East, South, North);
}

/// <summary>One page of a collection: features in EPSG:4490 (x = longitude, y = latitude) and how many match in all.</summary>
public sealed record FeaturePage(IReadOnlyList<VectorFeature> Features, long NumberMatched);

/// <summary>
/// A collection published through OGC API Features (<c>/ogc</c>): the grids now, the census and findings as they
/// arrive. Each feature's <c>id</c> attribute is its stable identifier in the collection.
/// </summary>
public interface IFeatureCollectionSource
{
    string Id { get; }
    string Title { get; }
    string Description { get; }

    /// <summary>The extent of the data in CGCS2000 degrees; null when the collection is empty.</summary>
    Task<LonLatBox?> ExtentAsync(CancellationToken ct);

    /// <summary>Features intersecting <paramref name="bbox"/> (all when null) in a stable order, <paramref name="offset"/>
    /// skipped, at most <paramref name="limit"/>.</summary>
    Task<FeaturePage> QueryAsync(LonLatBox? bbox, int offset, int limit, CancellationToken ct);

    Task<VectorFeature?> GetAsync(string id, CancellationToken ct);
}

/// <summary>The responsibility grids of the version valid today, in code order; <c>id</c> = grid code.</summary>
public sealed class GridFeatureSource(IGridStore store, OwnershipService ownership) : IFeatureCollectionSource
{
    private (long Revision, int Version, VectorFeature[] Features)? _cache;

    public string Id => "grids";
    public string Title => "责任网格 Responsibility grids";
    public string Description => "The unit grids (单元网格) of the version valid today, with subdistrict and community.";

    public async Task<LonLatBox?> ExtentAsync(CancellationToken ct)
    {
        var all = await AllAsync(ct);
        if (all.Length == 0) return null;
        var e = new Envelope();
        foreach (var f in all) e.ExpandToInclude(f.Geometry!.EnvelopeInternal);
        return new LonLatBox(e.MinX, e.MinY, e.MaxX, e.MaxY);
    }

    public async Task<FeaturePage> QueryAsync(LonLatBox? bbox, int offset, int limit, CancellationToken ct)
    {
        var all = await AllAsync(ct);
        IEnumerable<VectorFeature> hits = all;
        if (bbox is { } b)
        {
            var box = new GeometryFactory().ToGeometry(b.ToEnvelope());
            hits = all.Where(f => f.Geometry!.EnvelopeInternal.Intersects(box.EnvelopeInternal) && f.Geometry.Intersects(box));
        }
        var matched = hits.ToList();
        return new FeaturePage(matched.Skip(offset).Take(limit).ToList(), matched.Count);
    }

    public async Task<VectorFeature?> GetAsync(string id, CancellationToken ct) =>
        (await AllAsync(ct)).FirstOrDefault(f => (string?)f.Attributes["id"] == id);

    private async Task<VectorFeature[]> AllAsync(CancellationToken ct)
    {
        var snapshot = ownership.Snapshot;
        var current = snapshot.Current;
        if (current is null) return [];
        if (_cache is { } c && c.Revision == snapshot.Revision && c.Version == current.Number) return c.Features;
        var grids = await store.GetGridsAsync(current.Number, ct);
        var features = GridFiles.ToFeatures(grids, current)
            .Select(f => f with { Attributes = new Dictionary<string, object?>(f.Attributes) { ["id"] = f.Attributes["code"] } })
            .ToArray();
        _cache = (snapshot.Revision, current.Number, features);
        return features;
    }
}
