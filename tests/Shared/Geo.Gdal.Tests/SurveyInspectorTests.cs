using Geo.Spatial.Failures;

namespace Geo.Gdal.Tests;

[Collection(GdalCollection.Name)]
public sealed class SurveyInspectorTests(Samples samples) : LeakCheckedTest(samples)
{
    [Fact]
    public void Accepts_a_georeferenced_rgb_geotiff_in_cgcs2000_gk_zone()
    {
        var facts = SurveyInspector.Inspect(Samples.Valid).Value;

        Assert.Equal(256, facts.Width);
        Assert.Equal(256, facts.Height);
        Assert.Equal([GdalDataType.Byte, GdalDataType.Byte, GdalDataType.Byte], facts.BandTypes);
        Assert.Equal(4547, facts.Epsg);
        Assert.Equal(0.5, facts.GsdXMetres, 9);
        Assert.Equal(0.5, facts.GsdYMetres, 9);
        Assert.Equal(new GeoTransform(393200, 0.5, 0, 3782000, 0, -0.5), facts.GeoTransform);
        Assert.Equal(new CrsBounds(393200, 3781872, 393328, 3782000), facts.Bounds);
        Assert.Equal(new CrsPoint(393200, 3782000), facts.Corners.UpperLeft);
        Assert.Equal(new CrsPoint(393328, 3782000), facts.Corners.UpperRight);
        Assert.Equal(new CrsPoint(393328, 3781872), facts.Corners.LowerRight);
        Assert.Equal(new CrsPoint(393200, 3781872), facts.Corners.LowerLeft);
        Assert.Equal("DEFLATE", facts.Compression);
        Assert.Equal((64, 64), (facts.BlockWidth, facts.BlockHeight));
        Assert.Equal(0, facts.OverviewCount);
        Assert.Contains("3-degree Gauss-Kruger CM 114E", facts.CrsWkt);
        Assert.Empty(facts.Warnings);
    }

    [Fact]
    public void Accepts_a_bigtiff()
    {
        Assert.Equal("II+\0"u8.ToArray(), File.ReadAllBytes(Samples.BigTiff)[..4]);

        Assert.Equal(4547, SurveyInspector.Inspect(Samples.BigTiff).Value.Epsg);
    }

    [Fact]
    public void Reports_internal_overviews()
    {
        Assert.Equal(2, SurveyInspector.Inspect(Samples.WithOverviews).Value.OverviewCount);
    }

    [Fact]
    public void Accepts_a_jpeg_ycbcr_geotiff()
    {
        var facts = SurveyInspector.Inspect(Samples.Jpeg).Value;

        Assert.Equal("YCbCr JPEG", facts.Compression);
        Assert.Equal(3, facts.BandCount);
    }

    [Fact]
    public void Geographic_crs_keeps_longitude_as_x_and_converts_gsd_to_metres_at_centre_latitude()
    {
        var facts = SurveyInspector.Inspect(Samples.Geographic).Value;

        Assert.Equal(4326, facts.Epsg);
        // Axis order: GDAL's traditional GIS order, x = longitude, whatever EPSG:4326 says.
        Assert.Equal(112.84, facts.Corners.UpperLeft.X, 9);
        Assert.Equal(34.17, facts.Corners.UpperLeft.Y, 9);
        // 0.001° / 256 px; at 34.1695°N on WGS 84 a degree of longitude is 92,200.88 m and of latitude
        // 110,925.45 m (N·cos φ·π/180 and M·π/180, computed independently).
        var deg = 0.001 / 256;
        Assert.Equal(deg * 92_200.885, facts.GsdXMetres, 1e-6);
        Assert.Equal(deg * 110_925.451, facts.GsdYMetres, 1e-6);
    }

    [Theory]
    [InlineData("relative/survey.tif")]
    [InlineData("/vsicurl/http://169.254.169.254/latest/meta-data/x.tif")]
    [InlineData("/vsizip//tmp/a.zip/x.tif")]
    [InlineData("/VSIMEM/x.tif")]
    [InlineData("MEM:::DATAPOINTER=0x1234,PIXELS=10,LINES=10")]
    [InlineData("<VRTDataset rasterXSize=\"1\" rasterYSize=\"1\"></VRTDataset>")]
    [InlineData("/tmp/../etc/passwd")]
    [InlineData("/tmp/a\nb.tif")]
    [InlineData("")]
    public void Rejects_virtual_relative_or_unnormalised_paths(string path)
    {
        AssertRejected(SurveyInspector.Inspect(path), GdalFailureCodes.PathNotAllowed);
    }

    [Fact]
    public void Rejects_a_missing_file_as_not_found()
    {
        var failure = AssertRejected(SurveyInspector.Inspect(Samples.PathOf("no-such.tif")), GdalFailureCodes.FileMissing, FailureKind.NotFound);
        Assert.DoesNotContain(Samples.Root, failure.Message);
    }

    [Fact]
    public void Rejects_an_empty_file()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.Empty), GdalFailureCodes.FileEmpty);
    }

    [Fact]
    public void Rejects_a_jpeg_renamed_tif_by_its_signature()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.JpegRenamed), GdalFailureCodes.NotATiff);
    }

    [Fact]
    public void Rejects_a_png_renamed_tif_by_its_signature()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.PngRenamed), GdalFailureCodes.NotATiff);
    }

    [Fact]
    public void Rejects_a_vrt_xml_renamed_tif_by_its_signature()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.VrtRenamed), GdalFailureCodes.NotATiff);
    }

    [Fact]
    public void Rejects_a_file_cut_inside_its_directory_as_open_failed_without_leaking_paths()
    {
        var failure = AssertRejected(SurveyInspector.Inspect(Samples.CutInHeader), GdalFailureCodes.OpenFailed);

        Assert.DoesNotContain(Samples.Root, failure.Message);
        Assert.DoesNotContain("cut-in-header", failure.Message);
        Assert.DoesNotContain("/tmp", failure.Message);
    }

    [Fact]
    public void Rejects_a_directory_offset_past_the_end_as_open_failed()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.IfdOffsetPastEnd), GdalFailureCodes.OpenFailed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(99)]
    public void Rejects_a_file_truncated_in_its_data_before_reading_pixels(int percent)
    {
        var failure = AssertRejected(SurveyInspector.Inspect(Samples.Truncated[percent]), GdalFailureCodes.FileTruncated);
        Assert.DoesNotContain(Samples.Root, failure.Message);
    }

    [Fact]
    public void Rejects_nine_bands()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.NineBands), GdalFailureCodes.TooManyBands);
    }

    [Fact]
    public void Rejects_a_tiny_header_claiming_a_million_by_a_million_pixels()
    {
        Assert.True(new FileInfo(Samples.HugeHeader).Length < 300);
        AssertRejected(SurveyInspector.Inspect(Samples.HugeHeader), GdalFailureCodes.DimensionsTooLarge);
    }

    [Fact]
    public void Rejects_a_declared_size_the_file_cannot_hold_even_when_dimensions_are_allowed()
    {
        var generous = RasterLimits.Default with { MaxWidth = 2_000_000, MaxHeight = 2_000_000, MaxPixels = long.MaxValue };

        AssertRejected(SurveyInspector.Inspect(Samples.HugeHeader, generous), GdalFailureCodes.ImplausibleSize);
    }

    [Fact]
    public void The_truncation_scan_of_150_thousand_blocks_accepts_sparse_blocks()
    {
        var sparse = Samples.PathOf("sparse-100k.tif");
        Cli.Run("gdal_create", "-of", "GTiff", "-outsize", "100000", "100000", "-bands", "1", "-ot", "Byte",
            "-a_srs", "EPSG:4547", "-a_ullr", "393200", "3782000", "443200", "3732000", "-co", "TILED=YES", "-co", "SPARSE_OK=YES", sparse);
        Assert.Equal(GdalFailureCodes.ImplausibleSize, SurveyInspector.Inspect(sparse).Failure.Code);

        var facts = SurveyInspector.Inspect(sparse, RasterLimits.Default with { MaxCompressionRatio = 1e6 });

        Assert.Equal(0.5, facts.Value.GsdMetres, 9);
    }

    [Fact]
    public void Rejects_blocks_larger_than_the_limit()
    {
        var small = RasterLimits.Default with { MaxBlockBytes = 64 * 64 * 3 - 1 };

        AssertRejected(SurveyInspector.Inspect(Samples.Valid, small), GdalFailureCodes.BlockTooLarge);
    }

    [Fact]
    public void Rejects_a_tiff_without_georeferencing()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.NotGeoreferenced), GdalFailureCodes.NotGeoreferenced);
    }

    [Fact]
    public void Ignores_world_file_and_prj_sidecars_next_to_the_upload()
    {
        // Proof that the sidecars are real: stock gdalinfo (reading the directory) georeferences the file with them.
        Assert.Contains("Origin = (393200.", Cli.Run("gdalinfo", Samples.WithSidecars));

        AssertRejected(SurveyInspector.Inspect(Samples.WithSidecars), GdalFailureCodes.NotGeoreferenced);
    }

    [Fact]
    public void Rejects_a_gcp_only_tiff()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.GcpsOnly), GdalFailureCodes.GcpsOnly);
    }

    [Fact]
    public void Rejects_a_rotated_geotransform()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.Rotated), GdalFailureCodes.RotatedNotSupported);
    }

    [Fact]
    public void Rejects_a_south_up_geotransform()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.SouthUp), GdalFailureCodes.SouthUpNotSupported);
    }

    [Fact]
    public void Rejects_non_square_pixels()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.NonSquare), GdalFailureCodes.NonSquarePixels);
    }

    [Fact]
    public void Rejects_a_missing_crs()
    {
        AssertRejected(SurveyInspector.Inspect(Samples.NoCrs), GdalFailureCodes.CrsMissing);
    }

    [Fact]
    public void Rejects_an_unsupported_crs_naming_it()
    {
        var failure = AssertRejected(SurveyInspector.Inspect(Samples.Utm), GdalFailureCodes.CrsUnsupported);
        Assert.Equal("EPSG:32650", failure.Location);
    }

    [Fact]
    public void Supported_crs_list_is_configurable()
    {
        var utmToo = RasterLimits.Default with { AllowedEpsgCodes = new HashSet<int>(RasterLimits.DefaultEpsgCodes) { 32650 } };

        Assert.Equal(32650, SurveyInspector.Inspect(Samples.Utm, utmToo).Value.Epsg);
    }

    [Fact]
    public void Open_keeps_an_accepted_raster_open_for_reading()
    {
        using var raster = SurveyInspector.Open(Samples.Valid).Value;
        var row = new byte[256];

        Assert.True(raster.Dataset.ReadBlock(2, 0, 7, 256, 1, row).IsOk);
        Assert.Equal(Samples.GradientValue(2, 5, 7), row[5]);
        Assert.Equal("GTiff", raster.Dataset.DriverShortName);
    }

    private static Failure AssertRejected<T>(Result<T> result, string code, FailureKind kind = FailureKind.Invalid)
    {
        Assert.False(result.IsOk, $"expected {code}, got a value");
        var failure = Assert.Single(result.Failures);
        Assert.True(code == failure.Code, $"expected {code}, got {failure}");
        Assert.Equal(kind, failure.Kind);
        return failure;
    }
}
