namespace Geo.ChangeDetect.Tests;

public sealed class RegistrationTests
{
    [Theory]
    [InlineData(3.4, -2.7)]
    [InlineData(-0.35, 0.6)]
    [InlineData(12.25, 7.5)]
    [InlineData(-19.6, 18.2)]
    public void Phase_correlation_recovers_a_known_sub_pixel_shift(double dx, double dy)
    {
        using var before = SyntheticScene.Ground(256, seed: 7);
        using var after = SyntheticScene.ShiftAndRelight(before, dx, dy, 1, 0);
        using var ga = SyntheticScene.Grey(before);
        using var gb = SyntheticScene.Grey(after);

        var shift = Registration.EstimateShift(ga, gb);

        // after(x, y) = before(x + dx, y + dy): the content moved by (-dx, -dy), so after(x - dx, y - dy) = before(x, y).
        Assert.InRange(shift.Dx, -dx - 0.2, -dx + 0.2);
        Assert.InRange(shift.Dy, -dy - 0.2, -dy + 0.2);
    }

    [Fact]
    public void The_detector_reports_and_applies_the_global_shift_despite_a_brightness_change()
    {
        using var before = SyntheticScene.Ground(256, seed: 11);
        using var after = SyntheticScene.ShiftAndRelight(before, 6.3, -4.8, 1.2, 12);

        var r = PairChangeDetector.Detect(SyntheticScene.ToRgbImage(before), SyntheticScene.ToRgbImage(after));

        Assert.True(r.IsOk);
        Assert.InRange(r.Value.Registration.Global.Dx, -6.6, -6.0);
        Assert.InRange(r.Value.Registration.Global.Dy, 4.5, 5.1);
    }

    [Fact]
    public void An_unreliable_shift_between_unrelated_images_is_not_applied()
    {
        using var before = SyntheticScene.Ground(256, seed: 1);
        using var after = SyntheticScene.Ground(256, seed: 2);

        var r = PairChangeDetector.Detect(SyntheticScene.ToRgbImage(before), SyntheticScene.ToRgbImage(after));

        Assert.True(r.IsOk);
        Assert.True(Math.Abs(r.Value.Registration.Global.Dx) <= ChangeDetectionOptions.Default.MaxShiftPixels);
        Assert.True(Math.Abs(r.Value.Registration.Global.Dy) <= ChangeDetectionOptions.Default.MaxShiftPixels);
    }
}
