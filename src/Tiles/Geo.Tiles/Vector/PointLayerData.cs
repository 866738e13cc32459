using Geo.Spatial.Tiles;

namespace Geo.Tiles.Vector;

/// <summary>One point feature with its thinning priority (lower wins a thinning cell) and a stable tie-breaker.</summary>
public readonly record struct PriorityPoint(VectorFeature Feature, double Lon, double Lat, int Priority, string Key);

/// <summary>
/// Many points (the component census: hundreds of thousands) in one layer, answered by binary search and thinned at
/// low zoom.
/// <para>Index: points are sorted by the Morton (Z-order) code of their zoom-24 Web Mercator cell, so every tile at
/// zoom 24 or less is one contiguous run found by two binary searches; a tile and its buffer are the runs of the 3x3
/// tiles around it, filtered to the buffered box.</para>
/// <para>Thinning (zooms below <see cref="FullDetailZoom"/>): the world is cut into cells of
/// <see cref="CellPixels"/> x <see cref="CellPixels"/> pixels of a 256-pixel tile at that zoom, and each cell keeps one
/// point: the lowest <see cref="PriorityPoint.Priority"/>, then the smallest key (so the pick is the same whatever
/// tile asks, and stable between requests). Each zoom's kept set is computed once, when the data is built, and
/// indexed the same way. From <see cref="FullDetailZoom"/> on every point is served.</para>
/// </summary>
public sealed class PointLayerData : IVectorLayerData
{
    private const int IndexZoom = 24;

    private readonly string _layer;
    private readonly Level _full;
    private readonly Dictionary<int, Level> _thinned = new();

    public PointLayerData(long revision, string layer, IReadOnlyList<PriorityPoint> points, int minZoom, int fullDetailZoom, int cellPixels = 8)
    {
        Revision = revision;
        _layer = layer;
        MinZoom = minZoom;
        FullDetailZoom = fullDetailZoom;
        CellPixels = cellPixels;
        _full = Level.Build(points);
        for (var z = minZoom; z < fullDetailZoom; z++) _thinned[z] = Level.Build(Thin(points, z, cellPixels));
        if (points.Count > 0)
        {
            double w = double.MaxValue, s = double.MaxValue, e = double.MinValue, n = double.MinValue;
            foreach (var p in points) { w = Math.Min(w, p.Lon); e = Math.Max(e, p.Lon); s = Math.Min(s, p.Lat); n = Math.Max(n, p.Lat); }
            Bounds = new Box(w, s, e, n);
        }
    }

    public long Revision { get; }

    public Box? Bounds { get; }

    public int MinZoom { get; }

    public int FullDetailZoom { get; }

    public int CellPixels { get; }

    /// <summary>How many points a zoom serves in total (all of them from <see cref="FullDetailZoom"/> on).</summary>
    public int CountAt(int zoom) => zoom < MinZoom ? 0 : zoom >= FullDetailZoom ? _full.Count : _thinned[zoom].Count;

    public void Query(string layer, TileId tile, Box lonLat, List<VectorFeature> into)
    {
        if (layer != _layer || tile.Z < MinZoom) return;
        var level = tile.Z >= FullDetailZoom ? _full : _thinned[tile.Z];
        var n = 1 << tile.Z;
        for (var dy = -1; dy <= 1; dy++)
        {
            var ty = tile.Y + dy;
            if (ty < 0 || ty >= n) continue;
            for (var dx = -1; dx <= 1; dx++)
            {
                var tx = tile.X + dx;
                if (tx < 0 || tx >= n) continue;
                var inside = dx == 0 && dy == 0;
                level.Range(tile.Z, tx, ty, out var from, out var to);
                for (var i = from; i < to; i++)
                {
                    if (!inside)
                    {
                        double lon = level.Lons[i], lat = level.Lats[i];
                        if (lon < lonLat.MinX || lon > lonLat.MaxX || lat < lonLat.MinY || lat > lonLat.MaxY) continue;
                    }
                    into.Add(level.Features[i]);
                }
            }
        }
    }

    private static List<PriorityPoint> Thin(IReadOnlyList<PriorityPoint> points, int zoom, int cellPixels)
    {
        var cells = (double)(1L << zoom) * 256 / cellPixels; // cells across the world at this zoom
        var best = new Dictionary<long, PriorityPoint>();
        foreach (var p in points)
        {
            var (u, v) = WebMercator.Normalized(p.Lon, p.Lat);
            var key = (long)Math.Floor(u * cells) * 4_000_000_000L + (long)Math.Floor(v * cells);
            if (!best.TryGetValue(key, out var kept) || p.Priority < kept.Priority ||
                (p.Priority == kept.Priority && string.CompareOrdinal(p.Key, kept.Key) < 0))
                best[key] = p;
        }
        return [.. best.Values];
    }

    private sealed class Level
    {
        public required ulong[] Codes { get; init; }
        public required double[] Lons { get; init; }
        public required double[] Lats { get; init; }
        public required VectorFeature[] Features { get; init; }
        public int Count => Codes.Length;

        public static Level Build(IReadOnlyList<PriorityPoint> points)
        {
            var codes = new ulong[points.Count];
            var order = new int[points.Count];
            for (var i = 0; i < codes.Length; i++)
            {
                var (u, v) = WebMercator.Normalized(points[i].Lon, points[i].Lat);
                const double size = 1 << IndexZoom;
                var x = (uint)Math.Clamp(u * size, 0, size - 1);
                var y = (uint)Math.Clamp(v * size, 0, size - 1);
                codes[i] = Interleave(x, y);
                order[i] = i;
            }
            Array.Sort(codes, order);
            var lons = new double[codes.Length]; var lats = new double[codes.Length]; var features = new VectorFeature[codes.Length];
            for (var i = 0; i < codes.Length; i++)
            {
                var p = points[order[i]];
                lons[i] = p.Lon; lats[i] = p.Lat; features[i] = p.Feature;
            }
            return new Level { Codes = codes, Lons = lons, Lats = lats, Features = features };
        }

        public void Range(int z, int x, int y, out int from, out int to)
        {
            var shift = 2 * (IndexZoom - z);
            var lo = Interleave((uint)x, (uint)y) << shift;
            var hi = lo + (1UL << shift);
            from = LowerBound(lo);
            to = LowerBound(hi);
        }

        private int LowerBound(ulong key)
        {
            int lo = 0, hi = Codes.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Codes[mid] < key) lo = mid + 1; else hi = mid;
            }
            return lo;
        }
    }

    /// <summary>Morton code: bit i of x at 2i, bit i of y at 2i + 1.</summary>
    internal static ulong Interleave(uint x, uint y) => Spread(x) | (Spread(y) << 1);

    private static ulong Spread(uint v)
    {
        ulong x = v;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        return x;
    }
}
