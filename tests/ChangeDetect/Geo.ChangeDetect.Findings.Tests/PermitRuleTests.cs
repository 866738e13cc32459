using Geo.ChangeDetect.Findings;
using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings.Tests;

public class PermitRuleTests
{
    private static readonly GeometryFactory F = new();
    private static readonly DateOnly Survey = new(2026, 6, 1);

    // A square in EPSG:4547 (metres) near Ruzhou, returned in EPSG:4490.
    private static Polygon Square(double e, double n, double side)
    {
        var p = F.CreatePolygon([new(e, n), new(e + side, n), new(e + side, n + side), new(e, n + side), new(e, n)]);
        return (Polygon)CoordinateConverter.Transform(p, CrsId.Cgcs2000GK114, CrsId.Cgcs2000);
    }

    private const double E = 395_000, N = 3_780_000;

    [Fact]
    public void Inside_a_valid_permit_is_permitted()
    {
        var permit = new Permit("P-1", "张三", new(2026, 1, 1), new(2026, 12, 31), Square(E - 10, N - 10, 60));
        var r = new PermitRule().Evaluate(Square(E, N, 20), [permit], Survey);
        Assert.True(r.Permitted);
        Assert.Equal("P-1", r.PermitId);
    }

    [Theory]
    [InlineData(12, true)]  // 60 % inside
    [InlineData(8, false)]  // 40 % inside
    public void Partly_inside_is_decided_by_the_fraction(double insideWidth, bool expected)
    {
        var permit = new Permit("P-2", "李四", new(2026, 1, 1), null, Square(E - 100 + insideWidth, N - 50, 100));
        var r = new PermitRule().Evaluate(Square(E, N, 20), [permit], Survey);
        Assert.Equal(expected, r.Permitted);
    }

    [Fact]
    public void Outside_and_expired_permits_do_not_permit()
    {
        var outside = new Permit("P-3", "王五", new(2026, 1, 1), null, Square(E + 500, N, 50));
        var expired = new Permit("P-4", "赵六", new(2025, 1, 1), new(2026, 5, 31), Square(E - 10, N - 10, 60));
        var notYet = new Permit("P-5", "赵六", new(2026, 6, 2), null, Square(E - 10, N - 10, 60));
        var r = new PermitRule().Evaluate(Square(E, N, 20), [outside, expired, notYet], Survey);
        Assert.False(r.Permitted);
        Assert.Null(r.PermitId);
    }

    [Fact]
    public void The_fraction_is_an_option()
    {
        var permit = new Permit("P-6", "孙七", new(2026, 1, 1), null, Square(E - 100 + 8, N - 50, 100)); // 40 %
        Assert.True(new PermitRule(0.3).Evaluate(Square(E, N, 20), [permit], Survey).Permitted);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PermitRule(0));
    }
}
