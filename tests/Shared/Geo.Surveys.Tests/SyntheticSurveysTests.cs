using System.Security.Cryptography;
using System.Text.Json;
using Geo.Gdal;
using Geo.Gdal.Tests;
using Geo.Surveys.Synthetic;
using OpenCvSharp;

namespace Geo.Surveys.Tests;

[Collection(SurveyCollection.Name)]
public sealed class SyntheticSurveysTests(SurveyFixture fixture)
{
    [Fact]
    public void The_same_seed_gives_the_same_files()
    {
        var dir = Path.Combine(fixture.Samples.Root, "again");
        var again = SyntheticSurveys.Generate(dir, new SyntheticOptions(SizePx: 1024, Seed: 7, GsdMetres: 0.2, Plain: true));
        foreach (var (a, b) in new[] { (fixture.Pair.Epoch1, again.Epoch1), (fixture.Pair.Epoch2Dsm, again.Epoch2Dsm), (fixture.Pair.TruthMask, again.TruthMask), (fixture.Pair.TruthGeoJson, again.TruthGeoJson) })
        {
            Assert.Equal(Hash(a), Hash(b));
        }
    }

    [Fact]
    public void Another_seed_gives_another_town()
    {
        var other = SyntheticSurveys.Generate(Path.Combine(fixture.Samples.Root, "seed8"), new SyntheticOptions(SizePx: 512, Seed: 8, GsdMetres: 0.4, Plain: true));
        Assert.NotEqual(Hash(fixture.Pair.TruthGeoJson), Hash(other.TruthGeoJson));
    }

    [Fact]
    public void Every_file_is_georeferenced_in_epsg_4547_at_the_stated_resolution()
    {
        foreach (var (path, gsd) in new[] { (fixture.Pair.Epoch1, 0.2), (fixture.Pair.Epoch2, 0.2), (fixture.Pair.Epoch1Dsm, 0.8), (fixture.Pair.TruthMask, 0.2) })
        {
            var facts = SurveyInspector.Inspect(path);
            Assert.True(facts.IsOk, path + ": " + (facts.IsOk ? "" : facts.Failure.ToString()));
            Assert.Equal(4547, facts.Value.Epsg);
            Assert.Equal(gsd, facts.Value.GsdXMetres, 3);
        }
    }

    [Fact]
    public void The_truth_names_every_planted_kind_and_gdal_reads_it()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(fixture.Pair.TruthGeoJson));
        var kinds = doc.RootElement.GetProperty("features").EnumerateArray()
            .Select(f => f.GetProperty("properties").GetProperty("kind").GetString()).ToHashSet();
        Assert.Contains("new_building", kinds);
        Assert.Contains("enclosure", kinds);
        Assert.Contains("rooftop_addition", kinds);
        var info = Cli.Run("ogrinfo", "-ro", "-so", "-al", fixture.Pair.TruthGeoJson);
        Assert.Contains($"Feature Count: {fixture.Pair.ChangeCount}", info);
    }

    [Fact]
    public void The_truth_mask_marks_each_change_and_nothing_else()
    {
        using var mask = GdalDataset.Open(fixture.Pair.TruthMask).Value;
        var pixels = new byte[mask.Width * mask.Height];
        Assert.True(mask.ReadBlock(1, 0, 0, mask.Width, mask.Height, pixels).IsOk);
        var values = pixels.Distinct().Order().ToArray();
        Assert.Equal(new byte[] { 0, 1, 2, 3 }, values);
        var changed = pixels.Count(p => p != 0) / (double)pixels.Length;
        Assert.InRange(changed, 0.005, 0.2);
    }

    [Fact]
    public void The_later_epoch_differs_in_light_and_is_shifted()
    {
        using var a = GdalDataset.Open(fixture.Pair.Epoch1).Value;
        using var b = GdalDataset.Open(fixture.Pair.Epoch2).Value;
        var pa = new byte[a.Width * a.Height];
        var pb = new byte[b.Width * b.Height];
        a.ReadBlock(3, 0, 0, a.Width, a.Height, pa);
        b.ReadBlock(3, 0, 0, b.Width, b.Height, pb);
        Assert.True(pb.Average(v => (double)v) < pa.Average(v => (double)v) - 5, "epoch 2's blue band should be darker (another sun)");
    }

    /// <summary>PITFALLS: OpenCV loaded before GDAL made GDAL crash on JPEG GeoTIFFs. This assembly loads GDAL first.</summary>
    [Fact]
    public void Gdal_reads_a_jpeg_compressed_geotiff_after_an_opencv_call()
    {
        using (var m = new Mat(64, 64, MatType.CV_8UC3, new Scalar(10, 200, 30)))
        {
            Assert.NotEmpty(m.ImEncode(".jpg"));
        }

        var cog = Path.Combine(fixture.Samples.Root, "jpeg-after-opencv.tif");
        Cli.Run("gdal_translate", "-q", "-of", "COG", "-co", "COMPRESS=JPEG", fixture.Samples.Jpeg, cog);
        using var ds = GdalDataset.Open(cog).Value;
        Assert.Equal("YCbCr JPEG", ds.Compression);
        var pixels = new byte[ds.Width * ds.Height * 3];
        Assert.True(ds.ReadInterleaved([1, 2, 3], 0, 0, ds.Width, ds.Height, pixels).IsOk);
        Assert.Contains(pixels, p => p != 0);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
