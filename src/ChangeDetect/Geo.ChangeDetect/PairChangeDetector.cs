using Geo.Spatial.Failures;
using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>The result for one image pair.</summary>
/// <param name="Width">Mask width, pixels (that of the before image).</param>
/// <param name="Height">Mask height, pixels.</param>
/// <param name="Mask">0 = unchanged, 255 = changed, row-major, one byte per pixel, on the before image's grid.</param>
/// <param name="Objects">The changed objects in the mask.</param>
/// <param name="Registration">How the after image was aligned.</param>
/// <param name="Radiometry">The per-band linear map (R, G, B) applied to the after image.</param>
public sealed record PairChangeResult(int Width, int Height, byte[] Mask, IReadOnlyList<ChangeObject> Objects,
    RegistrationReport Registration, IReadOnlyList<BandGain> Radiometry);

/// <summary>
/// Change detection for one pair of RGB images of the same place and size (before, after): registration,
/// radiometric normalisation, the change score, by default cut down to newly built surfaces (<see cref="BuiltSurface"/>),
/// objects. Pure in-memory computation, thread-safe (no shared state).
/// </summary>
public static class PairChangeDetector
{
    /// <summary>Smallest image side the detector takes, pixels.</summary>
    public const int MinSide = 32;

    /// <summary>
    /// Detects change. Failures: size_mismatch, image_size (Invalid), bad_parameter (BadRequest). A global shift
    /// above <see cref="ChangeDetectionOptions.MaxShiftPixels"/>, or one that does not improve the match, is not
    /// applied (the report then shows a zero global shift).
    /// </summary>
    public static Result<PairChangeResult> Detect(RgbImage before, RgbImage after, ChangeDetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        options ??= ChangeDetectionOptions.Default;
        var valid = options.Validate();
        if (!valid.IsOk)
        {
            return Result<PairChangeResult>.Fail(valid.Failures);
        }

        if (before.Width != after.Width || before.Height != after.Height)
        {
            return Failure.Invalid(ChangeFailureCodes.SizeMismatch,
                $"Before is {before.Width} x {before.Height} px, after is {after.Width} x {after.Height} px; they must match.");
        }

        if (before.Width < MinSide || before.Height < MinSide)
        {
            return Failure.Invalid(ChangeFailureCodes.ImageSize, $"Images must be at least {MinSide} x {MinSide} px.");
        }

        using var a = ToFloat(before);
        using var bRaw = ToFloat(after);
        using var greyA = Grey(a);
        using var greyB = Grey(bRaw);
        var (fx, fy, report) = Registration.EstimateField(greyA, greyB, options.MaxShiftPixels);
        using (fx)
        using (fy)
        {
            using var b = Registration.Warp(bRaw, fx, fy);
            var gains = RadiometricNormalisation.Fit(a, b);
            RadiometricNormalisation.Apply(b, gains);
            using var labA = ChangeMeasure.ToLab(a);
            using var labB = ChangeMeasure.ToLab(b);
            using var score = ChangeMeasure.Score(a, b, labA, labB, options);
            using var built = options.BuiltSurfacesOnly ? BuiltSurface.Mask(labA, labB) : null;
            var (mask, objects) = ChangeObjects.Extract(score, built, options);
            using (mask)
            {
                return new PairChangeResult(before.Width, before.Height, MatSpan.Bytes(mask).ToArray(), objects, report, gains);
            }
        }
    }

    private static Mat ToFloat(RgbImage image)
    {
        var m = new Mat(image.Height, image.Width, MatType.CV_32FC3);
        var f = MatSpan.Floats(m);
        var p = image.Pixels;
        for (var i = 0; i < p.Length; i++)
        {
            f[i] = p[i];
        }

        return m;
    }

    private static Mat Grey(Mat rgb)
    {
        var g = new Mat();
        Cv2.CvtColor(rgb, g, ColorConversionCodes.RGB2GRAY);
        return g;
    }
}
