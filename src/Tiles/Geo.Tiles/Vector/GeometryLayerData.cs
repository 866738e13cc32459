using Geo.Spatial.Tiles;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace Geo.Tiles.Vector;

/// <summary>
/// Features of any geometry type in an STR-tree by envelope, per layer name: the in-memory data behind small and
/// middle-sized layers (grids, findings). Immutable once built.
/// </summary>
public sealed class GeometryLayerData : IVectorLayerData
{
    private readonly Dictionary<string, STRtree<VectorFeature>> _layers = new(StringComparer.Ordinal);

    public GeometryLayerData(long revision, IReadOnlyDictionary<string, IReadOnlyList<VectorFeature>> layers)
    {
        Revision = revision;
        Envelope? all = null;
        foreach (var (name, features) in layers)
        {
            var tree = new STRtree<VectorFeature>(Math.Max(2, Math.Min(10, features.Count)));
            foreach (var f in features)
            {
                if (f.Geometry.IsEmpty) continue;
                var e = f.Geometry.EnvelopeInternal;
                tree.Insert(e, f);
                all ??= new Envelope(e);
                all.ExpandToInclude(e);
            }
            tree.Build();
            _layers[name] = tree;
        }
        Bounds = all is null ? null : new Box(all.MinX, all.MinY, all.MaxX, all.MaxY);
    }

    public long Revision { get; }

    public Box? Bounds { get; }

    public void Query(string layer, TileId tile, Box lonLat, List<VectorFeature> into)
    {
        if (!_layers.TryGetValue(layer, out var tree)) return;
        foreach (var f in tree.Query(new Envelope(lonLat.MinX, lonLat.MaxX, lonLat.MinY, lonLat.MaxY))) into.Add(f);
    }
}
