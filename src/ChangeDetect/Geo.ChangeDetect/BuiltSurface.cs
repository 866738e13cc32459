using System.Runtime.CompilerServices;
using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>
/// Where the after image shows a newly built surface, for cutting change candidates down to buildings (image pairs
/// only). Two cues, each robust-standardised over the whole image (median and MAD) and given equal weight:
/// <list type="bullet">
/// <item>grey after: minus the CIE Lab chroma and minus b* (yellowness) of the after image, averaged: roofs, concrete
/// and asphalt are grey, while lawns, fields, dry grass and bare soil are coloured, mostly yellow-brown;</item>
/// <item>brighter than before: CIE L after minus before: a new roof or slab over fields or scrub brightens the place,
/// while the new shadows and lawns beside new houses darken it.</item>
/// </list>
/// The sum is smoothed (Gaussian, <see cref="SmoothingPixels"/>) and split by Otsu over the whole scene (between its
/// 1st and 99th percentiles): pixels on the built side of the scene's own split form the mask. No absolute colour level
/// is used, so the split follows each image's radiometry (the spreads have a floor of one just-noticeable difference).
/// </summary>
internal static class BuiltSurface
{
    /// <summary>Gaussian sigma of the smoothing of the built-surface score, pixels.</summary>
    public const double SmoothingPixels = 2.0;

    /// <summary>Smallest spread a cue is standardised by, CIE Lab units: about one just-noticeable colour difference,
    /// so a scene where most pixels did not change at all (spread near zero) does not blow tiny differences up.</summary>
    private const float JustNoticeable = 1.0f;

    /// <summary>The built-surface score of a registered, radiometrically matched pair, given as CIE Lab
    /// (<see cref="ChangeMeasure.ToLab"/>, CV_32FC3): higher is more like a new built surface; unitless (sum of robust
    /// standard scores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public static Mat Score(Mat labA, Mat labB)
    {
        var size = labA.Size();
        using var negChroma = MatSpan.NewFloat(size);
        using var negYellow = MatSpan.NewFloat(size);
        using var brightening = MatSpan.NewFloat(size);
        var c = MatSpan.Floats(negChroma);
        var y = MatSpan.Floats(negYellow);
        var d = MatSpan.Floats(brightening);
        var a = MatSpan.Floats(labA);
        var b = MatSpan.Floats(labB);
        for (var i = 0; i < c.Length; i++)
        {
            var ab = b[i * 3 + 1];
            var bb = b[i * 3 + 2];
            c[i] = -MathF.Sqrt(ab * ab + bb * bb);
            y[i] = -bb;
            d[i] = b[i * 3] - a[i * 3];
        }

        using var sum = MatSpan.NewFloat(size);
        var s = MatSpan.Floats(sum);
        ChangeMeasure.AddStandardised(s, c, 0.5, JustNoticeable);
        ChangeMeasure.AddStandardised(s, y, 0.5, JustNoticeable);
        ChangeMeasure.AddStandardised(s, d, 1.0, JustNoticeable);
        return MatSpan.Blur(sum, SmoothingPixels);
    }

    /// <summary>255 where the pair's built-surface score lies above the scene's Otsu split, else 0 (CV_8UC1); the pair
    /// as CIE Lab.</summary>
    public static Mat Mask(Mat labA, Mat labB)
    {
        using var score = Score(labA, labB);
        var s = MatSpan.Floats(score);
        var lo = MatSpan.Quantile(s, 0.01);
        var hi = MatSpan.Quantile(s, 0.99);
        var range = Math.Max(hi - lo, 1e-6f);
        using var u8 = ChangeObjects.ToBytes(s, score.Size(), lo, range);
        using var split = new Mat();
        var t = Cv2.Threshold(u8, split, 0, 255, ThresholdTypes.Binary | ThresholdTypes.Otsu);
        var level = lo + (float)(t / 255.0 * range);
        var mask = new Mat(score.Size(), MatType.CV_8UC1, Scalar.All(0));
        var m = MatSpan.Bytes(mask);
        for (var i = 0; i < m.Length; i++)
        {
            if (s[i] > level)
            {
                m[i] = 255;
            }
        }

        return mask;
    }
}
