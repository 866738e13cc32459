using Geo.Gdal;
using Geo.Gdal.Tests;
using Geo.Spatial.Failures;
using Geo.Storage.GeoPackage;
using NetTopologySuite.Geometries;

namespace Geo.Surveys.Tests;

[Collection(SurveyCollection.Name)]
public sealed class SurveyIngestTests(SurveyFixture fixture) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("geo-ingest-").FullName;
    private GeoPackageSurveyStore _store = null!;
    private SurveyIngest _ingest = null!;

    private string DataDir => Path.Combine(_dir, "surveys");

    public async Task InitializeAsync()
    {
        _store = await GeoPackageSurveyStore.OpenAsync(Path.Combine(_dir, "geo.gpkg"));
        _ingest = new SurveyIngest(_store, new SurveyOptions { DataDirectory = DataDir });
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private Task<Result<Survey>> Ingest(string path, SurveyKind? kind = null) =>
        _ingest.IngestAsync(new SurveySubmission(path, "test", new DateOnly(2026, 4, 12), kind));

    private async Task AssertRejected(string path, string code, FailureKind kind = FailureKind.Invalid)
    {
        var r = await Ingest(path);
        Assert.False(r.IsOk, "expected a rejection");
        Assert.Equal(code, r.Failure.Code);
        Assert.Equal(kind, r.Failure.Kind);
        Assert.Empty(await _store.ListAsync());
        Assert.True(!Directory.Exists(DataDir) || Directory.GetFiles(DataDir, "*", SearchOption.AllDirectories).Length == 0,
            "a rejected ingest left files behind");
    }

    private Samples S => fixture.Samples;

    [Fact] public Task A_tiny_file_claiming_a_million_by_a_million_pixels_is_rejected() => AssertRejected(S.HugeHeader, GdalFailureCodes.DimensionsTooLarge);
    [Fact] public Task A_file_truncated_at_half_is_rejected() => AssertRejected(S.Truncated[50], GdalFailureCodes.FileTruncated);
    [Fact] public Task A_file_cut_in_its_header_is_rejected() => AssertRejected(S.CutInHeader, GdalFailureCodes.OpenFailed);
    [Fact] public Task A_jpeg_renamed_tif_is_rejected() => AssertRejected(S.JpegRenamed, GdalFailureCodes.NotATiff);
    [Fact] public Task A_vrt_renamed_tif_is_rejected() => AssertRejected(S.VrtRenamed, GdalFailureCodes.NotATiff);
    [Fact] public Task A_png_renamed_tif_is_rejected() => AssertRejected(S.PngRenamed, GdalFailureCodes.NotATiff);
    [Fact] public Task An_empty_file_is_rejected() => AssertRejected(S.Empty, GdalFailureCodes.FileEmpty);
    [Fact] public Task A_non_georeferenced_tiff_is_rejected() => AssertRejected(S.NotGeoreferenced, GdalFailureCodes.NotGeoreferenced);
    [Fact] public Task Sidecar_georeferencing_is_ignored() => AssertRejected(S.WithSidecars, GdalFailureCodes.NotGeoreferenced);
    [Fact] public Task A_gcp_only_tiff_is_rejected() => AssertRejected(S.GcpsOnly, GdalFailureCodes.GcpsOnly);
    [Fact] public Task A_rotated_tiff_is_rejected() => AssertRejected(S.Rotated, GdalFailureCodes.RotatedNotSupported);
    [Fact] public Task A_south_up_tiff_is_rejected() => AssertRejected(S.SouthUp, GdalFailureCodes.SouthUpNotSupported);
    [Fact] public Task Non_square_pixels_are_rejected() => AssertRejected(S.NonSquare, GdalFailureCodes.NonSquarePixels);
    [Fact] public Task A_tiff_without_crs_is_rejected() => AssertRejected(S.NoCrs, GdalFailureCodes.CrsMissing);
    [Fact] public Task A_crs_outside_the_list_is_rejected() => AssertRejected(S.Utm, GdalFailureCodes.CrsUnsupported);
    [Fact] public Task Nine_bands_are_rejected() => AssertRejected(S.NineBands, GdalFailureCodes.TooManyBands);
    [Fact] public Task A_relative_path_is_rejected() => AssertRejected("relative/x.tif", GdalFailureCodes.PathNotAllowed);

    [Fact]
    public Task A_survey_far_from_the_city_is_rejected()
    {
        // Valid EPSG:4547 coordinates, but about 700 km south of Ruzhou.
        var path = S.PathOf("far-away.tif");
        Cli.Run("gdal_translate", "-q", "-a_ullr", "393200", "3100000", "393328", "3099872", S.Valid, path);
        return AssertRejected(path, SurveyFailureCodes.OutsideCity);
    }

    [Fact]
    public Task Lat_lon_swapped_coordinates_are_rejected_as_outside_the_city()
    {
        // The classic axis-order mistake: latitude written as x, longitude as y, in EPSG:4326.
        var path = S.PathOf("swapped.tif");
        Cli.Run("gdal_translate", "-q", "-a_srs", "EPSG:4326", "-a_ullr", "34.17", "112.841", "34.171", "112.840", S.Valid, path);
        return AssertRejected(path, SurveyFailureCodes.OutsideCity);
    }

    [Fact]
    public Task A_gauss_krueger_zone_other_than_ruzhous_is_not_supported()
    {
        var path = S.PathOf("zone38.tif");
        Cli.Run("gdal_translate", "-q", "-a_srs", "EPSG:4526", S.Valid, path);
        return AssertRejected(path, SurveyFailureCodes.CrsNotSupported);
    }

    [Fact]
    public Task Two_bands_are_neither_ortho_nor_dsm()
    {
        var path = S.PathOf("two-bands.tif");
        Cli.Run("gdal_translate", "-q", "-b", "1", "-b", "2", S.Valid, path);
        return AssertRejected(path, SurveyFailureCodes.BandLayoutUnsupported);
    }

    [Fact]
    public Task An_orthophoto_whose_alpha_is_all_transparent_holds_no_valid_data()
    {
        var path = S.PathOf("all-transparent.tif");
        Cli.Run("gdal_create", "-q", "-of", "GTiff", "-outsize", "64", "64", "-bands", "4", "-burn", "10", "-burn", "20", "-burn", "30", "-burn", "0",
            "-a_srs", "EPSG:4547", "-a_ullr", "393200", "3782000", "393232", "3781968", path);
        Cli.Run("gdal_edit.py", "-colorinterp_4", "alpha", path);
        return AssertRejected(path, SurveyFailureCodes.NoValidData);
    }

    [Fact]
    public async Task A_valid_orthophoto_becomes_a_jpeg_cog_with_overviews_and_a_footprint_in_cgcs2000()
    {
        var progress = new List<double>();
        var r = await _ingest.IngestAsync(new SurveySubmission(fixture.Pair.Epoch1, "东区 epoch 1", new DateOnly(2026, 4, 12)),
            new SyncProgress(progress.Add));
        Assert.True(r.IsOk, r.IsOk ? null : r.Failure.ToString());
        var s = r.Value;
        Assert.Equal(SurveyKind.Ortho, s.Kind);
        Assert.Equal((1024, 1024), (s.Width, s.Height));
        Assert.Equal(0.2, s.GsdMetres, 3);
        Assert.Equal(4547, s.Epsg);
        Assert.Equal(4490, s.Footprint.SRID);
        Assert.True(s.BoundsLonLat.West is > 112.8 and < 112.9 && s.BoundsLonLat.South is > 34.1 and < 34.2, s.BoundsLonLat.ToString());
        Assert.Equal(1.0, progress[^1]);
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.Second >= p.First), "progress went backwards");

        // The footprint is the flight polygon, not the raster square: smaller than the bounds, larger than 80 % of it.
        var box = new Envelope(s.BoundsLonLat.West, s.BoundsLonLat.East, s.BoundsLonLat.South, s.BoundsLonLat.North);
        var ratio = s.Footprint.Area / (box.Width * box.Height);
        Assert.InRange(ratio, 0.8, 0.97);

        using var cog = GdalDataset.Open(_ingest.PathOf(s)).Value;
        Assert.Equal("YCbCr JPEG", cog.Compression);
        Assert.Equal("COG", cog.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
        Assert.Equal(3, cog.BandCount);
        Assert.True(cog.OverviewCount(1) >= 1);
        Assert.Equal(new[] { s.FileName }, Directory.GetFiles(DataDir).Select(f => Path.GetFileName(f)!).ToArray());
        Assert.Equal(s, await _store.GetAsync(s.Id));
    }

    [Fact]
    public async Task The_same_file_twice_is_recognised()
    {
        var first = await Ingest(fixture.Pair.Epoch2);
        Assert.True(first.IsOk);
        var second = await Ingest(fixture.Pair.Epoch2);
        Assert.False(second.IsOk);
        Assert.Equal(SurveyFailureCodes.SurveyExists, second.Failure.Code);
        Assert.Equal(FailureKind.Conflict, second.Failure.Kind);
        Assert.Equal(first.Value.Id.Value, second.Failure.Extensions!["surveyId"]);
        Assert.Single(await _store.ListAsync());
        Assert.Single(Directory.GetFiles(DataDir));
    }

    [Fact]
    public async Task An_ortho_with_its_dsm_is_registered_as_a_pair()
    {
        var r = await _ingest.IngestPairAsync(new SurveySubmission(fixture.Pair.Epoch1, "pair", new DateOnly(2026, 4, 12)), fixture.Pair.Epoch1Dsm);
        Assert.True(r.IsOk, r.IsOk ? null : r.Failure.ToString());
        var dsm = await _store.GetAsync(r.Value.PairedDsmId!.Value);
        Assert.NotNull(dsm);
        Assert.Equal(SurveyKind.Dsm, dsm.Kind);
        Assert.Equal(256, dsm.Width);
        Assert.InRange(dsm.ValueMin!.Value, 90, 100);  // ground about 95-97 m
        Assert.InRange(dsm.ValueMax!.Value, 105, 130); // roofs of up to six storeys
        using var cog = GdalDataset.Open(_ingest.PathOf(dsm)).Value;
        Assert.Equal(GdalDataType.Float32, cog.BandDataType(1));
        Assert.Equal("DEFLATE", cog.Compression);
    }

    [Fact]
    public async Task When_the_ortho_of_a_pair_fails_its_new_dsm_is_removed_again()
    {
        var r = await _ingest.IngestPairAsync(new SurveySubmission(S.NotGeoreferenced, "pair", new DateOnly(2026, 4, 12)), fixture.Pair.Epoch2Dsm);
        Assert.Equal(GdalFailureCodes.NotGeoreferenced, r.Failure.Code);
        Assert.Empty(await _store.ListAsync());
        Assert.Empty(Directory.GetFiles(DataDir));
    }

    [Fact]
    public async Task A_cancelled_ingest_leaves_no_survey_and_no_file()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p > 0.3) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _ingest.IngestAsync(new SurveySubmission(fixture.Pair.Epoch1, "cancelled", new DateOnly(2026, 4, 12)), progress, cts.Token));
        Assert.Empty(await _store.ListAsync());
        Assert.Empty(Directory.GetFiles(DataDir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Sweep_removes_partials_and_orphans_but_keeps_stored_cogs()
    {
        Directory.CreateDirectory(DataDir);
        File.WriteAllText(Path.Combine(DataDir, ".partial-0123456789abcdef.tif"), "x");
        File.WriteAllText(Path.Combine(DataDir, "0123456789abcdef.tif"), "orphan");
        File.WriteAllText(Path.Combine(DataDir, "fedcba9876543210.tif"), "stored");
        var upload = SurveyFiles.NewUploadPath(DataDir);
        File.WriteAllText(upload, "half an upload");
        var removed = SurveyFiles.Sweep(DataDir, new HashSet<string> { "fedcba9876543210" }, TimeSpan.Zero);
        Assert.Equal(3, removed);
        Assert.Equal(new[] { "fedcba9876543210.tif" }, Directory.GetFiles(DataDir).Select(f => Path.GetFileName(f)!).ToArray());
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
