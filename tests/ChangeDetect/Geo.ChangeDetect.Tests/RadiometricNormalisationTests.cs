using OpenCvSharp;

namespace Geo.ChangeDetect.Tests;

public sealed class RadiometricNormalisationTests
{
    [Fact]
    public void A_known_gain_and_offset_per_band_is_undone()
    {
        using var before8 = SyntheticScene.Ground(128, seed: 3);
        using var before = new Mat();
        before8.ConvertTo(before, MatType.CV_32FC3);
        using var after = before.Clone();
        var a = MatSpan.Floats(after);
        double[] gain = [0.8, 1.1, 0.9];
        double[] offset = [20, -5, 12];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)(gain[i % 3] * a[i] + offset[i % 3]);
        }

        var fit = RadiometricNormalisation.Fit(before, after);
        RadiometricNormalisation.Apply(after, fit);

        for (var c = 0; c < 3; c++)
        {
            Assert.InRange(fit[c].Gain, 1 / gain[c] - 1e-3, 1 / gain[c] + 1e-3);
            Assert.InRange(fit[c].Offset, -offset[c] / gain[c] - 0.2, -offset[c] / gain[c] + 0.2);
        }

        var b = MatSpan.Floats(before);
        var maxError = 0.0;
        for (var i = 0; i < a.Length; i++) maxError = Math.Max(maxError, Math.Abs(a[i] - b[i]));
        Assert.True(maxError < 0.05, $"max error {maxError}");
    }

    [Fact]
    public void A_large_new_bright_object_does_not_bias_the_map()
    {
        using var before8 = SyntheticScene.Ground(128, seed: 5);
        using var after8 = before8.Clone();
        Cv2.Rectangle(after8, new Rect(10, 10, 60, 60), new Scalar(250, 250, 250), -1); // 22 % of the image
        using var before = new Mat();
        using var after = new Mat();
        before8.ConvertTo(before, MatType.CV_32FC3);
        after8.ConvertTo(after, MatType.CV_32FC3, 1.0, 0);

        var fit = RadiometricNormalisation.Fit(before, after);

        foreach (var band in fit)
        {
            Assert.InRange(band.Gain, 0.9, 1.1);
            Assert.InRange(band.Offset, -10, 10);
        }
    }
}
