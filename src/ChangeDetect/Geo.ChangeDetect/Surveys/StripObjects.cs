using System.Runtime.CompilerServices;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using OpenCvSharp;

namespace Geo.ChangeDetect.Surveys;

/// <summary>The three object layers: height gain, height loss, image change (with DSMs: confirmed by low walls).</summary>
internal enum ObjectLayer { Gain, Loss, Image }

/// <summary>One connected object being assembled across strips: pixel count, attribute sums and its runs as rectangles
/// (analysis pixels, global coordinates, x right and y down, half-open).</summary>
internal sealed class ObjectAccumulator
{
    public long Pixels;
    public long DhCount;
    public double SumDh;
    public float ExtremeDh;
    public double SumAbove;
    public double SumScore;
    public long Weak;
    public readonly List<(int X0, int Y0, int X1, int Y1)> Rects = [];

    public void Merge(ObjectAccumulator o, bool loss)
    {
        Pixels += o.Pixels;
        DhCount += o.DhCount;
        SumDh += o.SumDh;
        ExtremeDh = loss ? Math.Min(ExtremeDh, o.ExtremeDh) : Math.Max(ExtremeDh, o.ExtremeDh);
        SumAbove += o.SumAbove;
        SumScore += o.SumScore;
        Weak += o.Weak;
        Rects.AddRange(o.Rects);
    }

    /// <summary>The object's outline as one polygon in analysis-pixel coordinates (rectangles unioned, 4-connected so
    /// the union is a single polygon, possibly with holes).</summary>
    public Polygon? Outline(GeometryFactory factory)
    {
        var parts = new List<Geometry>(Rects.Count);
        foreach (var (x0, y0, x1, y1) in Rects)
        {
            parts.Add(factory.CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]));
        }

        var u = UnaryUnionOp.Union(parts);
        return u switch
        {
            Polygon p => p,
            MultiPolygon mp => mp.Geometries.OfType<Polygon>().MaxBy(p => p.Area),
            _ => null,
        };
    }
}

/// <summary>
/// Connected components of one layer's mask, streamed strip by strip (4-connectivity): each strip is labelled on its
/// own, labels touching across the seam with the previous strip are joined with a union-find, and an object is closed
/// (handed to <see cref="_closed"/>) as soon as it has no pixel in the newest strip's last row, so memory holds only
/// the objects crossing the current seam, never a full-image mask.
/// </summary>
internal sealed class StripObjects(ObjectLayer layer, Action<ObjectLayer, ObjectAccumulator> closed)
{
    private readonly Action<ObjectLayer, ObjectAccumulator> _closed = closed;
    private readonly List<int> _parent = [];
    private readonly Dictionary<int, ObjectAccumulator> _open = [];
    private int[]? _bottom;

    public ObjectLayer Layer { get; } = layer;

    private int Find(int x)
    {
        while (_parent[x] != x)
        {
            _parent[x] = _parent[_parent[x]];
            x = _parent[x];
        }

        return x;
    }

    private void Union(int a, int b)
    {
        a = Find(a);
        b = Find(b);
        if (a == b) return;
        var accA = _open[a];
        var accB = _open[b];
        if (accA.Rects.Count < accB.Rects.Count)
        {
            (a, b) = (b, a);
            (accA, accB) = (accB, accA);
        }

        accA.Merge(accB, Layer == ObjectLayer.Loss);
        _open.Remove(b);
        _parent[b] = a;
    }

    /// <summary>Adds the next strip (rows <paramref name="rowOffset"/> .. + height of the analysis grid).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public void Add(CellPlanes strip, int rowOffset, bool last)
    {
        var mask = Layer switch { ObjectLayer.Gain => strip.Gain, ObjectLayer.Loss => strip.Loss, _ => strip.Image };
        var w = strip.Width;
        var h = strip.Height;
        using var labels = new Mat();
        var n = Cv2.ConnectedComponents(mask, labels, PixelConnectivity.Connectivity4, MatType.CV_32S);
        var baseId = _parent.Count;
        var acc = new ObjectAccumulator?[n];
        for (var l = 1; l < n; l++)
        {
            _parent.Add(baseId + l - 1);
        }

        var lab = MatSpan.Ints(labels);
        var dh = MatSpan.Floats(strip.Dh);
        var above = MatSpan.Floats(strip.Above);
        var score = MatSpan.Floats(strip.Score);
        var weak = MatSpan.Bytes(strip.Weak);
        var loss = Layer == ObjectLayer.Loss;
        // Runs of the previous row per (x0, x1, label) -> rectangle index, to grow rectangles downwards.
        var prevRuns = new Dictionary<(int, int, int), int>();
        var curRuns = new Dictionary<(int, int, int), int>();
        for (var y = 0; y < h; y++)
        {
            curRuns.Clear();
            var row = y * w;
            var x = 0;
            while (x < w)
            {
                var l = lab[row + x];
                if (l == 0)
                {
                    x++;
                    continue;
                }

                var a = acc[l] ??= new ObjectAccumulator { ExtremeDh = loss ? float.MaxValue : float.MinValue };
                var x0 = x;
                while (x < w && lab[row + x] == l)
                {
                    var i = row + x;
                    a.Pixels++;
                    if (!float.IsNaN(dh[i]))
                    {
                        a.DhCount++;
                        a.SumDh += dh[i];
                        a.ExtremeDh = loss ? Math.Min(a.ExtremeDh, dh[i]) : Math.Max(a.ExtremeDh, dh[i]);
                        a.SumAbove += above[i];
                    }

                    a.SumScore += score[i];
                    if (weak[i] != 0) a.Weak++;
                    x++;
                }

                var key = (x0, x, l);
                if (prevRuns.TryGetValue(key, out var ri))
                {
                    var r = a.Rects[ri];
                    a.Rects[ri] = (r.X0, r.Y0, r.X1, rowOffset + y + 1);
                    curRuns[key] = ri;
                }
                else
                {
                    a.Rects.Add((x0, rowOffset + y, x, rowOffset + y + 1));
                    curRuns[key] = a.Rects.Count - 1;
                }
            }

            (prevRuns, curRuns) = (curRuns, prevRuns);
        }

        for (var l = 1; l < n; l++)
        {
            if (acc[l] is { } a) _open[baseId + l - 1] = a;
        }

        if (_bottom is not null)
        {
            for (var x = 0; x < w; x++)
            {
                var l = lab[x];
                if (l > 0 && _bottom[x] >= 0) Union(baseId + l - 1, _bottom[x]);
            }
        }

        _bottom ??= new int[w];
        var stillOpen = new HashSet<int>();
        var lastRow = (h - 1) * w;
        for (var x = 0; x < w; x++)
        {
            var l = lab[lastRow + x];
            _bottom[x] = l > 0 ? baseId + l - 1 : -1;
            if (l > 0) stillOpen.Add(Find(baseId + l - 1));
        }

        foreach (var id in _open.Keys.ToList())
        {
            if (last || !stillOpen.Contains(id))
            {
                _closed(Layer, _open[id]);
                _open.Remove(id);
            }
        }
    }
}
