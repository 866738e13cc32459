using Geo.ChangeDetect.Findings;
using Geo.ChangeDetect.Surveys;
using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Tests.Surveys;

public sealed class SurveyPairDetectorTests : IDisposable
{
    private readonly SurveyFiles _files = new();

    public void Dispose() => _files.Dispose();

    private SurveyPairInput Pair(bool dsm = true, Geometry? area = null) =>
        new(_files.Before, dsm ? _files.BeforeDsm : null, _files.After, dsm ? _files.AfterDsm : null, area);

    /// <summary>The failure code of a detection between the sample before orthophoto and <paramref name="after"/>, no
    /// DSMs (the run must fail).</summary>
    private string FailureOfOrthosOnly(string after)
    {
        var r = new SurveyPairDetector().Detect(new SurveyPairInput(_files.Before, null, after, null, null), null, CancellationToken.None);
        Assert.False(r.IsOk);
        return r.Failure.Code;
    }

    [Fact]
    public void The_synthetic_pair_yields_every_planted_change_and_no_nuisance()
    {
        var r = new SurveyPairDetector().Detect(Pair(), null, CancellationToken.None);

        Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
        var score = SurveyScoring.Score(r.Value, _files.Samples);
        Assert.Equal(6, score.TruthObjects);
        Assert.Equal(6, score.Detected);
        // Lighting, autumn trees, longer shadows and the (3, 2) px misregistration produce no candidate.
        Assert.Equal(score.Candidates, score.Correct);
        Assert.All(r.Value, c => Assert.Equal(CrsId.Cgcs2000GK114, c.Crs));
    }

    [Fact]
    public void Kinds_and_height_changes_follow_the_dsm()
    {
        var r = new SurveyPairDetector().Detect(Pair(), null, CancellationToken.None).Value;

        // Three new buildings (6.5-15.5 m high on empty lots), the enclosure (low walls, image change), two rooftop
        // additions of 3 m on existing roofs.
        Assert.Equal(2, r.Count(c => c.Kind == ChangeKind.Extension));
        Assert.Equal(4, r.Count(c => c.Kind == ChangeKind.NewStructure));
        Assert.All(r.Where(c => c.Kind == ChangeKind.Extension), c => Assert.InRange(c.MeanDh!.Value, 2.5, 3.5));
        Assert.Equal(3, r.Count(c => c.MeanDh > 6));
        Assert.All(r, c => Assert.InRange(c.Confidence, 0.01, 0.99));
    }

    [Fact]
    public void Without_dsms_changes_are_of_kind_other_without_heights()
    {
        var r = new SurveyPairDetector().Detect(Pair(dsm: false), null, CancellationToken.None);

        Assert.True(r.IsOk);
        Assert.NotEmpty(r.Value);
        Assert.All(r.Value, c => Assert.Equal(ChangeKind.Other, c.Kind));
        Assert.All(r.Value, c => Assert.Null(c.MeanDh));
    }

    [Fact]
    public void An_area_limit_keeps_only_changes_inside_it()
    {
        var all = new SurveyPairDetector().Detect(Pair(), null, CancellationToken.None).Value;
        var target = all.Where(c => c.MeanDh > 6).OrderByDescending(c => c.Polygon.Area).First();
        var lonLat = (Polygon)CoordinateConverter.Transform(target.Polygon.Buffer(3), CrsId.Cgcs2000GK114, CrsId.Cgcs2000);

        var limited = new SurveyPairDetector().Detect(Pair(area: lonLat), null, CancellationToken.None);

        Assert.True(limited.IsOk, limited.IsOk ? "" : limited.Failure.ToString());
        var only = Assert.Single(limited.Value);
        Assert.True(only.Polygon.Intersection(target.Polygon).Area > 0.9 * target.Polygon.Area);
    }

    [Fact]
    public void Surveys_that_do_not_overlap_fail_with_no_overlap()
    {
        // The after survey moved 5 km east (same CRS, same pixel size).
        var far = _files.Translate(_files.After, "far.tif", "-a_ullr", "397752", "3782676", "397956.8", "3782471.2");

        Assert.Equal(ChangeFailureCodes.NoOverlap, FailureOfOrthosOnly(far));
    }

    [Fact]
    public void Surveys_in_different_crs_fail_with_crs_mismatch()
    {
        var other = _files.Translate(_files.After, "other-crs.tif", "-a_srs", "EPSG:3857");

        Assert.Equal(ChangeFailureCodes.CrsMismatch, FailureOfOrthosOnly(other));
    }

    [Theory]
    [InlineData("0.125")] // flown higher: coarser, resampled bilinear
    [InlineData("0.08")]  // flown lower: finer, resampled by averaging
    public void An_after_survey_of_another_pixel_size_is_brought_onto_the_before_grid_and_yields_the_planted_changes(string pixelSize)
    {
        var after = _files.Translate(_files.After, "after-" + pixelSize + ".tif", "-tr", pixelSize, pixelSize, "-r", "average");
        var temp = Path.Combine(_files.Temp, "grid");
        var detector = new SurveyPairDetector(SurveyDetectionOptions.Default with { TemporaryDirectory = temp });

        var r = detector.Detect(new SurveyPairInput(_files.Before, _files.BeforeDsm, after, _files.AfterDsm, null), null, CancellationToken.None);

        Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
        var score = SurveyScoring.Score(r.Value, _files.Samples);
        Assert.Equal(6, score.TruthObjects);
        Assert.Equal(6, score.Detected);
        Assert.Equal(score.Candidates, score.Correct);
        Assert.Empty(Directory.GetFiles(temp)); // the resampled copy is gone once the run ends
    }

    [Fact]
    public void A_resampled_copy_left_by_a_killed_run_is_swept_by_the_next_one_once_stale()
    {
        var after = _files.Translate(_files.After, "after-0.125.tif", "-tr", "0.125", "0.125", "-r", "average");
        var temp = Directory.CreateDirectory(Path.Combine(_files.Temp, "grid")).FullName;
        var stale = Path.Combine(temp, GridMatching.Prefix + "left-by-a-killed-run.tif");
        var fresh = Path.Combine(temp, GridMatching.Prefix + "of-a-live-run.tif");
        File.WriteAllText(stale, "x");
        File.WriteAllText(fresh, "x");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - GridMatching.StaleAfter - TimeSpan.FromHours(1));

        var r = new SurveyPairDetector(SurveyDetectionOptions.Default with { TemporaryDirectory = temp })
            .Detect(new SurveyPairInput(_files.Before, null, after, null, null), null, CancellationToken.None);

        Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public void Pixel_sizes_more_than_four_times_apart_fail_with_gsd_mismatch()
    {
        var coarse = _files.Translate(_files.After, "after-0.5.tif", "-tr", "0.5", "0.5", "-r", "average");

        Assert.Equal(ChangeFailureCodes.GsdMismatch, FailureOfOrthosOnly(coarse));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_dsm_on_one_side_only_fails_with_dsm_one_side(bool beforeHasDsm)
    {
        var input = new SurveyPairInput(_files.Before, beforeHasDsm ? _files.BeforeDsm : null, _files.After, beforeHasDsm ? null : _files.AfterDsm, null);

        var r = new SurveyPairDetector().Detect(input, null, CancellationToken.None);

        Assert.False(r.IsOk);
        Assert.Equal(ChangeFailureCodes.DsmOneSide, r.Failure.Code);
    }

    [Fact]
    public void A_missing_file_fails_with_survey_unreadable()
    {
        var r = new SurveyPairDetector().Detect(new SurveyPairInput(Path.Combine(_files.Temp, "nope.tif"), null, _files.After, null, null), null, CancellationToken.None);

        Assert.False(r.IsOk);
        Assert.Equal(ChangeFailureCodes.SurveyUnreadable, r.Failure.Code);
    }

    [Fact]
    public async Task Cancellation_during_streaming_stops_the_run()
    {
        using var cts = new CancellationTokenSource();
        var reports = new List<DetectionProgress>();
        var progress = new SyncProgress(p =>
        {
            reports.Add(p);
            if (p.Stage == "streaming") cts.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SurveyPairDetector().DetectAsync(Pair(), progress, cts.Token));
        Assert.DoesNotContain(reports, p => p.Fraction >= 1);
    }

    private sealed class SyncProgress(Action<DetectionProgress> report) : IProgress<DetectionProgress>
    {
        public void Report(DetectionProgress value) => report(value);
    }
}
