using NetTopologySuite;
using NetTopologySuite.Geometries;

namespace Geo.Spatial.Crs;

/// <summary>
/// Exact conversions between the supported coordinate reference systems (<see cref="CrsId"/>), checked against PROJ.
/// </summary>
/// <remarks>
/// <para>
/// Axis order: x = easting/longitude, y = northing/latitude in every method, for every CRS, including EPSG:4326,
/// EPSG:4490 and EPSG:4547 whose official EPSG order is the other way round. Degrees for geographic systems, metres
/// for projected ones. Z and M are never touched.
/// </para>
/// <para>
/// Every conversion goes through CGCS2000 geographic (EPSG:4490). EPSG:4326 and EPSG:4490 are treated as the same
/// datum (a null transformation, which is what PROJ does by default; the real difference is a few centimetres and no
/// published transformation exists). EPSG:4547 is the Gauss-Kruger (transverse Mercator) projection of CGCS2000 as
/// PROJ defines it; EPSG:3857 is the spherical Pseudo-Mercator of WGS 84; GCJ-02 and BD-09 use
/// <see cref="ChineseOffsets"/>. GCJ-02 to BD-09 and back use the direct formulas, not the trip through WGS 84.
/// </para>
/// <para>
/// All methods are thread-safe: the ProjNET transforms are per thread.
/// </para>
/// <para>
/// Conversions never throw on bad coordinates: a point a projection cannot convert (NaN or infinite input, a pole
/// in Web Mercator) comes out as (NaN, NaN), and the conversions without a projection pass NaN through. Finite but
/// out-of-range input gives meaningless numbers: check input with <see cref="IsInRange"/> at the boundary.
/// </para>
/// </remarks>
public static class CoordinateConverter
{
    // Half the Pseudo-Mercator world: pi * 6378137 m.
    private const double WebMercatorHalfWorld = Math.PI * 6378137.0;

    private static readonly PrecisionModel s_floating = new(PrecisionModels.Floating);

    /// <summary>
    /// Converts one point from <paramref name="from"/> to CGCS2000 geographic (EPSG:4490): x = lon, y = lat, degrees.
    /// </summary>
    public static (double Lon, double Lat) ToCgcs2000(CrsId from, double x, double y)
    {
        switch (from.Kind)
        {
            case CrsKind.Wgs84:
            case CrsKind.Cgcs2000:
                return (x, y);
            case CrsKind.Cgcs2000GaussKruger114:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.Gk114Inverse, ref x, ref y);
                return (x, y);
            case CrsKind.WebMercator:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.WebMercatorInverse, ref x, ref y);
                return (x, y);
            case CrsKind.Gcj02:
                return ChineseOffsets.Gcj02ToWgs84(x, y);
            case CrsKind.Bd09:
                return ChineseOffsets.Bd09ToWgs84(x, y);
            default:
                throw UnknownKind(from);
        }
    }

    /// <summary>
    /// Converts one CGCS2000 geographic point (EPSG:4490, lon/lat degrees) to <paramref name="to"/>: x =
    /// easting/longitude, y = northing/latitude.
    /// </summary>
    public static (double X, double Y) FromCgcs2000(CrsId to, double lon, double lat)
    {
        switch (to.Kind)
        {
            case CrsKind.Wgs84:
            case CrsKind.Cgcs2000:
                return (lon, lat);
            case CrsKind.Cgcs2000GaussKruger114:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.Gk114Forward, ref lon, ref lat);
                return (lon, lat);
            case CrsKind.WebMercator:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.WebMercatorForward, ref lon, ref lat);
                return (lon, lat);
            case CrsKind.Gcj02:
                return ChineseOffsets.Wgs84ToGcj02(lon, lat);
            case CrsKind.Bd09:
                return ChineseOffsets.Wgs84ToBd09(lon, lat);
            default:
                throw UnknownKind(to);
        }
    }

    /// <summary>Converts one point; x = easting/longitude, y = northing/latitude on both sides.</summary>
    public static (double X, double Y) Convert(CrsId from, CrsId to, double x, double y)
    {
        if (from == to)
        {
            return (x, y);
        }

        switch (from.Kind, to.Kind)
        {
            case (CrsKind.Gcj02, CrsKind.Bd09):
                return ChineseOffsets.Gcj02ToBd09(x, y);
            case (CrsKind.Bd09, CrsKind.Gcj02):
                return ChineseOffsets.Bd09ToGcj02(x, y);
        }

        var (lon, lat) = ToCgcs2000(from, x, y);
        return FromCgcs2000(to, lon, lat);
    }

    /// <summary>
    /// Converts the points (<paramref name="xs"/>[i], <paramref name="ys"/>[i]) in place. Allocation-free per point and
    /// thread-safe; the spans must have the same length.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length (a caller bug).</exception>
    public static void Convert(CrsId from, CrsId to, Span<double> xs, Span<double> ys)
    {
        if (xs.Length != ys.Length)
        {
            throw new ArgumentException($"xs has {xs.Length} values but ys has {ys.Length}.", nameof(ys));
        }

        if (from == to || xs.IsEmpty)
        {
            return;
        }

        switch (from.Kind, to.Kind)
        {
            case (CrsKind.Gcj02, CrsKind.Bd09):
                for (var i = 0; i < xs.Length; i++)
                {
                    (xs[i], ys[i]) = ChineseOffsets.Gcj02ToBd09(xs[i], ys[i]);
                }

                return;
            case (CrsKind.Bd09, CrsKind.Gcj02):
                for (var i = 0; i < xs.Length; i++)
                {
                    (xs[i], ys[i]) = ChineseOffsets.Bd09ToGcj02(xs[i], ys[i]);
                }

                return;
        }

        // Two passes through the hub: each is one tight loop or one ProjNET span call.
        ToCgcs2000InPlace(from, xs, ys);
        FromCgcs2000InPlace(to, xs, ys);
    }

    /// <summary>
    /// Returns a transformed deep copy of <paramref name="g"/> (any geometry type, empty included) with SRID
    /// <c>to.Epsg ?? 0</c> and a floating precision model (a fixed grid in one unit is meaningless in the other).
    /// Z and M are copied unchanged. The input is not modified and its SRID is not consulted.
    /// </summary>
    public static Geometry Transform(Geometry g, CrsId from, CrsId to)
    {
        ArgumentNullException.ThrowIfNull(g);
        var srid = to.Epsg ?? 0;
        var factory = NtsGeometryServices.Instance.CreateGeometryFactory(s_floating, srid, g.Factory.CoordinateSequenceFactory);
        var copy = factory.CreateGeometry(g);
        if (from != to)
        {
            copy.Apply(new ConvertFilter(from, to));
        }

        // GeometryFactory.CreateGeometry keeps the source SRID on some empty geometries; state it explicitly.
        copy.SRID = srid;
        return copy;
    }

    /// <summary>
    /// True when (x, y) is finite and inside the CRS's valid range: lon -180..180 and lat -90..90 for the geographic
    /// systems; for EPSG:4547 easting 250000..750000 m (the 3-degree zone with generous margins; no zone prefix) and
    /// northing 0..10000000 m; for EPSG:3857 |x|, |y| &lt;= 20037508.34 m (pi * 6378137).
    /// </summary>
    public static bool IsInRange(CrsId crs, double x, double y)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y))
        {
            return false;
        }

        return crs.Kind switch
        {
            CrsKind.Wgs84 or CrsKind.Cgcs2000 or CrsKind.Gcj02 or CrsKind.Bd09 =>
                x is >= -180.0 and <= 180.0 && y is >= -90.0 and <= 90.0,
            CrsKind.Cgcs2000GaussKruger114 => x is >= 250_000.0 and <= 750_000.0 && y is >= 0.0 and <= 10_000_000.0,
            CrsKind.WebMercator => Math.Abs(x) <= WebMercatorHalfWorld && Math.Abs(y) <= WebMercatorHalfWorld,
            _ => throw UnknownKind(crs),
        };
    }

    private static void ToCgcs2000InPlace(CrsId from, Span<double> xs, Span<double> ys)
    {
        switch (from.Kind)
        {
            case CrsKind.Wgs84:
            case CrsKind.Cgcs2000:
                return;
            case CrsKind.Cgcs2000GaussKruger114:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.Gk114Inverse, xs, ys);
                return;
            case CrsKind.WebMercator:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.WebMercatorInverse, xs, ys);
                return;
            case CrsKind.Gcj02:
                for (var i = 0; i < xs.Length; i++)
                {
                    (xs[i], ys[i]) = ChineseOffsets.Gcj02ToWgs84(xs[i], ys[i]);
                }

                return;
            case CrsKind.Bd09:
                for (var i = 0; i < xs.Length; i++)
                {
                    (xs[i], ys[i]) = ChineseOffsets.Bd09ToWgs84(xs[i], ys[i]);
                }

                return;
            default:
                throw UnknownKind(from);
        }
    }

    private static void FromCgcs2000InPlace(CrsId to, Span<double> xs, Span<double> ys)
    {
        switch (to.Kind)
        {
            case CrsKind.Wgs84:
            case CrsKind.Cgcs2000:
                return;
            case CrsKind.Cgcs2000GaussKruger114:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.Gk114Forward, xs, ys);
                return;
            case CrsKind.WebMercator:
                ProjectionTransforms.Apply(ProjectionTransforms.Current.WebMercatorForward, xs, ys);
                return;
            case CrsKind.Gcj02:
                for (var i = 0; i < xs.Length; i++)
                {
                    (xs[i], ys[i]) = ChineseOffsets.Wgs84ToGcj02(xs[i], ys[i]);
                }

                return;
            case CrsKind.Bd09:
                for (var i = 0; i < xs.Length; i++)
                {
                    (xs[i], ys[i]) = ChineseOffsets.Wgs84ToBd09(xs[i], ys[i]);
                }

                return;
            default:
                throw UnknownKind(to);
        }
    }

    private static ArgumentOutOfRangeException UnknownKind(CrsId crs) =>
        new(nameof(crs), crs.Kind, "Not a supported CRS kind.");

    private sealed class ConvertFilter(CrsId from, CrsId to) : ICoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var (x, y) = Convert(from, to, seq.GetX(i), seq.GetY(i));
            seq.SetX(i, x);
            seq.SetY(i, y);
        }
    }
}
