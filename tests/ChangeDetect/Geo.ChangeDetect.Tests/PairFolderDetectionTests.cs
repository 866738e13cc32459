using System.Diagnostics;
using Geo.Gdal;
using OpenCvSharp;

namespace Geo.ChangeDetect.Tests;

/// <summary>Folders of real image files (written here with OpenCV's encoder and GDAL's tools), read back through GDAL.</summary>
public sealed class PairFolderDetectionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("geo-changes-tests-").FullName;

    private string Before => Path.Combine(_root, "A");
    private string After => Path.Combine(_root, "B");
    private string Out => Path.Combine(_root, "out");

    public PairFolderDetectionTests()
    {
        Directory.CreateDirectory(Before);
        Directory.CreateDirectory(After);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void WritePair(string name, int seed, bool building)
    {
        using var before = SyntheticScene.Ground(128, seed);
        using var after = before.Clone();
        if (building) SyntheticScene.DrawBuilding(after, new Rect(60, 40, 30, 24));
        WriteRgb(Path.Combine(Before, name), before);
        WriteRgb(Path.Combine(After, name), after);
    }

    private static void WriteRgb(string path, Mat rgb)
    {
        using var bgr = new Mat();
        Cv2.CvtColor(rgb, bgr, ColorConversionCodes.RGB2BGR);
        Assert.True(Cv2.ImWrite(path, bgr));
    }

    [Fact]
    public void Masks_are_written_with_the_same_names_as_0_255_pngs()
    {
        WritePair("p1.png", 31, building: true);
        WritePair("p2.png", 32, building: false);

        var r = PairFolderDetection.Run(Before, After, Out, ChangeDetectionOptions.Default);

        Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
        Assert.Equal(2, r.Value.Pairs);
        Assert.Equal(["p1.png", "p2.png"], Directory.GetFiles(Out).Select(Path.GetFileName).Order());
        var mask = GdalImageReader.Read(Path.Combine(Out, "p1.png"));
        Assert.True(mask.IsOk);
        Assert.All(mask.Value.Pixels, v => Assert.True(v is 0 or 255));
        Assert.Contains(mask.Value.Pixels, v => v == 255);
        Assert.Empty(Directory.GetDirectories(Out)); // no staging folder left behind
    }

    [Fact]
    public void A_missing_folder_is_not_found()
    {
        var r = PairFolderDetection.Run(Path.Combine(_root, "nope"), After, Out, ChangeDetectionOptions.Default);
        Assert.Equal(ChangeFailureCodes.DirectoryMissing, r.Failure.Code);
    }

    [Fact]
    public void Folders_without_common_names_have_no_pairs()
    {
        using var img = SyntheticScene.Ground(64, 1);
        WriteRgb(Path.Combine(Before, "x.png"), img);
        WriteRgb(Path.Combine(After, "y.png"), img);
        Assert.Equal(ChangeFailureCodes.NoPairs, PairFolderDetection.Run(Before, After, Out, ChangeDetectionOptions.Default).Failure.Code);
    }

    [Fact]
    public void A_size_mismatch_fails_the_whole_run_and_writes_no_mask()
    {
        WritePair("good.png", 33, building: true);
        using var small = SyntheticScene.Ground(96, 34);
        using var big = SyntheticScene.Ground(128, 34);
        WriteRgb(Path.Combine(Before, "odd.png"), big);
        WriteRgb(Path.Combine(After, "odd.png"), small);

        var r = PairFolderDetection.Run(Before, After, Out, ChangeDetectionOptions.Default);

        Assert.False(r.IsOk);
        Assert.Equal(ChangeFailureCodes.SizeMismatch, r.Failure.Code);
        Assert.Equal("odd.png", r.Failure.Location);
        Assert.Empty(Directory.GetFileSystemEntries(Out));
    }

    [Fact]
    public void An_unreadable_image_is_named()
    {
        WritePair("good.png", 35, building: false);
        File.WriteAllText(Path.Combine(Before, "broken.png"), "not a png at all");
        File.Copy(Path.Combine(After, "good.png"), Path.Combine(After, "broken.png"));

        var r = PairFolderDetection.Run(Before, After, Out, ChangeDetectionOptions.Default);

        Assert.Equal(ChangeFailureCodes.ImageUnreadable, r.Failure.Code);
        Assert.Equal("before/broken.png", r.Failure.Location);
    }

    [Fact]
    public void A_truncated_png_is_unreadable_not_a_crash()
    {
        using var img = SyntheticScene.Ground(128, 36);
        var path = Path.Combine(Before, "cut.png");
        WriteRgb(path, img);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var r = GdalImageReader.Read(path);

        Assert.False(r.IsOk);
        Assert.Equal(ChangeFailureCodes.ImageUnreadable, r.Failure.Code);
    }

    [Fact]
    public void GDAL_reads_a_JPEG_compressed_GeoTIFF_after_an_OpenCV_call()
    {
        // OpenCV's native library is loaded and used first; GDAL (loaded earlier by the module initializer) must
        // still decode JPEG-in-TIFF with its own libjpeg (PITFALLS: the other order segfaults).
        using var img = SyntheticScene.Ground(128, 37);
        using var blurred = new Mat();
        Cv2.GaussianBlur(img, blurred, new Size(5, 5), 1.0);
        var png = Path.Combine(_root, "src.png");
        WriteRgb(png, blurred);
        var tif = Path.Combine(_root, "jpeg.tif");
        var psi = new ProcessStartInfo("gdal_translate") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "-of", "GTiff", "-co", "COMPRESS=JPEG", "-co", "PHOTOMETRIC=YCBCR", "-co", "TILED=YES",
                     "-a_srs", "EPSG:4547", "-a_ullr", "393200", "3782000", "393264", "3781936", png, tif })
        {
            psi.ArgumentList.Add(a);
        }

        using (var p = Process.Start(psi)!)
        {
            p.WaitForExit(60_000);
            Assert.Equal(0, p.ExitCode);
        }

        using (var ds = GdalDataset.Open(tif).Value)
        {
            Assert.Contains("JPEG", ds.Compression);
        }

        var r = GdalImageReader.Read(tif);

        Assert.True(r.IsOk);
        var expected = MatSpan.Bytes(blurred);
        var maxError = 0;
        for (var i = 0; i < expected.Length; i++) maxError = Math.Max(maxError, Math.Abs(expected[i] - r.Value.Pixels[i]));
        Assert.InRange(maxError, 0, 60); // lossy JPEG, but the same picture
    }
}
