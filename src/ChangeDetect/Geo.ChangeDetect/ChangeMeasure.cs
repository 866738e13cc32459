using System.Runtime.CompilerServices;
using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>
/// The per-pixel change score of two registered, radiometrically matched RGB images (CV_32FC3, 0..255). Three cues,
/// each put on a common scale by its own robust statistics over the image (median and MAD, so no absolute threshold
/// depends on the imagery), then summed:
/// <list type="bullet">
/// <item>colour: CIE Lab distance (lightness half-weighted, so sun and shading count less than hue), the minimum over
/// after-image offsets of +-2 px, so residual misregistration and building-edge relief do not read as change;</item>
/// <item>structure: distance between local histograms of gradient orientation (8 bins, magnitude-weighted, Gaussian
/// window), normalised by the local gradient energy: insensitive to brightness and contrast, sensitive to new edges
/// and roofs;</item>
/// <item>texture: 1 - SSIM-style correlation of lightness in a Gaussian window.</item>
/// </list>
/// Where both dates are vegetation (excess green 2g - r - b on chromatic coordinates above a fixed level) the score is
/// lowered: seasonal and growth change of vegetation is the main source of false alarms. The sum is smoothed, because
/// buildings are objects of several metres, not pixels.
/// <para>The image-pair score (<see cref="Score"/>) adds three directional cues of construction, each standardised the
/// same way with weight 1:</para>
/// <list type="bullet">
/// <item>texture gain: local standard deviation of lightness (Gaussian window, sigma 5 px) after minus before; new
/// roofs, walls and streets add edges to fields and bare soil;</item>
/// <item>building-index gain: the morphological building index (Huang and Zhang 2011; here the mean of white top-hats
/// of brightness max(R, G, B) with square elements of 2.5 to 20.5 m) after minus before: new bright, compact structures
/// of building size;</item>
/// <item>chroma loss: CIE Lab chroma sqrt(a² + b²) before minus after: built surfaces (roofs, concrete, asphalt) are
/// grey, fields, soil and vegetation are coloured.</item>
/// </list>
/// The survey pipeline uses the three symmetric cues only (see Surveys/TileAnalysis).
/// </summary>
internal static class ChangeMeasure
{
    /// <summary>The image-pair score of two registered, radiometrically matched RGB images (CV_32FC3, 0..255), with
    /// both images' CIE Lab from <see cref="ToLab"/> (the caller computes them once: the built-surface step uses them
    /// too).</summary>
    public static Mat Score(Mat before, Mat after, Mat labA, Mat labB, ChangeDetectionOptions options)
    {
        var size = before.Size();
        using var colour = ColourDistance(labA, labB);
        using var la = new Mat();
        using var lb = new Mat();
        Cv2.ExtractChannel(labA, la, 0);
        Cv2.ExtractChannel(labB, lb, 0);
        using var structure = OrientationDistance(la, lb);
        using var texture = Dissimilarity(la, lb);

        var score = MatSpan.NewFloat(size);
        var s = MatSpan.Floats(score);
        AddStandardised(s, MatSpan.Floats(colour), options.ColourWeight);
        AddStandardised(s, MatSpan.Floats(structure), 1.0);
        AddStandardised(s, MatSpan.Floats(texture), 1.0);
        using (var gain = TextureGain(la, lb))
        {
            AddStandardised(s, MatSpan.Floats(gain), 1.0);
        }

        using (var gain = BuildingIndexGain(before, after, options.GroundSampleDistance))
        {
            AddStandardised(s, MatSpan.Floats(gain), 1.0);
        }

        using (var loss = ChromaLoss(labA, labB))
        {
            AddStandardised(s, MatSpan.Floats(loss), 1.0);
        }

        SuppressVegetation(s, MatSpan.Floats(before), MatSpan.Floats(after), options);
        var smooth = MatSpan.Blur(score, options.SmoothingPixels);
        score.Dispose();
        return smooth;
    }

    internal static Mat ToLab(Mat rgb)
    {
        using var unit = new Mat();
        rgb.ConvertTo(unit, MatType.CV_32FC3, 1.0 / 255.0);
        using var clipped = new Mat();
        Cv2.Min(unit, Scalar.All(1.0), clipped);
        Cv2.Max(clipped, Scalar.All(0.0), clipped);
        var lab = new Mat();
        Cv2.CvtColor(clipped, lab, ColorConversionCodes.RGB2Lab);
        return lab;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static Mat ColourDistance(Mat labA, Mat labB)
    {
        const int r = 2;
        using var a = MatSpan.Blur(labA, 1.0);
        using var b = MatSpan.Blur(labB, 1.0);
        using var padded = new Mat();
        Cv2.CopyMakeBorder(b, padded, r, r, r, r, BorderTypes.Reflect);
        var size = labA.Size();
        var result = MatSpan.NewFloat(size, 1, float.MaxValue);
        var res = MatSpan.Floats(result);
        var av = MatSpan.Floats(a);
        for (var dy = -r; dy <= r; dy += r)
        {
            for (var dx = -r; dx <= r; dx += r)
            {
                using var view = new Mat(padded, new Rect(r + dx, r + dy, size.Width, size.Height));
                using var shifted = view.Clone();
                var bv = MatSpan.Floats(shifted);
                for (var i = 0; i < res.Length; i++)
                {
                    var d0 = av[i * 3] - bv[i * 3];
                    var d1 = av[i * 3 + 1] - bv[i * 3 + 1];
                    var d2 = av[i * 3 + 2] - bv[i * 3 + 2];
                    var d = MathF.Sqrt(0.5f * d0 * d0 + d1 * d1 + d2 * d2);
                    if (d < res[i])
                    {
                        res[i] = d;
                    }
                }
            }
        }

        return result;
    }

    private const int Bins = 8;

    private static Mat OrientationDistance(Mat la, Mat lb) => OrientationDistance(la, lb, null);

    /// <summary>The orientation-histogram distance; <paramref name="typicalEnergy"/> is the normalising gradient
    /// energy (null: the median of the before image's, as for a whole image; blocks pass one global value).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static Mat OrientationDistance(Mat la, Mat lb, float? typicalEnergy)
    {
        var ha = OrientationHistograms(la);
        var hb = OrientationHistograms(lb);
        try
        {
            var size = la.Size();
            var result = MatSpan.NewFloat(size);
            var res = MatSpan.Floats(result);
            var energyA = new float[res.Length];
            for (var k = 0; k < Bins; k++)
            {
                var x = MatSpan.Floats(ha[k]);
                for (var i = 0; i < res.Length; i++)
                {
                    energyA[i] += x[i];
                }
            }

            var typical = typicalEnergy ?? MatSpan.Quantile(energyA, 0.5);
            var energy = new float[res.Length];
            for (var k = 0; k < Bins; k++)
            {
                var x = MatSpan.Floats(ha[k]);
                var y = MatSpan.Floats(hb[k]);
                for (var i = 0; i < res.Length; i++)
                {
                    res[i] += Math.Abs(x[i] - y[i]);
                    energy[i] += x[i] + y[i];
                }
            }

            // The typical energy in the denominator keeps flat, noisy areas from scoring high.
            for (var i = 0; i < res.Length; i++)
            {
                res[i] /= energy[i] + typical + 1e-3f;
            }

            return result;
        }
        finally
        {
            foreach (var m in ha) m.Dispose();
            foreach (var m in hb) m.Dispose();
        }
    }

    /// <summary>Median local gradient energy (sum of the orientation histograms) of a lightness image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static float TypicalEnergy(Mat l)
    {
        var h = OrientationHistograms(l);
        try
        {
            var energy = new float[MatSpan.Floats(h[0]).Length];
            foreach (var m in h)
            {
                var x = MatSpan.Floats(m);
                for (var i = 0; i < energy.Length; i++) energy[i] += x[i];
            }

            return MatSpan.Quantile(energy, 0.5);
        }
        finally
        {
            foreach (var m in h) m.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static Mat[] OrientationHistograms(Mat l)
    {
        using var gx = new Mat();
        using var gy = new Mat();
        Cv2.Sobel(l, gx, MatType.CV_32F, 1, 0, 3);
        Cv2.Sobel(l, gy, MatType.CV_32F, 0, 1, 3);
        var sx = MatSpan.Floats(gx);
        var sy = MatSpan.Floats(gy);
        var size = l.Size();
        var bins = new Mat[Bins];
        for (var k = 0; k < Bins; k++)
        {
            bins[k] = MatSpan.NewFloat(size);
        }

        // Soft assignment of each gradient to its two nearest orientation bins (orientation modulo 180 degrees).
        var raw = new Mat[Bins];
        for (var k = 0; k < Bins; k++)
        {
            raw[k] = MatSpan.NewFloat(size);
        }

        var ptr = new nint[Bins];
        for (var k = 0; k < Bins; k++)
        {
            ptr[k] = raw[k].Data; // continuous CV_32FC1, checked by MatSpan.Floats below
            _ = MatSpan.Floats(raw[k]);
        }

        try
        {
            for (var i = 0; i < sx.Length; i++)
            {
                var mag = MathF.Sqrt(sx[i] * sx[i] + sy[i] * sy[i]);
                if (mag <= 0)
                {
                    continue;
                }

                var ang = MathF.Atan2(sy[i], sx[i]);
                if (ang < 0) ang += MathF.PI;
                if (ang >= MathF.PI) ang -= MathF.PI;
                var pos = ang / MathF.PI * Bins;
                var k0 = (int)pos;
                var f = pos - k0;
                k0 %= Bins;
                var k1 = (k0 + 1) % Bins;
                unsafe
                {
                    ((float*)ptr[k0])[i] += mag * (1 - f);
                    ((float*)ptr[k1])[i] += mag * f;
                }
            }

            for (var k = 0; k < Bins; k++)
            {
                bins[k].Dispose();
                bins[k] = MatSpan.Blur(raw[k], 3.0);
            }

            return bins;
        }
        finally
        {
            foreach (var m in raw) m.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static Mat Dissimilarity(Mat la, Mat lb)
    {
        const double sigma = 2.0;
        const float c = 3.0f * 3.0f; // (0.03 x L range 100)^2
        using var ma = MatSpan.Blur(la, sigma);
        using var mb = MatSpan.Blur(lb, sigma);
        using var aa = la.Mul(la).ToMat();
        using var bb = lb.Mul(lb).ToMat();
        using var ab = la.Mul(lb).ToMat();
        using var eaa = MatSpan.Blur(aa, sigma);
        using var ebb = MatSpan.Blur(bb, sigma);
        using var eab = MatSpan.Blur(ab, sigma);
        var result = MatSpan.NewFloat(la.Size());
        var r = MatSpan.Floats(result);
        var pa = MatSpan.Floats(ma);
        var pb = MatSpan.Floats(mb);
        var qaa = MatSpan.Floats(eaa);
        var qbb = MatSpan.Floats(ebb);
        var qab = MatSpan.Floats(eab);
        for (var i = 0; i < r.Length; i++)
        {
            var va = qaa[i] - pa[i] * pa[i];
            var vb = qbb[i] - pb[i] * pb[i];
            var cab = qab[i] - pa[i] * pb[i];
            r[i] = 1 - (2 * cab + c) / (va + vb + c);
        }

        return result;
    }

    /// <summary>Gaussian window (pixels) of the local lightness deviation of <see cref="TextureGain"/>.</summary>
    private const double TextureSigmaPixels = 5.0;

    /// <summary>Side lengths of the building-index elements, metres (2.5 m: a shed; 20.5 m: a large house).</summary>
    private static readonly double[] BuildingIndexSidesMetres = [2.5, 5.5, 10.5, 15.5, 20.5];

    /// <summary>Local standard deviation of lightness, after minus before (CIE L, 0..100): positive where texture
    /// appeared.</summary>
    internal static Mat TextureGain(Mat la, Mat lb)
    {
        using var da = LocalDeviation(la, TextureSigmaPixels);
        using var db = LocalDeviation(lb, TextureSigmaPixels);
        return AfterMinusBefore(db, da);
    }

    /// <summary>Per pixel, <paramref name="after"/> minus <paramref name="before"/> (CV_32F, same size).</summary>
    private static Mat AfterMinusBefore(Mat after, Mat before)
    {
        var result = new Mat();
        Cv2.Subtract(after, before, result);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static Mat LocalDeviation(Mat l, double sigma)
    {
        using var mean = MatSpan.Blur(l, sigma);
        using var squares = l.Mul(l).ToMat();
        using var meanSquares = MatSpan.Blur(squares, sigma);
        var result = MatSpan.NewFloat(l.Size());
        var r = MatSpan.Floats(result);
        var m = MatSpan.Floats(mean);
        var q = MatSpan.Floats(meanSquares);
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = MathF.Sqrt(MathF.Max(q[i] - m[i] * m[i], 0));
        }

        return result;
    }

    /// <summary>Morphological building index of the after image minus that of the before image (RGB CV_32FC3,
    /// 0..255; <paramref name="gsd"/> in metres converts the element sides to pixels, at least 3).</summary>
    internal static Mat BuildingIndexGain(Mat before, Mat after, double gsd)
    {
        using var ia = BuildingIndex(before, gsd);
        using var ib = BuildingIndex(after, gsd);
        return AfterMinusBefore(ib, ia);
    }

    /// <summary>CIE Lab chroma of the before image minus that of the after image (Lab CV_32FC3): positive where
    /// colour was lost.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static Mat ChromaLoss(Mat labA, Mat labB)
    {
        var result = MatSpan.NewFloat(labA.Size());
        var r = MatSpan.Floats(result);
        var a = MatSpan.Floats(labA);
        var b = MatSpan.Floats(labB);
        for (var i = 0; i < r.Length; i++)
        {
            var ca = MathF.Sqrt(a[i * 3 + 1] * a[i * 3 + 1] + a[i * 3 + 2] * a[i * 3 + 2]);
            var cb = MathF.Sqrt(b[i * 3 + 1] * b[i * 3 + 1] + b[i * 3 + 2] * b[i * 3 + 2]);
            r[i] = ca - cb;
        }

        return result;
    }

    /// <summary>Mean white top-hat of brightness (max of R, G, B) over square elements of building sizes: high on
    /// bright structures smaller than the element, zero on open ground.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static Mat BuildingIndex(Mat rgb, double gsd)
    {
        var planes = Cv2.Split(rgb);
        using var brightness = new Mat();
        try
        {
            Cv2.Max(planes[0], planes[1], brightness);
            Cv2.Max(brightness, planes[2], brightness);
        }
        finally
        {
            foreach (var p in planes) p.Dispose();
        }

        var sum = MatSpan.NewFloat(rgb.Size());
        var s = MatSpan.Floats(sum);
        using var hat = new Mat();
        foreach (var metres in BuildingIndexSidesMetres)
        {
            var side = Math.Max(3, (int)Math.Round(metres / gsd) | 1); // odd, so the element is centred
            using var element = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(side, side));
            Cv2.MorphologyEx(brightness, hat, MorphTypes.TopHat, element); // outside pixels never win min/max
            var h = MatSpan.Floats(hat);
            for (var i = 0; i < s.Length; i++)
            {
                s[i] += h[i] / BuildingIndexSidesMetres.Length;
            }
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static void AddStandardised(Span<float> sum, ReadOnlySpan<float> cue, double weight, float minSigma = 0)
    {
        if (weight == 0)
        {
            return;
        }

        var (median, sigma) = MatSpan.RobustStats(cue);
        var w = (float)(weight / Math.Max(sigma, minSigma));
        for (var i = 0; i < sum.Length; i++)
        {
            sum[i] += w * (cue[i] - median);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static void SuppressVegetation(Span<float> score, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ChangeDetectionOptions options)
    {
        var level = (float)options.VegetationExcessGreen;
        var penalty = (float)options.VegetationPenalty;
        for (var i = 0; i < score.Length; i++)
        {
            if (ExcessGreen(a, i) > level && ExcessGreen(b, i) > level)
            {
                score[i] -= penalty;
            }
        }
    }

    /// <summary>ExG = 2g - r - b on chromatic coordinates (r + g + b = 1), for an RGB-interleaved pixel.</summary>
    private static float ExcessGreen(ReadOnlySpan<float> rgb, int i)
    {
        var r = rgb[i * 3];
        var g = rgb[i * 3 + 1];
        var b = rgb[i * 3 + 2];
        var s = r + g + b + 1e-3f;
        return (2 * g - r - b) / s;
    }
}
