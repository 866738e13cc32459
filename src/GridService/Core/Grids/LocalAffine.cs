using NetTopologySuite.Geometries;

namespace Geo.GridService.Grids;

/// <summary>
/// An affine map fitted by least squares to corresponding vertices of two versions of one geometry (e.g. EPSG:4547
/// metres to EPSG:4490 degrees). Valid only near those vertices, where a map projection is affine to far below the
/// accuracy of the data; used to report a lon/lat location for something found in metric coordinates.
/// </summary>
internal sealed class LocalAffine
{
    // Enough points for a stable fit; more only cost time on huge grids.
    private const int MaxSamples = 2048;

    private readonly double _mx, _my, _mu, _mv, _ux, _uy, _vx, _vy;

    private LocalAffine(double mx, double my, double mu, double mv, double ux, double uy, double vx, double vy)
    {
        (_mx, _my, _mu, _mv, _ux, _uy, _vx, _vy) = (mx, my, mu, mv, ux, uy, vx, vy);
    }

    /// <summary>Fits from → to, or null when the vertex lists differ in length or are collinear.</summary>
    public static LocalAffine? Fit(Geometry from, Geometry to)
    {
        if (from.NumPoints != to.NumPoints || from.NumPoints < 3) return null;
        var a = from.Coordinates;
        var b = to.Coordinates;
        var step = Math.Max(1, a.Length / MaxSamples);

        double n = 0, mx = 0, my = 0, mu = 0, mv = 0;
        for (var i = 0; i < a.Length; i += step)
        {
            n++;
            mx += a[i].X; my += a[i].Y; mu += b[i].X; mv += b[i].Y;
        }
        mx /= n; my /= n; mu /= n; mv /= n;

        // Centred normal equations: [sxx sxy; sxy syy] [p; q] = [sxu; syu] (and the same for v).
        double sxx = 0, sxy = 0, syy = 0, sxu = 0, syu = 0, sxv = 0, syv = 0;
        for (var i = 0; i < a.Length; i += step)
        {
            double x = a[i].X - mx, y = a[i].Y - my, u = b[i].X - mu, v = b[i].Y - mv;
            sxx += x * x; sxy += x * y; syy += y * y;
            sxu += x * u; syu += y * u; sxv += x * v; syv += y * v;
        }
        var det = sxx * syy - sxy * sxy;
        if (!(Math.Abs(det) > 1e-12 * Math.Max(sxx * syy, double.Epsilon))) return null;

        return new LocalAffine(mx, my, mu, mv,
            (sxu * syy - syu * sxy) / det, (syu * sxx - sxu * sxy) / det,
            (sxv * syy - syv * sxy) / det, (syv * sxx - sxv * sxy) / det);
    }

    public Coordinate Map(Coordinate c)
    {
        double x = c.X - _mx, y = c.Y - _my;
        return new Coordinate(_mu + _ux * x + _uy * y, _mv + _vx * x + _vy * y);
    }
}
