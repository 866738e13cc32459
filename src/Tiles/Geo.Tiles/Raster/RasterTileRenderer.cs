using System.Globalization;
using Geo.Gdal;
using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;

namespace Geo.Tiles.Raster;

/// <summary>
/// Renders one Web Mercator tile of a COG with GDAL in process: <c>gdalwarp -of MEM -t_srs EPSG:3857 -te (tile bounds)
/// -ts N N -r bilinear -dstalpha</c>. GDAL picks the overview closest to the tile's resolution (<c>-ovr AUTO</c>), so
/// low zooms read small overviews; outside the survey's valid data (its mask or nodata) the alpha is 0. The output
/// is straight-alpha RGBA, row-major. The same arguments given to the <c>gdalwarp</c> program give the same pixels.
/// </summary>
public static class RasterTileRenderer
{
    /// <summary>The gdalwarp arguments for a tile of <paramref name="size"/> pixels.</summary>
    public static List<string> WarpArguments(TileId tile, int size, bool dataOnly = false)
    {
        var b = TileMath.BoundsMercator(tile);
        var s = size.ToString(CultureInfo.InvariantCulture);
        return
        [
            "-of", "MEM", "-t_srs", "EPSG:3857",
            "-te", F(b.MinX), F(b.MinY), F(b.MaxX), F(b.MaxY),
            "-ts", s, s, "-r", "bilinear", "-dstalpha",
        ];

        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Renders <paramref name="tile"/> at <paramref name="size"/> pixels into <paramref name="rgba"/> (length size²·4).
    /// Returns false when every pixel is transparent (nothing of the survey there).
    /// </summary>
    public static Result<bool> Render(GdalDataset cog, RasterStyle style, TileId tile, int size, Span<byte> rgba)
    {
        ArgumentNullException.ThrowIfNull(cog);
        if (rgba.Length < size * size * 4) throw new ArgumentException("Buffer too small.", nameof(rgba));
        var warped = GdalApps.Warp([cog], "", WarpArguments(tile, size));
        if (!warped.IsOk) return Result<bool>.Fail(warped.Failures);
        using var mem = warped.Value;
        var alphaBand = mem.BandCount;
        if (style is RasterStyle.Rgb)
        {
            if (mem.BandCount != 4) throw new InvalidOperationException($"An RGB tile needs 3 bands and alpha; got {mem.BandCount} bands.");
            var read = mem.ReadInterleaved([1, 2, 3, 4], 0, 0, size, size, rgba);
            if (!read.IsOk) return Result<bool>.Fail(read.Failures);
        }
        else if (style is RasterStyle.HeightRamp ramp)
        {
            var n = size * size;
            var values = new float[n];
            var alpha = new float[n];
            var r1 = mem.ReadBlock(1, 0, 0, size, size, values.AsSpan());
            if (!r1.IsOk) return Result<bool>.Fail(r1.Failures);
            var r2 = mem.ReadBlock(alphaBand, 0, 0, size, size, alpha.AsSpan());
            if (!r2.IsOk) return Result<bool>.Fail(r2.Failures);
            HeightColours.Apply(values, alpha, ramp.Min, ramp.Max, rgba);
        }

        for (var i = 3; i < size * size * 4; i += 4)
        {
            if (rgba[i] != 0) return true;
        }

        return false;
    }
}

/// <summary>A terrain colour ramp for heights (low blue-green, then yellow, brown, white).</summary>
internal static class HeightColours
{
    private static readonly (double At, byte R, byte G, byte B)[] Stops =
    [
        (0.0, 40, 80, 160), (0.15, 50, 150, 120), (0.4, 150, 200, 90), (0.6, 240, 220, 110), (0.8, 180, 110, 60), (1.0, 250, 250, 250),
    ];

    public static void Apply(ReadOnlySpan<float> values, ReadOnlySpan<float> alpha, double min, double max, Span<byte> rgba)
    {
        var span = max > min ? max - min : 1;
        for (var i = 0; i < values.Length; i++)
        {
            var o = i * 4;
            if (alpha[i] <= 0 || !float.IsFinite(values[i]))
            {
                rgba[o] = rgba[o + 1] = rgba[o + 2] = rgba[o + 3] = 0;
                continue;
            }

            var t = Math.Clamp((values[i] - min) / span, 0, 1);
            var k = 1;
            while (k < Stops.Length - 1 && Stops[k].At < t) k++;
            var (a0, r0, g0, b0) = Stops[k - 1];
            var (a1, r1, g1, b1) = Stops[k];
            var f = (t - a0) / (a1 - a0);
            rgba[o] = (byte)(r0 + (r1 - r0) * f);
            rgba[o + 1] = (byte)(g0 + (g1 - g0) * f);
            rgba[o + 2] = (byte)(b0 + (b1 - b0) * f);
            rgba[o + 3] = (byte)Math.Clamp(alpha[i], 0, 255);
        }
    }
}
