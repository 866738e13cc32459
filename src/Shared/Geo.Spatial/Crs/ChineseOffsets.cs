namespace Geo.Spatial.Crs;

/// <summary>
/// The published GCJ-02 ("Mars coordinates") and BD-09 (Baidu) offset formulas, as circulated in the open-source
/// eviltransform and coordtransform projects. All arguments and results are degrees, x = longitude first.
/// </summary>
/// <remarks>
/// <para>
/// GCJ-02 is WGS 84 (here: CGCS2000, the same datum to centimetres) plus a deterministic, non-linear offset of a few
/// hundred metres computed on the Krasovsky ellipsoid. Outside the rough bounding box of China
/// (<see cref="IsOutOfChina"/>) GCJ-02 equals WGS 84. BD-09 is GCJ-02 with a further rotation-and-shift offset; it is
/// applied everywhere, inside China or not, as Baidu does.
/// </para>
/// <para>
/// The forward formulas are closed-form. The inverses have no closed form: they are solved by fixed-point iteration
/// of the forward formula to about 1e-12 degrees (micrometres), far better than the 1-2 m of the usual one-step
/// approximation.
/// </para>
/// </remarks>
public static class ChineseOffsets
{
    // Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
    private const double KrasovskyA = 6378245.0;
    private const double KrasovskyEe = 0.00669342162296594323;

    // Baidu's constant: pi * 3000 / 180.
    private const double BaiduXPi = Math.PI * 3000.0 / 180.0;

    private const double InverseTolerance = 1e-12;
    private const int MaxIterations = 30;

    /// <summary>
    /// The bounding-box test of the original GCJ-02 code (lon 72.004..137.8347, lat 0.8293..55.8271). It is a box,
    /// not the border: points near the border (Mongolia, Korea...) inside the box are still offset, as every
    /// map provider does.
    /// </summary>
    public static bool IsOutOfChina(double lon, double lat) =>
        !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);

    /// <summary>WGS 84 (or CGCS2000) to GCJ-02; unchanged outside China.</summary>
    public static (double Lon, double Lat) Wgs84ToGcj02(double lon, double lat)
    {
        if (IsOutOfChina(lon, lat))
        {
            return (lon, lat);
        }

        var (dLon, dLat) = Gcj02Delta(lon, lat);
        return (lon + dLon, lat + dLat);
    }

    /// <summary>GCJ-02 to WGS 84 (or CGCS2000) by iterating the forward formula; round-trip error below 1e-9 degrees.</summary>
    public static (double Lon, double Lat) Gcj02ToWgs84(double lon, double lat)
    {
        if (IsOutOfChina(lon, lat))
        {
            return (lon, lat);
        }

        // The offset varies slowly (its derivative is ~1e-3), so x = g - delta(x) contracts quickly: 3-5 rounds.
        var (dLon, dLat) = Gcj02Delta(lon, lat);
        double wLon = lon - dLon, wLat = lat - dLat;
        for (var i = 0; i < MaxIterations; i++)
        {
            (dLon, dLat) = Gcj02Delta(wLon, wLat);
            var errLon = wLon + dLon - lon;
            var errLat = wLat + dLat - lat;
            wLon -= errLon;
            wLat -= errLat;
            if (Math.Abs(errLon) < InverseTolerance && Math.Abs(errLat) < InverseTolerance)
            {
                break;
            }
        }

        return (wLon, wLat);
    }

    /// <summary>GCJ-02 to BD-09 (Baidu's published formula).</summary>
    public static (double Lon, double Lat) Gcj02ToBd09(double lon, double lat)
    {
        var z = Math.Sqrt(lon * lon + lat * lat) + 0.00002 * Math.Sin(lat * BaiduXPi);
        var theta = Math.Atan2(lat, lon) + 0.000003 * Math.Cos(lon * BaiduXPi);
        return (z * Math.Cos(theta) + 0.0065, z * Math.Sin(theta) + 0.006);
    }

    /// <summary>
    /// BD-09 to GCJ-02: Baidu's published inverse (which round-trips only to ~5 cm), refined by iterating the forward
    /// formula to ~1e-12 degrees.
    /// </summary>
    public static (double Lon, double Lat) Bd09ToGcj02(double lon, double lat)
    {
        var x = lon - 0.0065;
        var y = lat - 0.006;
        var z = Math.Sqrt(x * x + y * y) - 0.00002 * Math.Sin(y * BaiduXPi);
        var theta = Math.Atan2(y, x) - 0.000003 * Math.Cos(x * BaiduXPi);
        double gLon = z * Math.Cos(theta), gLat = z * Math.Sin(theta);
        for (var i = 0; i < MaxIterations; i++)
        {
            var (bLon, bLat) = Gcj02ToBd09(gLon, gLat);
            var errLon = bLon - lon;
            var errLat = bLat - lat;
            gLon -= errLon;
            gLat -= errLat;
            if (Math.Abs(errLon) < InverseTolerance && Math.Abs(errLat) < InverseTolerance)
            {
                break;
            }
        }

        return (gLon, gLat);
    }

    /// <summary>WGS 84 (or CGCS2000) to BD-09, through GCJ-02.</summary>
    public static (double Lon, double Lat) Wgs84ToBd09(double lon, double lat)
    {
        var (gLon, gLat) = Wgs84ToGcj02(lon, lat);
        return Gcj02ToBd09(gLon, gLat);
    }

    /// <summary>BD-09 to WGS 84 (or CGCS2000), through GCJ-02.</summary>
    public static (double Lon, double Lat) Bd09ToWgs84(double lon, double lat)
    {
        var (gLon, gLat) = Bd09ToGcj02(lon, lat);
        return Gcj02ToWgs84(gLon, gLat);
    }

    // The GCJ-02 offset at a WGS 84 point, in degrees, without the out-of-China test (the inverse iterates on it and
    // must see a smooth function near the box edge).
    private static (double DLon, double DLat) Gcj02Delta(double lon, double lat)
    {
        var x = lon - 105.0;
        var y = lat - 35.0;
        var dLat = TransformLat(x, y);
        var dLon = TransformLon(x, y);
        var radLat = lat / 180.0 * Math.PI;
        var magic = Math.Sin(radLat);
        magic = 1 - KrasovskyEe * magic * magic;
        var sqrtMagic = Math.Sqrt(magic);
        dLat = dLat * 180.0 / (KrasovskyA * (1 - KrasovskyEe) / (magic * sqrtMagic) * Math.PI);
        dLon = dLon * 180.0 / (KrasovskyA / sqrtMagic * Math.Cos(radLat) * Math.PI);
        return (dLon, dLat);
    }

    private static double TransformLat(double x, double y)
    {
        var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.Sqrt(Math.Abs(x));
        ret += (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        ret += (20.0 * Math.Sin(y * Math.PI) + 40.0 * Math.Sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
        ret += (160.0 * Math.Sin(y / 12.0 * Math.PI) + 320.0 * Math.Sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
        return ret;
    }

    private static double TransformLon(double x, double y)
    {
        var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.Sqrt(Math.Abs(x));
        ret += (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        ret += (20.0 * Math.Sin(x * Math.PI) + 40.0 * Math.Sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
        ret += (150.0 * Math.Sin(x / 12.0 * Math.PI) + 300.0 * Math.Sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
        return ret;
    }
}
