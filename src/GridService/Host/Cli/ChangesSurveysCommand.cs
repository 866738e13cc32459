using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Geo.ChangeDetect.Findings;
using Geo.ChangeDetect.Surveys;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// <c>geo changes detect-surveys --before-ortho F --after-ortho F [--before-dsm F --after-dsm F] --out F.geojson</c>:
/// the survey-pair pipeline without the store, for evaluation. Writes the candidates as RFC 7946 GeoJSON (EPSG:4326,
/// lon/lat) with kind, area (m², in EPSG:4547), mean/max height change and confidence. <c>--decode-only</c> only reads
/// every pixel of the inputs (the decode limit the benchmark compares against).
/// </summary>
internal static class ChangesSurveysCommand
{
    public static Command Build()
    {
        var beforeOrtho = new Option<string>("--before-ortho") { Description = "Earlier orthophoto (GeoTIFF/COG, RGB or RGBA)", Required = true };
        var afterOrtho = new Option<string>("--after-ortho") { Description = "Later orthophoto, same CRS and GSD", Required = true };
        var beforeDsm = new Option<string?>("--before-dsm") { Description = "Earlier DSM (one band of heights, metres)" };
        var afterDsm = new Option<string?>("--after-dsm") { Description = "Later DSM (give both DSMs or neither)" };
        var output = new Option<string?>("--out") { Description = "GeoJSON file for the candidates (EPSG:4326)" };
        var area = new Option<string?>("--area-wkt") { Description = "Limit to this polygon, WKT in EPSG:4490 (lon lat)" };
        var minArea = new Option<double>("--min-area") { Description = "Smallest object, m²", DefaultValueFactory = _ => 20 };
        var workers = new Option<int>("--workers") { Description = "Worker threads (0: all cores)", DefaultValueFactory = _ => 0 };
        var decodeOnly = new Option<bool>("--decode-only") { Description = "Benchmark peer: only read every pixel of the inputs, write nothing" };
        var cmd = new Command("detect-surveys", "Detect changes between two surveys (orthophotos, DSMs) and write candidate polygons")
            { beforeOrtho, afterOrtho, beforeDsm, afterDsm, output, area, minArea, workers, decodeOnly };
        cmd.SetAction((pr, ct) =>
        {
            var paths = new[] { pr.GetValue(beforeOrtho)!, pr.GetValue(afterOrtho)!, pr.GetValue(beforeDsm), pr.GetValue(afterDsm) };
            var nWorkers = pr.GetValue(workers) > 0 ? pr.GetValue(workers) : Environment.ProcessorCount;
            var clock = Stopwatch.StartNew();
            if (pr.GetValue(decodeOnly))
            {
                var read = DecodeLimit.ReadAll(paths.OfType<string>().ToList(), nWorkers, ct);
                if (!read.IsOk) return Task.FromResult(CliOutput.Fail(read.Failures));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"decoded {read.Value} px in {clock.Elapsed.TotalSeconds:0.00} s"));
                return Task.FromResult(0);
            }

            if (pr.GetValue(output) is not { } outPath)
                return Task.FromResult(CliOutput.Fail(Failure.BadRequest("bad_parameter", "--out is required.", "--out")));
            Geometry? limit = null;
            if (pr.GetValue(area) is { } wkt)
            {
                try { limit = new NetTopologySuite.IO.WKTReader().Read(wkt); }
                catch (Exception e) when (e is NetTopologySuite.IO.ParseException or ArgumentException)
                {
                    return Task.FromResult(CliOutput.Fail(Failure.BadRequest("bad_parameter", "--area-wkt is not valid WKT.", "--area-wkt")));
                }
            }

            var detector = new SurveyPairDetector(SurveyDetectionOptions.Default with { MinAreaSquareMetres = pr.GetValue(minArea), Workers = pr.GetValue(workers) });
            var input = new SurveyPairInput(paths[0]!, paths[2], paths[1]!, paths[3], limit);
            Result<IReadOnlyList<ChangeCandidate>> result = default;
            if (Console.IsErrorRedirected)
            {
                result = detector.Detect(input, null, ct);
            }
            else
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                console.Progress().AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("变化检测 change detection", maxValue: 100);
                        result = detector.Detect(input, new Sync(p => task.Value = Math.Max(task.Value, p.Fraction * 100)), ct);
                    });
            }

            if (!result.IsOk) return Task.FromResult(CliOutput.Fail(result.Failures));
            WriteGeoJson(outPath, result.Value);
            var kinds = string.Join(", ", result.Value.GroupBy(c => c.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Value.Count} candidates ({(kinds.Length == 0 ? "none" : kinds)}) in {clock.Elapsed.TotalSeconds:0.00} s; written to {Path.GetFullPath(outPath)}"));
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary><c>geo changes score-surveys --dir DIR [--truth DIR]</c>: runs the pipeline on a generated pair
    /// (epoch1/epoch2 orthos and DSMs) with and without DSMs and scores it against the generator's truth.</summary>
    public static Command BuildScore()
    {
        var dir = new Option<string>("--dir") { Description = "Folder of a generated pair (epoch1.tif, epoch2.tif, epoch1_dsm.tif, epoch2_dsm.tif)", Required = true };
        var truthDir = new Option<string?>("--truth") { Description = "Folder with truth.geojson and truth_mask.tif (default: --dir)" };
        var cmd = new Command("score-surveys", "Score detect-surveys on a synthetic pair with truth (object recall/precision, pixel F1), with and without DSMs") { dir, truthDir };
        cmd.SetAction((pr, ct) =>
        {
            var d = pr.GetValue(dir)!;
            var t = pr.GetValue(truthDir) ?? d;
            Console.WriteLine("mode\ttruth>=20m2\tfound\trecall\tcandidates\tcorrect\tprecision\tpixelP\tpixelR\tpixelF1\tseconds");
            foreach (var dsm in new[] { true, false })
            {
                var clock = Stopwatch.StartNew();
                var input = new SurveyPairInput(Path.Combine(d, "epoch1.tif"), dsm ? Path.Combine(d, "epoch1_dsm.tif") : null,
                    Path.Combine(d, "epoch2.tif"), dsm ? Path.Combine(d, "epoch2_dsm.tif") : null, null);
                var result = new SurveyPairDetector().Detect(input, null, ct);
                if (!result.IsOk) return Task.FromResult(CliOutput.Fail(result.Failures));
                var secs = clock.Elapsed.TotalSeconds;
                var s = SurveyScoring.Score(result.Value, t);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(dsm ? "ortho+DSM" : "ortho only")}\t{s.TruthObjects}\t{s.Detected}\t{s.Recall:P1}\t{s.Candidates}\t{s.Correct}\t{s.Precision:P1}\t{s.PixelPrecision:P1}\t{s.PixelRecall:P1}\t{s.PixelF1 * 100:0.0}\t{secs:0.0}"));
            }

            return Task.FromResult(0);
        });
        return cmd;
    }

    private static void WriteGeoJson(string path, IReadOnlyList<ChangeCandidate> candidates)
    {
        var sb = new StringBuilder("{\"type\":\"FeatureCollection\",\"name\":\"change_candidates\",\"features\":[\n");
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            var wgs = CoordinateConverter.Transform(c.Polygon, c.Crs, CrsId.Wgs84);
            var area = (c.Crs == CrsId.Cgcs2000GK114 ? c.Polygon : CoordinateConverter.Transform(c.Polygon, c.Crs, CrsId.Cgcs2000GK114)).Area;
            string N(double? v) => v is { } x ? x.ToString("0.##", CultureInfo.InvariantCulture) : "null";
            if (i > 0) sb.Append(",\n");
            sb.Append(CultureInfo.InvariantCulture,
                $"{{\"type\":\"Feature\",\"properties\":{{\"id\":{i + 1},\"kind\":\"{c.Kind}\",\"areaM2\":{N(area)},\"meanDh\":{N(c.MeanDh)},\"maxDh\":{N(c.MaxDh)},\"confidence\":{N(c.Confidence)}}},\"geometry\":");
            AppendPolygon(sb, (Polygon)wgs);
            sb.Append('}');
        }

        sb.Append("\n]}\n");
        var tmp = path + ".partial";
        File.WriteAllText(tmp, sb.ToString(), new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    private static void AppendPolygon(StringBuilder sb, Polygon p)
    {
        sb.Append("{\"type\":\"Polygon\",\"coordinates\":[");
        var rings = new[] { p.ExteriorRing }.Concat(p.InteriorRings).ToList();
        for (var r = 0; r < rings.Count; r++)
        {
            if (r > 0) sb.Append(',');
            sb.Append('[');
            var cs = rings[r].Coordinates;
            for (var i = 0; i < cs.Length; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(CultureInfo.InvariantCulture, $"[{Math.Round(cs[i].X, 9)},{Math.Round(cs[i].Y, 9)}]");
            }

            sb.Append(']');
        }

        sb.Append("]}");
    }

    private sealed class Sync(Action<DetectionProgress> report) : IProgress<DetectionProgress>
    {
        public void Report(DetectionProgress value) => report(value);
    }
}
