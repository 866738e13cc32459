using System.Diagnostics;
using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using Xunit.Abstractions;

namespace Geo.Spatial.Tests.Crs;

public sealed class CoordinateConverterTests
{
    private const double MillimetreM = 0.001;
    private const double CentimetreM = 0.01;
    private const double RoundTripDeg = 1e-9;
    private const double RoundTripM = 1e-4;

    // Reference values from PROJ 9.1.1 (Debian proj-bin 9.1.1-1+b1), computed on the build machine.
    // cs2cs uses the EPSG axis order: EPSG:4326/4490 are read and printed as "lat lon", EPSG:4547 as "N E",
    // EPSG:3857 as "E N". The tables below are all reordered to x = lon/easting, y = lat/northing.
    //
    // Input (lat lon):
    //   34.167 112.845   Ruzhou centre
    //   34.122 112.790   \
    //   34.122 112.900    | corners of a ~10 km box around Ruzhou
    //   34.212 112.790    |
    //   34.212 112.900   /
    //   40.900 115.450   far north-east of the zone (1.45 degrees east of CM 114E)
    //
    // $ cs2cs -f %.6f EPSG:4326 EPSG:4547 < pts.txt     (identical output for EPSG:4490 EPSG:4547: null datum shift)
    // $ cs2cs -f %.6f EPSG:4326 EPSG:3857 < pts.txt
    // $ cs2cs -f %.11f EPSG:4547 EPSG:4490 and cs2cs -f %.11f EPSG:3857 EPSG:4326 on the outputs give back the
    //   inputs to all 11 printed decimals.
    public static TheoryData<double, double, double, double, double, double> ProjReference => new()
    {
        // lon,    lat,    E (4547),      N (4547),       x (3857),        y (3857)
        { 112.845, 34.167, 393502.152894, 3782788.622219, 12561847.938567, 4051248.149419 },
        { 112.790, 34.122, 388371.370900, 3777855.374059, 12555725.366573, 4045195.432989 },
        { 112.900, 34.122, 398519.917388, 3777740.597745, 12567970.510561, 4045195.432989 },
        { 112.790, 34.212, 388489.803134, 3787839.489429, 12555725.366573, 4057304.093383 },
        { 112.900, 34.212, 398627.578699, 3787724.569287, 12567970.510561, 4057304.093383 },
        { 115.450, 40.900, 622182.102894, 4530480.374280, 12851835.212083, 4997602.857168 },
    };

    public static TheoryData<CrsKind, CrsKind> AllPairs
    {
        get
        {
            var data = new TheoryData<CrsKind, CrsKind>();
            foreach (var from in Enum.GetValues<CrsKind>())
            {
                foreach (var to in Enum.GetValues<CrsKind>())
                {
                    data.Add(from, to);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ProjReference))]
    public void Cgcs2000_to_gauss_kruger_matches_proj_to_a_millimetre(
        double lon, double lat, double e, double n, double mx, double my)
    {
        _ = (mx, my);
        var (x, y) = CoordinateConverter.Convert(CrsId.Cgcs2000, CrsId.Cgcs2000GK114, lon, lat);

        Assert.Equal(e, x, MillimetreM);
        Assert.Equal(n, y, MillimetreM);
    }

    [Theory]
    [MemberData(nameof(ProjReference))]
    public void Wgs84_to_gauss_kruger_matches_proj_to_a_millimetre(
        double lon, double lat, double e, double n, double mx, double my)
    {
        _ = (mx, my);
        var (x, y) = CoordinateConverter.Convert(CrsId.Wgs84, CrsId.Cgcs2000GK114, lon, lat);

        Assert.Equal(e, x, MillimetreM);
        Assert.Equal(n, y, MillimetreM);
    }

    [Theory]
    [MemberData(nameof(ProjReference))]
    public void Gauss_kruger_to_cgcs2000_matches_proj(double lon, double lat, double e, double n, double mx, double my)
    {
        _ = (mx, my);
        var (x, y) = CoordinateConverter.ToCgcs2000(CrsId.Cgcs2000GK114, e, n);

        Assert.Equal(lon, x, RoundTripDeg);
        Assert.Equal(lat, y, RoundTripDeg);
    }

    [Theory]
    [MemberData(nameof(ProjReference))]
    public void Wgs84_to_web_mercator_matches_proj_to_a_centimetre(
        double lon, double lat, double e, double n, double mx, double my)
    {
        _ = (e, n);
        var (x, y) = CoordinateConverter.Convert(CrsId.Wgs84, CrsId.WebMercator, lon, lat);

        Assert.Equal(mx, x, CentimetreM);
        Assert.Equal(my, y, CentimetreM);
    }

    [Theory]
    [MemberData(nameof(ProjReference))]
    public void Web_mercator_to_wgs84_matches_proj(double lon, double lat, double e, double n, double mx, double my)
    {
        _ = (e, n);
        var (x, y) = CoordinateConverter.Convert(CrsId.WebMercator, CrsId.Wgs84, mx, my);

        Assert.Equal(lon, x, RoundTripDeg);
        Assert.Equal(lat, y, RoundTripDeg);
    }

    [Theory]
    [MemberData(nameof(ProjReference))]
    public void Web_mercator_to_gauss_kruger_matches_proj_to_a_millimetre(
        double lon, double lat, double e, double n, double mx, double my)
    {
        _ = (lon, lat);
        var (x, y) = CoordinateConverter.Convert(CrsId.WebMercator, CrsId.Cgcs2000GK114, mx, my);

        Assert.Equal(e, x, MillimetreM);
        Assert.Equal(n, y, MillimetreM);
    }

    // $ echo "3782000 393000" | cs2cs -f %.6f EPSG:4547 EPSG:3857    ->  12561252.629685  4050284.961103
    // $ echo "3782000 393000" | cs2cs -f %.10f EPSG:4547 EPSG:4490   ->  34.1598406084  112.8396522493
    [Fact]
    public void Gauss_kruger_grid_point_matches_proj()
    {
        var (mx, my) = CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.WebMercator, 393000, 3782000);
        var (lon, lat) = CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Wgs84, 393000, 3782000);

        Assert.Equal(12561252.629685, mx, CentimetreM);
        Assert.Equal(4050284.961103, my, CentimetreM);
        Assert.Equal(112.8396522493, lon, RoundTripDeg);
        Assert.Equal(34.1598406084, lat, RoundTripDeg);
    }

    [Fact]
    public void Wgs84_and_cgcs2000_are_the_same_datum()
    {
        Assert.Equal((112.845, 34.167), CoordinateConverter.Convert(CrsId.Wgs84, CrsId.Cgcs2000, 112.845, 34.167));
        Assert.Equal((112.845, 34.167), CoordinateConverter.Convert(CrsId.Cgcs2000, CrsId.Wgs84, 112.845, 34.167));
    }

    [Fact]
    public void Gcj02_and_bd09_use_the_published_offsets()
    {
        Assert.Equal(ChineseOffsets.Wgs84ToGcj02(112.845, 34.167),
            CoordinateConverter.Convert(CrsId.Wgs84, CrsId.Gcj02, 112.845, 34.167));
        Assert.Equal(ChineseOffsets.Wgs84ToBd09(112.845, 34.167),
            CoordinateConverter.Convert(CrsId.Cgcs2000, CrsId.Bd09, 112.845, 34.167));
        Assert.Equal(ChineseOffsets.Gcj02ToBd09(112.845, 34.167),
            CoordinateConverter.Convert(CrsId.Gcj02, CrsId.Bd09, 112.845, 34.167));
        Assert.Equal(ChineseOffsets.Bd09ToGcj02(112.845, 34.167),
            CoordinateConverter.Convert(CrsId.Bd09, CrsId.Gcj02, 112.845, 34.167));
    }

    [Fact]
    public void Gauss_kruger_to_gcj02_goes_through_cgcs2000()
    {
        var (lon, lat) = CoordinateConverter.ToCgcs2000(CrsId.Cgcs2000GK114, 393502.152894, 3782788.622219);
        var expected = ChineseOffsets.Wgs84ToGcj02(lon, lat);

        Assert.Equal(expected, CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Gcj02, 393502.152894, 3782788.622219));
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Every_pair_round_trips(CrsKind fromKind, CrsKind toKind)
    {
        var from = new CrsId(fromKind);
        var to = new CrsId(toKind);
        foreach (var (lon, lat) in RuzhouSamples())
        {
            var (x0, y0) = CoordinateConverter.FromCgcs2000(from, lon, lat);
            var (x1, y1) = CoordinateConverter.Convert(from, to, x0, y0);
            var (x2, y2) = CoordinateConverter.Convert(to, from, x1, y1);

            var tolerance = from.IsGeographic ? RoundTripDeg : RoundTripM;
            Assert.Equal(x0, x2, tolerance);
            Assert.Equal(y0, y2, tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Batch_equals_point_by_point(CrsKind fromKind, CrsKind toKind)
    {
        var from = new CrsId(fromKind);
        var to = new CrsId(toKind);
        var (xs, ys) = SampleBatch(from, 1_000);
        var expected = new (double X, double Y)[xs.Length];
        for (var i = 0; i < xs.Length; i++)
        {
            expected[i] = CoordinateConverter.Convert(from, to, xs[i], ys[i]);
        }

        CoordinateConverter.Convert(from, to, xs, ys);

        for (var i = 0; i < xs.Length; i++)
        {
            // ProjNET's span path and its ref-double path are the same arithmetic; allow the last few ulps.
            Assert.Equal(expected[i].X, xs[i], Math.Abs(expected[i].X) * 1e-14);
            Assert.Equal(expected[i].Y, ys[i], Math.Abs(expected[i].Y) * 1e-14);
        }
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void NaN_passes_through_as_NaN_without_throwing(CrsKind fromKind, CrsKind toKind)
    {
        var (x, y) = CoordinateConverter.Convert(new CrsId(fromKind), new CrsId(toKind), double.NaN, double.NaN);
        double[] xs = [double.NaN, 1.0], ys = [double.NaN, 1.0];
        CoordinateConverter.Convert(new CrsId(fromKind), new CrsId(toKind), xs, ys);

        Assert.True(double.IsNaN(x) && double.IsNaN(y));
        Assert.True(double.IsNaN(xs[0]) && double.IsNaN(ys[0]));
    }

    // ProjNET throws here; PROJ prints a meaningless northing (echo "90 0" | cs2cs EPSG:4326 EPSG:3857 gives
    // 0.00 242528680.94). NaN says "no answer" without failing the batch around it.
    [Fact]
    public void Web_mercator_of_a_pole_is_NaN_not_an_exception()
    {
        var (x, y) = CoordinateConverter.Convert(CrsId.Wgs84, CrsId.WebMercator, 0, 90);

        Assert.True(double.IsNaN(x) && double.IsNaN(y));
    }

    [Fact]
    public void Infinite_gauss_kruger_input_is_NaN_not_garbage()
    {
        var (lon, lat) = CoordinateConverter.ToCgcs2000(CrsId.Cgcs2000GK114, double.PositiveInfinity, 3782788.6);

        Assert.True(double.IsNaN(lon) && double.IsNaN(lat));
    }

    [Fact]
    public void Batch_with_a_bad_point_converts_the_others()
    {
        double[] xs = [393502.152894, 393000, double.PositiveInfinity, 398627.578699];
        double[] ys = [3782788.622219, double.NaN, 3782788.6, 3787724.569287];

        CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Wgs84, xs, ys);

        Assert.Equal(112.845, xs[0], RoundTripDeg);
        Assert.Equal(34.167, ys[0], RoundTripDeg);
        Assert.True(double.IsNaN(xs[1]) && double.IsNaN(ys[1]));
        Assert.True(double.IsNaN(xs[2]) && double.IsNaN(ys[2]));
        Assert.Equal(112.9, xs[3], RoundTripDeg);
        Assert.Equal(34.212, ys[3], RoundTripDeg);
    }

    [Fact]
    public void Batch_rejects_spans_of_different_lengths()
    {
        Assert.Throws<ArgumentException>(() =>
            CoordinateConverter.Convert(CrsId.Wgs84, CrsId.WebMercator, new double[3], new double[2]));
    }

    [Fact]
    public void Batch_of_nothing_is_a_no_op()
    {
        CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Wgs84, Span<double>.Empty, Span<double>.Empty);
    }

    [Fact]
    public void Batch_does_not_allocate_per_point()
    {
        var (xs, ys) = SampleBatch(CrsId.Cgcs2000GK114, 100_000);
        CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Cgcs2000, xs.AsSpan(0, 10), ys.AsSpan(0, 10));

        var before = GC.GetAllocatedBytesForCurrentThread();
        CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.WebMercator, xs, ys);
        CoordinateConverter.Convert(CrsId.WebMercator, CrsId.Bd09, xs, ys);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 100_000, $"{allocated} bytes allocated for 2 x 100000 points");
    }

    [Fact]
    public void Concurrent_conversions_equal_single_threaded_results()
    {
        (CrsId From, CrsId To)[] pairs =
        [
            (CrsId.Cgcs2000GK114, CrsId.Cgcs2000),
            (CrsId.Cgcs2000, CrsId.Cgcs2000GK114),
            (CrsId.WebMercator, CrsId.Cgcs2000GK114),
            (CrsId.Cgcs2000GK114, CrsId.WebMercator),
            (CrsId.Bd09, CrsId.WebMercator),
        ];
        var inputs = pairs.Select(p => SampleBatch(p.From, 20_000)).ToArray();
        var expected = new (double[] Xs, double[] Ys)[pairs.Length];
        for (var p = 0; p < pairs.Length; p++)
        {
            var (xs, ys) = ((double[])inputs[p].Xs.Clone(), (double[])inputs[p].Ys.Clone());
            CoordinateConverter.Convert(pairs[p].From, pairs[p].To, xs, ys);
            expected[p] = (xs, ys);
        }

        const int threadCount = 8;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new Barrier(threadCount);
        var threads = Enumerable.Range(0, threadCount).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var round = 0; round < 10; round++)
            {
                var p = (t + round) % pairs.Length;
                var (from, to) = pairs[p];
                var (xs, ys) = ((double[])inputs[p].Xs.Clone(), (double[])inputs[p].Ys.Clone());
                if (t % 2 == 0)
                {
                    CoordinateConverter.Convert(from, to, xs, ys);
                }
                else
                {
                    for (var i = 0; i < xs.Length; i++)
                    {
                        (xs[i], ys[i]) = CoordinateConverter.Convert(from, to, xs[i], ys[i]);
                    }
                }

                for (var i = 0; i < xs.Length; i++)
                {
                    var (ex, ey) = (expected[p].Xs[i], expected[p].Ys[i]);
                    if (Math.Abs(xs[i] - ex) > Math.Abs(ex) * 1e-14 || Math.Abs(ys[i] - ey) > Math.Abs(ey) * 1e-14)
                    {
                        failures.Add($"thread {t} {from}->{to} point {i}: ({xs[i]}, {ys[i]}) != ({ex}, {ey})");
                        return;
                    }
                }
            }
        })).ToList();

        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());

        Assert.Empty(failures);
    }

    [Fact]
    public void Transform_polygon_converts_every_vertex_and_sets_srid()
    {
        var wkt = "POLYGON ((388371.3709 3777855.374059, 398519.917388 3777740.597745, 398627.578699 3787724.569287, " +
                  "388489.803134 3787839.489429, 388371.3709 3777855.374059))";
        var source = new WKTReader().Read(wkt);
        source.SRID = 4547;

        var result = CoordinateConverter.Transform(source, CrsId.Cgcs2000GK114, CrsId.Cgcs2000);

        var polygon = Assert.IsType<Polygon>(result);
        Assert.Equal(4490, polygon.SRID);
        Assert.Equal(4490, polygon.Factory.SRID);
        Assert.Equal(112.79, polygon.Coordinates[0].X, RoundTripDeg);
        Assert.Equal(34.122, polygon.Coordinates[0].Y, RoundTripDeg);
        Assert.Equal(112.90, polygon.Coordinates[2].X, RoundTripDeg);
        Assert.Equal(34.212, polygon.Coordinates[2].Y, RoundTripDeg);
        Assert.True(polygon.IsValid);
        Assert.Equal(source, new WKTReader().Read(wkt)); // the input is left untouched
        Assert.Equal(4547, source.SRID);
    }

    [Fact]
    public void Transform_to_gcj02_has_srid_zero()
    {
        var source = new WKTReader().Read("LINESTRING (112.79 34.122, 112.9 34.212)");

        var result = CoordinateConverter.Transform(source, CrsId.Wgs84, CrsId.Gcj02);

        Assert.Equal(0, result.SRID);
        Assert.Equal(ChineseOffsets.Wgs84ToGcj02(112.9, 34.212), (result.Coordinates[1].X, result.Coordinates[1].Y));
    }

    [Fact]
    public void Transform_collection_sets_srid_on_every_part()
    {
        var source = new WKTReader().Read(
            "GEOMETRYCOLLECTION (POINT (112.845 34.167), MULTIPOLYGON (((112.79 34.122, 112.9 34.122, 112.9 34.212, 112.79 34.122))))");

        var result = CoordinateConverter.Transform(source, CrsId.Wgs84, CrsId.WebMercator);

        Assert.Equal(3857, result.SRID);
        Assert.All(Enumerable.Range(0, result.NumGeometries), i => Assert.Equal(3857, result.GetGeometryN(i).SRID));
        Assert.Equal(12561847.938567, result.GetGeometryN(0).Coordinate.X, CentimetreM);
        Assert.Equal(4051248.149419, result.GetGeometryN(0).Coordinate.Y, CentimetreM);
    }

    [Fact]
    public void Transform_keeps_z()
    {
        var source = new WKTReader().Read("POINT Z (112.845 34.167 87.5)");

        var result = CoordinateConverter.Transform(source, CrsId.Wgs84, CrsId.Cgcs2000GK114);

        Assert.Equal(393502.152894, result.Coordinate.X, MillimetreM);
        Assert.Equal(87.5, result.Coordinate.Z);
    }

    [Fact]
    public void Transform_empty_geometry_stays_empty()
    {
        var source = new WKTReader().Read("POLYGON EMPTY");

        var result = CoordinateConverter.Transform(source, CrsId.Cgcs2000GK114, CrsId.Wgs84);

        Assert.True(result.IsEmpty);
        Assert.IsType<Polygon>(result);
        Assert.Equal(4326, result.SRID);
        Assert.Equal(4326, result.Factory.SRID);
    }

    [Theory]
    [InlineData(CrsKind.Wgs84, 112.845, 34.167, true)]
    [InlineData(CrsKind.Wgs84, -180, -90, true)]
    [InlineData(CrsKind.Wgs84, 180, 90, true)]
    [InlineData(CrsKind.Wgs84, 112.845, 91, false)]
    [InlineData(CrsKind.Cgcs2000, 112.845, -90.0001, false)]
    [InlineData(CrsKind.Cgcs2000, 180.0001, 34.167, false)]
    [InlineData(CrsKind.Gcj02, 112.845, 91, false)]
    [InlineData(CrsKind.Bd09, 1e308, 34.167, false)]
    [InlineData(CrsKind.Cgcs2000GaussKruger114, 393502.15, 3782788.62, true)]
    [InlineData(CrsKind.Cgcs2000GaussKruger114, 38393502.15, 3782788.62, false)] // zone-prefixed easting
    [InlineData(CrsKind.Cgcs2000GaussKruger114, 100000, 3782788.62, false)]
    [InlineData(CrsKind.Cgcs2000GaussKruger114, 393502.15, -1, false)]
    [InlineData(CrsKind.Cgcs2000GaussKruger114, 393502.15, 1e308, false)]
    [InlineData(CrsKind.Cgcs2000GaussKruger114, 112.845, 34.167, false)] // degrees given for metres
    [InlineData(CrsKind.WebMercator, 12561847.94, 4051248.15, true)]
    [InlineData(CrsKind.WebMercator, 20037508.34, -20037508.34, true)]
    [InlineData(CrsKind.WebMercator, 20037509, 0, false)]
    [InlineData(CrsKind.WebMercator, 0, 1e308, false)]
    public void IsInRange_checks_the_valid_area(CrsKind kind, double x, double y, bool expected)
    {
        Assert.Equal(expected, CoordinateConverter.IsInRange(new CrsId(kind), x, y));
    }

    [Theory]
    [InlineData(double.NaN, 34.167)]
    [InlineData(112.845, double.NaN)]
    [InlineData(double.PositiveInfinity, 34.167)]
    [InlineData(112.845, double.NegativeInfinity)]
    public void IsInRange_rejects_non_finite_values_in_every_crs(double x, double y)
    {
        foreach (var kind in Enum.GetValues<CrsKind>())
        {
            Assert.False(CoordinateConverter.IsInRange(new CrsId(kind), x, y), kind.ToString());
        }
    }

    private static IEnumerable<(double Lon, double Lat)> RuzhouSamples()
    {
        yield return (112.845, 34.167);
        yield return (112.79, 34.122);
        yield return (112.90, 34.212);
        yield return (112.6, 33.9);
        yield return (115.45, 40.9);
    }

    // Points spread over a ~20 km square around Ruzhou, expressed in `crs`.
    private static (double[] Xs, double[] Ys) SampleBatch(CrsId crs, int count)
    {
        var random = new Random(20240611);
        var xs = new double[count];
        var ys = new double[count];
        for (var i = 0; i < count; i++)
        {
            (xs[i], ys[i]) = CoordinateConverter.FromCgcs2000(
                crs, 112.75 + random.NextDouble() * 0.2, 34.08 + random.NextDouble() * 0.18);
        }

        return (xs, ys);
    }
}
