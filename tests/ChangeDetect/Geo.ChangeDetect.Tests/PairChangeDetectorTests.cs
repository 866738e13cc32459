using OpenCvSharp;

namespace Geo.ChangeDetect.Tests;

public sealed class PairChangeDetectorTests
{
    private static readonly Rect Building = new(150, 60, 44, 36); // 22 m x 18 m at 0.5 m

    private static (int Inside, int Outside, int Changed) Count(byte[] mask, int width, Rect truth, int tolerance)
    {
        int inside = 0, outside = 0, changed = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            changed++;
            int x = i % width, y = i / width;
            var near = x >= truth.Left - tolerance && x < truth.Right + tolerance && y >= truth.Top - tolerance && y < truth.Bottom + tolerance;
            if (x >= truth.Left && x < truth.Right && y >= truth.Top && y < truth.Bottom) inside++;
            else if (!near) outside++;
        }

        return (inside, outside, changed);
    }

    /// <summary>Before: procedural ground; after: a building (roof and shadow) added, relit (x1.15 + 10) and
    /// misregistered by (4.3, -2.6) px.</summary>
    private static PairChangeResult DetectPlantedBuilding(ChangeDetectionOptions options)
    {
        using var before = SyntheticScene.Ground(256, seed: 21);
        using var withBuilding = before.Clone();
        SyntheticScene.DrawBuilding(withBuilding, Building);
        using var after = SyntheticScene.ShiftAndRelight(withBuilding, 0, 0, 1.15, 10);
        using var misregistered = SyntheticScene.ShiftAndRelight(after, 4.3, -2.6, 1, 0);
        var r = PairChangeDetector.Detect(SyntheticScene.ToRgbImage(before), SyntheticScene.ToRgbImage(misregistered), options);
        Assert.True(r.IsOk);
        return r.Value;
    }

    [Fact]
    public void A_planted_building_is_found_and_the_shift_and_brightness_change_are_not()
    {
        var r = DetectPlantedBuilding(ChangeDetectionOptions.Default with { BuiltSurfacesOnly = false });

        var (inside, outside, _) = Count(r.Mask, 256, Building, tolerance: 8);
        Assert.True(inside >= 0.7 * Building.Width * Building.Height, $"{inside} of {Building.Width * Building.Height} building pixels found");
        Assert.True(outside < 0.01 * 256 * 256, $"{outside} changed pixels away from the building");
        Assert.Single(r.Objects);
        Assert.InRange(r.Objects[0].AreaSquareMetres, 300, 700);
    }

    [Fact]
    public void Cut_to_built_surfaces_the_planted_building_is_still_found_as_one_object_and_nothing_away_from_it()
    {
        var r = DetectPlantedBuilding(ChangeDetectionOptions.Default);

        var (inside, outside, _) = Count(r.Mask, 256, Building, tolerance: 8);
        Assert.True(inside >= 0.7 * Building.Width * Building.Height, $"{inside} of {Building.Width * Building.Height} building pixels found");
        Assert.True(outside < 0.01 * 256 * 256, $"{outside} changed pixels away from the building");
        // The new shadow is not a built surface, so the smoothed change beyond it can remain as a strip next to the
        // building; every object lies at the building, the largest is the building.
        var largest = r.Objects.MaxBy(o => o.AreaPixels)!;
        Assert.InRange(largest.AreaSquareMetres, 300, 700);
        Assert.All(r.Objects, o => Assert.True(
            o.Left < Building.Right + 16 && o.Left + o.Width > Building.Left - 16 && o.Top < Building.Bottom + 16 && o.Top + o.Height > Building.Top - 16,
            $"object at ({o.Left}, {o.Top}) is away from the building"));
    }

    [Fact]
    public void Objects_below_the_minimum_area_or_thickness_are_dropped()
    {
        // A score map with three raised patches at 0.5 m: 12 x 12 px = 36 m² (kept), 7 x 7 px = 12 m² (below 20 m²),
        // and a 2 px x 60 px line = 30 m² but 1 m thick (below the thickness minimum after the 2.5 m opening).
        using var score = new Mat(128, 128, MatType.CV_32FC1, Scalar.All(0));
        Cv2.Rectangle(score, new Rect(20, 20, 12, 12), Scalar.All(10), -1);
        Cv2.Rectangle(score, new Rect(80, 20, 7, 7), Scalar.All(10), -1);
        Cv2.Rectangle(score, new Rect(20, 90, 60, 2), Scalar.All(10), -1);

        var (mask, objects) = ChangeObjects.Extract(score, ChangeDetectionOptions.Default);
        using (mask)
        {
            var o = Assert.Single(objects);
            Assert.Equal(20, o.Left);
            Assert.Equal(20, o.Top);
            Assert.InRange(o.AreaSquareMetres, 20, 40);
            Assert.Equal(0, mask.At<byte>(23, 83));
        }
    }

    [Fact]
    public void Different_sizes_are_refused()
    {
        var a = new RgbImage(64, 64, new byte[64 * 64 * 3]);
        var b = new RgbImage(64, 65, new byte[64 * 65 * 3]);

        var r = PairChangeDetector.Detect(a, b);

        Assert.False(r.IsOk);
        Assert.Equal(ChangeFailureCodes.SizeMismatch, r.Failure.Code);
    }

    [Fact]
    public void Tiny_images_and_a_bad_gsd_are_refused()
    {
        var tiny = new RgbImage(16, 16, new byte[16 * 16 * 3]);
        Assert.Equal(ChangeFailureCodes.ImageSize, PairChangeDetector.Detect(tiny, tiny).Failure.Code);

        var ok = new RgbImage(64, 64, new byte[64 * 64 * 3]);
        var bad = PairChangeDetector.Detect(ok, ok, ChangeDetectionOptions.Default with { GroundSampleDistance = 0 });
        Assert.Equal(ChangeFailureCodes.BadParameter, bad.Failure.Code);
    }

    [Fact]
    public void A_flat_pair_with_no_change_gives_an_empty_mask_without_failing()
    {
        var flat = new byte[64 * 64 * 3];
        Array.Fill(flat, (byte)128);
        var img = new RgbImage(64, 64, flat);

        var r = PairChangeDetector.Detect(img, img);

        Assert.True(r.IsOk);
    }
}
