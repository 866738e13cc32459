using System.Runtime.CompilerServices;
using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>A translation of the after image relative to the before image, in pixels: after(x + Dx, y + Dy) = before(x, y).</summary>
/// <param name="Dx">Shift along columns (x, east for north-up imagery), pixels.</param>
/// <param name="Dy">Shift along rows (y, south for north-up imagery), pixels.</param>
/// <param name="Response">Phase-correlation peak strength in [0, 1]; low values mean little common texture.</param>
public readonly record struct Shift(double Dx, double Dy, double Response);

/// <summary>What registration found: the global shift and how many local windows corrected it.</summary>
/// <param name="Global">Global sub-pixel shift from phase correlation over the whole image.</param>
/// <param name="LocalWindows">Local windows measured.</param>
/// <param name="LocalAccepted">Local windows whose residual shift was trusted (strong peak, within the limit, agreeing with neighbours).</param>
/// <param name="MaxLocalResidual">Largest accepted local residual after the global shift, pixels.</param>
public sealed record RegistrationReport(Shift Global, int LocalWindows, int LocalAccepted, double MaxLocalResidual);

/// <summary>
/// Brings the after image onto the before image's pixel grid: a global sub-pixel translation by phase correlation
/// (Hann-windowed, so up to about a quarter of the image size; the detector checks it against
/// <see cref="ChangeDetectionOptions.MaxShiftPixels"/>, a peak strength of at least 0.1 and a gain in gradient
/// correlation), then local residuals measured by phase correlation on a grid
/// of overlapping windows, outliers rejected (weak peak, too large, far from the neighbours' median), smoothed and
/// interpolated into a dense shift field (as AROSICS does). Relief displacement of tall buildings is not modelled;
/// the change measure tolerates what is left.
/// </summary>
public static class Registration
{
    private const int LocalWindow = 64;
    private const int LocalStep = 32;
    /// <summary>Weakest phase-correlation peak trusted, globally and per window: below it the peak is noise (on
    /// heavily changed, aligned real pairs the global peak can be 0.03 or even negative at a 30 px offset).</summary>
    private const double MinResponse = 0.1;
    private const double MaxLocalResidual = 4.0;

    /// <summary>Sub-pixel translation between two single-channel float images of one size.</summary>
    public static Shift EstimateShift(Mat before, Mat after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        using var window = new Mat();
        Cv2.CreateHanningWindow(window, before.Size(), MatType.CV_32FC1);
        var p = Cv2.PhaseCorrelate(before, after, window, out var response);
        return new Shift(p.X, p.Y, response);
    }

    /// <summary>
    /// Estimates the global and local shifts on the grey images and returns the dense shift field (two float maps,
    /// pixels) to resample the after image with: after_aligned(x, y) = after(x + fx(x, y), y + fy(x, y)).
    /// </summary>
    internal static (Mat Fx, Mat Fy, RegistrationReport Report) EstimateField(Mat greyBefore, Mat greyAfter, double maxShift)
    {
        // Gradient magnitude rather than intensity: phase correlation of intensities locks onto large radiometric
        // changes (a new roof, a harvested field) and returns spurious shifts of tens of pixels on pairs that are
        // in fact aligned. A shift is accepted only if its peak is strong enough and it raises the gradients'
        // correlation over no shift at all.
        using var gradA = GradientMagnitude(greyBefore);
        using var gradB = GradientMagnitude(greyAfter);
        greyBefore = gradA;
        greyAfter = gradB;
        var global = EstimateShift(gradA, gradB);
        var margin = (int)Math.Ceiling(Math.Min(maxShift, Math.Max(Math.Abs(global.Dx), Math.Abs(global.Dy)))) + 2;
        if (Math.Abs(global.Dx) > maxShift || Math.Abs(global.Dy) > maxShift || global.Response < MinResponse ||
            Correlation(gradA, gradB, global.Dx, global.Dy, margin) < Correlation(gradA, gradB, 0, 0, margin) + 0.01)
        {
            global = global with { Dx = 0, Dy = 0 };
        }

        var size = greyBefore.Size();
        using var globallyAligned = Translate(greyAfter, global.Dx, global.Dy);

        var cols = size.Width >= LocalWindow * 2 ? (size.Width - LocalWindow) / LocalStep + 1 : 0;
        var rows = size.Height >= LocalWindow * 2 ? (size.Height - LocalWindow) / LocalStep + 1 : 0;
        var fx = new Mat(size, MatType.CV_32FC1, new Scalar(global.Dx));
        var fy = new Mat(size, MatType.CV_32FC1, new Scalar(global.Dy));
        if (cols < 2 || rows < 2)
        {
            return (fx, fy, new RegistrationReport(global, 0, 0, 0));
        }

        var dx = new double[rows, cols];
        var dy = new double[rows, cols];
        var ok = new bool[rows, cols];
        using var window = new Mat();
        Cv2.CreateHanningWindow(window, new Size(LocalWindow, LocalWindow), MatType.CV_32FC1);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var rect = new Rect(c * LocalStep, r * LocalStep, LocalWindow, LocalWindow);
                using var wa = new Mat(greyBefore, rect);
                using var wb = new Mat(globallyAligned, rect);
                var p = Cv2.PhaseCorrelate(wa, wb, window, out var response);
                dx[r, c] = p.X;
                dy[r, c] = p.Y;
                ok[r, c] = response >= MinResponse && Math.Abs(p.X) <= MaxLocalResidual && Math.Abs(p.Y) <= MaxLocalResidual;
            }
        }

        // Outliers: a window whose residual is more than 1 px from the median of its accepted 3x3 neighbourhood.
        var accepted = 0;
        var maxResidual = 0.0;
        using var gx = new Mat(rows, cols, MatType.CV_32FC1, Scalar.All(0));
        using var gy = new Mat(rows, cols, MatType.CV_32FC1, Scalar.All(0));
        var ixg = MatSpan.Floats(gx);
        var iyg = MatSpan.Floats(gy);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var nx = new List<double>();
                var ny = new List<double>();
                for (var rr = Math.Max(0, r - 1); rr <= Math.Min(rows - 1, r + 1); rr++)
                {
                    for (var cc = Math.Max(0, c - 1); cc <= Math.Min(cols - 1, c + 1); cc++)
                    {
                        if (ok[rr, cc])
                        {
                            nx.Add(dx[rr, cc]);
                            ny.Add(dy[rr, cc]);
                        }
                    }
                }

                if (!ok[r, c] || nx.Count < 3)
                {
                    continue;
                }

                var mx = Median(nx);
                var my = Median(ny);
                if (Math.Abs(dx[r, c] - mx) > 1.0 || Math.Abs(dy[r, c] - my) > 1.0)
                {
                    continue;
                }

                accepted++;
                ixg[r * cols + c] = (float)dx[r, c];
                iyg[r * cols + c] = (float)dy[r, c];
                maxResidual = Math.Max(maxResidual, Math.Max(Math.Abs(dx[r, c]), Math.Abs(dy[r, c])));
            }
        }

        // Too few trusted windows: keep the global shift only (rejected windows count as zero residual).
        if (accepted >= 4)
        {
            using var sx = new Mat();
            using var sy = new Mat();
            Cv2.GaussianBlur(gx, sx, new Size(3, 3), 0.8);
            Cv2.GaussianBlur(gy, sy, new Size(3, 3), 0.8);
            // Window centres sit at LocalWindow/2 + k*LocalStep; a resize of the grid to the covered span, padded by
            // replication, puts each grid value at its window centre.
            var span = new Size((cols - 1) * LocalStep + 1, (rows - 1) * LocalStep + 1);
            using var ux = new Mat();
            using var uy = new Mat();
            Cv2.Resize(sx, ux, span, 0, 0, InterpolationFlags.Linear);
            Cv2.Resize(sy, uy, span, 0, 0, InterpolationFlags.Linear);
            var off = LocalWindow / 2;
            using var px = new Mat();
            using var py = new Mat();
            Cv2.CopyMakeBorder(ux, px, off, size.Height - off - span.Height, off, size.Width - off - span.Width, BorderTypes.Replicate);
            Cv2.CopyMakeBorder(uy, py, off, size.Height - off - span.Height, off, size.Width - off - span.Width, BorderTypes.Replicate);
            Cv2.Add(fx, px, fx);
            Cv2.Add(fy, py, fy);
        }

        return (fx, fy, new RegistrationReport(global, rows * cols, accepted, maxResidual));
    }

    /// <summary>Resamples <paramref name="image"/> by the field: out(x, y) = image(x + fx, y + fy), bilinear, edges reflected.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static Mat Warp(Mat image, Mat fx, Mat fy)
    {
        var size = image.Size();
        using var mapX = new Mat(size, MatType.CV_32FC1);
        using var mapY = new Mat(size, MatType.CV_32FC1);
        var ix = MatSpan.Floats(mapX);
        var iy = MatSpan.Floats(mapY);
        var jx = MatSpan.Floats(fx);
        var jy = MatSpan.Floats(fy);
        for (var y = 0; y < size.Height; y++)
        {
            var row = y * size.Width;
            for (var x = 0; x < size.Width; x++)
            {
                ix[row + x] = x + jx[row + x];
                iy[row + x] = y + jy[row + x];
            }
        }

        var output = new Mat();
        Cv2.Remap(image, output, mapX, mapY, InterpolationFlags.Linear, BorderTypes.Reflect);
        return output;
    }

    /// <summary>Translates: out(x, y) = image(x + dx, y + dy), bilinear, edges reflected.</summary>
    internal static Mat Translate(Mat image, double dx, double dy)
    {
        using var m = new Mat(2, 3, MatType.CV_64FC1);
        m.Set(0, 0, 1.0); m.Set(0, 1, 0.0); m.Set(0, 2, dx);
        m.Set(1, 0, 0.0); m.Set(1, 1, 1.0); m.Set(1, 2, dy);
        var output = new Mat();
        Cv2.WarpAffine(image, output, m, image.Size(), InterpolationFlags.Linear | InterpolationFlags.WarpInverseMap, BorderTypes.Reflect);
        return output;
    }

    private static Mat GradientMagnitude(Mat grey)
    {
        using var smooth = MatSpan.Blur(grey, 1.0);
        using var gx = new Mat();
        using var gy = new Mat();
        Cv2.Sobel(smooth, gx, MatType.CV_32F, 1, 0, 3);
        Cv2.Sobel(smooth, gy, MatType.CV_32F, 0, 1, 3);
        var m = new Mat();
        Cv2.Magnitude(gx, gy, m);
        return m;
    }

    /// <summary>Pearson correlation of a and b translated by (dx, dy), over the interior (margin px in from each edge).</summary>
    private static double Correlation(Mat a, Mat b, double dx, double dy, int margin)
    {
        using var shifted = Translate(b, dx, dy);
        var size = a.Size();
        if (size.Width <= 2 * margin + 4 || size.Height <= 2 * margin + 4)
        {
            return double.NegativeInfinity;
        }

        var rect = new Rect(margin, margin, size.Width - 2 * margin, size.Height - 2 * margin);
        using var ra = new Mat(a, rect);
        using var rb = new Mat(shifted, rect);
        using var result = new Mat();
        Cv2.MatchTemplate(ra, rb, result, TemplateMatchModes.CCoeffNormed);
        return result.At<float>(0, 0);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var n = values.Count;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }
}
