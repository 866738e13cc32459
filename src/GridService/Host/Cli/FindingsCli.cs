using System.CommandLine;
using System.Globalization;
using Geo.ChangeDetect.Findings;
using Geo.Formats;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Findings;
using Geo.GridService.Host.Http;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Geo.Storage;
using Geo.Storage.GeoPackage;
using Geo.Surveys;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// <c>geo changes run</c>, <c>geo findings list|show|review|export|report</c> and <c>geo permits import|list</c>: thin
/// edges over <see cref="FindingsApp"/> and <see cref="IFindingStore"/> on the store file, like every other verb.
/// A run started here runs in this process (the CLI opens the store directly; it does not call a service): with
/// <c>--wait</c> a progress bar on stderr, without it the run id is printed at once and the end state when it is done.
/// Ctrl+C cancels the run (recorded as cancelled, no finding stored).
/// </summary>
internal static class FindingsCli
{
    private static readonly Option<string?> SurveysDir = new("--surveys-dir")
    {
        Description = "Directory of survey COGs (env GEO_SURVEYS; default: surveys/ beside the store)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GEO_SURVEYS") is { Length: > 0 } s ? s : null,
    };

    /// <summary><c>changes run --before ID --after ID [--grids C1,C2] [--min-area M2] [--wait]</c>.</summary>
    public static Command RunCommand()
    {
        var before = new Option<string>("--before") { Description = "Earlier orthophoto survey id", Required = true };
        var after = new Option<string>("--after") { Description = "Later orthophoto survey id", Required = true };
        var grids = new Option<string?>("--grids") { Description = "Limit to these grid codes (comma-separated)" };
        var minArea = new Option<double?>("--min-area") { Description = "Drop changes smaller than this many m² (EPSG:4547)" };
        var wait = new Option<bool>("--wait") { Description = "Show a progress bar until the run ends" };
        var cmd = new Command("run", "Detect changes between two stored surveys and store the findings (one transaction at the end)")
            { before, after, grids, minArea, wait, SurveysDir };
        cmd.SetAction(async (pr, ct) =>
        {
            await using var env = await Env.OpenAsync(pr, ct);
            if (!env.IsOk) return CliOutput.Fail(env.Failures);
            var app = env.App!;
            var parameters = pr.GetValue(minArea) is { } m
                ? System.Text.Json.JsonDocument.Parse(string.Create(CultureInfo.InvariantCulture, $"{{\"minAreaM2\":{m}}}")).RootElement
                : (System.Text.Json.JsonElement?)null;
            var request = new ChangeRunRequest(pr.GetValue(before), pr.GetValue(after),
                pr.GetValue(grids)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), null, parameters);
            var started = await app.StartRunAsync(request, "cli:" + Environment.UserName, ct);
            if (!started.IsOk) return CliOutput.Fail(started.Failures);
            var id = started.Value.Id;
            var completion = app.Runner.CompletionOf(id)!;
            using var cancelOnCtrlC = ct.Register(() => app.Runner.Cancel(id));
            if (pr.GetValue(wait) && !Console.IsErrorRedirected)
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                await console.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("变化检测 change run " + id, maxValue: 100);
                        while (!completion.IsCompleted)
                        {
                            if (app.Runner.ProgressOf(id) is { } p) { task.Value = p.Percent; task.Description = $"变化检测 {id} · {p.Stage}"; }
                            await Task.WhenAny(completion, Task.Delay(200, CancellationToken.None));
                        }
                        task.Value = 100;
                    });
            }
            else
            {
                Console.WriteLine(id);
                await completion;
            }
            await completion;
            var run = await app.Store.GetRunAsync(id, CancellationToken.None);
            Console.WriteLine($"{id}\t{FindingViews.StateText(run!.State)}\t{run.FindingCount} findings{(run.Problem is null ? "" : "\t" + run.Problem)}");
            return run.State switch
            {
                RunState.Succeeded => 0,
                RunState.Cancelled => 130,
                _ => 1,
            };
        });
        return cmd;
    }

    public static Command Findings()
    {
        var run = new Option<string?>("--run") { Description = "Run id" };
        var grid = new Option<string?>("--grid") { Description = "Grid code" };
        var department = new Option<string?>("--department") { Description = "Department code" };
        var kind = new Option<string?>("--kind") { Description = "new_structure, extension, demolition or other" };
        var review = new Option<string?>("--review") { Description = "pending, confirmed or dismissed" };
        var permitted = new Option<string?>("--permitted") { Description = "true or false" };
        var bbox = new Option<string?>("--bbox") { Description = "minLon,minLat,maxLon,maxLat (EPSG:4490)" };
        var afterOpt = new Option<string?>("--after") { Description = "Cursor: the last id of the previous page" };
        var limit = new Option<string?>("--limit") { Description = "1..1000 (default 100)" };
        var list = new Command("list", "List findings (tab-separated; the last line names the next cursor when there is more)")
            { run, grid, department, kind, review, permitted, bbox, afterOpt, limit };
        list.SetAction(async (pr, ct) =>
        {
            var q = FindingsApi.ParseQuery(pr.GetValue(run), pr.GetValue(grid), pr.GetValue(department), pr.GetValue(kind), pr.GetValue(review),
                pr.GetValue(permitted), pr.GetValue(bbox), pr.GetValue(afterOpt), pr.GetValue(limit));
            if (!q.IsOk) return CliOutput.Fail(q.Failures);
            var store = await OpenFindingStore(pr, ct);
            if (!store.IsOk) return CliOutput.Fail(store.Failures);
            await using var s = store.Value;
            var page = await s.QueryFindingsAsync(q.Value, ct);
            foreach (var f in page.Items)
            {
                var p = f.Polygon.InteriorPoint;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{f.Id}\t{FindingViews.KindText(f.Kind)}\t{f.AreaM2:0.0} m²\t{f.GridCode ?? "-"}\t{f.DepartmentCode ?? "-"}\t{(f.Permitted ? "permitted:" + f.PermitId : "-")}\t{FindingViews.ReviewText(f.Review)}\t{p.X:0.0000000},{p.Y:0.0000000}"));
            }
            if (page.Next is not null) Console.WriteLine($"next: --after {page.Next}");
            return 0;
        });

        var id = new Argument<string>("id") { Description = "Finding id" };
        var decision = new Option<string>("--decision") { Description = "confirm or dismiss", Required = true };
        var comment = new Option<string?>("--comment") { Description = "Why (stored with the review)" };
        var who = new Option<string?>("--as") { Description = "Reviewer name recorded (default: the OS user)" };
        var baseUrl = new Option<string>("--base-url")
        {
            Description = "Service address for the evidence links of the dispatch case (env GEO_PUBLIC_URL)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GEO_PUBLIC_URL") is { Length: > 0 } u ? u : "http://127.0.0.1:5080",
        };
        var reviewCmd = new Command("review", "Confirm or dismiss a finding (a confirmation writes the dispatch case to the outbox)") { id, decision, comment, who, baseUrl };
        reviewCmd.SetAction(async (pr, ct) =>
        {
            var d = pr.GetValue(decision) switch { "confirm" => ReviewDecision.Confirm, "dismiss" => ReviewDecision.Dismiss, _ => (ReviewDecision?)null };
            if (d is null) return CliOutput.Fail(Failure.BadRequest("decision_invalid", "--decision is confirm or dismiss."));
            var store = await OpenFindingStore(pr, ct);
            if (!store.IsOk) return CliOutput.Fail(store.Failures);
            await using var s = store.Value;
            var reviewer = "cli:" + (pr.GetValue(who) ?? Environment.UserName);
            var url = pr.GetValue(baseUrl)!.TrimEnd('/');
            var r = await s.ReviewAsync(new FindingReview(pr.GetValue(id)!, d.Value, reviewer, pr.GetValue(comment), DateTimeOffset.UtcNow),
                f => FindingsApp.CasePayload(f, url), ct);
            if (!r.IsOk) return CliOutput.Fail(r.Failures);
            Console.WriteLine($"{r.Value.Id}\t{FindingViews.ReviewText(r.Value.Review)}\t{reviewer}");
            return 0;
        });

        var runReq = new Option<string>("--run") { Description = "Run id", Required = true };
        var output = new Option<string>("--out") { Description = "F.geojson or F.gpkg", Required = true };
        var export = new Command("export", "Export a run's findings as GeoJSON or GeoPackage (EPSG:4490)") { runReq, output };
        export.SetAction(async (pr, ct) =>
        {
            var store = await OpenFindingStore(pr, ct);
            if (!store.IsOk) return CliOutput.Fail(store.Failures);
            await using var s = store.Value;
            var runId = pr.GetValue(runReq)!;
            if (await s.GetRunAsync(runId, ct) is null) return CliOutput.Fail(Failure.NotFound(FindingCodes.RunNotFound, $"There is no run {runId}."));
            var findings = new List<Finding>();
            await foreach (var f in s.ScanFindingsAsync(runId, ct)) findings.Add(f);
            var path = pr.GetValue(output)!;
            if (path.EndsWith(".gpkg", StringComparison.OrdinalIgnoreCase)) FindingViews.WriteGeoPackage(path, findings);
            else if (path.EndsWith(".geojson", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                await using var fs = File.Create(path);
                FindingViews.WriteGeoJson(fs, findings);
            }
            else return CliOutput.Fail(Failure.BadRequest("format_unsupported", "--out ends in .geojson or .gpkg."));
            Console.WriteLine($"wrote {findings.Count} findings of run {runId} to {path}");
            return 0;
        });

        var reportOut = new Option<string>("--out") { Description = "HTML file", Required = true };
        var report = new Command("report", "Write a run's printable HTML review report with image chips") { runReq, reportOut, SurveysDir };
        report.SetAction(async (pr, ct) =>
        {
            await using var env = await Env.OpenAsync(pr, ct);
            if (!env.IsOk) return CliOutput.Fail(env.Failures);
            var runId = pr.GetValue(runReq)!;
            var run = await env.App!.Store.GetRunAsync(runId, ct);
            if (run is null) return CliOutput.Fail(Failure.NotFound(FindingCodes.RunNotFound, $"There is no run {runId}."));
            var findings = new List<Finding>();
            await foreach (var f in env.App.Store.ScanFindingsAsync(runId, ct)) findings.Add(f);
            await File.WriteAllTextAsync(pr.GetValue(reportOut)!, await FindingReport.BuildAsync(env.App, run, findings, ct), ct);
            Console.WriteLine($"wrote the report of run {runId} ({findings.Count} findings) to {pr.GetValue(reportOut)}");
            return 0;
        });

        var runs = new Command("runs", "List runs (newest first)");
        runs.SetAction(async (pr, ct) =>
        {
            var store = await OpenFindingStore(pr, ct);
            if (!store.IsOk) return CliOutput.Fail(store.Failures);
            await using var s = store.Value;
            foreach (var r in await s.ListRunsAsync(ct))
                Console.WriteLine($"{r.Id}\t{FindingViews.StateText(r.State)}\t{r.BeforeSurveyId} -> {r.AfterSurveyId}\t{r.FindingCount} findings\t{r.Started:yyyy-MM-dd HH:mm:ss}Z\t{r.Problem}");
            return 0;
        });
        return new Command("findings", "Change-detection findings: list, review, export, report") { list, reviewCmd, export, report, runs };
    }

    public static Command Permits()
    {
        var file = new Argument<string>("file") { Description = "GeoJSON, GeoPackage or zipped Shapefile of permit polygons" };
        var crs = new Option<string?>("--crs") { Description = "CRS of the coordinates when the file declares none (default EPSG:4326)" };
        var import = new Command("import", "Import approved-construction permits (all or nothing; every bad feature reported)") { file, crs };
        import.SetAction(async (pr, ct) =>
        {
            CrsId? crsId = null;
            if (pr.GetValue(crs) is { } c)
            {
                var parsed = CrsId.Parse(c);
                if (!parsed.IsOk) return CliOutput.Fail(parsed.Failures);
                crsId = parsed.Value;
            }
            var path = pr.GetValue(file)!;
            var set = VectorReader.ReadFile(path);
            if (!set.IsOk) return CliOutput.Fail(set.Failures, path);
            var permits = PermitImport.Parse(set.Value, crsId);
            if (!permits.IsOk) return CliOutput.Fail(permits.Failures, path);
            var store = await OpenFindingStore(pr, ct);
            if (!store.IsOk) return CliOutput.Fail(store.Failures);
            await using var s = store.Value;
            var stored = await s.ImportPermitsAsync(permits.Value, Path.GetFileName(path), ct);
            if (!stored.IsOk) return CliOutput.Fail(stored.Failures, path);
            Console.WriteLine($"imported {stored.Value} permits from {path}");
            return 0;
        });
        var list = new Command("list", "List permits");
        list.SetAction(async (pr, ct) =>
        {
            var store = await OpenFindingStore(pr, ct);
            if (!store.IsOk) return CliOutput.Fail(store.Failures);
            await using var s = store.Value;
            foreach (var p in await s.ListPermitsAsync(ct))
                Console.WriteLine($"{p.Permit.Number}\t{p.Permit.Holder}\t{p.Permit.ValidFrom:yyyy-MM-dd}\t{p.Permit.ValidTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-"}\t{p.Source}");
            return 0;
        });
        return new Command("permits", "Approved-construction permits (建设许可)") { import, list };
    }

    private static async Task<Result<IFindingStore>> OpenFindingStore(ParseResult pr, CancellationToken ct)
    {
        var spec = pr.GetValue(GeoCli.StoreOption)!;
        var grids = await GeoCli.OpenStore(spec, ct);
        if (grids is GeoPackageGridStore gp)
        {
            await using (grids) return await GeoPackageFindingStore.OpenAsync(gp.FilePath, ct);
        }
        return Result<IFindingStore>.Ok(await StoreFactory.OpenFindingsAsync(grids, ct)); // PostGIS: the finding store shares (and keeps open) the grid store's pool
    }

    /// <summary>What a run or a report needs: the grid, survey and finding stores on the file, and the application.</summary>
    private sealed class Env : IAsyncDisposable
    {
        private Geo.GridService.Storage.IGridStore? _grids;
        private ISurveyStore? _surveys;
        private IFindingStore? _findings;
        private ServiceProvider? _services;
        private SurveyCatalog? _catalog;

        public FindingsApp? App { get; private set; }
        public IReadOnlyList<Failure> Failures { get; private set; } = [];
        public bool IsOk => App is not null;

        public static async Task<Env> OpenAsync(ParseResult pr, CancellationToken ct)
        {
            var env = new Env();
            var options = new GeoOptions { Store = pr.GetValue(GeoCli.StoreOption)!, SurveyDirectory = pr.GetValue(SurveysDir) };
            env._grids = await GeoCli.OpenStore(options.Store, ct);
            env._findings = await StoreFactory.OpenFindingsAsync(env._grids, ct);
            env._surveys = await StoreFactory.OpenSurveysAsync(env._grids, options.SurveyStorePath, ct);
            env._catalog = new SurveyCatalog(env._surveys, new SurveyOptions { DataDirectory = options.ResolvedSurveyDirectory }, 1024 * 1024);
            var services = new ServiceCollection();
            FindingsServices.AddDetector(services);
            env._services = services.BuildServiceProvider();
            var sp = env._services;
            env.App = new FindingsApp(env._findings, env._catalog, env._grids, new OwnershipService(env._grids), () => sp.GetService<ISurveyChangeDetector>());
            await env.App.Runner.FailAbandonedRunsAsync(FindingsServices.AbandonedProblem, ct); // what lists and runs see is the truth
            return env;
        }

        public async ValueTask DisposeAsync()
        {
            App?.Runner.Dispose();
            _catalog?.Dispose();
            if (_services is not null) await _services.DisposeAsync();
            if (_findings is not null) await _findings.DisposeAsync();
            if (_surveys is not null) await _surveys.DisposeAsync();
            if (_grids is not null) await _grids.DisposeAsync();
        }
    }
}
