using System.Runtime.CompilerServices;
using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>Span views of continuous float Mats for per-pixel loops (the Mat owns the memory; keep it alive).</summary>
internal static class MatSpan
{
    public static unsafe Span<float> Floats(Mat m)
    {
        if (!m.IsContinuous() || m.Depth() != MatType.CV_32F)
        {
            throw new InvalidOperationException("Expected a continuous CV_32F Mat.");
        }

        return new Span<float>((void*)m.Data, checked((int)(m.Total() * m.Channels())));
    }

    public static unsafe Span<int> Ints(Mat m)
    {
        if (!m.IsContinuous() || m.Depth() != MatType.CV_32S)
        {
            throw new InvalidOperationException("Expected a continuous CV_32S Mat.");
        }

        return new Span<int>((void*)m.Data, checked((int)(m.Total() * m.Channels())));
    }

    public static unsafe Span<byte> Bytes(Mat m)
    {
        if (!m.IsContinuous() || m.Depth() != MatType.CV_8U)
        {
            throw new InvalidOperationException("Expected a continuous CV_8U Mat.");
        }

        return new Span<byte>((void*)m.Data, checked((int)(m.Total() * m.Channels())));
    }

    public static Mat NewFloat(Size size, int channels = 1, double value = 0) =>
        new(size, MatType.CV_32FC(channels), Scalar.All(value));

    public static Mat Blur(Mat src, double sigma)
    {
        var dst = new Mat();
        Cv2.GaussianBlur(src, dst, new Size(0, 0), sigma, sigma, BorderTypes.Reflect);
        return dst;
    }

    /// <summary>Median and MAD-based sigma of a sample of the values (every k-th, at most ~65k samples).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public static (float Median, float Sigma) RobustStats(ReadOnlySpan<float> values)
    {
        var step = Math.Max(1, values.Length / 65536);
        var sample = new float[(values.Length + step - 1) / step];
        for (int i = 0, j = 0; i < values.Length; i += step, j++)
        {
            sample[j] = values[i];
        }

        Array.Sort(sample);
        var median = sample[sample.Length / 2];
        for (var i = 0; i < sample.Length; i++)
        {
            sample[i] = Math.Abs(sample[i] - median);
        }

        Array.Sort(sample);
        return (median, sample[sample.Length / 2] * 1.4826f + 1e-6f);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) of a sample of the values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public static float Quantile(ReadOnlySpan<float> values, double q)
    {
        var step = Math.Max(1, values.Length / 65536);
        var sample = new float[(values.Length + step - 1) / step];
        for (int i = 0, j = 0; i < values.Length; i += step, j++)
        {
            sample[j] = values[i];
        }

        Array.Sort(sample);
        return sample[Math.Clamp((int)(q * (sample.Length - 1)), 0, sample.Length - 1)];
    }
}
