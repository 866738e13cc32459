using OpenCvSharp;

namespace Geo.ChangeDetect.Tests;

/// <summary>Cutting image-pair changes down to newly built surfaces (BuiltSurface, ChangeObjects, PairChangeDetector).</summary>
public sealed class BuiltSurfaceTests
{
    private static readonly Rect Roof = new(40, 50, 40, 30);      // 20 m x 15 m at 0.5 m
    private static readonly Rect Lawn = new(150, 50, 40, 30);     // a new lawn of the same size
    private static readonly Rect Shadow = new(40, 170, 40, 30);   // a new dark patch (a shadow) of the same size

    /// <summary>Brown field before; after: a grey roof, a green lawn and a dark shadow on it.</summary>
    private static (Mat Before, Mat After) Scene()
    {
        var before = SyntheticScene.Ground(256, seed: 5);
        var after = before.Clone();
        Cv2.Rectangle(after, Roof, new Scalar(175, 175, 178), -1);
        Cv2.Rectangle(after, new Rect(Roof.X, Roof.Y, Roof.Width, Roof.Height / 2), new Scalar(150, 150, 155), -1);
        Cv2.Rectangle(after, Lawn, new Scalar(60, 90, 45), -1); // darker than the dry ground: watered grass
        Cv2.Rectangle(after, Shadow, new Scalar(40, 40, 45), -1);
        return (before, after);
    }

    private static Mat Float(Mat u8)
    {
        var f = new Mat();
        u8.ConvertTo(f, MatType.CV_32FC3);
        return f;
    }

    private static double ShareSet(byte[] mask, int width, Rect r)
    {
        var n = 0;
        for (var y = r.Top; y < r.Bottom; y++)
        {
            for (var x = r.Left; x < r.Right; x++)
            {
                if (mask[y * width + x] != 0) n++;
            }
        }

        return (double)n / (r.Width * r.Height);
    }

    private static double ShareSet(Mat mask, Rect r)
    {
        var bytes = MatSpan.Bytes(mask).ToArray();
        return ShareSet(bytes, mask.Cols, r);
    }

    [Fact]
    public void A_new_grey_roof_is_a_built_surface_and_a_new_lawn_or_shadow_is_not()
    {
        var (b8, a8) = Scene();
        using (b8)
        using (a8)
        using (var before = Float(b8))
        using (var after = Float(a8))
        using (var labA = ChangeMeasure.ToLab(before))
        using (var labB = ChangeMeasure.ToLab(after))
        using (var mask = BuiltSurface.Mask(labA, labB))
        {
            Assert.True(ShareSet(mask, Roof) > 0.9, $"roof {ShareSet(mask, Roof):P0}");
            Assert.True(ShareSet(mask, Lawn) < 0.05, $"lawn {ShareSet(mask, Lawn):P0}");
            Assert.True(ShareSet(mask, Shadow) < 0.05, $"shadow {ShareSet(mask, Shadow):P0}");
        }
    }

    [Fact]
    public void By_default_the_pair_detector_reports_the_roof_and_not_the_lawn_or_the_shadow()
    {
        var (before, after) = Scene();
        using (before)
        using (after)
        {
            var r = PairChangeDetector.Detect(SyntheticScene.ToRgbImage(before), SyntheticScene.ToRgbImage(after));

            Assert.True(r.IsOk);
            Assert.True(ShareSet(r.Value.Mask, 256, Roof) > 0.8, $"roof {ShareSet(r.Value.Mask, 256, Roof):P0}");
            Assert.True(ShareSet(r.Value.Mask, 256, Lawn) < 0.05, $"lawn {ShareSet(r.Value.Mask, 256, Lawn):P0}");
            Assert.True(ShareSet(r.Value.Mask, 256, Shadow) < 0.05, $"shadow {ShareSet(r.Value.Mask, 256, Shadow):P0}");
        }
    }

    [Fact]
    public void With_all_land_cover_the_new_shadow_is_reported_too()
    {
        var (before, after) = Scene();
        using (before)
        using (after)
        {
            var options = ChangeDetectionOptions.Default with { BuiltSurfacesOnly = false };

            var r = PairChangeDetector.Detect(SyntheticScene.ToRgbImage(before), SyntheticScene.ToRgbImage(after), options);

            Assert.True(r.IsOk);
            Assert.True(ShareSet(r.Value.Mask, 256, Roof) > 0.8);
            Assert.True(ShareSet(r.Value.Mask, 256, Shadow) > 0.8, $"shadow {ShareSet(r.Value.Mask, 256, Shadow):P0}");
        }
    }

    [Fact]
    public void Holes_enclosed_by_a_changed_area_are_filled_and_bays_open_to_the_border_are_not()
    {
        using var mask = new Mat(64, 64, MatType.CV_8UC1, Scalar.All(0));
        Cv2.Rectangle(mask, new Rect(10, 10, 20, 20), Scalar.All(255), -1);
        Cv2.Rectangle(mask, new Rect(15, 15, 8, 8), Scalar.All(0), -1);         // a hole
        Cv2.Rectangle(mask, new Rect(40, 0, 20, 20), Scalar.All(255), -1);
        Cv2.Rectangle(mask, new Rect(45, 0, 8, 10), Scalar.All(0), -1);         // a bay open to the top edge

        ChangeObjects.FillHoles(mask);

        Assert.Equal(255, mask.At<byte>(18, 18));
        Assert.Equal(0, mask.At<byte>(2, 48));
        Assert.Equal(0, mask.At<byte>(40, 40));
    }

    [Fact]
    public void A_candidate_lowering_outside_zero_to_a_half_is_refused()
    {
        var ok = new RgbImage(64, 64, new byte[64 * 64 * 3]);

        var r = PairChangeDetector.Detect(ok, ok, ChangeDetectionOptions.Default with { CandidateLowering = 0.8 });

        Assert.False(r.IsOk);
        Assert.Equal(ChangeFailureCodes.BadParameter, r.Failure.Code);
    }
}
