using Geo.Spatial.Failures;

namespace Geo.Gdal.Tests;

[Collection(GdalCollection.Name)]
public sealed class GdalDatasetTests(Samples samples) : LeakCheckedTest(samples)
{
    [Fact]
    public void Exposes_size_driver_crs_and_band_facts()
    {
        using var ds = GdalDataset.Open(Samples.Valid).Value;

        Assert.Equal((256, 256, 3), (ds.Width, ds.Height, ds.BandCount));
        Assert.Equal("GTiff", ds.DriverShortName);
        Assert.Equal(4547, ds.Crs!.Epsg);
        Assert.True(ds.Crs.IsProjected);
        Assert.Equal(1.0, ds.Crs.LinearUnitMetres);
        Assert.Equal(GdalDataType.Byte, ds.BandDataType(1));
        Assert.Equal((64, 64), ds.BlockSize(3));
        Assert.Null(ds.NoData(1));
        Assert.Equal(0, ds.OverviewCount(1));
        Assert.Equal("DEFLATE", ds.Compression);
        var gt = ds.GeoTransform!.Value;
        Assert.True(gt.IsNorthUp);
        Assert.Equal(0.5, gt.PixelWidth);
        Assert.Equal(0.5, gt.PixelHeight);
    }

    [Fact]
    public void Reads_a_window_of_a_byte_band_with_the_values_written()
    {
        using var ds = GdalDataset.Open(Samples.Valid).Value;
        var buffer = new byte[40 * 30];

        var read = ds.ReadBlock(3, 100, 50, 40, 30, buffer);

        Assert.Equal(40 * 30, read.Value);
        for (var row = 0; row < 30; row++)
        {
            for (var col = 0; col < 40; col++)
            {
                Assert.Equal(Samples.GradientValue(3, 100 + col, 50 + row), buffer[row * 40 + col]);
            }
        }
    }

    [Fact]
    public void Reads_a_window_as_float32()
    {
        using var ds = GdalDataset.Open(Samples.Valid).Value;
        var buffer = new float[16];

        Assert.Equal(4, ds.ReadBlock(1, 250, 255, 4, 1, buffer).Value);
        float[] expected = [.. Enumerable.Range(250, 4).Select(x => (float)Samples.GradientValue(1, x, 255))];
        Assert.Equal(expected, buffer[..4]);
    }

    [Fact]
    public void Reads_rgb_pixel_interleaved_in_one_call()
    {
        using var ds = GdalDataset.Open(Samples.Valid).Value;
        var rgb = new byte[8 * 4 * 3];

        Assert.Equal(rgb.Length, ds.ReadInterleaved([1, 2, 3], 10, 20, 8, 4, rgb).Value);
        for (var i = 0; i < 8 * 4; i++)
        {
            var (x, y) = (10 + i % 8, 20 + i / 8);
            Assert.Equal(
                (Samples.GradientValue(1, x, y), Samples.GradientValue(2, x, y), Samples.GradientValue(3, x, y)),
                (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]));
        }
    }

    [Fact]
    public void Reads_a_jpeg_ycbcr_geotiff_close_to_the_values_written()
    {
        using var ds = GdalDataset.Open(Samples.Jpeg).Value;
        var rgb = new byte[256 * 256 * 3];

        Assert.True(ds.ReadInterleaved([1, 2, 3], 0, 0, 256, 256, rgb).IsOk);
        long totalError = 0;
        var maxInteriorError = 0;
        for (var i = 0; i < 256 * 256; i++)
        {
            var (x, y) = (i % 256, i / 256);
            // Chroma is subsampled and smoothed across the 32 px colour squares: edges ring, interiors must not.
            var interior = x % 32 is >= 4 and < 28 && y % 32 is >= 4 and < 28;
            for (var b = 0; b < 3; b++)
            {
                var error = Math.Abs(rgb[3 * i + b] - Samples.BlockyValue(b + 1, x, y));
                totalError += error;
                maxInteriorError = interior ? Math.Max(maxInteriorError, error) : maxInteriorError;
            }
        }

        var meanError = totalError / (256.0 * 256 * 3);
        Assert.True(meanError < 3.0, $"mean error {meanError}");
        Assert.True(maxInteriorError <= 6, $"max interior error {maxInteriorError}");
    }

    [Theory]
    [InlineData(0, 0, 0, 10, 10, GdalFailureCodes.BandOutOfRange)]
    [InlineData(4, 0, 0, 10, 10, GdalFailureCodes.BandOutOfRange)]
    [InlineData(1, 250, 0, 10, 10, GdalFailureCodes.WindowOutOfRange)]
    [InlineData(1, -1, 0, 10, 10, GdalFailureCodes.WindowOutOfRange)]
    [InlineData(1, 0, 0, 0, 10, GdalFailureCodes.WindowOutOfRange)]
    [InlineData(1, 0, 0, 20, 10, GdalFailureCodes.BufferTooSmall)]
    public void Rejects_bad_windows_as_bad_requests(int band, int x, int y, int w, int h, string code)
    {
        using var ds = GdalDataset.Open(Samples.Valid).Value;

        var result = ds.ReadBlock(band, x, y, w, h, new byte[100]);

        Assert.Equal(code, result.Failure.Code);
        Assert.Equal(FailureKind.BadRequest, result.Failure.Kind);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(99)]
    public void Reading_past_the_end_of_a_truncated_file_is_a_read_failure_not_a_crash(int percent)
    {
        using var ds = GdalDataset.Open(Samples.Truncated[percent]).Value;
        var buffer = new byte[256 * 256];

        // plain.tif is band-sequential (INTERLEAVE=BAND, from the BSQ source): band 3's tiles are the ones cut off.
        var result = ds.ReadBlock(3, 0, 0, 256, 256, buffer);

        Assert.Equal(GdalFailureCodes.ReadFailed, result.Failure.Code);
        Assert.DoesNotContain(Samples.Root, result.Failure.Message);
    }

    [Fact]
    public void Opening_a_vrt_fails_because_the_vrt_driver_is_skipped()
    {
        var result = GdalDataset.Open(Samples.RotatedVrt);

        Assert.Equal(GdalFailureCodes.OpenFailed, result.Failure.Code);
    }

    [Fact]
    public void The_allowed_driver_list_refuses_other_formats()
    {
        using (var anyDriver = GdalDataset.Open(Samples.PathOf("image.png")).Value)
        {
            Assert.Equal("PNG", anyDriver.DriverShortName);
        }

        var result = GdalDataset.Open(Samples.PathOf("image.png"), GdalOpenOptions.UntrustedGeoTiff);

        Assert.Equal(GdalFailureCodes.OpenFailed, result.Failure.Code);
    }

    [Fact]
    public void Open_count_follows_open_and_dispose_and_dispose_is_idempotent()
    {
        var before = GdalDataset.OpenCount;
        var ds = GdalDataset.Open(Samples.Valid).Value;
        Assert.Equal(before + 1, GdalDataset.OpenCount);

        ds.Dispose();
        ds.Dispose();

        Assert.Equal(before, GdalDataset.OpenCount);
        Assert.Throws<ObjectDisposedException>(() => ds.BandDataType(1));
    }

    [Fact]
    public void A_failed_open_leaves_nothing_open()
    {
        var before = GdalDataset.OpenCount;

        Assert.False(GdalDataset.Open(Samples.CutInHeader).IsOk);

        Assert.Equal(before, GdalDataset.OpenCount);
    }
}
