using OpenCvSharp;

namespace Geo.ChangeDetect.Tests;

/// <summary>
/// Real-looking ground made procedurally (no imagery is copied into the repository): multi-scale smoothed noise in
/// soil colours, fields with a row pattern, vegetation patches, a road. Deterministic per seed.
/// </summary>
internal static class SyntheticScene
{
    /// <summary>A CV_8UC3 RGB image of <paramref name="size"/> x <paramref name="size"/> px.</summary>
    public static Mat Ground(int size, int seed)
    {
        var rng = new Random(seed);
        var img = new Mat(size, size, MatType.CV_32FC3, new Scalar(150, 130, 105));
        foreach (var (sigma, amp) in new[] { (24.0, 40.0), (6.0, 22.0), (1.5, 12.0) })
        {
            using var noise = new Mat(size, size, MatType.CV_32FC1);
            var n = MatSpan.Floats(noise);
            for (var i = 0; i < n.Length; i++) n[i] = (float)(rng.NextDouble() - 0.5);
            using var smooth = new Mat();
            Cv2.GaussianBlur(noise, smooth, new Size(0, 0), sigma);
            Cv2.Normalize(smooth, smooth, -amp, amp, NormTypes.MinMax);
            using var three = new Mat();
            Cv2.Merge([smooth, smooth * 0.9, smooth * 0.75], three);
            Cv2.Add(img, three, img);
        }

        // Vegetation patches (green), a field with rows, and a road.
        for (var k = 0; k < 6; k++)
        {
            var c = new Point(rng.Next(size), rng.Next(size));
            Cv2.Circle(img, c, rng.Next(size / 20, size / 8), new Scalar(70, 110, 55), -1, LineTypes.AntiAlias);
        }

        for (var y = size / 2; y < size * 3 / 4; y += 6)
        {
            Cv2.Line(img, new Point(size / 10, y), new Point(size / 3, y), new Scalar(110, 95, 75), 2, LineTypes.AntiAlias);
        }

        Cv2.Line(img, new Point(0, size / 5), new Point(size, size / 3), new Scalar(175, 175, 170), Math.Max(3, size / 40), LineTypes.AntiAlias);
        var u8 = new Mat();
        img.ConvertTo(u8, MatType.CV_8UC3);
        img.Dispose();
        return u8;
    }

    /// <summary>Draws a building: a grey roof with a ridge line and a dark shadow on its south-east side.</summary>
    public static void DrawBuilding(Mat rgb, Rect roof)
    {
        Cv2.Rectangle(rgb, new Rect(roof.X + 4, roof.Y + 4, roof.Width, roof.Height), new Scalar(45, 45, 50), -1);
        Cv2.Rectangle(rgb, roof, new Scalar(185, 185, 190), -1);
        Cv2.Rectangle(rgb, new Rect(roof.X, roof.Y, roof.Width, roof.Height / 2), new Scalar(160, 160, 168), -1);
        Cv2.Rectangle(rgb, roof, new Scalar(120, 120, 125), 1);
    }

    /// <summary>out(x, y) = image(x + dx, y + dy) (edges reflected), then out = gain x out + offset, rounded and clamped.</summary>
    public static Mat ShiftAndRelight(Mat rgb, double dx, double dy, double gain, double offset)
    {
        using var shifted = new Mat();
        using var m = new Mat(2, 3, MatType.CV_64FC1);
        m.Set(0, 0, 1.0); m.Set(0, 1, 0.0); m.Set(0, 2, dx);
        m.Set(1, 0, 0.0); m.Set(1, 1, 1.0); m.Set(1, 2, dy);
        Cv2.WarpAffine(rgb, shifted, m, rgb.Size(), InterpolationFlags.Linear | InterpolationFlags.WarpInverseMap, BorderTypes.Reflect);
        var output = new Mat();
        shifted.ConvertTo(output, MatType.CV_8UC3, gain, offset);
        return output;
    }

    public static RgbImage ToRgbImage(Mat rgb)
    {
        var bytes = new byte[rgb.Rows * rgb.Cols * 3];
        MatSpan.Bytes(rgb).CopyTo(bytes);
        return new RgbImage(rgb.Cols, rgb.Rows, bytes);
    }

    public static Mat Grey(Mat rgb)
    {
        using var g8 = new Mat();
        Cv2.CvtColor(rgb, g8, ColorConversionCodes.RGB2GRAY);
        var g = new Mat();
        g8.ConvertTo(g, MatType.CV_32FC1);
        return g;
    }
}
