using Geo.Gdal;
using Geo.Spatial.Crs;
using Geo.Tiles.Raster;

namespace Geo.Tiles.Tests.Raster;

/// <summary>Review chips: a square window of a real COG (the synthetic orthophoto), the outline drawn, PNG decoded by GDAL.</summary>
public sealed class ChipRendererTests(CogFixture cog) : IClassFixture<CogFixture>
{
    private (double X, double Y) CentreMercator() => CoordinateConverter.Convert(CrsId.Wgs84, CrsId.WebMercator,
        (cog.Bounds.MinX + cog.Bounds.MaxX) / 2, (cog.Bounds.MinY + cog.Bounds.MaxY) / 2);

    private byte[] Decode(byte[] png, string name)
    {
        var path = Path.Combine(cog.Root, name);
        File.WriteAllBytes(path, png);
        using var decoded = GdalDataset.Open(path, new GdalOpenOptions(["PNG"])).Value;
        Assert.Equal((256, 256, 4), (decoded.Width, decoded.Height, decoded.BandCount));
        var rgba = new byte[256 * 256 * 4];
        Assert.True(decoded.ReadInterleaved([1, 2, 3, 4], 0, 0, 256, 256, rgba).IsOk);
        return rgba;
    }

    [Fact]
    public void A_chip_shows_the_survey_with_the_outline_drawn_on_it()
    {
        var (cx, cy) = CentreMercator();
        // Window ±50 m (0.390625 m a pixel); outline ±10 m: its left edge runs down column 102.4.
        (double, double)[] ring = [(cx - 10, cy - 10), (cx + 10, cy - 10), (cx + 10, cy + 10), (cx - 10, cy + 10), (cx - 10, cy - 10)];
        var png = ChipRenderer.Render(cog.Pair.Epoch1, RasterStyle.Photo, cx - 50, cy - 50, cx + 50, cy + 50, 256, [ring], TileFormat.Png);
        Assert.True(png.IsOk);
        var rgba = Decode(png.Value, "chip.png");
        static int Distance(byte[] p, int x, int y) { var o = (y * 256 + x) * 4; return Math.Abs(p[o] - 232) + Math.Abs(p[o + 1] - 89) + Math.Abs(p[o + 2] - 12); }
        Assert.True(Math.Min(Distance(rgba, 102, 128), Distance(rgba, 103, 128)) < 60, "the outline is not on the left edge");
        Assert.True(Math.Min(Distance(rgba, 153, 128), Distance(rgba, 154, 128)) < 60, "the outline is not on the right edge");
        Assert.All(Enumerable.Range(0, 256 * 256), i => Assert.Equal(255, rgba[i * 4 + 3])); // all inside the survey
    }

    [Fact]
    public void Outside_the_survey_a_chip_is_transparent()
    {
        var west = CoordinateConverter.Convert(CrsId.Wgs84, CrsId.WebMercator, cog.Bounds.MinX, (cog.Bounds.MinY + cog.Bounds.MaxY) / 2);
        // Centred on the survey's west edge: the left half has no data.
        var png = ChipRenderer.Render(cog.Pair.Epoch1, RasterStyle.Photo, west.X - 40, west.Y - 40, west.X + 40, west.Y + 40, 256, [], TileFormat.Png);
        var rgba = Decode(png.Value, "edge.png");
        Assert.Equal(0, rgba[(128 * 256 + 10) * 4 + 3]);
        Assert.Equal(255, rgba[(128 * 256 + 245) * 4 + 3]);
    }
}
