using Geo.Spatial.Crs;

namespace Geo.Spatial.Tests.Crs;

public sealed class ChineseOffsetsTests
{
    private const double ForwardToleranceDeg = 1e-6;
    private const double RoundTripToleranceM = 0.5;
    private const double RoundTripToleranceDeg = 1e-7;

    // Reference vectors from googollee/eviltransform, python/test.py (TESTS: wgsLat, wgsLng, gcjLat, gcjLng),
    // reordered here to lon/lat: Shanghai, Shenzhen, Beijing.
    public static TheoryData<double, double, double, double> EvilTransformWgsToGcj => new()
    {
        { 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597 },
        { 113.912316, 22.543847, 113.9171764808363, 22.540796131694766 },
        { 116.377817, 39.911954, 116.38404722455657, 39.91334545536069 },
    };

    public static TheoryData<double, double> OutOfChina => new()
    {
        { 2.3522, 48.8566 },     // Paris
        { -74.006, 40.7128 },    // New York
        { 139.6917, 35.6895 },   // Tokyo: east of the box
        { 151.2093, -33.8688 },  // Sydney
        { 0.0, 0.0 },
    };

    [Theory]
    [MemberData(nameof(EvilTransformWgsToGcj))]
    public void Wgs84ToGcj02_matches_eviltransform_reference(double wgsLon, double wgsLat, double gcjLon, double gcjLat)
    {
        var (lon, lat) = ChineseOffsets.Wgs84ToGcj02(wgsLon, wgsLat);

        Assert.Equal(gcjLon, lon, ForwardToleranceDeg);
        Assert.Equal(gcjLat, lat, ForwardToleranceDeg);
    }

    [Theory]
    [MemberData(nameof(EvilTransformWgsToGcj))]
    public void Gcj02ToWgs84_inverts_eviltransform_reference_below_half_a_metre(
        double wgsLon, double wgsLat, double gcjLon, double gcjLat)
    {
        var (lon, lat) = ChineseOffsets.Gcj02ToWgs84(gcjLon, gcjLat);

        Assert.True(DistanceM(lon, lat, wgsLon, wgsLat) < RoundTripToleranceM);
    }

    // wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915) = [116.41024449916938, 39.91640428150164].
    [Fact]
    public void Wgs84ToGcj02_matches_coordtransform_reference()
    {
        var (lon, lat) = ChineseOffsets.Wgs84ToGcj02(116.404, 39.915);

        Assert.Equal(116.41024449916938, lon, ForwardToleranceDeg);
        Assert.Equal(39.91640428150164, lat, ForwardToleranceDeg);
    }

    // wandergis/coordtransform, test/app.js: gcj02tobd09(116.404, 39.915) = [116.41036949371029, 39.92133699351021].
    [Fact]
    public void Gcj02ToBd09_matches_coordtransform_reference()
    {
        var (lon, lat) = ChineseOffsets.Gcj02ToBd09(116.404, 39.915);

        Assert.Equal(116.41036949371029, lon, ForwardToleranceDeg);
        Assert.Equal(39.92133699351021, lat, ForwardToleranceDeg);
    }

    // wandergis/coordtransform, test/app.js: bd09togcj02(116.404, 39.915) = [116.39762729119315, 39.90865673957631].
    // That is Baidu's one-step inverse (round trip ~4e-7 degrees); ours is refined, so it agrees to ~4e-7 only.
    [Fact]
    public void Bd09ToGcj02_agrees_with_published_inverse()
    {
        var (lon, lat) = ChineseOffsets.Bd09ToGcj02(116.404, 39.915);

        Assert.Equal(116.39762729119315, lon, ForwardToleranceDeg);
        Assert.Equal(39.90865673957631, lat, ForwardToleranceDeg);
    }

    [Fact]
    public void Gcj02ToWgs84_round_trips_across_china()
    {
        foreach (var (lon, lat) in ChinaGrid())
        {
            var (gLon, gLat) = ChineseOffsets.Wgs84ToGcj02(lon, lat);
            var (wLon, wLat) = ChineseOffsets.Gcj02ToWgs84(gLon, gLat);

            Assert.True(DistanceM(lon, lat, wLon, wLat) < RoundTripToleranceM, $"at {lon} {lat}");
            Assert.Equal(lon, wLon, RoundTripToleranceDeg);
            Assert.Equal(lat, wLat, RoundTripToleranceDeg);
        }
    }

    [Fact]
    public void Bd09ToGcj02_round_trips_across_china()
    {
        foreach (var (lon, lat) in ChinaGrid())
        {
            var (bLon, bLat) = ChineseOffsets.Gcj02ToBd09(lon, lat);
            var (gLon, gLat) = ChineseOffsets.Bd09ToGcj02(bLon, bLat);

            Assert.True(DistanceM(lon, lat, gLon, gLat) < RoundTripToleranceM, $"at {lon} {lat}");
            Assert.Equal(lon, gLon, RoundTripToleranceDeg);
            Assert.Equal(lat, gLat, RoundTripToleranceDeg);
        }
    }

    [Fact]
    public void Bd09ToWgs84_round_trips_across_china()
    {
        foreach (var (lon, lat) in ChinaGrid())
        {
            var (bLon, bLat) = ChineseOffsets.Wgs84ToBd09(lon, lat);
            var (wLon, wLat) = ChineseOffsets.Bd09ToWgs84(bLon, bLat);

            Assert.True(DistanceM(lon, lat, wLon, wLat) < RoundTripToleranceM, $"at {lon} {lat}");
            Assert.Equal(lon, wLon, RoundTripToleranceDeg);
            Assert.Equal(lat, wLat, RoundTripToleranceDeg);
        }
    }

    [Fact]
    public void Wgs84ToBd09_is_gcj02_then_bd09()
    {
        var (gLon, gLat) = ChineseOffsets.Wgs84ToGcj02(112.845, 34.167);
        var expected = ChineseOffsets.Gcj02ToBd09(gLon, gLat);

        Assert.Equal(expected, ChineseOffsets.Wgs84ToBd09(112.845, 34.167));
    }

    [Fact]
    public void Offsets_at_Ruzhou_are_hundreds_of_metres()
    {
        var (gLon, gLat) = ChineseOffsets.Wgs84ToGcj02(112.845, 34.167);
        var (bLon, bLat) = ChineseOffsets.Wgs84ToBd09(112.845, 34.167);

        Assert.InRange(DistanceM(112.845, 34.167, gLon, gLat), 100, 1000);
        Assert.InRange(DistanceM(112.845, 34.167, bLon, bLat), 500, 2000);
    }

    [Theory]
    [MemberData(nameof(OutOfChina))]
    public void Outside_china_gcj02_equals_wgs84(double lon, double lat)
    {
        Assert.True(ChineseOffsets.IsOutOfChina(lon, lat));
        Assert.Equal((lon, lat), ChineseOffsets.Wgs84ToGcj02(lon, lat));
        Assert.Equal((lon, lat), ChineseOffsets.Gcj02ToWgs84(lon, lat));
    }

    [Theory]
    [InlineData(112.845, 34.167)] // Ruzhou
    [InlineData(116.404, 39.915)] // Beijing
    [InlineData(87.6, 43.8)]      // Urumqi
    [InlineData(126.6, 45.8)]     // Harbin
    [InlineData(109.5, 18.25)]    // Sanya
    public void Inside_china_is_not_out_of_china(double lon, double lat)
    {
        Assert.False(ChineseOffsets.IsOutOfChina(lon, lat));
    }

    private static IEnumerable<(double Lon, double Lat)> ChinaGrid()
    {
        for (var lon = 74.0; lon <= 134.0; lon += 2.5)
        {
            for (var lat = 4.0; lat <= 53.0; lat += 2.5)
            {
                yield return (lon, lat);
            }
        }

        // A dense block around Ruzhou, off the round numbers.
        for (var i = 0; i < 10; i++)
        {
            for (var j = 0; j < 10; j++)
            {
                yield return (112.79 + i * 0.0123456, 34.122 + j * 0.0098765);
            }
        }
    }

    // Haversine on the mean Earth sphere (R = 6371008.8 m): well within 0.5% for the sub-metre distances checked here.
    internal static double DistanceM(double lon1, double lat1, double lon2, double lat2)
    {
        const double R = 6371008.8;
        const double Rad = Math.PI / 180.0;
        var dLat = (lat2 - lat1) * Rad;
        var dLon = (lon2 - lon1) * Rad;
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
                + Math.Cos(lat1 * Rad) * Math.Cos(lat2 * Rad) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * R * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }
}
