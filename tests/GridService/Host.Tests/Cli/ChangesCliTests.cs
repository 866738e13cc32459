using System.Diagnostics;
using Geo.ChangeDetect;
using OpenCvSharp;

namespace Geo.GridService.Host.Tests.Cli;

/// <summary><c>geo changes detect-pairs</c> as users run it: a real process on generated PNG folders.</summary>
public sealed class ChangesCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("geo-changes-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static (int Exit, string Out, string Err) Geo(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "geo.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(120_000);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Smoothed noise ground (seeded) with, in the after image, a grey 15 m x 12 m roof at 0.5 m.</summary>
    private (string Before, string After) Pair(int size = 128, int afterSize = 128)
    {
        var before = Path.Combine(_dir, "A");
        var after = Path.Combine(_dir, "B");
        Directory.CreateDirectory(before);
        Directory.CreateDirectory(after);
        using var noise = new Mat(size, size, MatType.CV_8UC3);
        Cv2.Randu(noise, Scalar.All(60), Scalar.All(200));
        using var ground = new Mat();
        Cv2.GaussianBlur(noise, ground, new Size(0, 0), 2.0);
        Assert.True(Cv2.ImWrite(Path.Combine(before, "tile.png"), ground));
        using var changed = new Mat();
        Cv2.Resize(ground, changed, new Size(afterSize, afterSize));
        Cv2.Rectangle(changed, new Rect(40, 40, 30, 24), Scalar.All(210), -1);
        Assert.True(Cv2.ImWrite(Path.Combine(after, "tile.png"), changed));
        return (before, after);
    }

    [Fact]
    public void Detect_pairs_writes_a_mask_per_pair()
    {
        var (before, after) = Pair();
        var output = Path.Combine(_dir, "out");

        var r = Geo("changes", "detect-pairs", "--before", before, "--after", after, "--out", output, "--gsd", "0.5");

        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("1 pairs", r.Out);
        var mask = GdalImageReader.Read(Path.Combine(output, "tile.png"));
        Assert.True(mask.IsOk);
        var changedCentre = mask.Value.Pixels[(52 * 128 + 55) * 3];
        Assert.Equal(255, changedCentre);
    }

    [Fact]
    public void A_missing_folder_is_one_line_and_exit_4()
    {
        var r = Geo("changes", "detect-pairs", "--before", Path.Combine(_dir, "none"), "--after", _dir, "--out", Path.Combine(_dir, "o"));

        Assert.Equal(4, r.Exit);
        Assert.StartsWith("error: directory_missing:", r.Err.Trim());
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void A_size_mismatch_is_one_line_and_exit_3()
    {
        var (before, after) = Pair(afterSize: 100);

        var r = Geo("changes", "detect-pairs", "--before", before, "--after", after, "--out", Path.Combine(_dir, "o"));

        Assert.Equal(3, r.Exit);
        Assert.Contains("error: size_mismatch:", r.Err);
        Assert.Contains("tile.png", r.Err);
    }

    [Fact]
    public void A_non_positive_gsd_is_a_bad_argument()
    {
        var (before, after) = Pair();

        var r = Geo("changes", "detect-pairs", "--before", before, "--after", after, "--out", Path.Combine(_dir, "o"), "--gsd", "0");

        Assert.Equal(2, r.Exit);
        Assert.Contains("bad_parameter", r.Err);
    }
}
