using Geo.GridService.Grids;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Ownership;

/// <summary>The grid that owns a point, and whether the point is on (within tolerance of) a grid boundary.</summary>
/// <param name="GridIndex">Position of the owning grid in the set, or -1 when no grid covers the point.</param>
public readonly record struct GridHit(int GridIndex, bool OnBoundary)
{
    public static readonly GridHit None = new(-1, false);
    public bool Found => GridIndex >= 0;
}

/// <summary>
/// Point-to-grid lookup for one grid version, exact and fast (tens of millions of lookups per second per core on a
/// city's grids).
/// <para><b>Coordinates:</b> EPSG:4490 (CGCS2000 geographic), x = longitude, y = latitude, degrees.</para>
/// <para><b>Ownership rule:</b> the owner is the grid that covers the point (interior or boundary, as
/// <c>Geometry.Covers</c>). A point covered by several grids (on a shared edge or vertex, or in an overlap below the
/// import tolerance) belongs to the one with the lowest grid code (ordinal): deterministic, so dispatch never sees two
/// owners. Grids are held in code order, so "lowest code" is "lowest index".</para>
/// <para><b>Boundary flag:</b> <see cref="GridHit.OnBoundary"/> is true when the point is within
/// <see cref="BoundaryToleranceMetres"/> of the owner's boundary (a field report that close to a line is worth a
/// second look by the dispatcher).</para>
/// <para><b>How:</b> a raster of up to <see cref="MaxCellsPerSide"/>² cells over the grids' extent, filled grid by
/// grid by walking the boundary segments (edge cells) and scanning row centre lines (interior cells). A cell lying inside one grid with a margin of the tolerance answers directly; a cell crossed
/// by a boundary holds the few candidate grids, which are tested exactly with indexed point-in-area locators.</para>
/// </summary>
public sealed class GridIndex
{
    /// <summary>Cells per side of the lookup raster at most (4 MB of cells).</summary>
    public const int MaxCellsPerSide = 1024;

    private const double MetresPerDegreeLat = 110_574.0;
    private const double MetresPerDegreeLonAtEquator = 111_320.0;

    private readonly Grid[] _grids;
    private readonly IPointOnGeometryLocator[] _locators;
    private readonly double[] _segments;    // boundary segments in the local metric frame: x0, y0, x1, y1 per segment
    private readonly int[] _segOffsets;     // edge list i has segments _segItems[_segOffsets[i] .. _segOffsets[i + 1]]
    private readonly int[] _segItems;
    private readonly int[] _gridSegStart;   // grid g owns segments _gridSegStart[g] .. _gridSegStart[g + 1]
    private readonly Envelope[] _localEnvelopes;
    private readonly double _minX, _minY, _invCell;
    private readonly int _nx, _ny;
    private readonly int[] _cells;          // -1 outside, >= 0 interior of grid, <= -2 edge list -(v + 2)
    private readonly int[] _edgeOffsets;    // edge list i is _edgeItems[_edgeOffsets[i] .. _edgeOffsets[i + 1]]
    private readonly int[] _edgeItems;
    private readonly double _lat0Cos;

    /// <param name="grids">The grids of one version, ordered by code (as the store returns them).</param>
    /// <param name="boundaryToleranceMetres">Distance to a boundary under which a point is flagged on-boundary.</param>
    public GridIndex(IReadOnlyList<Grid> grids, double boundaryToleranceMetres = 0.5)
    {
        if (boundaryToleranceMetres < 0 || double.IsNaN(boundaryToleranceMetres))
            throw new ArgumentOutOfRangeException(nameof(boundaryToleranceMetres));
        for (var i = 1; i < grids.Count; i++)
            if (grids[i - 1].Code.CompareTo(grids[i].Code) >= 0)
                throw new ArgumentException("Grids must be ordered by code, without duplicates.", nameof(grids));

        _grids = [.. grids];
        BoundaryToleranceMetres = boundaryToleranceMetres;
        _locators = _grids.Select(g => (IPointOnGeometryLocator)new IndexedPointInAreaLocator(g.Geometry)).ToArray();

        var extent = new Envelope();
        foreach (var g in _grids) extent.ExpandToInclude(g.Geometry.EnvelopeInternal);
        if (extent.IsNull) extent = new Envelope(0, 0, 0, 0);
        _lat0Cos = Math.Cos(extent.Centre.Y * Math.PI / 180);

        // Margin in degrees that is at least the tolerance in every direction (longitude degrees are the shorter).
        var margin = boundaryToleranceMetres / (MetresPerDegreeLonAtEquator * Math.Max(_lat0Cos, 1e-6)) + 1e-12;
        var span = Math.Max(extent.Width, extent.Height);
        var cell = span > 0 ? span / MaxCellsPerSide : 1e-6;
        _minX = extent.MinX;
        _minY = extent.MinY;
        _invCell = 1 / cell;
        _nx = Math.Max(1, (int)Math.Ceiling(extent.Width / cell));
        _ny = Math.Max(1, (int)Math.Ceiling(extent.Height / cell));
        _cells = new int[_nx * _ny];
        Array.Fill(_cells, -1);

        var edges = new Dictionary<int, List<int>>();
        var stamp = new int[_cells.Length]; // g + 1 where grid g's boundary passes within the margin of the cell
        var crossings = new List<double>();
        for (var g = 0; g < _grids.Length; g++)
        {
            var env = _grids[g].Geometry.EnvelopeInternal;
            var x0 = Math.Clamp((int)Math.Floor((env.MinX - margin - _minX) * _invCell), 0, _nx - 1);
            var x1 = Math.Clamp((int)Math.Floor((env.MaxX + margin - _minX) * _invCell), 0, _nx - 1);
            var y0 = Math.Clamp((int)Math.Floor((env.MinY - margin - _minY) * _invCell), 0, _ny - 1);
            var y1 = Math.Clamp((int)Math.Floor((env.MaxY + margin - _minY) * _invCell), 0, _ny - 1);
            Fill(g, x0, y0, x1, y1, cell, margin, edges, stamp, crossings);
        }

        // Freeze edge lists: ascending grid index, so the first covering candidate is the owner.
        _edgeOffsets = new int[edges.Count + 1];
        var items = new List<int>();
        var next = 0;
        foreach (var (cellIndex, list) in edges)
        {
            list.Sort();
            _edgeOffsets[next] = items.Count;
            items.AddRange(list.Distinct());
            _cells[cellIndex] = -(next + 2);
            next++;
        }
        _edgeOffsets[next] = items.Count;
        _edgeItems = [.. items];
        EdgeCellCount = edges.Count;
        _gridSegStart = new int[_grids.Length + 1];
        (_segments, _segOffsets, _segItems) = BuildSegments(cell, margin, next);
        // The local frame scales each axis, so a grid's envelope there is its degree envelope scaled.
        _localEnvelopes = _grids.Select(g =>
        {
            var e = g.Geometry.EnvelopeInternal;
            var (x0, y0) = ToLocal(e.MinX, e.MinY);
            var (x1, y1) = ToLocal(e.MaxX, e.MaxY);
            return new Envelope(x0, x1, y0, y1);
        }).ToArray();
    }

    public IReadOnlyList<Grid> Grids => _grids;

    public double BoundaryToleranceMetres { get; }

    /// <summary>Cells that need an exact test (diagnostics and benchmarks).</summary>
    public int EdgeCellCount { get; }

    public int CellCount => _cells.Length;

    /// <summary>Finds the owner of a point given in EPSG:4490 (x = longitude, y = latitude, degrees).</summary>
    public GridHit Locate(double lon, double lat)
    {
        var fx = (lon - _minX) * _invCell;
        var fy = (lat - _minY) * _invCell;
        // Also rejects NaN: every comparison with NaN is false.
        if (!(fx >= 0 && fy >= 0 && fx <= _nx && fy <= _ny)) return GridHit.None;
        var cx = Math.Min((int)fx, _nx - 1);
        var cy = Math.Min((int)fy, _ny - 1);
        var v = _cells[cy * _nx + cx];
        if (v >= 0) return new GridHit(v, false);
        if (v == -1) return GridHit.None;
        return LocateExact(-(v + 2), lon, lat);
    }

    private GridHit LocateExact(int edgeList, double lon, double lat)
    {
        var p = new Coordinate(lon, lat);
        for (var i = _edgeOffsets[edgeList]; i < _edgeOffsets[edgeList + 1]; i++)
        {
            var g = _edgeItems[i];
            var loc = _locators[g].Locate(p);
            if (loc == Location.Exterior) continue;
            var onBoundary = loc == Location.Boundary || NearSegment(edgeList, lon, lat);
            return new GridHit(g, onBoundary);
        }
        return GridHit.None;
    }

    // Is the point within the tolerance of a boundary segment passing near its cell? Every boundary segment that comes
    // within the tolerance of the cell is listed for it, so this is exact up to the local-frame scale.
    private bool NearSegment(int edgeList, double lon, double lat)
    {
        var (px, py) = ToLocal(lon, lat);
        var tol2 = BoundaryToleranceMetres * BoundaryToleranceMetres;
        var seg = _segments;
        for (var i = _segOffsets[edgeList]; i < _segOffsets[edgeList + 1]; i++)
        {
            var k = _segItems[i] * 4;
            double x0 = seg[k], y0 = seg[k + 1], dx = seg[k + 2] - x0, dy = seg[k + 3] - y0;
            var len2 = dx * dx + dy * dy;
            var t = len2 > 0 ? Math.Clamp(((px - x0) * dx + (py - y0) * dy) / len2, 0, 1) : 0;
            var ex = x0 + t * dx - px;
            var ey = y0 + t * dy - py;
            if (ex * ex + ey * ey <= tol2) return true;
        }
        return false;
    }

    private (double[] Segments, int[] Offsets, int[] Items) BuildSegments(double cell, double margin, int edgeListCount)
    {
        var segments = new List<double>();
        var perList = new List<int>?[edgeListCount];
        for (var gi = 0; gi < _grids.Length; gi++)
        {
            var grid = _grids[gi];
            _gridSegStart[gi] = segments.Count / 4;
            var boundary = grid.Geometry.Boundary;
            for (var part = 0; part < boundary.NumGeometries; part++)
            {
                var cs = ((LineString)boundary.GetGeometryN(part)).CoordinateSequence;
                for (var i = 0; i + 1 < cs.Count; i++)
                {
                    double ax = cs.GetX(i), ay = cs.GetY(i), bx = cs.GetX(i + 1), by = cs.GetY(i + 1);
                    var id = segments.Count / 4;
                    var (lax, lay) = ToLocal(ax, ay);
                    var (lbx, lby) = ToLocal(bx, by);
                    segments.Add(lax); segments.Add(lay); segments.Add(lbx); segments.Add(lby);
                    var x0 = Math.Clamp((int)Math.Floor((Math.Min(ax, bx) - margin - _minX) * _invCell), 0, _nx - 1);
                    var x1 = Math.Clamp((int)Math.Floor((Math.Max(ax, bx) + margin - _minX) * _invCell), 0, _nx - 1);
                    var y0 = Math.Clamp((int)Math.Floor((Math.Min(ay, by) - margin - _minY) * _invCell), 0, _ny - 1);
                    var y1 = Math.Clamp((int)Math.Floor((Math.Max(ay, by) + margin - _minY) * _invCell), 0, _ny - 1);
                    for (var y = y0; y <= y1; y++)
                        for (var x = x0; x <= x1; x++)
                        {
                            var v = _cells[y * _nx + x];
                            if (v > -2) continue; // only edge cells need segments
                            if (!SegmentHitsBox(ax, ay, bx, by, _minX + x * cell - margin, _minY + y * cell - margin,
                                    _minX + (x + 1) * cell + margin, _minY + (y + 1) * cell + margin)) continue;
                            (perList[-(v + 2)] ??= new List<int>(4)).Add(id);
                        }
                }
            }
        }
        _gridSegStart[_grids.Length] = segments.Count / 4;
        var offsets = new int[edgeListCount + 1];
        var items = new List<int>();
        for (var i = 0; i < edgeListCount; i++)
        {
            offsets[i] = items.Count;
            if (perList[i] is { } l) items.AddRange(l);
        }
        offsets[edgeListCount] = items.Count;
        return ([.. segments], offsets, [.. items]);
    }

    /// <summary>The grid nearest to a point outside every grid, with its distance in metres (local frame): the distance
    /// to the nearest boundary segment. Grids are visited in order of their envelope's distance and the search stops
    /// when the next envelope is farther than the best segment found, so only the two or three closest grids are
    /// scanned. No allocation for up to 512 grids.</summary>
    public (int GridIndex, double DistanceMetres) Nearest(double lon, double lat)
    {
        if (_grids.Length == 0 || !double.IsFinite(lon) || !double.IsFinite(lat)) return (-1, double.NaN);
        var (px, py) = ToLocal(lon, lat);
        var n = _grids.Length;
        double[]? rentedKeys = null;
        int[]? rentedOrder = null;
        var keys = n <= 512 ? stackalloc double[n] : (rentedKeys = System.Buffers.ArrayPool<double>.Shared.Rent(n)).AsSpan(0, n);
        var order = n <= 512 ? stackalloc int[n] : (rentedOrder = System.Buffers.ArrayPool<int>.Shared.Rent(n)).AsSpan(0, n);
        for (var g = 0; g < n; g++)
        {
            var e = _localEnvelopes[g];
            var ex = Math.Max(0, Math.Max(e.MinX - px, px - e.MaxX));
            var ey = Math.Max(0, Math.Max(e.MinY - py, py - e.MaxY));
            keys[g] = ex * ex + ey * ey;
            order[g] = g;
        }
        keys.Sort(order);
        var best = -1;
        var best2 = double.PositiveInfinity;
        var seg = _segments;
        for (var k = 0; k < n && keys[k] <= best2; k++)
        {
            var g = order[k];
            for (var i = _gridSegStart[g]; i < _gridSegStart[g + 1]; i++)
            {
                var j = i * 4;
                double x0 = seg[j], y0 = seg[j + 1], dx = seg[j + 2] - x0, dy = seg[j + 3] - y0;
                var len2 = dx * dx + dy * dy;
                var t = len2 > 0 ? Math.Clamp(((px - x0) * dx + (py - y0) * dy) / len2, 0, 1) : 0;
                var qx = x0 + t * dx - px;
                var qy = y0 + t * dy - py;
                var d2 = qx * qx + qy * qy;
                // Equal distances (a point facing a shared corner) go to the lower grid index, i.e. the lower code,
                // whatever order the envelopes were visited in.
                if (d2 < best2 || (d2 == best2 && g < best)) { best2 = d2; best = g; }
            }
        }
        if (rentedKeys is not null) System.Buffers.ArrayPool<double>.Shared.Return(rentedKeys);
        if (rentedOrder is not null) System.Buffers.ArrayPool<int>.Shared.Return(rentedOrder);
        return (best, Math.Sqrt(best2));
    }

    /// <summary>
    /// Rasterises grid <paramref name="g"/> into the cells of its envelope: a cell that the grid's boundary passes within
    /// <paramref name="margin"/> of is an edge cell of g (each boundary segment is walked row by row over the cells near
    /// it, tested with <see cref="SegmentHitsBox"/>); any other cell is wholly inside or wholly outside g by more than
    /// the margin, and its centre decides which (even-odd crossings of every ring with the row's centre line, so holes
    /// and multipolygons need nothing special). Cells are claimed as before: an interior cell not yet claimed by a
    /// grid of lower index belongs to g, otherwise it becomes an edge cell holding both.
    /// </summary>
    private void Fill(int g, int x0, int y0, int x1, int y1, double cell, double margin, Dictionary<int, List<int>> edges, int[] stamp,
        List<double> crossings)
    {
        var geometry = _grids[g].Geometry;
        var rings = new List<CoordinateSequence>();
        for (var p = 0; p < geometry.NumGeometries; p++)
        {
            if (geometry.GetGeometryN(p) is not Polygon polygon) continue;
            rings.Add(polygon.Shell.CoordinateSequence);
            foreach (var hole in polygon.Holes) rings.Add(hole.CoordinateSequence);
        }

        // Edge cells: near a boundary segment.
        foreach (var cs in rings)
        {
            for (var i = 0; i + 1 < cs.Count; i++)
            {
                double ax = cs.GetX(i), ay = cs.GetY(i), bx = cs.GetX(i + 1), by = cs.GetY(i + 1);
                var sy0 = Math.Clamp((int)Math.Floor((Math.Min(ay, by) - margin - _minY) * _invCell), y0, y1);
                var sy1 = Math.Clamp((int)Math.Floor((Math.Max(ay, by) + margin - _minY) * _invCell), y0, y1);
                for (var y = sy0; y <= sy1; y++)
                {
                    // The part of the segment within this row band (grown by the margin) bounds the cells to test.
                    var bandLo = _minY + y * cell - margin;
                    var bandHi = _minY + (y + 1) * cell + margin;
                    double lo, hi;
                    if (ay == by) { lo = Math.Min(ax, bx); hi = Math.Max(ax, bx); }
                    else
                    {
                        var t0 = Math.Clamp((bandLo - ay) / (by - ay), 0, 1);
                        var t1 = Math.Clamp((bandHi - ay) / (by - ay), 0, 1);
                        var xa = ax + t0 * (bx - ax);
                        var xb = ax + t1 * (bx - ax);
                        lo = Math.Min(xa, xb);
                        hi = Math.Max(xa, xb);
                    }
                    var cx0 = Math.Clamp((int)Math.Floor((lo - margin - _minX) * _invCell) - 1, x0, x1);
                    var cx1 = Math.Clamp((int)Math.Floor((hi + margin - _minX) * _invCell) + 1, x0, x1);
                    for (var x = cx0; x <= cx1; x++)
                    {
                        var c = y * _nx + x;
                        if (stamp[c] == g + 1) continue;
                        if (!SegmentHitsBox(ax, ay, bx, by, _minX + x * cell - margin, _minY + y * cell - margin,
                                _minX + (x + 1) * cell + margin, _minY + (y + 1) * cell + margin)) continue;
                        stamp[c] = g + 1;
                        AddEdge(edges, c, g);
                    }
                }
            }
        }

        // Interior cells: the centre line of each row, crossings by even-odd.
        for (var y = y0; y <= y1; y++)
        {
            var yc = _minY + (y + 0.5) * cell;
            crossings.Clear();
            foreach (var cs in rings)
            {
                for (var i = 0; i + 1 < cs.Count; i++)
                {
                    double ay = cs.GetY(i), by = cs.GetY(i + 1);
                    if (ay > yc == by > yc) continue;
                    double ax = cs.GetX(i), bx = cs.GetX(i + 1);
                    crossings.Add(ax + (yc - ay) * (bx - ax) / (by - ay));
                }
            }
            if (crossings.Count < 2) continue;
            crossings.Sort();
            for (var k = 0; k + 1 < crossings.Count; k += 2)
            {
                // Cells whose centre lies in [from, to].
                var from = Math.Max(x0, (int)Math.Ceiling((crossings[k] - _minX) * _invCell - 0.5));
                var to = Math.Min(x1, (int)Math.Floor((crossings[k + 1] - _minX) * _invCell - 0.5));
                for (var x = from; x <= to; x++)
                {
                    var c = y * _nx + x;
                    if (stamp[c] == g + 1) continue;
                    if (_cells[c] == -1 && !edges.ContainsKey(c)) _cells[c] = g;
                    else AddEdge(edges, c, g);
                }
            }
        }
    }

    /// <summary>Whether segment a-b meets the closed box (Liang-Barsky clipping; no allocation).</summary>
    private static bool SegmentHitsBox(double ax, double ay, double bx, double by, double minX, double minY, double maxX, double maxY)
    {
        double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
        return Clip(-dx, ax - minX) && Clip(dx, maxX - ax) && Clip(-dy, ay - minY) && Clip(dy, maxY - ay);

        bool Clip(double p, double q)
        {
            if (p == 0) return q >= 0;
            var r = q / p;
            if (p < 0)
            {
                if (r > t1) return false;
                if (r > t0) t0 = r;
            }
            else
            {
                if (r < t0) return false;
                if (r < t1) t1 = r;
            }
            return true;
        }
    }

    private void AddEdge(Dictionary<int, List<int>> edges, int cellIndex, int g)
    {
        if (!edges.TryGetValue(cellIndex, out var list))
        {
            list = new List<int>(2);
            // A cell already claimed as interior by another grid (possible only with a sub-tolerance overlap)
            // becomes an edge cell holding both.
            if (_cells[cellIndex] >= 0) list.Add(_cells[cellIndex]);
            edges[cellIndex] = list;
        }
        if (!list.Contains(g)) list.Add(g);
    }

    private (double X, double Y) ToLocal(double lon, double lat) =>
        (lon * MetresPerDegreeLonAtEquator * _lat0Cos, lat * MetresPerDegreeLat);
}
