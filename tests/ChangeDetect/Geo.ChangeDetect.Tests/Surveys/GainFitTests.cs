using Geo.ChangeDetect.Surveys;
using OpenCvSharp;

namespace Geo.ChangeDetect.Tests.Surveys;

/// <summary>The image-wide radiometric fit of the survey pipeline: on the 8-bit overviews, through the global shift,
/// on a regular grid of sample points.</summary>
public sealed class GainFitTests
{
    private const int Dx = 3;
    private const int Dy = 2;
    private static readonly double[] Gain = [0.8, 1.1, 0.9];
    private static readonly double[] Offset = [20, -5, 12];

    [Fact]
    public void A_known_gain_and_offset_of_a_shifted_after_overview_is_undone()
    {
        using var before = SyntheticScene.Ground(600, seed: 3);
        using var after = ShiftedAndMapped(before);
        using var valid = new Mat(before.Size(), MatType.CV_8UC1, Scalar.All(255));

        var fit = GlobalEstimates.FitGains(before, valid, after, valid, Dx, Dy);

        for (var c = 0; c < 3; c++)
        {
            Assert.InRange(fit[c].Gain, 1 / Gain[c] - 0.01, 1 / Gain[c] + 0.01);
            Assert.InRange(fit[c].Offset, -Offset[c] / Gain[c] - 1.5, -Offset[c] / Gain[c] + 1.5);
        }
    }

    [Fact]
    public void After_pixels_outside_the_after_mask_are_not_fitted()
    {
        using var before = SyntheticScene.Ground(600, seed: 4);
        using var after = ShiftedAndMapped(before);
        using var validBefore = new Mat(before.Size(), MatType.CV_8UC1, Scalar.All(255));
        using var validAfter = validBefore.Clone();
        // A third of the after overview is no data filled with white (a flight edge): masked out, it must not bias the map.
        Cv2.Rectangle(after, new Rect(0, 0, 200, 600), Scalar.All(255), -1);
        Cv2.Rectangle(validAfter, new Rect(0, 0, 200, 600), Scalar.All(0), -1);

        var fit = GlobalEstimates.FitGains(before, validBefore, after, validAfter, Dx, Dy);

        for (var c = 0; c < 3; c++)
        {
            Assert.InRange(fit[c].Gain, 1 / Gain[c] - 0.01, 1 / Gain[c] + 0.01);
        }
    }

    /// <summary>after(x + Dx, y + Dy) = Gain x before(x, y) + Offset per band (8-bit, rounded, clamped).</summary>
    private static Mat ShiftedAndMapped(Mat before)
    {
        var after = new Mat(before.Size(), MatType.CV_8UC3, Scalar.All(0));
        var b = MatSpan.Bytes(before);
        var a = MatSpan.Bytes(after);
        int w = before.Cols, h = before.Rows;
        for (var y = 0; y + Dy < h; y++)
        for (var x = 0; x + Dx < w; x++)
        for (var c = 0; c < 3; c++)
        {
            a[((y + Dy) * w + x + Dx) * 3 + c] = (byte)Math.Clamp(Math.Round(Gain[c] * b[(y * w + x) * 3 + c] + Offset[c]), 0, 255);
        }

        return after;
    }
}
