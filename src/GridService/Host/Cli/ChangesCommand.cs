using System.CommandLine;
using System.Globalization;
using Geo.ChangeDetect;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// <c>geo changes detect-pairs --before DIR --after DIR --out DIR [--gsd METRES] [--all-land-cover]</c>: change masks for folders of
/// same-named image pairs (the format public change-detection sets are scored in). Thin edge over
/// <see cref="PairFolderDetection"/>.
/// </summary>
internal static class ChangesCommand
{
    public static Command Build()
    {
        var before = new Option<string>("--before") { Description = "Folder of before images (PNG, JPEG or GeoTIFF, 8-bit RGB)", Required = true };
        var after = new Option<string>("--after") { Description = "Folder of after images with the same file names", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the 0/255 PNG masks (same base names)", Required = true };
        var gsd = new Option<double>("--gsd") { Description = "Ground sample distance in metres (sets the 20 m² minimum object size in pixels)", DefaultValueFactory = _ => 0.5 };
        var allLandCover = new Option<bool>("--all-land-cover")
        {
            Description = "Keep every changed land cover (lawns, soil, shadows); by default changes are cut down to newly built surfaces",
        };
        var detect = new Command("detect-pairs", "Detect change between same-named before/after images and write masks") { before, after, output, gsd, allLandCover };
        detect.SetAction((pr, ct) =>
        {
            var options = ChangeDetectionOptions.Default with
            {
                GroundSampleDistance = pr.GetValue(gsd), BuiltSurfacesOnly = !pr.GetValue(allLandCover),
            };
            var beforeDir = pr.GetValue(before)!;
            var afterDir = pr.GetValue(after)!;
            var outDir = pr.GetValue(output)!;
            var listed = PairFolderDetection.ListPairs(beforeDir, afterDir);
            if (!listed.IsOk) return Task.FromResult(CliOutput.Fail(listed.Failures));

            Geo.Spatial.Failures.Result<PairFolderSummary> result = default;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask("变化检测 change detection", maxValue: listed.Value.Count);
                result = PairFolderDetection.Run(beforeDir, afterDir, outDir, options, _ => task.Increment(1), ct);
            });
            if (!result.IsOk) return Task.FromResult(CliOutput.Fail(result.Failures));
            var s = result.Value;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Pairs} pairs, {s.Objects} changed objects, {s.ChangedFraction:P1} of pixels changed; masks in {Path.GetFullPath(outDir)}"));
            return Task.FromResult(0);
        });
        return new Command("changes", "Change detection between surveys or image pairs")
            { detect, ChangesSurveysCommand.Build(), ChangesSurveysCommand.BuildScore(), FindingsCli.RunCommand() };
    }
}
