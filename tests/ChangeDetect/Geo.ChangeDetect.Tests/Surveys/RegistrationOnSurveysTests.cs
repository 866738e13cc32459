using Geo.ChangeDetect.Findings;
using Geo.ChangeDetect.Surveys;
using OpenCvSharp;

namespace Geo.ChangeDetect.Tests.Surveys;

public sealed class RegistrationOnSurveysTests : IDisposable
{
    private readonly SurveyFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(7, -5)]
    [InlineData(-13, 18)]
    [InlineData(2, 3)]
    public void The_global_shift_between_real_geotiffs_is_recovered_and_the_residual_is_sub_pixel(int dx, int dy)
    {
        // Both files carry the same georeferencing, but the after image's content starts (dx, dy) px further:
        // after(x, y) = before(x + dx, y + dy), i.e. after(x - dx, y - dy) = before(x, y): shift (-dx, -dy).
        const int x0 = 60, y0 = 60, size = 1900;
        var before = _files.Translate(_files.Before, "b.tif", "-srcwin", $"{x0}", $"{y0}", $"{size}", $"{size}");
        var after = _files.Translate(_files.Before, "a.tif", "-srcwin", $"{x0 + dx}", $"{y0 + dy}", $"{size}", $"{size}",
            "-a_ullr", $"{392752 + x0 * 0.1}", $"{3782676 - y0 * 0.1}", $"{392752 + (x0 + size) * 0.1}", $"{3782676 - (y0 + size) * 0.1}");
        var layout = PairLayout.Create(new SurveyPairInput(before, null, after, null, null), SurveyDetectionOptions.Default).Value;
        using var readers = SurveyReaders.Open(layout);

        var model = GlobalEstimates.Estimate(layout, readers, SurveyDetectionOptions.Default, CancellationToken.None).Value;

        Assert.InRange(model.OffsetX + model.FracX * layout.F, -dx - 0.5, -dx + 0.5);
        Assert.InRange(model.OffsetY + model.FracY * layout.F, -dy - 0.5, -dy + 0.5);
        // After the local field, what is left between the two (on the analysis grid) is well under a full-res pixel.
        using var tile = GlobalEstimates.ReadTile(layout, model, readers, 100, 100, 256, 256).Value;
        var (a, b, valid, fx, fy) = TileAnalysis.Align(tile, model);
        using (a) using (b) using (valid) using (fx) using (fy)
        {
            using var ga = new Mat();
            using var gb = new Mat();
            Cv2.CvtColor(a, ga, ColorConversionCodes.RGB2GRAY);
            Cv2.CvtColor(b, gb, ColorConversionCodes.RGB2GRAY);
            var core = new Rect(TileAnalysis.Margin, TileAnalysis.Margin, 256, 256);
            using var ca = new Mat(ga, core);
            using var cb = new Mat(gb, core);
            var residual = Registration.EstimateShift(ca.Clone(), cb.Clone());
            var fullPixels = Math.Max(Math.Abs(residual.Dx), Math.Abs(residual.Dy)) * layout.F;
            Assert.True(fullPixels < 0.8, $"residual {fullPixels:0.00} full-resolution px");
        }
    }

    [Fact]
    public void The_committed_pair_misregistration_of_3_by_2_pixels_is_found()
    {
        var layout = PairLayout.Create(new SurveyPairInput(_files.Before, null, _files.After, null, null), SurveyDetectionOptions.Default).Value;
        using var readers = SurveyReaders.Open(layout);

        var model = GlobalEstimates.Estimate(layout, readers, SurveyDetectionOptions.Default, CancellationToken.None).Value;

        // Epoch 2 was drawn 3 px east and 2 px south: after(x + 3, y + 2) = before(x, y).
        Assert.InRange(model.OffsetX + model.FracX * layout.F, 2.5, 3.5);
        Assert.InRange(model.OffsetY + model.FracY * layout.F, 1.5, 2.5);
    }
}
