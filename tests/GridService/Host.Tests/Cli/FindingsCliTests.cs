using System.Diagnostics;
using Geo.Surveys.Synthetic;

namespace Geo.GridService.Host.Tests.Cli;

/// <summary>
/// <c>geo permits</c>, <c>geo findings</c> and <c>geo changes run</c> as users run them: a real process on a real store,
/// with the product's detector (the survey pipeline), including a run killed with SIGKILL in the middle.
/// </summary>
public sealed class FindingsCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "geo-findings-cli-" + Guid.NewGuid().ToString("N")[..8]);
    private string Store => Path.Combine(_dir, "geo.gpkg");

    public FindingsCliTests() => Directory.CreateDirectory(_dir);

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
        p.WaitForExit(300_000);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Permits_import_reports_every_bad_feature_then_imports_a_good_file()
    {
        var bad = Path.Combine(_dir, "bad.geojson");
        File.WriteAllText(bad, """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"holder":"甲","valid_from":"2026-01-01"},"geometry":{"type":"Polygon","coordinates":[[[112.84,34.16],[112.841,34.16],[112.841,34.161],[112.84,34.16]]]}},
             {"type":"Feature","properties":{"number":"P-2","holder":"乙"},"geometry":{"type":"Point","coordinates":[112.84,34.16]}}]}
            """);
        var r = Geo("permits", "import", bad, "--store", Store);
        Assert.Equal(3, r.Exit);
        Assert.Contains("permit_number_missing", r.Err);
        Assert.Contains("(at feature 1)", r.Err);
        Assert.Contains("permit_date_missing", r.Err);
        Assert.Contains("permit_geometry_invalid", r.Err);
        Assert.Equal("", Geo("permits", "list", "--store", Store).Out);

        var good = Path.Combine(_dir, "good.geojson");
        File.WriteAllText(good, """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"许可证号":"汝建许[2026]7","建设单位":"甲公司","起始日期":"2026-01-01"},"geometry":{"type":"Polygon","coordinates":[[[112.84,34.16],[112.841,34.16],[112.841,34.161],[112.84,34.161],[112.84,34.16]]]}}]}
            """);
        var ok = Geo("permits", "import", good, "--store", Store);
        Assert.True(ok.Exit == 0, ok.Err);
        Assert.Contains("imported 1 permits", ok.Out);
        Assert.Contains("汝建许[2026]7\t甲公司\t2026-01-01\t-\tgood.geojson", Geo("permits", "list", "--store", Store).Out);
    }

    [Fact]
    public void Changes_run_with_the_installed_pipeline_stores_one_succeeded_run_and_its_findings()
    {
        var pair = SyntheticSurveys.Generate(Path.Combine(_dir, "pair"), new SyntheticOptions(SizePx: 512, Seed: 3, GsdMetres: 0.5));
        var a = Geo("surveys", "add", pair.Epoch1, "--name", "前期", "--date", "2026-04-01", "--dsm", pair.Epoch1Dsm, "--store", Store);
        Assert.True(a.Exit == 0, a.Err);
        var b = Geo("surveys", "add", pair.Epoch2, "--name", "后期", "--date", "2026-06-01", "--dsm", pair.Epoch2Dsm, "--store", Store);
        Assert.True(b.Exit == 0, b.Err);
        var before = a.Out.Split('\t')[0];
        var after = b.Out.Split('\t')[0];

        var missing = Geo("changes", "run", "--before", "0123456789abcdef", "--after", after, "--store", Store);
        Assert.Equal(4, missing.Exit);
        Assert.Contains("survey_not_found", missing.Err);
        Assert.Equal("", Geo("findings", "runs", "--store", Store).Out);

        // The real detector (FindingsServices.AddDetector) runs in this process; its findings are stored with the run.
        var run = Geo("changes", "run", "--before", before, "--after", after, "--wait", "--store", Store);
        Assert.True(run.Exit == 0, run.Err);
        var runs = Geo("findings", "runs", "--store", Store).Out.Trim().Split('\n');
        var fields = Assert.Single(runs).Split('\t');
        Assert.Equal("succeeded", fields[1]);
        var stored = int.Parse(fields[3].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        var listed = Geo("findings", "list", "--run", fields[0], "--store", Store).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(stored, listed.Length);
        Assert.True(Geo("findings", "export", "--run", fields[0], "--out", Path.Combine(_dir, "run.geojson"), "--store", Store).Exit == 0);

        var export = Geo("findings", "export", "--run", "nope", "--out", Path.Combine(_dir, "x.geojson"), "--store", Store);
        Assert.Equal(4, export.Exit);
        Assert.Contains("run_not_found", export.Err);
        var review = Geo("findings", "review", "nope", "--decision", "confirm", "--store", Store);
        Assert.Equal(4, review.Exit);
        Assert.Equal(2, Geo("findings", "list", "--kind", "house", "--store", Store).Exit);
    }

    [Fact]
    public async Task A_run_killed_mid_way_leaves_no_finding_and_is_failed_by_the_next_start()
    {
        // Large enough that the pipeline runs for seconds after the run row is written (4096² px with DSMs).
        var pair = SyntheticSurveys.Generate(Path.Combine(_dir, "pair"), new SyntheticOptions(SizePx: 4096, Seed: 11, GsdMetres: 0.1));
        var a = Geo("surveys", "add", pair.Epoch1, "--name", "前期", "--date", "2026-04-01", "--dsm", pair.Epoch1Dsm, "--store", Store);
        Assert.True(a.Exit == 0, a.Err);
        var b = Geo("surveys", "add", pair.Epoch2, "--name", "后期", "--date", "2026-06-01", "--dsm", pair.Epoch2Dsm, "--store", Store);
        Assert.True(b.Exit == 0, b.Err);
        var before = a.Out.Split('\t')[0];
        var after = b.Out.Split('\t')[0];

        // The CLI prints the run's id once its row is stored (state running), then works; SIGKILL lands mid-pipeline.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "geo.dll"));
        foreach (var arg in new[] { "changes", "run", "--before", before, "--after", after, "--wait", "--store", Store }) psi.ArgumentList.Add(arg);
        string killedRun;
        using (var p = Process.Start(psi)!)
        {
            _ = p.StandardError.ReadToEndAsync();
            killedRun = (await p.StandardOutput.ReadLineAsync())?.Trim() ?? "";
            Assert.StartsWith("r", killedRun);
            await Task.Delay(150);
            Assert.False(p.HasExited, "the run ended before it could be killed");
            p.Kill(); // SIGKILL: no clean-up code of the process runs
            await p.WaitForExitAsync();
            var rest = await p.StandardOutput.ReadToEndAsync();
            Assert.DoesNotContain("succeeded", rest);
        }

        Assert.Empty(Geo("findings", "list", "--run", killedRun, "--store", Store).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("succeeded", Geo("findings", "runs", "--store", Store).Out);

        // The next run's start marks the killed one failed; it runs to the end and stores its findings.
        var again = Geo("changes", "run", "--before", before, "--after", after, "--wait", "--store", Store);
        Assert.True(again.Exit == 0, again.Err);
        var runs = Geo("findings", "runs", "--store", Store).Out.Trim().Split('\n').Select(l => l.Split('\t')).ToArray();
        Assert.Equal(2, runs.Length);
        Assert.Equal("failed", runs.Single(r => r[0] == killedRun)[1]);
        var done = runs.Single(r => r[0] != killedRun);
        Assert.Equal("succeeded", done[1]);
        Assert.NotEmpty(Geo("findings", "list", "--run", done[0], "--store", Store).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(Geo("findings", "list", "--run", killedRun, "--store", Store).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
