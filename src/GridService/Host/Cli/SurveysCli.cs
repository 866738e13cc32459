using System.CommandLine;
using System.Globalization;
using Geo.Gdal;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Http;
using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;
using Geo.Surveys;
using Geo.Surveys.Synthetic;
using Geo.Tiles;
using Geo.Tiles.Raster;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// <c>geo surveys add|list|remove|generate</c> (alias <c>survey</c>) and <c>geo tiles seed</c>. Long work shows a
/// Spectre progress bar on a terminal (stderr), plain lines otherwise.
/// </summary>
internal static class SurveysCli
{
    private static readonly Option<string?> SurveysDir = new("--surveys-dir")
    {
        Description = "Directory of survey COGs (env GEO_SURVEYS; default: surveys/ beside the store)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GEO_SURVEYS") is { Length: > 0 } s ? s : null,
    };

    public static Command Surveys(Option<string> storeOption)
    {
        var file = new Argument<string>("file") { Description = "GeoTIFF orthophoto (RGB or RGBA, 8-bit) in EPSG:4547, 4490, 4326 or 3857" };
        var name = new Option<string>("--name") { Description = "Survey name", Required = true };
        var date = new Option<string>("--date") { Description = "Flight date yyyy-MM-dd", Required = true };
        var dsm = new Option<string?>("--dsm") { Description = "The DSM (1 band of heights) flown with it" };
        var add = new Command("add", "Register a survey: check, convert to a COG with overviews, store") { file, name, date, dsm };
        add.SetAction(async (pr, ct) =>
        {
            if (!DateOnly.TryParseExact(pr.GetValue(date), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                return CliOutput.Fail(Failure.BadRequest(SurveyFailureCodes.DateInvalid, "--date must be yyyy-MM-dd."));
            await using var grids = await Geo.Storage.StoreFactory.OpenAsync(HostOptions(pr, storeOption).Store, ct: ct);
            await using var store = await Geo.Storage.StoreFactory.OpenSurveysAsync(grids, HostOptions(pr, storeOption).SurveyStorePath, ct);
            var ingest = new SurveyIngest(store, Options(pr, storeOption));
            var path = Path.GetFullPath(pr.GetValue(file)!);
            var dsmPath = pr.GetValue(dsm) is { } d ? Path.GetFullPath(d) : null;
            var result = await WithProgress("导入 ingest " + Path.GetFileName(path), p =>
                ingest.IngestPairAsync(new SurveySubmission(path, pr.GetValue(name)!, day, SourceName: Path.GetFileName(path)), dsmPath, p, ct));
            if (!result.IsOk) return CliOutput.Fail(result.Failures);
            var s = result.Value;
            Console.WriteLine($"{s.Id}\t{s.Name}\t{s.FlightDate:yyyy-MM-dd}\t{s.Width}x{s.Height}\t{s.GsdMetres:0.###} m/px\t{s.Crs}\tdsm={s.PairedDsmId?.Value ?? "-"}");
            return 0;
        });

        var list = new Command("list", "List surveys (bounds in EPSG:4326: west south east north)");
        list.SetAction(async (pr, ct) =>
        {
            await using var grids = await Geo.Storage.StoreFactory.OpenAsync(HostOptions(pr, storeOption).Store, ct: ct);
            await using var store = await Geo.Storage.StoreFactory.OpenSurveysAsync(grids, HostOptions(pr, storeOption).SurveyStorePath, ct);
            foreach (var s in await store.ListAsync(ct))
                Console.WriteLine($"{s.Id}\t{(s.Kind == SurveyKind.Dsm ? "dsm" : "ortho")}\t{s.FlightDate:yyyy-MM-dd}\t{s.Name}\t{s.Width}x{s.Height}\t{s.GsdMetres:0.###} m/px\t{s.BoundsLonLat}");
            return 0;
        });

        var id = new Argument<string>("id");
        var remove = new Command("remove", "Delete a survey (its record, then its COG)") { id };
        remove.SetAction(async (pr, ct) =>
        {
            var parsed = SurveyId.Parse(pr.GetValue(id));
            if (!parsed.IsOk) return CliOutput.Fail(parsed.Failures);
            await using var grids = await Geo.Storage.StoreFactory.OpenAsync(HostOptions(pr, storeOption).Store, ct: ct);
            await using var store = await Geo.Storage.StoreFactory.OpenSurveysAsync(grids, HostOptions(pr, storeOption).SurveyStorePath, ct);
            var r = await new SurveyIngest(store, Options(pr, storeOption)).RemoveAsync(parsed.Value, ct);
            if (!r.IsOk) return CliOutput.Fail(r.Failures);
            if (!r.Value) return CliOutput.Fail(Failure.NotFound(SurveyFailureCodes.SurveyNotFound, $"No survey {parsed.Value}."));
            Console.WriteLine("removed");
            return 0;
        });

        var outDir = new Option<string>("--out") { Description = "Output directory", DefaultValueFactory = _ => "data-samples/surveys" };
        var size = new Option<int>("--size") { Description = "Orthophoto size in pixels (square)", DefaultValueFactory = _ => 2048 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var gsd = new Option<double>("--gsd") { Description = "Ground sample distance, metres", DefaultValueFactory = _ => 0.1 };
        var plain = new Option<bool>("--plain") { Description = "Plain tiled DEFLATE GeoTIFFs with alpha (ingest inputs) instead of COGs" };
        var generate = new Command("generate", "Write a synthetic two-epoch survey pair with DSMs and the truth of its changes (deterministic)")
            { outDir, size, seed, gsd, plain };
        generate.SetAction(pr =>
        {
            var sizePx = pr.GetValue(size);
            if (sizePx is < 256 or > 65536) return CliOutput.Fail(Failure.BadRequest("size_invalid", "--size must be 256..65536."));
            var pair = SyntheticSurveys.Generate(pr.GetValue(outDir)!, new SyntheticOptions(sizePx, pr.GetValue(seed), pr.GetValue(gsd), Plain: pr.GetValue(plain)));
            foreach (var f in new[] { pair.Epoch1, pair.Epoch1Dsm, pair.Epoch2, pair.Epoch2Dsm, pair.TruthGeoJson, pair.TruthMask, pair.Manifest })
                Console.WriteLine(f);
            Console.Error.WriteLine($"{pair.ChangeCount} planted changes (SYNTHETIC data)");
            return 0;
        });

        // The service's ingest worker (SECURITY O3): one conversion job as JSON on stdin, progress and the result on stdout.
        var worker = new Command(ConversionWorker.Verb, "Internal: the service's survey conversion worker") { Hidden = true };
        worker.SetAction(async (_, ct) =>
        {
            var exit = await SurveyConversionWorker.RunAsync(Console.In, Console.Out, ct);
            if (exit != 0) await Console.Error.WriteLineAsync("error: worker_job_invalid: " + SurveyConversionWorker.JobInvalidMessage);
            return exit;
        });
        var cmd = new Command("surveys", "Drone surveys 航测影像: register, list, remove, generate synthetic pairs") { add, list, remove, generate, worker };
        cmd.Aliases.Add("survey");
        cmd.Options.Add(SurveysDir);
        return cmd;
    }

    public static Command Tiles(Option<string> storeOption)
    {
        var survey = new Option<string?>("--survey") { Description = "Survey id (from `geo surveys list`)" };
        var file = new Option<string?>("--file") { Description = "Or a COG file of the server's own (already checked)" };
        var zooms = new Option<string>("--zooms") { Description = "Zoom range, e.g. 12-18", DefaultValueFactory = _ => "12-18" };
        var outDir = new Option<string>("--out") { Description = "XYZ output directory ({z}/{x}/{y}.ext), or FILE.mbtiles", Required = true };
        var format = new Option<string>("--format") { Description = "png, jpg (jpeg) or webp", DefaultValueFactory = _ => "png" };
        var tileSize = new Option<int>("--size") { Description = "Tile size in pixels: 256 or 512", DefaultValueFactory = _ => 256 };
        var workers = new Option<int>("--workers") { Description = "Parallel renderers", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seedCmd = new Command("seed", "Pre-render a zoom range of a survey into an XYZ tile directory or an MBTiles file")
            { survey, file, zooms, outDir, format, tileSize, workers };
        seedCmd.SetAction(async (pr, ct) =>
        {
            var range = pr.GetValue(zooms)!.Split('-');
            if (range.Length != 2 || !int.TryParse(range[0], out var zMin) || !int.TryParse(range[1], out var zMax))
                return CliOutput.Fail(Failure.BadRequest("zoom_range_invalid", "--zooms is MIN-MAX, e.g. 12-18."));
            var fmt = TileFormats.FromExtension(pr.GetValue(format)!);
            if (fmt is null or TileFormat.Mvt) return CliOutput.Fail(Failure.BadRequest("tile_format_invalid", "--format is png, jpg or webp."));
            if (pr.GetValue(tileSize) is not (256 or 512)) return CliOutput.Fail(Failure.BadRequest("tile_size_invalid", "--size is 256 or 512."));
            var scale = pr.GetValue(tileSize) / 256;
            if (zMin < 0 || zMax > TileId.MaxZoom || zMin > zMax)
                return CliOutput.Fail(Failure.BadRequest("zoom_range_invalid", $"--zooms must lie in 0-{TileId.MaxZoom}, min <= max."));
            RasterTileSource source;
            string name;
            if (pr.GetValue(file) is { } cog)
            {
                var opened = GdalDataset.Open(Path.GetFullPath(cog));
                if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
                Box bounds;
                using (var ds = opened.Value) bounds = LonLatBoundsOf(ds);
                var style = opened.Value.BandCount >= 3 ? RasterStyle.Photo : new RasterStyle.HeightRamp(0, 1);
                source = new RasterTileSource(Path.GetFullPath(cog), style, bounds);
                name = Path.GetFileNameWithoutExtension(cog);
            }
            else
            {
                var parsed = SurveyId.Parse(pr.GetValue(survey));
                if (!parsed.IsOk) return CliOutput.Fail(parsed.Failures);
                await using var grids = await Geo.Storage.StoreFactory.OpenAsync(HostOptions(pr, storeOption).Store, ct: ct);
            await using var store = await Geo.Storage.StoreFactory.OpenSurveysAsync(grids, HostOptions(pr, storeOption).SurveyStorePath, ct);
                var s = await store.GetAsync(parsed.Value, ct);
                if (s is null) return CliOutput.Fail(Failure.NotFound(SurveyFailureCodes.SurveyNotFound, $"No survey {parsed.Value}."));
                var ingest = new SurveyIngest(store, Options(pr, storeOption));
                source = new RasterTileSource(ingest.PathOf(s), SurveyCatalog.StyleOf(s),
                    new Box(s.BoundsLonLat.West, s.BoundsLonLat.South, s.BoundsLonLat.East, s.BoundsLonLat.North));
                name = s.Name;
            }

            using (source)
            {
                var output = pr.GetValue(outDir)!;
                var ext = TileSeeder.Extension(fmt.Value)!;
                using ITileSink sink = output.EndsWith(".mbtiles", StringComparison.OrdinalIgnoreCase)
                    ? new MbTilesSink(output, new MbTilesMetadata(name, ext, source.BoundsLonLat, zMin, zMax,
                        $"Seeded by geo tiles seed, {pr.GetValue(tileSize)} px, EPSG:3857"))
                    : new DirectoryTileSink(output, ext);
                var report = await WithProgress($"切片 seeding z{zMin}-{zMax}", p => Task.FromResult(
                    TileSeeder.Seed(source, zMin, zMax, scale, fmt.Value, sink, pr.GetValue(workers), p, ct)));
                if (!report.IsOk) return CliOutput.Fail(report.Failures);
                var r = report.Value;
                Console.WriteLine($"{r.Written} tiles written, {r.Empty} empty, {r.Elapsed.TotalSeconds:0.00} s, {r.TilesPerSecond:0} tiles/s");
                return 0;
            }
        });
        return new Command("tiles", "Raster tiles of surveys") { seedCmd };
    }

    private static GeoOptions HostOptions(ParseResult pr, Option<string> storeOption) =>
        new() { Store = pr.GetValue(storeOption)!, SurveyDirectory = pr.GetValue(SurveysDir) };

    private static SurveyOptions Options(ParseResult pr, Option<string> storeOption) => new()
    {
        DataDirectory = HostOptions(pr, storeOption).ResolvedSurveyDirectory,
    };

    private static Box LonLatBoundsOf(GdalDataset ds)
    {
        var gt = ds.GeoTransform ?? throw new InvalidOperationException("The COG has no geotransform.");
        var crs = Geo.Spatial.Crs.CrsId.Parse("EPSG:" + ds.Crs?.Epsg).Value;
        Span<double> xs = [gt.OriginX, gt.OriginX + gt.PixelSizeX * ds.Width, gt.OriginX + gt.PixelSizeX * ds.Width, gt.OriginX];
        Span<double> ys = [gt.OriginY, gt.OriginY, gt.OriginY + gt.PixelSizeY * ds.Height, gt.OriginY + gt.PixelSizeY * ds.Height];
        Geo.Spatial.Crs.CoordinateConverter.Convert(crs, Geo.Spatial.Crs.CrsId.Wgs84, xs, ys);
        return new Box(Math.Min(xs[0], xs[3]), Math.Min(ys[2], ys[3]), Math.Max(xs[1], xs[2]), Math.Max(ys[0], ys[1]));
    }

    /// <summary>Runs <paramref name="work"/> with a progress bar on a terminal.</summary>
    private static async Task<T> WithProgress<T>(string label, Func<IProgress<double>, Task<T>> work)
    {
        if (Console.IsErrorRedirected)
        {
            return await work(new Progress<double>(_ => { }));
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, maxValue: 100);
                result = await work(new SyncProgress(v => task.Value = Math.Max(task.Value, v * 100)));
                task.Value = 100;
            });
        return result;
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
