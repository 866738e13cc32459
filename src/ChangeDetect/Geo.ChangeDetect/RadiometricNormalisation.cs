using System.Runtime.CompilerServices;
using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>Per-band linear map applied to the after image: after' = Gain x after + Offset (values 0..255).</summary>
public readonly record struct BandGain(double Gain, double Offset);

/// <summary>
/// Matches the after image's radiometry to the before image's, band by band, with a linear map fitted on pixels
/// that look unchanged: a first fit on all pixels (mean and standard deviation matching, which is the orthogonal
/// regression of the two bands' standardised values), then three refits, each on the 60 % of pixels whose residual under the
/// previous fit is smallest, so that large new buildings do not bias the map (the weakness of histogram matching).
/// Statistics run on a subsample (every k-th pixel) so the cost does not grow with the image beyond one pass.
/// </summary>
public static class RadiometricNormalisation
{
    private const double InvariantFraction = 0.6;

    /// <summary>Fits one gain/offset per band mapping <paramref name="after"/> onto <paramref name="before"/> (both CV_32FC3, same size).</summary>
    public static BandGain[] Fit(Mat before, Mat after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var a = MatSpan.Floats(before);
        var b = MatSpan.Floats(after);
        var pixels = a.Length / 3;
        var step = Math.Max(1, pixels / 65536);
        var n = (pixels + step - 1) / step;
        var gains = new BandGain[3];
        for (var c = 0; c < 3; c++)
        {
            gains[c] = MatchMoments(a, b, c, step, null);
        }

        // Residual of each sampled pixel under the current fit; keep the most invariant fraction and refit, three
        // times: a large changed area biases the first fit, and each round moves the kept set onto unchanged ground.
        for (var round = 0; round < 3; round++)
        {
            Refit(a, b, gains, pixels, step, n);
        }

        return gains;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static void Refit(ReadOnlySpan<float> a, ReadOnlySpan<float> b, BandGain[] gains, int pixels, int step, int n)
    {
        var residual = new float[n];
        for (int i = 0, j = 0; i < pixels; i += step, j++)
        {
            double r = 0;
            for (var c = 0; c < 3; c++)
            {
                var d = a[i * 3 + c] - (gains[c].Gain * b[i * 3 + c] + gains[c].Offset);
                r += d * d;
            }

            residual[j] = (float)r;
        }

        var sorted = (float[])residual.Clone();
        Array.Sort(sorted);
        var cut = sorted[(int)(InvariantFraction * (n - 1))];
        var keep = new bool[n];
        for (var j = 0; j < n; j++)
        {
            keep[j] = residual[j] <= cut;
        }

        for (var c = 0; c < 3; c++)
        {
            gains[c] = MatchMoments(a, b, c, step, keep);
        }
    }

    /// <summary>Applies the map in place to a CV_32FC3 image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public static void Apply(Mat image, IReadOnlyList<BandGain> gains)
    {
        var s = MatSpan.Floats(image);
        float g0 = (float)gains[0].Gain, g1 = (float)gains[1].Gain, g2 = (float)gains[2].Gain;
        float o0 = (float)gains[0].Offset, o1 = (float)gains[1].Offset, o2 = (float)gains[2].Offset;
        for (var i = 0; i < s.Length; i += 3)
        {
            s[i] = g0 * s[i] + o0;
            s[i + 1] = g1 * s[i + 1] + o1;
            s[i + 2] = g2 * s[i + 2] + o2;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static BandGain MatchMoments(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int band, int step, bool[]? keep)
    {
        double sa = 0, sb = 0, saa = 0, sbb = 0;
        long count = 0;
        var pixels = a.Length / 3;
        for (int i = 0, j = 0; i < pixels; i += step, j++)
        {
            if (keep is not null && !keep[j])
            {
                continue;
            }

            double x = a[i * 3 + band], y = b[i * 3 + band];
            sa += x; sb += y; saa += x * x; sbb += y * y;
            count++;
        }

        if (count < 2)
        {
            return new BandGain(1, 0);
        }

        var ma = sa / count;
        var mb = sb / count;
        var va = Math.Max(0, saa / count - ma * ma);
        var vb = Math.Max(0, sbb / count - mb * mb);
        // A flat band (no variance) cannot be rescaled: shift only.
        var gain = vb < 1e-6 ? 1.0 : Math.Sqrt(va / vb);
        return new BandGain(gain, ma - gain * mb);
    }
}
