using NetTopologySuite.IO;

namespace Geo.Surveys.Tests;

public sealed class FootprintTracerTests
{
    private static byte[] Mask(params string[] rows) =>
        rows.SelectMany(r => r.Select(c => c == '#' ? (byte)255 : (byte)0)).ToArray();

    [Fact]
    public void A_full_mask_is_its_rectangle()
    {
        var g = FootprintTracer.TracePixels(Mask("###", "###"), 3, 2);
        Assert.True(g.EqualsTopologically(new WKTReader().Read("POLYGON ((0 0, 3 0, 3 2, 0 2, 0 0))")));
    }

    [Fact]
    public void An_l_shape_keeps_its_notch()
    {
        var g = FootprintTracer.TracePixels(Mask("#...", "#...", "####", "####"), 4, 4, tolerancePixels: 0.1);
        Assert.Equal(2 * 1 + 2 * 4, g.Area);
        Assert.True(g.EqualsTopologically(new WKTReader().Read("POLYGON ((0 0, 1 0, 1 2, 4 2, 4 4, 0 4, 0 0))")));
    }

    [Fact]
    public void A_hole_stays_a_hole()
    {
        var g = FootprintTracer.TracePixels(Mask("#####", "#...#", "#...#", "#####"), 5, 4, tolerancePixels: 0.1);
        Assert.Equal(20 - 6, g.Area);
        Assert.Equal(1, ((NetTopologySuite.Geometries.Polygon)g).NumInteriorRings);
    }

    [Fact]
    public void Separate_islands_give_a_multipolygon()
    {
        var g = FootprintTracer.TracePixels(Mask("##..##", "##..##"), 6, 2, tolerancePixels: 0.1);
        Assert.Equal("MultiPolygon", g.GeometryType);
        Assert.Equal(8, g.Area);
    }

    [Fact]
    public void An_empty_mask_gives_an_empty_geometry() =>
        Assert.True(FootprintTracer.TracePixels(Mask("...", "..."), 3, 2).IsEmpty);
}
