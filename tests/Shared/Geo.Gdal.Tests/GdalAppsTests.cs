namespace Geo.Gdal.Tests;

[Collection(GdalCollection.Name)]
public sealed class GdalAppsTests(Samples samples) : LeakCheckedTest(samples)
{
    [Fact]
    public void Translate_to_memory_with_scaling_and_subwindow()
    {
        using var source = GdalDataset.Open(Samples.Valid).Value;

        using var copy = GdalApps.Translate(source, "", ["-of", "MEM", "-srcwin", "10", "20", "32", "16", "-scale", "0", "255", "0", "127"]).Value;

        Assert.Equal((32, 16, 3), (copy.Width, copy.Height, copy.BandCount));
        var row = new byte[32];
        Assert.True(copy.ReadBlock(1, 0, 0, 32, 1, row).IsOk);
        Assert.Equal(Math.Round(Samples.GradientValue(1, 15, 20) * 127 / 255.0), row[5], 1.0);
        Assert.Equal(393205, copy.GeoTransform!.Value.OriginX);
    }

    [Fact]
    public void Warp_reprojects_to_web_mercator()
    {
        using var source = GdalDataset.Open(Samples.Valid).Value;

        using var warped = GdalApps.Warp([source], "", ["-of", "MEM", "-t_srs", "EPSG:3857", "-r", "bilinear"]).Value;

        Assert.Equal(3857, warped.Crs!.Epsg);
        var (x, _) = warped.GeoTransform!.Value.Apply(0, 0);
        Assert.InRange(x, 12_560_000, 12_565_000); // 112.84°E in Web Mercator metres
    }

    [Fact]
    public void A_bad_argument_is_a_usage_failure()
    {
        using var source = GdalDataset.Open(Samples.Valid).Value;

        var result = GdalApps.Translate(source, "", ["-of", "MEM", "-no-such-switch"]);

        Assert.Equal(GdalFailureCodes.UtilityUsage, result.Failure.Code);
    }

    [Fact]
    public void Translate_writes_a_geotiff_that_passes_inspection()
    {
        using var source = GdalDataset.Open(Samples.Valid).Value;
        var dest = Samples.PathOf($"copy-{Guid.NewGuid():N}.tif");

        GdalApps.Translate(source, dest, ["-of", "GTiff", "-co", "COMPRESS=ZSTD", "-co", "TILED=YES"]).Value.Dispose();

        var facts = SurveyInspector.Inspect(dest).Value;
        Assert.Equal("ZSTD", facts.Compression);
        Assert.Equal(4547, facts.Epsg);
    }
}
