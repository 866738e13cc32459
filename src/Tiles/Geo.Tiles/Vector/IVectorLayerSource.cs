using Geo.Spatial.Tiles;

namespace Geo.Tiles.Vector;

/// <summary>
/// A named tile layer of the service (<c>/api/v1/tiles/{name}/{z}/{x}/{y}.mvt</c>): grids, components, findings.
/// One small contract per backend, as in martin: the source hands out a consistent view of its data at one revision,
/// and the tile service does the encoding and caching. A new revision must be reported as soon as the data changed,
/// so that no stale tile is ever served (the cache is keyed by revision).
/// </summary>
public interface IVectorLayerSource
{
    /// <summary>The URL name of the layer: lower-case letters, digits, '-' and '_'.</summary>
    string Name { get; }

    /// <summary>A human title (Chinese first) for TileJSON.</summary>
    string Title { get; }

    /// <summary>Zoom range the data is meant for; clients overzoom the deepest level.</summary>
    int MinZoom { get; }

    int MaxZoom { get; }

    /// <summary>The layers each tile of this source carries (usually one; grids add a label-point layer).</summary>
    IReadOnlyList<VectorLayerSchema> Layers { get; }

    /// <summary>The current data. Cheap when nothing changed (returns the same object).</summary>
    ValueTask<IVectorLayerData> GetDataAsync(CancellationToken ct = default);
}

/// <summary>An immutable view of a source's data at one revision.</summary>
public interface IVectorLayerData
{
    /// <summary>Changes whenever any feature changed; equal revisions mean equal tiles.</summary>
    long Revision { get; }

    /// <summary>Extent of the data in degrees (x = longitude, y = latitude); null when empty.</summary>
    Box? Bounds { get; }

    /// <summary>
    /// Adds to <paramref name="into"/> the features of layer <paramref name="layer"/> (one of the source's
    /// <see cref="IVectorLayerSource.Layers"/>) that may intersect <paramref name="lonLat"/> (the tile's box grown by
    /// its buffer, in degrees), thinned as the source sees fit for <paramref name="tile"/>'s zoom. Features reaching
    /// outside the box are fine: the encoder clips.
    /// </summary>
    void Query(string layer, TileId tile, Box lonLat, List<VectorFeature> into);
}
