using Geo.GridService.Census;
using Geo.GridService.Codes;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.GridService.Tests.Census;

/// <summary>The in-memory census index against brute force on random data (EPSG:4490 around Ruzhou).</summary>
public sealed class CensusIndexTests
{
    private const double Lon0 = 112.845, Lat0 = 34.167;
    private static readonly double Kx = 111_320 * Math.Cos(Lat0 * Math.PI / 180);
    private const double Ky = 110_574;

    private static (CensusIndex Index, List<(long Code, double X, double Y, ComponentStatus Status)> Points) Build(int n, int seed)
    {
        var rnd = new Random(seed);
        var b = new CensusIndex.Builder();
        var points = new List<(long, double, double, ComponentStatus)>();
        string[] classes = ["0101", "0102", "0118", "0401"];
        for (var i = 0; i < n; i++)
        {
            var cls = classes[i % classes.Length];
            var code = long.Parse($"410482{cls}{i + 1:D6}");
            var x = Lon0 - 0.03 + rnd.NextDouble() * 0.06;
            var y = Lat0 - 0.02 + rnd.NextDouble() * 0.04;
            var status = (ComponentStatus)(i % 4);
            b.Add(new ComponentLocation(code, status, x, y, x, y, null));
            points.Add((code, x, y, status));
        }
        return (b.Build(1), points);
    }

    private static double Metres(double x1, double y1, double x2, double y2)
    {
        var dx = (x1 - x2) * Kx;
        var dy = (y1 - y2) * Ky;
        return Math.Sqrt(dx * dx + dy * dy);
    }

    [Fact]
    public void Nearest_OfAClass_MatchesBruteForce()
    {
        var (index, points) = Build(20_000, 3);
        var rnd = new Random(11);
        for (var q = 0; q < 300; q++)
        {
            // Some queries far outside the data: the ring search must still find the right ones.
            var x = Lon0 - 0.05 + rnd.NextDouble() * 0.1;
            var y = Lat0 - 0.04 + rnd.NextDouble() * 0.08;
            var cls = ClassCode.Parse(q % 2 == 0 ? "C0118" : "C0101").Value;
            var expected = points.Where(p => p.Code / 1_000_000 % 10_000 == int.Parse(cls.Digits))
                .Select(p => (p.Code, D: Metres(p.X, p.Y, x, y))).OrderBy(p => p.D).ThenBy(p => p.Code).Take(5).ToArray();
            var got = index.Nearest(x, y, 5, cls);
            Assert.Equal(expected.Select(e => e.Code), got.Select(g => g.Code.Number));
            // The index's frame is centred on the data, the brute force's on (Lon0, Lat0): agree within 0.1 %.
            for (var i = 0; i < 5; i++) Assert.InRange(got[i].DistanceMetres, expected[i].D * 0.999 - 0.01, expected[i].D * 1.001 + 0.01);
        }
    }

    [Fact]
    public void Nearest_ByMajorClassAndStatus_MatchesBruteForce()
    {
        var (index, points) = Build(5_000, 5);
        var got = index.Nearest(Lon0, Lat0, 7, ClassCode.Parse("C01").Value, ComponentStatus.Damaged);
        var expected = points.Where(p => p.Code / 100_000_000 % 100 == 1 && p.Status == ComponentStatus.Damaged)
            .OrderBy(p => Metres(p.X, p.Y, Lon0, Lat0)).ThenBy(p => p.Code).Take(7).Select(p => p.Code);
        Assert.Equal(expected, got.Select(g => g.Code.Number));
    }

    [Fact]
    public void InBox_PagesThroughEveryMatch_InCodeOrder()
    {
        var (index, points) = Build(20_000, 7);
        var box = new Envelope(Lon0 - 0.005, Lon0 + 0.004, Lat0 - 0.003, Lat0 + 0.006);
        var expected = points.Where(p => box.Contains(p.X, p.Y)).Select(p => p.Code).Order().ToArray();
        var got = new List<long>();
        ComponentCode? after = null;
        do
        {
            var (codes, next) = index.InBox(box, 50, after);
            got.AddRange(codes.Select(c => c.Number));
            after = next;
        } while (after is not null);
        Assert.Equal(expected, got);
        Assert.True(expected.Length > 200);
    }

    [Fact]
    public void Lines_AreFoundByTheirNearestPart_InMetres()
    {
        var b = new CensusIndex.Builder();
        var reader = new WKTReader();
        var fence = reader.Read("LINESTRING (112.84 34.16, 112.86 34.16)");
        var e = fence.EnvelopeInternal;
        b.Add(new ComponentLocation(4104820603000001, ComponentStatus.Intact, e.MinX, e.MinY, e.MaxX, e.MaxY, fence));
        b.Add(new ComponentLocation(4104820603000002, ComponentStatus.Intact, 112.85, 34.17, 112.85, 34.17, null));
        var index = b.Build(1);
        var near = index.Nearest(112.85, 34.161, 2, ClassCode.Parse("C0603").Value);
        Assert.Equal(4104820603000001, near[0].Code.Number);
        Assert.Equal(110.6, near[0].DistanceMetres, 0); // 0.001 degree of latitude
        Assert.Single(index.InBox(new Envelope(112.855, 112.856, 34.159, 34.161), 10).Codes);
    }
}
