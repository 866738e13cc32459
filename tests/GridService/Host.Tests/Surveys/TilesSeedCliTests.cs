using System.Diagnostics;
using System.Text.Json;

namespace Geo.GridService.Host.Tests.Surveys;

/// <summary><c>geo tiles seed --survey ID ... --out FILE.mbtiles</c> end to end, read back by GDAL.</summary>
public sealed class TilesSeedCliTests(UploadFiles files) : IClassFixture<UploadFiles>
{
    [Fact]
    public void Seeding_a_registered_survey_into_mbtiles_at_512_px_gives_a_file_gdal_reads_with_its_zooms()
    {
        var dir = Directory.CreateTempSubdirectory("geo-seed-cli-").FullName;
        try
        {
            var store = Path.Combine(dir, "geo.gpkg");
            var (code, added, _) = Geo("surveys", "add", files.Pair.Epoch1, "--name", "seed", "--date", "2026-05-01", "--store", store);
            Assert.Equal(0, code);
            var id = added.Split('\t')[0];
            var mbtiles = Path.Combine(dir, "out.mbtiles");
            var (seeded, output, err) = Geo("tiles", "seed", "--survey", id, "--zooms", "16-19", "--format", "jpeg", "--size", "512",
                "--out", mbtiles, "--store", store);
            Assert.True(seeded == 0, err);
            Assert.Contains("tiles written", output);
            var info = JsonDocument.Parse(Run("gdalinfo", "-json", mbtiles)).RootElement;
            Assert.Equal("MBTiles", info.GetProperty("driverShortName").GetString());
            var md = info.GetProperty("metadata").GetProperty("");
            Assert.Equal("jpg", md.GetProperty("format").GetString());
            Assert.Equal("16", md.GetProperty("minzoom").GetString());
            Assert.Equal("19", md.GetProperty("maxzoom").GetString());
            Assert.Equal("19", md.GetProperty("ZOOM_LEVEL").GetString());
            Assert.Equal(512, info.GetProperty("bands")[0].GetProperty("block")[0].GetInt32());
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("--size", "300")]
    [InlineData("--zooms", "18-12")]
    [InlineData("--format", "gif")]
    public void Bad_seed_arguments_are_one_line_and_exit_2(string option, string value)
    {
        var (code, _, err) = Geo("tiles", "seed", "--file", files.Pair.Epoch1, "--out", Path.Combine(Path.GetTempPath(), "never.mbtiles"), option, value);
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
    }

    private static (int Code, string Out, string Err) Geo(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "geo.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, errTask.Result);
    }

    private static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool}: {p.StandardError.ReadToEnd()}");
        return output;
    }
}
