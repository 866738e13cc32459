using Geo.Spatial.Tiles;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace Geo.Tiles.Vector;

/// <summary>
/// Tile grid parameters of the encoder. <see cref="Extent"/> is the tile's coordinate range (4096, as PostGIS
/// <c>ST_AsMVT</c> and tippecanoe use); <see cref="Buffer"/> is how far, in the same units, geometry is kept beyond the
/// tile edge so that lines, polygon outlines and circles join without seams; <see cref="SimplifyTolerance"/> is the
/// Douglas-Peucker tolerance in tile units applied below a layer's maximum zoom (8 units = 1/512 of the tile, half a
/// pixel on a 256-pixel tile), so that simplification follows the zoom: the same tolerance in tile units is twice as
/// many metres one zoom out.
/// </summary>
public sealed record MvtOptions(int Extent = 4096, int Buffer = 64, double SimplifyTolerance = 8)
{
    public static MvtOptions Default { get; } = new();
}

/// <summary>
/// Writes Mapbox Vector Tiles (specification 2.1) from features in degrees (x = longitude, y = latitude): projects to
/// Web Mercator tile coordinates, clips to the tile grown by the buffer (points dropped, lines cut with Liang-Barsky,
/// polygons reaching over the buffer intersected exactly with the buffered box), quantizes to integers, drops repeated
/// points, simplifies below the layer's maximum zoom, and orients rings as the specification asks (exterior rings
/// positive area in tile coordinates, y down; holes negative). Rings and lines that collapse are dropped, and so is a
/// feature left with no geometry. Not thread-safe: use one encoder per request (it reuses its buffers).
/// </summary>
public sealed class MvtEncoder(MvtOptions? options = null)
{
    private const uint MoveTo = 1, LineTo = 2, ClosePath = 7;

    private readonly MvtOptions _o = options ?? MvtOptions.Default;
    private readonly ProtoWriter _tile = new(16 * 1024);
    private readonly ProtoWriter _layer = new(16 * 1024);
    private readonly ProtoWriter _feature = new(1024);
    private readonly ProtoWriter _value = new(64);
    private readonly List<uint> _geometry = new(256);
    private readonly List<uint> _tags = new(32);
    private readonly Dictionary<string, int> _keys = new(StringComparer.Ordinal);
    private readonly List<string> _keyList = [];
    private readonly Dictionary<object, int> _values = new();
    private readonly List<object> _valueList = [];
    private double[] _xs = new double[256], _ys = new double[256], _xs2 = new double[256], _ys2 = new double[256];
    private int[] _ix = new int[256], _iy = new int[256];
    private bool[] _keep = new bool[256];
    private readonly Stack<(int, int)> _dpStack = new();

    // Per tile: the affine from normalized Web Mercator (0..1, y down) to tile units.
    private double _scale, _offX, _offY, _min, _max, _tolerance;
    private int _cx, _cy; // the geometry cursor, per feature
    private Envelope _clipEnvelope = new();
    private Geometry? _clipBox;

    /// <summary>Starts a tile; call <see cref="AddLayer"/> for each layer and then <see cref="Finish"/>.</summary>
    public void Begin(TileId tile, bool simplify)
    {
        _tile.Clear();
        _scale = (double)_o.Extent * (1L << tile.Z);
        _offX = (double)tile.X * _o.Extent;
        _offY = (double)tile.Y * _o.Extent;
        _min = -_o.Buffer;
        _max = _o.Extent + _o.Buffer;
        _tolerance = simplify ? _o.SimplifyTolerance : 0;
        var b = BufferedLonLat(tile, _o);
        _clipEnvelope = new Envelope(b.MinX, b.MaxX, b.MinY, b.MaxY);
        _clipBox = null;
    }

    /// <summary>The tile's box grown by the buffer, in degrees (x = longitude, y = latitude).</summary>
    public static Box BufferedLonLat(TileId tile, MvtOptions options)
    {
        var m = TileMath.BoundsMercator(tile);
        var pad = m.Width * options.Buffer / options.Extent;
        var (w, s) = TileMath.ToLonLat(Math.Max(-TileMath.OriginShift, m.MinX - pad), Math.Max(-TileMath.OriginShift, m.MinY - pad));
        var (e, n) = TileMath.ToLonLat(Math.Min(TileMath.OriginShift, m.MaxX + pad), Math.Min(TileMath.OriginShift, m.MaxY + pad));
        return new Box(w, s, e, n);
    }

    /// <summary>Encodes one layer (skipped when no feature keeps any geometry). Returns the features written.</summary>
    public int AddLayer(string name, IReadOnlyList<VectorFeature> features)
    {
        _layer.Clear();
        _keys.Clear(); _keyList.Clear(); _values.Clear(); _valueList.Clear();
        var written = 0;
        foreach (var f in features)
        {
            _geometry.Clear();
            var type = EncodeGeometry(f.Geometry);
            if (type == 0 || _geometry.Count == 0) continue;
            _tags.Clear();
            var attributes = f.Attributes;
            for (var a = 0; a < attributes.Count; a++)
            {
                var (key, raw) = attributes[a];
                var value = Normalize(raw);
                if (value is null) continue;
                if (!_keys.TryGetValue(key, out var k)) { k = _keyList.Count; _keys.Add(key, k); _keyList.Add(key); }
                if (!_values.TryGetValue(value, out var v)) { v = _valueList.Count; _values.Add(value, v); _valueList.Add(value); }
                _tags.Add((uint)k);
                _tags.Add((uint)v);
            }
            _feature.Clear();
            if (f.Id is { } id) _feature.VarintField(1, id);
            _feature.PackedUInt32(2, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tags));
            _feature.VarintField(3, type);
            _feature.PackedUInt32(4, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_geometry));
            _layer.Bytes(2, _feature.Written);
            written++;
        }
        if (written == 0) return 0;
        var body = new ProtoWriter(_layer.Length + 64 + _keyList.Count * 16 + _valueList.Count * 16);
        body.VarintField(15, 2);
        body.String(1, name);
        // The features were written as complete field-2 records into _layer.
        body.Raw(_layer.Written);
        foreach (var k in _keyList) body.String(3, k);
        foreach (var v in _valueList)
        {
            _value.Clear();
            switch (v)
            {
                case string s: _value.String(1, s); break;
                case double d: _value.Double(3, d); break;
                case long l when l >= 0: _value.VarintField(5, (ulong)l); break;
                case long l: _value.VarintField(6, (ulong)((l << 1) ^ (l >> 63))); break;
                case bool b: _value.VarintField(7, b ? 1UL : 0UL); break;
            }
            body.Bytes(4, _value.Written);
        }
        body.VarintField(5, (ulong)_o.Extent);
        _tile.Bytes(3, body.Written);
        return written;
    }

    /// <summary>The tile's bytes; empty when no layer had a feature.</summary>
    public byte[] Finish() => _tile.ToArray();

    /// <summary>Encodes one tile from (layer name, features) pairs.</summary>
    public byte[] Encode(TileId tile, IEnumerable<(string Layer, IReadOnlyList<VectorFeature> Features)> layers, bool simplify = true)
    {
        Begin(tile, simplify);
        foreach (var (name, features) in layers) AddLayer(name, features);
        return Finish();
    }

    private static object? Normalize(object? raw) => raw switch
    {
        null => null,
        string s => s,
        int i => (long)i,
        long l => l,
        short s16 => (long)s16,
        uint u => (long)u,
        float f => (double)f,
        double d => double.IsFinite(d) ? d : null,
        decimal m => (double)m,
        bool b => b,
        _ => raw.ToString(),
    };

    // ---- geometry ----------------------------------------------------------------------------------------------

    /// <summary>Returns the MVT geometry type (1 point, 2 line, 3 polygon) and fills _geometry; 0 when unsupported.</summary>
    private uint EncodeGeometry(Geometry g)
    {
        _cx = _cy = 0;
        switch (g)
        {
            case Point p:
                EncodePoint(p.X, p.Y);
                return 1;
            case MultiPoint mp:
                EncodePoints(mp.Coordinates);
                return 1;
            case LineString ls:
                EncodeLine(ls.CoordinateSequence);
                return 2;
            case MultiLineString mls:
                for (var i = 0; i < mls.NumGeometries; i++) EncodeLine(((LineString)mls.GetGeometryN(i)).CoordinateSequence);
                return 2;
            case Polygon poly:
                EncodePolygon(poly);
                return 3;
            case MultiPolygon mpoly:
                for (var i = 0; i < mpoly.NumGeometries; i++) EncodePolygon((Polygon)mpoly.GetGeometryN(i));
                return 3;
            default:
                return 0;
        }
    }

    private void Project(double lon, double lat, out double x, out double y)
    {
        var (u, v) = WebMercator.Normalized(lon, lat);
        x = u * _scale - _offX;
        y = v * _scale - _offY;
    }

    private void EncodePoint(double lon, double lat)
    {
        Project(lon, lat, out var x, out var y);
        if (x < _min || x > _max || y < _min || y > _max) return;
        var ix = (int)Math.Round(x); var iy = (int)Math.Round(y);
        _geometry.Add(Command(MoveTo, 1));
        _geometry.Add(ZigZag(ix - _cx)); _geometry.Add(ZigZag(iy - _cy));
        _cx = ix; _cy = iy;
    }

    private void EncodePoints(Coordinate[] coords)
    {
        var start = _geometry.Count;
        _geometry.Add(0); // command placeholder
        var n = 0;
        foreach (var c in coords)
        {
            Project(c.X, c.Y, out var x, out var y);
            if (x < _min || x > _max || y < _min || y > _max) continue;
            var ix = (int)Math.Round(x); var iy = (int)Math.Round(y);
            _geometry.Add(ZigZag(ix - _cx)); _geometry.Add(ZigZag(iy - _cy));
            _cx = ix; _cy = iy; n++;
        }
        if (n == 0) _geometry.RemoveAt(start);
        else _geometry[start] = Command(MoveTo, n);
    }

    private void EncodeLine(CoordinateSequence seq)
    {
        var n = Load(seq);
        if (n < 2) return;
        // Liang-Barsky per segment; consecutive visible pieces are joined into one part.
        var partCount = 0;
        for (var i = 0; i + 1 < n; i++)
        {
            double x0 = _xs[i], y0 = _ys[i], x1 = _xs[i + 1], y1 = _ys[i + 1];
            if (!ClipSegment(ref x0, ref y0, ref x1, ref y1)) { FlushLine(ref partCount); continue; }
            if (partCount == 0 || _xs2[partCount - 1] != x0 || _ys2[partCount - 1] != y0)
            {
                FlushLine(ref partCount);
                Push2(ref partCount, x0, y0);
            }
            Push2(ref partCount, x1, y1);
            if (x1 != _xs[i + 1] || y1 != _ys[i + 1]) FlushLine(ref partCount); // left the box
        }
        FlushLine(ref partCount);
    }

    private void Push2(ref int count, double x, double y)
    {
        Ensure(ref _xs2, count + 1); Ensure(ref _ys2, count + 1);
        _xs2[count] = x; _ys2[count] = y; count++;
    }

    private void FlushLine(ref int count)
    {
        if (count >= 2)
        {
            var m = Quantize(_xs2, _ys2, count, closed: false);
            if (m >= 2)
            {
                _geometry.Add(Command(MoveTo, 1));
                AddPoint(_ix[0], _iy[0]);
                _geometry.Add(Command(LineTo, m - 1));
                for (var i = 1; i < m; i++) AddPoint(_ix[i], _iy[i]);
            }
        }
        count = 0;
    }

    private bool ClipSegment(ref double x0, ref double y0, ref double x1, ref double y1)
    {
        double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
        if (!Edge(-dx, x0 - _min, ref t0, ref t1) || !Edge(dx, _max - x0, ref t0, ref t1) ||
            !Edge(-dy, y0 - _min, ref t0, ref t1) || !Edge(dy, _max - y0, ref t0, ref t1)) return false;
        var ox = x0; var oy = y0;
        if (t1 < 1) { x1 = ox + t1 * dx; y1 = oy + t1 * dy; }
        if (t0 > 0) { x0 = ox + t0 * dx; y0 = oy + t0 * dy; }
        return true;
    }

    /// <summary>One Liang-Barsky half-plane test: narrows the segment's parameter range [a, b] to the half-plane
    /// p·t ≤ q; false when nothing of the segment is left.</summary>
    private static bool Edge(double p, double q, ref double a, ref double b)
    {
        if (p == 0) return q >= 0;
        var r = q / p;
        if (p < 0) { if (r > b) return false; if (r > a) a = r; }
        else { if (r < a) return false; if (r < b) b = r; }
        return true;
    }

    private void EncodePolygon(Polygon poly)
    {
        var e = poly.EnvelopeInternal;
        if (!_clipEnvelope.Intersects(e)) return;
        if (_clipEnvelope.Contains(e))
        {
            EncodeInsidePolygon(poly);
            return;
        }
        // Reaching over the tile's buffer. When the shell crosses the box's boundary at most twice and no hole reaches
        // the boundary, Sutherland-Hodgman clipping of the shell (in degrees; the box is axis-aligned in both degrees
        // and Web Mercator) is exact and valid, at a fraction of an overlay's cost: the common case of a grid cut by
        // a tile edge. Otherwise (a polygon that leaves and re-enters the box, whose ring-by-ring clip would join the
        // parts along the box edge) an exact intersection splits it into valid parts.
        if (TryClipSimple(poly) is { } simple)
        {
            if (simple.NumPoints >= 4) EncodeInsidePolygon(simple);
            return;
        }

        _clipBox ??= poly.Factory.ToGeometry(_clipEnvelope);
        var clipped = OverlayNGRobust.Overlay(poly, _clipBox!, SpatialFunction.Intersection);
        for (var i = 0; i < clipped.NumGeometries; i++)
            if (clipped.GetGeometryN(i) is Polygon part && !part.IsEmpty) EncodeInsidePolygon(part);
    }

    /// <summary>
    /// The polygon clipped to the buffered box by Sutherland-Hodgman when that is exact: the shell's boundary crosses the
    /// box's boundary at most twice (so the inside part is one piece) and every hole lies wholly inside the box or wholly
    /// outside it. Null when an exact overlay is needed.
    /// </summary>
    private Polygon? TryClipSimple(Polygon poly)
    {
        var shell = poly.ExteriorRing.CoordinateSequence;
        if (BoundaryCrossings(shell, _clipEnvelope) > 2) return null;
        List<LinearRing>? holes = null;
        for (var h = 0; h < poly.NumInteriorRings; h++)
        {
            var hole = poly.GetInteriorRingN(h);
            var he = hole.EnvelopeInternal;
            if (_clipEnvelope.Contains(he)) (holes ??= []).Add((LinearRing)hole);
            else if (_clipEnvelope.Intersects(he)) return null;
        }

        var clipped = SutherlandHodgman(shell, _clipEnvelope);
        var factory = poly.Factory;
        if (clipped.Count < 4) return factory.CreatePolygon();
        return factory.CreatePolygon(factory.CreateLinearRing(clipped.ToArray()), holes?.ToArray());
    }

    /// <summary>How many times a ring's edges enter or leave the box (Liang-Barsky per edge; a vertex on the boundary
    /// counts as inside).</summary>
    internal static int BoundaryCrossings(CoordinateSequence ring, Envelope box)
    {
        var crossings = 0;
        for (var i = 0; i + 1 < ring.Count; i++)
        {
            double x0 = ring.GetX(i), y0 = ring.GetY(i), x1 = ring.GetX(i + 1), y1 = ring.GetY(i + 1);
            double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
            if (!Edge(-dx, x0 - box.MinX, ref t0, ref t1) || !Edge(dx, box.MaxX - x0, ref t0, ref t1) ||
                !Edge(-dy, y0 - box.MinY, ref t0, ref t1) || !Edge(dy, box.MaxY - y0, ref t0, ref t1))
                continue; // wholly outside
            if (t0 > 0) crossings++; // enters
            if (t1 < 1) crossings++; // leaves
        }

        return crossings;
    }

    /// <summary>A closed ring clipped to the box, one half-plane after the other; the result is closed (or empty).</summary>
    internal static List<Coordinate> SutherlandHodgman(CoordinateSequence ring, Envelope box)
    {
        var current = new List<Coordinate>(ring.Count + 4);
        for (var i = 0; i + 1 < ring.Count; i++) current.Add(new Coordinate(ring.GetX(i), ring.GetY(i))); // open ring
        var next = new List<Coordinate>(current.Count + 4);
        for (var side = 0; side < 4 && current.Count > 0; side++)
        {
            next.Clear();
            var prev = current[^1];
            var prevIn = Inside(prev, side, box);
            foreach (var c in current)
            {
                var cIn = Inside(c, side, box);
                if (cIn != prevIn) next.Add(Cross(prev, c, side, box));
                if (cIn) next.Add(c);
                prev = c;
                prevIn = cIn;
            }

            (current, next) = (next, current);
        }

        if (current.Count > 0) current.Add(current[0].Copy());
        return current;

        static bool Inside(Coordinate c, int side, Envelope b) => side switch
        {
            0 => c.X >= b.MinX,
            1 => c.X <= b.MaxX,
            2 => c.Y >= b.MinY,
            _ => c.Y <= b.MaxY,
        };

        static Coordinate Cross(Coordinate a, Coordinate c, int side, Envelope b)
        {
            if (side < 2)
            {
                var x = side == 0 ? b.MinX : b.MaxX;
                return new Coordinate(x, a.Y + (c.Y - a.Y) * (x - a.X) / (c.X - a.X));
            }

            var y = side == 2 ? b.MinY : b.MaxY;
            return new Coordinate(a.X + (c.X - a.X) * (y - a.Y) / (c.Y - a.Y), y);
        }
    }

    private void EncodeInsidePolygon(Polygon poly)
    {
        var shellStart = _geometry.Count;
        var (cx, cy) = (_cx, _cy);
        if (!EncodeRing(poly.ExteriorRing.CoordinateSequence, exterior: true))
        {
            // The shell collapsed: the holes go with it.
            _geometry.RemoveRange(shellStart, _geometry.Count - shellStart);
            (_cx, _cy) = (cx, cy);
            return;
        }
        for (var h = 0; h < poly.NumInteriorRings; h++) EncodeRing(poly.GetInteriorRingN(h).CoordinateSequence, exterior: false);
    }

    /// <summary>Encodes a ring that lies inside the buffered tile; false when it collapses at this zoom.</summary>
    private bool EncodeRing(CoordinateSequence seq, bool exterior)
    {
        var n = Load(seq);
        if (n > 1 && _xs[0] == _xs[n - 1] && _ys[0] == _ys[n - 1]) n--; // work on open rings
        if (n < 3) return false;
        var m = Quantize(_xs, _ys, n, closed: true);
        if (m < 3) return false;
        long area2 = 0;
        for (int i = 0, j = m - 1; i < m; j = i++) area2 += (long)_ix[j] * _iy[i] - (long)_ix[i] * _iy[j];
        if (area2 == 0) return false;
        if ((area2 > 0) != exterior) { Array.Reverse(_ix, 0, m); Array.Reverse(_iy, 0, m); }
        _geometry.Add(Command(MoveTo, 1));
        AddPoint(_ix[0], _iy[0]);
        _geometry.Add(Command(LineTo, m - 1));
        for (var i = 1; i < m; i++) AddPoint(_ix[i], _iy[i]);
        _geometry.Add(Command(ClosePath, 1));
        return true;
    }

    /// <summary>Loads a coordinate sequence into _xs/_ys in tile units.</summary>
    private int Load(CoordinateSequence seq)
    {
        var n = seq.Count;
        Ensure(ref _xs, n); Ensure(ref _ys, n);
        for (var i = 0; i < n; i++)
        {
            Project(seq.GetX(i), seq.GetY(i), out var x, out var y);
            _xs[i] = x; _ys[i] = y;
        }
        return n;
    }

    /// <summary>Rounds to integers, drops repeats and simplifies (Douglas-Peucker) into _ix/_iy; returns the count.</summary>
    private int Quantize(double[] xs, double[] ys, int n, bool closed)
    {
        Ensure(ref _ix, n); Ensure(ref _iy, n); Ensure(ref _keep, n);
        var m = 0;
        for (var i = 0; i < n; i++)
        {
            var x = (int)Math.Round(xs[i]); var y = (int)Math.Round(ys[i]);
            if (m > 0 && _ix[m - 1] == x && _iy[m - 1] == y) continue;
            _ix[m] = x; _iy[m] = y; m++;
        }
        if (closed) while (m > 1 && _ix[m - 1] == _ix[0] && _iy[m - 1] == _iy[0]) m--;
        if (_tolerance <= 0 || m <= (closed ? 4 : 2)) return m;

        Array.Clear(_keep, 0, m);
        if (closed)
        {
            // Split the ring at its first point and the point farthest from it; simplify both halves.
            var far = 0; long best = -1;
            for (var i = 1; i < m; i++)
            {
                long dx = _ix[i] - _ix[0], dy = _iy[i] - _iy[0];
                if (dx * dx + dy * dy > best) { best = dx * dx + dy * dy; far = i; }
            }
            _keep[0] = _keep[far] = true;
            Simplify(0, far);
            SimplifyClosingHalf(far, m);
        }
        else
        {
            _keep[0] = _keep[m - 1] = true;
            Simplify(0, m - 1);
        }
        var k = 0;
        for (var i = 0; i < m; i++)
            if (_keep[i]) { _ix[k] = _ix[i]; _iy[k] = _iy[i]; k++; }
        return k;
    }

    private void SimplifyClosingHalf(int far, int m)
    {
        // The second half runs far..m-1 and back to 0: simplify it against the segment (far, 0) by copying index 0 at m.
        Ensure(ref _ix, m + 1); Ensure(ref _iy, m + 1); Ensure(ref _keep, m + 1);
        _ix[m] = _ix[0]; _iy[m] = _iy[0];
        Simplify(far, m);
        _keep[m] = false;
    }

    private void Simplify(int first, int last)
    {
        var tol2 = _tolerance * _tolerance;
        _dpStack.Clear();
        _dpStack.Push((first, last));
        while (_dpStack.Count > 0)
        {
            var (a, b) = _dpStack.Pop();
            if (b - a < 2) continue;
            double ax = _ix[a], ay = _iy[a], dx = _ix[b] - ax, dy = _iy[b] - ay;
            var len2 = dx * dx + dy * dy;
            var index = -1; var max = tol2;
            for (var i = a + 1; i < b; i++)
            {
                double px = _ix[i] - ax, py = _iy[i] - ay, d2;
                if (len2 == 0) d2 = px * px + py * py;
                else
                {
                    var cross = px * dy - py * dx;
                    d2 = cross * cross / len2;
                }
                if (d2 > max) { max = d2; index = i; }
            }
            if (index < 0) continue;
            _keep[index] = true;
            _dpStack.Push((a, index));
            _dpStack.Push((index, b));
        }
    }

    private void AddPoint(int x, int y)
    {
        _geometry.Add(ZigZag(x - _cx));
        _geometry.Add(ZigZag(y - _cy));
        _cx = x; _cy = y;
    }

    private static uint Command(uint id, int count) => (id & 7) | ((uint)count << 3);

    private static uint ZigZag(int n) => (uint)((n << 1) ^ (n >> 31));

    private static void Ensure<T>(ref T[] array, int size)
    {
        if (array.Length < size) Array.Resize(ref array, Math.Max(size, array.Length * 2));
    }
}

/// <summary>Spherical Web Mercator (EPSG:3857) in normalized units: u, v in 0..1 from the north-west corner, v down.</summary>
public static class WebMercator
{
    private static readonly double MaxLat = TileMath.MaxLatitude;

    /// <summary>Degrees (x = longitude, y = latitude) to normalized Web Mercator (u east, v south), clamped to the square.</summary>
    public static (double U, double V) Normalized(double lon, double lat)
    {
        lat = Math.Clamp(lat, -MaxLat, MaxLat);
        var s = Math.Sin(lat * (Math.PI / 180));
        var u = (lon + 180) / 360;
        var v = 0.5 - Math.Log((1 + s) / (1 - s)) / (4 * Math.PI);
        return (u, v);
    }
}
