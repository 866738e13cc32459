using Geo.GridService.Codes;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Census;

/// <summary>A component found by <see cref="CensusIndex.Nearest"/>: its code and distance in metres.</summary>
public readonly record struct NearbyComponent(ComponentCode Code, double DistanceMetres);

/// <summary>
/// An immutable in-memory spatial index of the census at one store revision, for the street collector's question
/// "which cover is this?" (nearest N of a class) and map-window queries (bbox, keyset-paged by code).
/// <para><b>Coordinates:</b> queries take EPSG:4490 lon/lat (x = lon, y = lat). Internally everything is projected once
/// to a local equirectangular metric frame centred on the data (error under 0.5 % across a city), and distances are
/// metres in that frame: to the point, or to the nearest part of a line or polygon (0 inside a polygon).</para>
/// <para><b>How:</b> uniform cell grids (compressed rows) — one over everything for bbox queries and one per minor class
/// for nearest-N, searched in rings outwards until the N-th best distance is closer than the next ring.</para>
/// </summary>
public sealed class CensusIndex
{
    private const double MetresPerDegreeLat = 110_574.0;
    private const double MetresPerDegreeLonAtEquator = 111_320.0;

    private readonly long[] _codes;
    private readonly double[] _minX, _minY, _maxX, _maxY;  // local metres
    private readonly int[] _class;                            // 4 class digits as an int (0101 -> 101)
    private readonly ComponentStatus[] _status;
    private readonly Dictionary<int, Geometry> _shapes;       // non-points, in local metres
    private readonly double _lon0, _lat0, _kx;
    private readonly CellGrid _all;
    private readonly Dictionary<int, CellGrid> _byClass;

    private CensusIndex(long revision, Builder b)
    {
        Revision = revision;
        var n = b.Count;
        _codes = b.Codes.ToArray();
        _class = new int[n];
        _status = b.Statuses.ToArray();
        _minX = new double[n]; _minY = new double[n]; _maxX = new double[n]; _maxY = new double[n];
        if (n > 0)
        {
            _lon0 = (b.ExtentMinX + b.ExtentMaxX) / 2;
            _lat0 = (b.ExtentMinY + b.ExtentMaxY) / 2;
        }
        _kx = MetresPerDegreeLonAtEquator * Math.Cos(_lat0 * Math.PI / 180);
        _shapes = [];
        for (var i = 0; i < n; i++)
        {
            _class[i] = (int)(_codes[i] / 1_000_000 % 10_000);
            (_minX[i], _minY[i]) = ToLocal(b.MinX[i], b.MinY[i]);
            (_maxX[i], _maxY[i]) = ToLocal(b.MaxX[i], b.MaxY[i]);
        }
        foreach (var (i, shape) in b.Shapes)
        {
            var local = shape.Copy();
            local.Apply(new LocalFilter(this));
            local.GeometryChanged();
            _shapes[i] = local;
        }
        var all = new int[n];
        for (var i = 0; i < n; i++) all[i] = i;
        _all = new CellGrid(this, all);
        _byClass = [];
        foreach (var group in Enumerable.Range(0, n).GroupBy(i => _class[i]))
            _byClass[group.Key] = new CellGrid(this, group.ToArray());
    }

    public long Revision { get; }

    public int Count => _codes.Length;

    private (double X, double Y) ToLocal(double lon, double lat) => ((lon - _lon0) * _kx, (lat - _lat0) * MetresPerDegreeLat);

    /// <summary>
    /// The <paramref name="n"/> components nearest to (lon, lat), closest first (ties by code), optionally of one minor
    /// or major class and one status, within <paramref name="maxDistanceMetres"/>.
    /// </summary>
    public IReadOnlyList<NearbyComponent> Nearest(double lon, double lat, int n, ClassCode? cls = null, ComponentStatus? status = null,
        double maxDistanceMetres = double.PositiveInfinity)
    {
        if (n <= 0 || Count == 0) return [];
        var (px, py) = ToLocal(lon, lat);
        var best = new List<(double D, int I)>(n + 1);
        if (cls is { IsMinor: true } minor)
        {
            if (_byClass.TryGetValue(int.Parse(minor.Digits, System.Globalization.CultureInfo.InvariantCulture), out var grid))
                grid.Nearest(px, py, n, -1, status, maxDistanceMetres, best);
        }
        else if (cls is { } major)
        {
            var m = int.Parse(major.Digits, System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (key, grid) in _byClass)
                if (key / 100 == m) grid.Nearest(px, py, n, -1, status, maxDistanceMetres, best);
        }
        else _all.Nearest(px, py, n, -1, status, maxDistanceMetres, best);
        return best.Select(b => new NearbyComponent(ComponentCode.FromNumber(_codes[b.I]), Math.Round(b.D, 2))).ToArray();
    }

    /// <summary>
    /// Codes of components whose envelope intersects the EPSG:4490 box, optionally filtered, in code order after
    /// <paramref name="after"/>, at most <paramref name="limit"/>; <c>Next</c> is the cursor of the next page.
    /// </summary>
    public (IReadOnlyList<ComponentCode> Codes, ComponentCode? Next) InBox(Envelope box, int limit, ComponentCode? after = null,
        ClassCode? cls = null, ComponentStatus? status = null)
    {
        if (Count == 0 || limit <= 0) return ([], null);
        var (x0, y0) = ToLocal(box.MinX, box.MinY);
        var (x1, y1) = ToLocal(box.MaxX, box.MaxY);
        var afterCode = after is { } a ? a.Number : long.MinValue;
        int classKey = -1, classDiv = 1;
        if (cls is { } k)
        {
            classKey = int.Parse(k.Digits, System.Globalization.CultureInfo.InvariantCulture);
            classDiv = k.IsMinor ? 1 : 100;
        }
        // Keep the limit + 1 smallest codes in a max-heap: O(matches log limit), no full sort.
        var heap = new PriorityQueue<long, long>(limit + 2, Comparer<long>.Create(static (p, q) => q.CompareTo(p)));
        HashSet<int>? seen = null;
        _all.Visit(x0, y0, x1, y1, i =>
        {
            if (_codes[i] <= afterCode) return;
            if (_maxX[i] < x0 || _minX[i] > x1 || _maxY[i] < y0 || _minY[i] > y1) return;
            if (classKey >= 0 && _class[i] / classDiv != classKey) return;
            if (status is { } s && _status[i] != s) return;
            if (_shapes.ContainsKey(i) && !(seen ??= []).Add(i)) return;
            if (heap.Count <= limit) heap.Enqueue(_codes[i], _codes[i]);
            else if (_codes[i] < heap.Peek()) heap.EnqueueDequeue(_codes[i], _codes[i]);
        });
        var result = new long[heap.Count];
        for (var j = result.Length - 1; j >= 0; j--) result[j] = heap.Dequeue();
        ComponentCode? next = null;
        var count = result.Length;
        if (count > limit)
        {
            count = limit;
            next = ComponentCode.FromNumber(result[limit - 1]);
        }
        var codes = new ComponentCode[count];
        for (var j = 0; j < count; j++) codes[j] = ComponentCode.FromNumber(result[j]);
        return (codes, next);
    }

    private double Distance(int i, double px, double py)
    {
        if (_shapes.TryGetValue(i, out var shape)) return shape.Distance(new Point(px, py));
        var dx = px - _minX[i];
        var dy = py - _minY[i];
        return Math.Sqrt(dx * dx + dy * dy);
    }

    private static double EnvelopeDistance(CensusIndex ix, int i, double px, double py)
    {
        var dx = Math.Max(0, Math.Max(ix._minX[i] - px, px - ix._maxX[i]));
        var dy = Math.Max(0, Math.Max(ix._minY[i] - py, py - ix._maxY[i]));
        return Math.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>A uniform grid over a subset of items (compressed rows: cell -> item indices).</summary>
    private sealed class CellGrid
    {
        private readonly CensusIndex _ix;
        private readonly double _x0, _y0, _cell;
        private readonly int _nx, _ny;
        private readonly int[] _offsets, _items;

        public CellGrid(CensusIndex ix, int[] members)
        {
            _ix = ix;
            double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
            foreach (var i in members)
            {
                minX = Math.Min(minX, ix._minX[i]); minY = Math.Min(minY, ix._minY[i]);
                maxX = Math.Max(maxX, ix._maxX[i]); maxY = Math.Max(maxY, ix._maxY[i]);
            }
            var w = Math.Max(maxX - minX, 1);
            var h = Math.Max(maxY - minY, 1);
            // About 8 items per cell, at most 2048 x 2048 cells, cells at least 5 m.
            var cells = Math.Max(1.0, members.Length / 8.0);
            _cell = Math.Max(5, Math.Sqrt(w * h / cells));
            _nx = Math.Clamp((int)Math.Ceiling(w / _cell), 1, 2048);
            _ny = Math.Clamp((int)Math.Ceiling(h / _cell), 1, 2048);
            _cell = Math.Max(_cell, Math.Max(w / _nx, h / _ny));
            _x0 = minX;
            _y0 = minY;
            var counts = new int[_nx * _ny + 1];
            foreach (var i in members) ForCells(i, c => counts[c + 1]++);
            for (var c = 0; c < _nx * _ny; c++) counts[c + 1] += counts[c];
            _offsets = counts;
            _items = new int[counts[^1]];
            var fill = (int[])counts.Clone();
            foreach (var i in members) ForCells(i, c => _items[fill[c]++] = i);
        }

        private int Cx(double x) => Math.Clamp((int)((x - _x0) / _cell), 0, _nx - 1);

        private int Cy(double y) => Math.Clamp((int)((y - _y0) / _cell), 0, _ny - 1);

        private void ForCells(int i, Action<int> action)
        {
            int cx0 = Cx(_ix._minX[i]), cx1 = Cx(_ix._maxX[i]), cy0 = Cy(_ix._minY[i]), cy1 = Cy(_ix._maxY[i]);
            for (var cy = cy0; cy <= cy1; cy++)
                for (var cx = cx0; cx <= cx1; cx++) action(cy * _nx + cx);
        }

        public void Visit(double x0, double y0, double x1, double y1, Action<int> visit)
        {
            if (x1 < _x0 || y1 < _y0 || x0 > _x0 + _nx * _cell || y0 > _y0 + _ny * _cell) return;
            int cx0 = Cx(x0), cx1 = Cx(x1), cy0 = Cy(y0), cy1 = Cy(y1);
            for (var cy = cy0; cy <= cy1; cy++)
                for (var cx = cx0; cx <= cx1; cx++)
                {
                    var c = cy * _nx + cx;
                    for (var k = _offsets[c]; k < _offsets[c + 1]; k++) visit(_items[k]);
                }
        }

        /// <summary>Merges this grid's nearest items into <paramref name="best"/> (sorted ascending, at most n).</summary>
        public void Nearest(double px, double py, int n, int unused, ComponentStatus? status, double maxDistance, List<(double D, int I)> best)
        {
            _ = unused;
            // Ring r holds the cells at Chebyshev distance r from the query's (clamped) cell: every point in them is at least
            // (r - 1) cells away from the query, so once that exceeds the N-th best distance the search is complete.
            int cx = Cx(px), cy = Cy(py);
            var maxRing = Math.Max(_nx, _ny);
            HashSet<int>? seen = null;
            for (var r = 0; r <= maxRing; r++)
            {
                var ringMin = (r - 1) * _cell;
                if (r > 0 && (ringMin > maxDistance || best.Count >= n && ringMin > best[^1].D)) break;
                for (var y = cy - r; y <= cy + r; y++)
                {
                    if (y < 0 || y >= _ny) continue;
                    var edgeRow = y == cy - r || y == cy + r;
                    for (var x = cx - r; x <= cx + r; x += edgeRow ? 1 : 2 * r)
                    {
                        if (x >= 0 && x < _nx)
                        {
                            var c = y * _nx + x;
                            for (var k = _offsets[c]; k < _offsets[c + 1]; k++)
                            {
                                var i = _items[k];
                                if (status is { } s && _ix._status[i] != s) continue;
                                if (best.Count >= n && EnvelopeDistance(_ix, i, px, py) > best[^1].D) continue;
                                if (_ix._shapes.ContainsKey(i) && !(seen ??= []).Add(i)) continue;
                                var d = _ix.Distance(i, px, py);
                                if (d > maxDistance) continue;
                                Insert(best, n, d, i, _ix._codes);
                            }
                        }
                        if (r == 0) break;
                    }
                }
            }
        }

        private static void Insert(List<(double D, int I)> best, int n, double d, int i, long[] codes)
        {
            if (best.Count >= n && (d > best[^1].D || d == best[^1].D && codes[i] > codes[best[^1].I])) return;
            var pos = best.Count;
            while (pos > 0 && (best[pos - 1].D > d || best[pos - 1].D == d && codes[best[pos - 1].I] > codes[i])) pos--;
            best.Insert(pos, (d, i));
            if (best.Count > n) best.RemoveAt(best.Count - 1);
        }
    }

    private sealed class LocalFilter(CensusIndex ix) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var (x, y) = ix.ToLocal(seq.GetX(i), seq.GetY(i));
            seq.SetX(i, x);
            seq.SetY(i, y);
        }
    }

    /// <summary>Collects locations (e.g. from <see cref="ICensusStore.ScanLocationsAsync"/>) and builds the index.</summary>
    public sealed class Builder
    {
        internal readonly List<long> Codes = [];
        internal readonly List<ComponentStatus> Statuses = [];
        internal readonly List<double> MinX = [], MinY = [], MaxX = [], MaxY = [];
        internal readonly List<(int, Geometry)> Shapes = [];
        internal double ExtentMinX = double.MaxValue, ExtentMinY = double.MaxValue, ExtentMaxX = double.MinValue, ExtentMaxY = double.MinValue;

        public int Count => Codes.Count;

        public void Add(in ComponentLocation l)
        {
            if (l.Shape is { } s) Shapes.Add((Codes.Count, s));
            Codes.Add(l.Code);
            Statuses.Add(l.Status);
            MinX.Add(l.MinX); MinY.Add(l.MinY); MaxX.Add(l.MaxX); MaxY.Add(l.MaxY);
            ExtentMinX = Math.Min(ExtentMinX, l.MinX); ExtentMinY = Math.Min(ExtentMinY, l.MinY);
            ExtentMaxX = Math.Max(ExtentMaxX, l.MaxX); ExtentMaxY = Math.Max(ExtentMaxY, l.MaxY);
        }

        public CensusIndex Build(long revision) => new(revision, this);
    }
}
