using System.Globalization;
using Geo.Gdal;
using Geo.Spatial.Failures;
using OpenCvSharp;

namespace Geo.Tiles.Raster;

/// <summary>
/// Image chips for reviewing a change: a square window of a survey COG around a finding, warped with GDAL in process
/// (<c>gdalwarp -of MEM -t_srs EPSG:3857 -te ... -ts N N -r bilinear -dstalpha</c>, the same as the raster tiles, so GDAL
/// reads the overview nearest the chip's resolution), the finding's outline drawn on it with OpenCV, encoded as PNG or
/// JPEG by <see cref="TileEncoder"/>. Coordinates in Web Mercator metres (EPSG:3857, x = easting).
/// </summary>
public static class ChipRenderer
{
    /// <summary>Outline colour (RGBA): a vivid orange that stands out on roofs and vegetation.</summary>
    private static readonly Scalar Outline = new(232, 89, 12, 255);

    /// <summary>
    /// Renders the window <paramref name="minX"/>..<paramref name="maxX"/>, <paramref name="minY"/>..<paramref name="maxY"/>
    /// (EPSG:3857) of <paramref name="cogPath"/> at <paramref name="size"/> x <paramref name="size"/> pixels with
    /// <paramref name="outline"/> (rings in EPSG:3857) drawn 2 px wide. Outside the survey's data the chip is transparent
    /// (PNG) or black (JPEG).
    /// </summary>
    public static Result<byte[]> Render(string cogPath, RasterStyle style, double minX, double minY, double maxX, double maxY, int size,
        IReadOnlyList<IReadOnlyList<(double X, double Y)>> outline, TileFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 2048);
        if (!(maxX > minX && maxY > minY)) throw new ArgumentException("The window is empty.");
        var opened = GdalDataset.Open(cogPath);
        if (!opened.IsOk) return Result<byte[]>.Fail(opened.Failures);
        using var cog = opened.Value;
        var s = size.ToString(CultureInfo.InvariantCulture);
        var warped = GdalApps.Warp([cog], "",
        [
            "-of", "MEM", "-t_srs", "EPSG:3857", "-te", F(minX), F(minY), F(maxX), F(maxY), "-ts", s, s, "-r", "bilinear", "-dstalpha",
        ]);
        if (!warped.IsOk) return Result<byte[]>.Fail(warped.Failures);
        using var mem = warped.Value;
        var rgba = new byte[size * size * 4];
        if (style is RasterStyle.Rgb)
        {
            if (mem.BandCount != 4) return Failure.Invalid("chip_bands", $"An orthophoto chip needs 3 bands and alpha; got {mem.BandCount}.");
            var read = mem.ReadInterleaved([1, 2, 3, 4], 0, 0, size, size, rgba);
            if (!read.IsOk) return Result<byte[]>.Fail(read.Failures);
        }
        else if (style is RasterStyle.HeightRamp ramp)
        {
            var values = new float[size * size];
            var alpha = new float[size * size];
            var r1 = mem.ReadBlock(1, 0, 0, size, size, values.AsSpan());
            if (!r1.IsOk) return Result<byte[]>.Fail(r1.Failures);
            var r2 = mem.ReadBlock(mem.BandCount, 0, 0, size, size, alpha.AsSpan());
            if (!r2.IsOk) return Result<byte[]>.Fail(r2.Failures);
            HeightColours.Apply(values, alpha, ramp.Min, ramp.Max, rgba);
        }

        DrawOutline(rgba, size, minX, maxY, (maxX - minX) / size, (maxY - minY) / size, outline);
        return TileEncoder.Encode(rgba, size, size, format);

        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    private static unsafe void DrawOutline(byte[] rgba, int size, double originX, double originY, double pixelX, double pixelY,
        IReadOnlyList<IReadOnlyList<(double X, double Y)>> rings)
    {
        if (rings.Count == 0) return;
        var polys = rings.Select(r => r.Select(p => new Point(
            (int)Math.Round((p.X - originX) / pixelX), (int)Math.Round((originY - p.Y) / pixelY))).ToArray()).ToArray();
        fixed (byte* p = rgba)
        {
            using var mat = Mat.FromPixelData(size, size, MatType.CV_8UC4, (IntPtr)p);
            Cv2.Polylines(mat, polys, isClosed: true, Outline, thickness: 2, lineType: LineTypes.AntiAlias);
        }
    }
}
