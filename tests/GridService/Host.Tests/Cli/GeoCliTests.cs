using System.Diagnostics;
using System.Text.Json;
using Geo.GridService.Host.Samples;

namespace Geo.GridService.Host.Tests.Cli;

/// <summary>The geo command as users run it: a real process, real files, exit codes and stderr.</summary>
public sealed class GeoCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "geo-cli-" + Guid.NewGuid().ToString("N")[..8]);
    private string Store => Path.Combine(_dir, "geo.gpkg");
    private string Samples => Path.Combine(_dir, "samples");

    public GeoCliTests() => Directory.CreateDirectory(_dir);

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

    private void Loaded()
    {
        Assert.Equal(0, Geo("samples", "generate", "--out", Samples).Exit);
        var load = Geo("samples", "load", "--dir", Samples, "--store", Store);
        Assert.True(load.Exit == 0, load.Err);
    }

    [Fact]
    public void Samples_generate_is_reproducible()
    {
        Assert.Equal(0, Geo("samples", "generate", "--out", Samples).Exit);
        var first = File.ReadAllBytes(Path.Combine(Samples, "grids.geojson"));
        Assert.Equal(0, Geo("samples", "generate", "--out", Samples).Exit);
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(Samples, "grids.geojson")));
    }

    [Fact]
    public void Samples_generate_writes_a_reproducible_census_of_at_least_20000_components()
    {
        Assert.Equal(0, Geo("samples", "generate", "--out", Samples).Exit);
        var first = File.ReadAllBytes(Path.Combine(Samples, "components.csv"));
        Assert.Equal(0, Geo("samples", "generate", "--out", Samples).Exit);
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(Samples, "components.csv")));
        var lines = File.ReadAllLines(Path.Combine(Samples, "components.csv"));
        Assert.True(lines.Length > 20_000);
        var classes = lines.Skip(1).Select(l => l.Split(',')[1]).Distinct().ToArray();
        Assert.Contains("0118", classes);    // lamps (points)
        Assert.Contains("0211", classes);    // fences (lines)
        Assert.Contains("0405", classes);    // green areas (polygons)
        Assert.True(classes.Length >= 10);
    }

    [Fact]
    public void Components_verbs_on_the_sample_census()
    {
        Loaded();
        var stats = Geo("components", "stats", "--store", Store, "--format", "csv");
        Assert.True(stats.Exit == 0, stats.Err);
        Assert.StartsWith("grid_code,class_code,class_name,status,count", stats.Out);
        var total = stats.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).Where(f => f[1] == "0118").Sum(f => long.Parse(f[4]));
        Assert.True(total > 5000);

        var p = RuzhouSamples.Grids()[5].Geometry.InteriorPoint.Coordinate;
        var near = Geo("components", "nearest", "--store", Store, "--x", p.X.ToString("R"), "--y", p.Y.ToString("R"), "--crs", "EPSG:4490", "--class", "0118", "--n", "3");
        Assert.True(near.Exit == 0, near.Err);
        var items = JsonDocument.Parse(near.Out).RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        Assert.True(items[0].GetProperty("distanceMetres").GetDouble() <= items[2].GetProperty("distanceMetres").GetDouble());

        var list = Geo("components", "list", "--store", Store, "--class", "0405", "--limit", "5");
        Assert.True(list.Exit == 0, list.Err);
        Assert.Equal(5, list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("--after", list.Err);

        var bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(bad, "code,x,y\n4104820101999001,112.845,34.167\n4104820101999002,1,1\n");
        var import = Geo("components", "import", bad, "--store", Store, "--crs", "EPSG:4490");
        Assert.Equal(3, import.Exit);
        Assert.Contains("outside_city", import.Err);
        Assert.Equal(4, Geo("components", "show", "4104820101999001", "--store", Store).Exit); // all or nothing: not stored

        var add = Geo("classes", "add", "--store", Store, "--code", "2101", "--major-name", "扩展部件", "--name", "防蚊闸");
        Assert.True(add.Exit == 0, add.Err);
        Assert.Contains("C2101", Geo("classes", "list", "--store", Store).Out);
    }

    [Fact]
    public void Ownership_of_one_point_prints_the_answer_as_json()
    {
        Loaded();
        var p = RuzhouSamples.Grids()[5].Geometry.InteriorPoint.Coordinate;
        var r = Geo("ownership", "--store", Store, "--x", p.X.ToString("R"), "--y", p.Y.ToString("R"), "--crs", "EPSG:4490", "--class", "C0118");
        Assert.True(r.Exit == 0, r.Err);
        var answer = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(RuzhouSamples.Grids()[5].Code, answer.GetProperty("grid").GetProperty("code").GetString());
        Assert.Equal("LD", answer.GetProperty("department").GetProperty("code").GetString()); // 路灯 -> 路灯管理所
    }

    [Fact]
    public void Ownership_of_a_csv_answers_every_row()
    {
        Loaded();
        var grids = RuzhouSamples.Grids();
        var input = Path.Combine(_dir, "points.csv");
        File.WriteAllLines(input, new[] { "id,x,y,class" }
            .Concat(grids.Select((g, i) => $"p{i},{g.Geometry.InteriorPoint.X:R},{g.Geometry.InteriorPoint.Y:R},E0101"))
            .Append("far,100,10,E0101").Append("bad,abc,1,"));
        var output = Path.Combine(_dir, "answers.csv");
        var r = Geo("ownership", "--store", Store, "--csv", input, "--crs", "EPSG:4490", "--out", output);
        Assert.True(r.Exit == 0, r.Err);
        var lines = File.ReadAllLines(output);
        Assert.Equal(grids.Count + 3, lines.Length);
        Assert.StartsWith($"p0,", lines[1]);
        Assert.Contains(grids[0].Code, lines[1]);
        Assert.EndsWith("outside_all_grids", lines[^2]);
        Assert.EndsWith("coordinate_invalid", lines[^1]);
    }

    [Theory]
    [InlineData(2, "ownership", "--x", "abc", "--y", "34")]
    [InlineData(2, "ownership", "--x", "112.8", "--y", "34", "--crs", "EPSG:9999")]
    [InlineData(4, "ownership", "--x", "100", "--y", "10")]
    public void Bad_input_gives_one_error_line_and_a_non_zero_exit(int exit, params string[] args)
    {
        Loaded();
        var r = Geo([.. args, "--store", Store]);
        Assert.Equal(exit, r.Exit);
        Assert.StartsWith("error: ", r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Validating_an_invalid_grid_file_lists_every_problem_and_exits_3()
    {
        var file = Path.Combine(_dir, "bad.geojson");
        File.WriteAllText(file, """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"code":"41048200100101","name":"甲"},"geometry":{"type":"Polygon","coordinates":[[[112.84,34.16],[112.85,34.17],[112.85,34.16],[112.84,34.17],[112.84,34.16]]]}},
             {"type":"Feature","properties":{"code":"123","name":"乙"},"geometry":{"type":"Polygon","coordinates":[[[112.86,34.16],[112.87,34.16],[112.87,34.17],[112.86,34.17],[112.86,34.16]]]}}
            ]}
            """);
        var r = Geo("grids", "validate", file, "--store", Store);
        Assert.Equal(3, r.Exit);
        Assert.Contains("self_intersection", r.Err);
        Assert.Contains("grid_code_format", r.Err);
    }

    [Fact]
    public void Import_then_export_to_geopackage_keeps_every_grid()
    {
        Loaded();
        var gpkg = Path.Combine(_dir, "out.gpkg");
        var r = Geo("grids", "export", "--store", Store, "--out", gpkg);
        Assert.True(r.Exit == 0, r.Err);
        var again = Path.Combine(_dir, "again.gpkg");
        Assert.Equal(0, Geo("grids", "import", gpkg, "--store", again, "--dry-run").Exit);
    }
}
