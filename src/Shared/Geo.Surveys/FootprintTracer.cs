using Geo.Gdal;
using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using NetTopologySuite.Simplify;

namespace Geo.Surveys;

/// <summary>
/// Turns a validity mask (row-major bytes, non-zero = valid) into the outline of the valid pixels: runs of valid
/// pixels per row, rows with the same runs merged into rectangles, a cascaded union, then a topology-preserving
/// simplification by <c>toleranceMasks</c> mask pixels. Coordinates come out in the raster's CRS through its
/// geotransform (x = easting/longitude), then transformed to EPSG:4490.
/// </summary>
public static class FootprintTracer
{
    private static readonly GeometryFactory PixelFactory = new();

    /// <summary>The valid area in mask pixel coordinates (x right, y down), or an empty geometry when none is valid.</summary>
    public static Geometry TracePixels(ReadOnlySpan<byte> mask, int width, int height, double tolerancePixels = 1.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mask.Length, width * height);
        var boxes = new List<Geometry>();
        List<(int Start, int End)>? open = null;
        var openSince = 0;
        var runs = new List<(int, int)>();
        for (var y = 0; y <= height; y++)
        {
            runs.Clear();
            if (y < height)
            {
                var row = mask.Slice(y * width, width);
                var x = 0;
                while (x < width)
                {
                    while (x < width && row[x] == 0) x++;
                    if (x == width) break;
                    var start = x;
                    while (x < width && row[x] != 0) x++;
                    runs.Add((start, x));
                }
            }

            if (open is not null && Same(open, runs)) continue;
            if (open is not null)
            {
                foreach (var (s, e) in open) boxes.Add(Box(s, openSince, e, y));
            }

            open = runs.Count > 0 ? [.. runs] : null;
            openSince = y;
        }

        if (boxes.Count == 0) return PixelFactory.CreatePolygon();
        var union = CascadedPolygonUnion.Union(boxes);
        return TopologyPreservingSimplifier.Simplify(union, tolerancePixels);
    }

    /// <summary>
    /// The valid area of a mask read at reduced size, in EPSG:4490. <paramref name="maskTransform"/> is the
    /// geotransform of the mask grid in <paramref name="crs"/>.
    /// </summary>
    public static Geometry Trace(ReadOnlySpan<byte> mask, int width, int height, GeoTransform maskTransform, CrsId crs)
    {
        var pixels = TracePixels(mask, width, height);
        var projected = pixels.Copy();
        projected.Apply(new AffineFilter(maskTransform));
        projected.GeometryChanged();
        return CoordinateConverter.Transform(projected, crs, CrsId.Cgcs2000);
    }

    private static bool Same(List<(int Start, int End)> a, List<(int, int)> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i]) return false;
        }

        return true;
    }

    private static Polygon Box(int x0, int y0, int x1, int y1) => PixelFactory.CreatePolygon(
    [
        new Coordinate(x0, y0), new Coordinate(x1, y0), new Coordinate(x1, y1), new Coordinate(x0, y1), new Coordinate(x0, y0),
    ]);

    private sealed class AffineFilter(GeoTransform gt) : ICoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var (x, y) = gt.Apply(seq.GetX(i), seq.GetY(i));
            seq.SetX(i, x);
            seq.SetY(i, y);
        }
    }
}
