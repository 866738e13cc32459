using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>One changed object: an 8-connected component of the final mask.</summary>
/// <param name="Left">Bounding box left column, pixels.</param>
/// <param name="Top">Bounding box top row, pixels.</param>
/// <param name="Width">Bounding box width, pixels.</param>
/// <param name="Height">Bounding box height, pixels.</param>
/// <param name="AreaPixels">Pixel count.</param>
/// <param name="AreaSquareMetres">Area on the ground, m².</param>
/// <param name="Confidence">Mean score over the object mapped to (0, 1): how far above the threshold it lies.</param>
public sealed record ChangeObject(int Left, int Top, int Width, int Height, int AreaPixels, double AreaSquareMetres, double Confidence);

/// <summary>
/// From a score map to objects: a threshold chosen per image by Otsu on the score (between its 1st and 99.5th
/// percentiles, so a few extreme pixels do not set it), opening then closing with a disc of 2.5 m, connected
/// components, and filters on area and thickness (largest inscribed half-width).
/// <para>With a built-surface mask (image pairs, <see cref="BuiltSurface"/>), the threshold is first lowered by
/// <see cref="ChangeDetectionOptions.CandidateLowering"/> of the score's range, so the cleaned components are
/// generous candidates; they are then cut to the built surface, their holes are filled (a roof's uniform middle
/// changes less than its edges) and the result is cleaned and filtered again. As in hysteresis thresholding, an object
/// found this way is kept only if its mean score reaches the Otsu threshold itself.</para>
/// </summary>
internal static class ChangeObjects
{
    public static (Mat Mask, List<ChangeObject> Objects) Extract(Mat score, ChangeDetectionOptions options) =>
        Extract(score, null, options);

    /// <summary>As <see cref="Extract(Mat, ChangeDetectionOptions)"/>; <paramref name="builtSurface"/> (CV_8UC1,
    /// 255 = built surface in the after image, same size as the score) cuts the candidates down as described above.</summary>
    public static (Mat Mask, List<ChangeObject> Objects) Extract(Mat score, Mat? builtSurface, ChangeDetectionOptions options)
    {
        var s = MatSpan.Floats(score);
        var lo = MatSpan.Quantile(s, 0.01);
        var hi = MatSpan.Quantile(s, 0.995);
        var range = Math.Max(hi - lo, 1e-6f);
        using var u8 = ToBytes(s, score.Size(), lo, range);
        using var binary = new Mat();
        var t = Cv2.Threshold(u8, binary, 0, 255, ThresholdTypes.Binary | ThresholdTypes.Otsu);

        var otsuScore = lo + (float)(t / 255.0 * range);
        if (builtSurface is null)
        {
            using var changed = Clean(binary, options);
            return Objects(changed, s, otsuScore, float.NegativeInfinity, range, options);
        }

        var lowered = Math.Max(0, t - options.CandidateLowering * 255);
        Cv2.Threshold(u8, binary, lowered, 255, ThresholdTypes.Binary);
        using var candidates = Clean(binary, options);
        Cv2.BitwiseAnd(candidates, builtSurface, candidates);
        FillHoles(candidates);
        using var refined = Clean(candidates, options);
        // Hysteresis: the lowered threshold lets an object extend, but on average it must reach Otsu's level.
        return Objects(refined, s, lo + (float)(lowered / 255.0 * range), otsuScore, range, options);
    }

    /// <summary>Maps float values to bytes: (v - lo) / range x 255, truncated and clamped to 0..255.</summary>
    internal static Mat ToBytes(ReadOnlySpan<float> s, Size size, float lo, float range)
    {
        var u8 = new Mat(size, MatType.CV_8UC1);
        var b = MatSpan.Bytes(u8);
        for (var i = 0; i < s.Length; i++)
        {
            b[i] = (byte)Math.Clamp((int)((s[i] - lo) / range * 255f), 0, 255);
        }

        return u8;
    }

    /// <summary>Opening then closing with a disc of 2.5 m (radius 1-8 px), then only the components that pass the
    /// area and thickness filters (a new CV_8UC1 0/255 mask).</summary>
    private static Mat Clean(Mat binary, ChangeDetectionOptions options)
    {
        var radius = Math.Max(1, (int)Math.Round(1.25 / options.GroundSampleDistance));
        radius = Math.Min(radius, 8);
        using var disc = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * radius + 1, 2 * radius + 1));
        using var opened = new Mat();
        Cv2.MorphologyEx(binary, opened, MorphTypes.Open, disc);
        Cv2.MorphologyEx(opened, opened, MorphTypes.Close, disc);

        using var labels = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        var n = Cv2.ConnectedComponentsWithStats(opened, labels, stats, centroids, PixelConnectivity.Connectivity8, MatType.CV_32S);
        using var distance = new Mat();
        Cv2.DistanceTransform(opened, distance, DistanceTypes.L2, DistanceTransformMasks.Mask5);
        var lab = MatSpan.Ints(labels);
        var dist = MatSpan.Floats(distance);
        var maxHalfWidth = new float[n];
        for (var i = 0; i < lab.Length; i++)
        {
            if (lab[i] > 0)
            {
                maxHalfWidth[lab[i]] = Math.Max(maxHalfWidth[lab[i]], dist[i]);
            }
        }

        var minArea = options.MinAreaPixels;
        var minHalf = (float)(options.MinThicknessMetres / 2 / options.GroundSampleDistance);
        var keep = new bool[n];
        for (var id = 1; id < n; id++)
        {
            keep[id] = stats.At<int>(id, (int)ConnectedComponentsTypes.Area) >= minArea && maxHalfWidth[id] >= minHalf;
        }

        var mask = new Mat(binary.Size(), MatType.CV_8UC1, Scalar.All(0));
        var m = MatSpan.Bytes(mask);
        for (var i = 0; i < m.Length; i++)
        {
            if (keep[lab[i]])
            {
                m[i] = 255;
            }
        }

        return mask;
    }

    /// <summary>Sets to 255 every background region (4-connected) that does not reach the image border.</summary>
    internal static void FillHoles(Mat mask)
    {
        using var padded = new Mat();
        Cv2.CopyMakeBorder(mask, padded, 1, 1, 1, 1, BorderTypes.Constant, Scalar.All(0));
        Cv2.FloodFill(padded, new Point(0, 0), Scalar.All(255)); // the outside: everything reachable from the border
        using var inner = new Mat(padded, new Rect(1, 1, mask.Cols, mask.Rows));
        using var holes = new Mat();
        Cv2.BitwiseNot(inner, holes); // unreached background = holes
        Cv2.BitwiseOr(mask, holes, mask);
    }

    /// <summary>The components of a cleaned mask whose mean score reaches <paramref name="minMeanScore"/>, as objects
    /// (confidence from the mean score above <paramref name="thresholdScore"/>) and as a new mask.</summary>
    private static (Mat Mask, List<ChangeObject> Objects) Objects(Mat mask, ReadOnlySpan<float> s, float thresholdScore, float minMeanScore, float range, ChangeDetectionOptions options)
    {
        using var labels = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        var n = Cv2.ConnectedComponentsWithStats(mask, labels, stats, centroids, PixelConnectivity.Connectivity8, MatType.CV_32S);
        var lab = MatSpan.Ints(labels);
        var scoreSum = new double[n];
        for (var i = 0; i < s.Length; i++)
        {
            if (lab[i] > 0)
            {
                scoreSum[lab[i]] += s[i] - thresholdScore;
            }
        }

        var objects = new List<ChangeObject>(Math.Max(0, n - 1));
        var keep = new bool[n];
        var gsd2 = options.GroundSampleDistance * options.GroundSampleDistance;
        for (var id = 1; id < n; id++)
        {
            var area = stats.At<int>(id, (int)ConnectedComponentsTypes.Area);
            var meanAbove = scoreSum[id] / area;
            if (thresholdScore + meanAbove < minMeanScore)
            {
                continue;
            }

            keep[id] = true;
            objects.Add(new ChangeObject(
                stats.At<int>(id, (int)ConnectedComponentsTypes.Left), stats.At<int>(id, (int)ConnectedComponentsTypes.Top),
                stats.At<int>(id, (int)ConnectedComponentsTypes.Width), stats.At<int>(id, (int)ConnectedComponentsTypes.Height),
                area, area * gsd2, 1 - Math.Exp(-Math.Max(0, meanAbove) / Math.Max(1e-6, range / 8))));
        }

        var result = new Mat(mask.Size(), MatType.CV_8UC1, Scalar.All(0));
        var r = MatSpan.Bytes(result);
        for (var i = 0; i < r.Length; i++)
        {
            if (keep[lab[i]])
            {
                r[i] = 255;
            }
        }

        return (result, objects);
    }
}
