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
/// </summary>
internal static class ChangeObjects
{
    public static (Mat Mask, List<ChangeObject> Objects) Extract(Mat score, ChangeDetectionOptions options)
    {
        var s = MatSpan.Floats(score);
        var lo = MatSpan.Quantile(s, 0.01);
        var hi = MatSpan.Quantile(s, 0.995);
        var range = Math.Max(hi - lo, 1e-6f);
        using var u8 = new Mat(score.Size(), MatType.CV_8UC1);
        var b = MatSpan.Bytes(u8);
        for (var i = 0; i < s.Length; i++)
        {
            b[i] = (byte)Math.Clamp((int)((s[i] - lo) / range * 255f), 0, 255);
        }

        using var binary = new Mat();
        var t = Cv2.Threshold(u8, binary, 0, 255, ThresholdTypes.Binary | ThresholdTypes.Otsu);
        var thresholdScore = lo + (float)(t / 255.0 * range);

        var radius = Math.Max(1, (int)Math.Round(1.25 / options.GroundSampleDistance));
        radius = Math.Min(radius, 8);
        using var disc = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * radius + 1, 2 * radius + 1));
        Cv2.MorphologyEx(binary, binary, MorphTypes.Open, disc);
        Cv2.MorphologyEx(binary, binary, MorphTypes.Close, disc);

        using var labels = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        var n = Cv2.ConnectedComponentsWithStats(binary, labels, stats, centroids, PixelConnectivity.Connectivity8, MatType.CV_32S);
        using var distance = new Mat();
        Cv2.DistanceTransform(binary, distance, DistanceTypes.L2, DistanceTransformMasks.Mask5);

        var lab = MatSpan.Ints(labels);
        var dist = MatSpan.Floats(distance);
        var maxHalfWidth = new float[n];
        var scoreSum = new double[n];
        for (var i = 0; i < s.Length; i++)
        {
            var id = lab[i];
            if (id > 0)
            {
                maxHalfWidth[id] = Math.Max(maxHalfWidth[id], dist[i]);
                scoreSum[id] += s[i] - thresholdScore;
            }
        }

        var minArea = options.MinAreaPixels;
        var minHalf = (float)(options.MinThicknessMetres / 2 / options.GroundSampleDistance);
        var keep = new bool[n];
        var objects = new List<ChangeObject>();
        var gsd2 = options.GroundSampleDistance * options.GroundSampleDistance;
        for (var id = 1; id < n; id++)
        {
            var area = stats.At<int>(id, (int)ConnectedComponentsTypes.Area);
            if (area < minArea || maxHalfWidth[id] < minHalf)
            {
                continue;
            }

            keep[id] = true;
            var meanAbove = scoreSum[id] / area;
            objects.Add(new ChangeObject(
                stats.At<int>(id, (int)ConnectedComponentsTypes.Left), stats.At<int>(id, (int)ConnectedComponentsTypes.Top),
                stats.At<int>(id, (int)ConnectedComponentsTypes.Width), stats.At<int>(id, (int)ConnectedComponentsTypes.Height),
                area, area * gsd2, 1 - Math.Exp(-Math.Max(0, meanAbove) / Math.Max(1e-6, range / 8))));
        }

        var mask = new Mat(score.Size(), MatType.CV_8UC1, Scalar.All(0));
        var m = MatSpan.Bytes(mask);
        for (var i = 0; i < m.Length; i++)
        {
            if (keep[lab[i]])
            {
                m[i] = 255;
            }
        }

        return (mask, objects);
    }
}
