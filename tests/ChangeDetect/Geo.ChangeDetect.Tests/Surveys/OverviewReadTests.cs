using Geo.ChangeDetect.Findings;
using Geo.ChangeDetect.Surveys;
using Geo.Gdal;
using OpenCvSharp;

namespace Geo.ChangeDetect.Tests.Surveys;

/// <summary>
/// Orthophoto cells read from the factor-F overview of an ingested COG (the fast path) against the full-resolution
/// decode averaged onto the analysis grid (the path for files without such an overview), on the committed pair.
/// </summary>
public sealed class OverviewReadTests : IDisposable
{
    private readonly SurveyFiles _files = new();

    public void Dispose() => _files.Dispose();

    private SurveyPairInput Pair(string before, string after, bool dsm = true) =>
        new(before, dsm ? _files.BeforeDsm : null, after, dsm ? _files.AfterDsm : null, null);

    [Fact]
    public void Cells_from_the_overview_match_the_averaged_full_resolution()
    {
        var input = Pair(_files.Before, _files.After);
        var fast = PairLayout.Create(input, SurveyDetectionOptions.Default).Value;
        var slow = PairLayout.Create(input, SurveyDetectionOptions.Default with { UseOverviews = false }).Value;
        Assert.Equal(4, fast.F);
        Assert.Equal(0, fast.Col0 % fast.F);
        using var ds = GdalDataset.Open(_files.Before).Value;
        Assert.True(SurveyReaders.HasAnalysisLevel(ds, fast.F));

        using var rf = SurveyReaders.Open(fast);
        using var rs = SurveyReaders.Open(slow);
        using Mat rgbF = new(), validF = new(), rgbS = new(), validS = new();
        // A window that runs off the raster's top-left corner: cells outside are no data on both paths.
        var x = fast.Col0 - 16 * fast.F;
        var y = fast.Row0 - 8 * fast.F;
        Assert.True(rf.ReadOrtho(false, x, y, 300, 200, rgbF, validF).IsOk);
        Assert.True(rs.ReadOrtho(false, x, y, 300, 200, rgbS, validS).IsOk);

        // Where both are valid (outside the flight polygon the overview holds other values): the JPEG COG's
        // overview is its own JPEG of the averaged image, a few grey levels off on average.
        using var both = new Mat();
        Cv2.BitwiseAnd(validF, validS, both);
        Assert.True(Cv2.CountNonZero(both) > 300 * 200 / 2);
        using var diff = new Mat();
        Cv2.Absdiff(rgbF, rgbS, diff);
        var mean = Cv2.Mean(diff, both);
        Assert.All(new[] { mean.Val0, mean.Val1, mean.Val2 }, m => Assert.InRange(m, 0, 4));
        // Validity agrees but for a few cells along the flight's edge; cells outside the raster are no data.
        using var maskDiff = new Mat();
        Cv2.Compare(validF, validS, maskDiff, CmpTypes.NE);
        Assert.InRange(Cv2.CountNonZero(maskDiff), 0, 300 * 200 / 100);
        using var outside = new Mat(validF, new Rect(0, 0, 16, 200));
        Assert.Equal(0, Cv2.CountNonZero(outside));
    }

    [Fact]
    public void Both_paths_find_every_planted_change_with_dsms()
    {
        var input = Pair(_files.Before, _files.After);
        foreach (var useOverviews in new[] { true, false })
        {
            var r = new SurveyPairDetector(SurveyDetectionOptions.Default with { UseOverviews = useOverviews }).Detect(input, null, CancellationToken.None);
            Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
            var score = SurveyScoring.Score(r.Value, _files.Samples);
            Assert.Equal(6, score.Detected);
            Assert.Equal(score.Candidates, score.Correct);
        }
    }

    [Fact]
    public void A_file_without_a_factor_f_overview_is_decoded_at_full_resolution()
    {
        // Plain tiled GeoTIFFs without overviews (and an odd width): the full-resolution path.
        var before = _files.Translate(_files.Before, "before.tif", "-srcwin", "0", "0", "2043", "2048");
        var after = _files.Translate(_files.After, "after.tif");
        using (var ds = GdalDataset.Open(before).Value) Assert.False(SurveyReaders.HasAnalysisLevel(ds, 4));

        var r = new SurveyPairDetector().Detect(Pair(before, after), null, CancellationToken.None);

        Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
        var score = SurveyScoring.Score(r.Value, _files.Samples);
        Assert.Equal(6, score.Detected);
        Assert.Equal(score.Candidates, score.Correct);
    }
}
