using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Geo.Formats;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Census;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// <c>geo components import|list|nearest|stats|show</c> and <c>geo classes list|add</c>: thin verbs over the census
/// application code the HTTP API uses. Coordinates: x = easting/longitude, y = northing/latitude.
/// </summary>
internal static class CensusCli
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The grid and census stores of one store (GeoPackage file or PostgreSQL database), opened together.</summary>
    internal sealed class Session : IAsyncDisposable
    {
        public required Storage.IGridStore Grids { get; init; }
        public required ICensusStore Census { get; init; }
        public required CensusService Service { get; init; }

        public static async Task<Result<Session>> OpenAsync(ParseResult pr, Option<string> store, Option<string> countyOption, CancellationToken ct)
        {
            var county = CountyCode.Parse(pr.GetValue(countyOption));
            if (!county.IsOk) return Result<Session>.Fail(county.Failures);
            var grids = await Geo.Storage.StoreFactory.OpenAsync(pr.GetValue(store)!, ct: ct);
            ICensusStore? census = null;
            try
            {
                census = await Geo.Storage.StoreFactory.OpenCensusAsync(grids, ct);
                var seeded = await TaxonomyFile.EnsureSeededAsync(census, ct);
                if (!seeded.IsOk)
                {
                    await census.DisposeAsync();
                    await grids.DisposeAsync();
                    return Result<Session>.Fail(seeded.Failures);
                }
                return new Session { Grids = grids, Census = census, Service = new CensusService(census, grids, new OwnershipService(grids), county.Value) };
            }
            catch
            {
                if (census is not null) await census.DisposeAsync();
                await grids.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Census.DisposeAsync();
            await Grids.DisposeAsync();
        }
    }

    public static Command Components(Option<string> store, Option<string> county)
    {
        var file = new Argument<string>("file") { Description = "CSV (x,y or wkt columns), GeoJSON, GeoPackage or zipped Shapefile" };
        var crs = new Option<string?>("--crs") { Description = "CRS of the coordinates: EPSG:4326 (default), EPSG:4490, EPSG:4547, EPSG:3857, GCJ02, BD09" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check every row and list the bad ones; store nothing" };
        var keepValid = new Option<bool>("--keep-valid") { Description = "Store the valid rows even if some are rejected (default: all or nothing)" };
        var rejects = new Option<string?>("--rejects") { Description = "Write rejected rows (row, field, code, message) to this CSV" };
        var import = new Command("import", "Import components (all or nothing unless --keep-valid)") { file, crs, dryRun, keepValid, rejects };
        import.SetAction(async (pr, ct) =>
        {
            var opened = await Session.OpenAsync(pr, store, county, ct);
            if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
            await using var s = opened.Value;
            CrsId? crsId = null;
            if (pr.GetValue(crs) is { } c)
            {
                var parsed = CrsId.Parse(c);
                if (!parsed.IsOk) return CliOutput.Fail(parsed.Failures);
                crsId = parsed.Value;
            }
            var path = pr.GetValue(file)!;
            if (!File.Exists(path)) return CliOutput.Fail(Failure.NotFound("file_not_found", $"{path} does not exist."));
            await using var rejectsWriter = pr.GetValue(rejects) is { } rp ? new StreamWriter(rp, false, new System.Text.UTF8Encoding(true)) : null;
            var options = new CensusImportOptions(crsId, pr.GetValue(dryRun), pr.GetValue(keepValid), rejectsWriter,
                new AuditActor("cli:" + Environment.UserName), Path.GetFileName(path));
            var importer = new CensusImport(s.Service);
            Result<CensusImportReport> result = default;
            await AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("导入部件 importing", maxValue: 1.0);
                    var progress = new Progress<(long Rows, double Fraction)>(p =>
                    {
                        task.Value = p.Fraction;
                        task.Description = $"导入部件 {p.Rows:N0} rows";
                    });
                    if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
                    {
                        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                        result = await importer.ImportCsvAsync(stream, options, progress, ct);
                    }
                    else
                    {
                        var set = VectorReader.ReadFile(path);
                        result = set.IsOk ? await importer.ImportFeaturesAsync(set.Value, options, progress, ct) : Result<CensusImportReport>.Fail(set.Failures);
                    }
                    task.Value = 1;
                });
            if (!result.IsOk) return CliOutput.Fail(result.Failures, "import");
            var r = result.Value;
            foreach (var x in r.Rejects.Take(200)) Console.Error.WriteLine($"  - row {x.Row}, field {x.Field}: {x.Code}: {x.Message}");
            Console.WriteLine(r.DryRun
                ? $"dry run: {r.Rows} rows checked, {r.Rejected} rejected; nothing stored"
                : $"{r.Stored} components stored from {r.Rows} rows ({r.Rejected} rejected) in {r.Crs}");
            return r.DryRun && r.Rejected > 0 ? 3 : 0;
        });

        var bbox = new Option<string?>("--bbox") { Description = "minX,minY,maxX,maxY (in --crs, default EPSG:4490)" };
        var grid = new Option<string?>("--grid") { Description = "Grid code" };
        var cls = new Option<string?>("--class") { Description = "Component class: 0101 (minor) or 01 (major)" };
        var status = new Option<string?>("--status") { Description = "完好, 破损, 丢失 or 占用" };
        var text = new Option<string?>("--text") { Description = "Text in the name, code, owner or remarks" };
        var after = new Option<string?>("--after") { Description = "Paging cursor: the last code of the previous page" };
        var limit = new Option<int?>("--limit") { Description = "Page size (1-1000, default 100)" };
        var list = new Command("list", "List components (ordered by code, keyset-paged)") { bbox, crs, grid, cls, status, text, after, limit };
        list.SetAction(async (pr, ct) =>
        {
            var opened = await Session.OpenAsync(pr, store, county, ct);
            if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
            await using var s = opened.Value;
            var q = CensusQueries.Parse(pr.GetValue(bbox), pr.GetValue(crs), pr.GetValue(grid), pr.GetValue(cls), pr.GetValue(status), pr.GetValue(text),
                pr.GetValue(after), pr.GetValue(limit), s.Service.County);
            if (!q.IsOk) return CliOutput.Fail(q.Failures);
            var page = await s.Census.QueryAsync(q.Value, ct);
            foreach (var k in page.Items)
            {
                var c = k.Geometry.Centroid;
                Console.WriteLine(string.Join('\t', k.Code.Value, k.Name, CensusText.Label(k.Status), string.Join(' ', k.GridCodes),
                    c.X.ToString("F7", CultureInfo.InvariantCulture), c.Y.ToString("F7", CultureInfo.InvariantCulture), "v" + k.Version));
            }
            if (page.Next is { } next) Console.Error.WriteLine($"next page: --after {next}");
            return 0;
        });

        var x = new Option<double>("--x") { Description = "Easting or longitude", Required = true };
        var y = new Option<double>("--y") { Description = "Northing or latitude", Required = true };
        var n = new Option<int>("--n") { Description = "How many (1-100)", DefaultValueFactory = _ => 5 };
        var nearest = new Command("nearest", "The nearest components (of a class) to a point, with distances in metres") { x, y, crs, cls, status, n };
        nearest.SetAction(async (pr, ct) =>
        {
            var opened = await Session.OpenAsync(pr, store, county, ct);
            if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
            await using var s = opened.Value;
            var found = await CensusNearest.NearestAsync(s.Service, pr.GetValue(x), pr.GetValue(y), pr.GetValue(crs), pr.GetValue(cls), pr.GetValue(status),
                pr.GetValue(n), ct);
            if (!found.IsOk) return CliOutput.Fail(found.Failures);
            Console.WriteLine(JsonSerializer.Serialize(found.Value, Json));
            return 0;
        });

        var format = new Option<string>("--format") { Description = "json or csv", DefaultValueFactory = _ => "json" };
        var output = new Option<string?>("--out") { Description = "Write to this file (default stdout)" };
        var stats = new Command("stats", "Census statistics: count per grid x class x status") { format, output };
        stats.SetAction(async (pr, ct) =>
        {
            var opened = await Session.OpenAsync(pr, store, county, ct);
            if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
            await using var s = opened.Value;
            var rows = await s.Census.StatisticsAsync(ct);
            var taxonomy = new Taxonomy(await s.Census.ListClassesAsync(ct));
            var textOut = pr.GetValue(format)?.ToLowerInvariant() switch
            {
                "csv" => CensusQueries.StatisticsCsv(rows, taxonomy),
                "json" => JsonSerializer.Serialize(CensusQueries.StatisticsRows(rows, taxonomy), Json),
                _ => null,
            };
            if (textOut is null) return CliOutput.Fail(Failure.BadRequest("format_invalid", "--format is json or csv."));
            if (pr.GetValue(output) is { } o) await File.WriteAllTextAsync(o, textOut, new System.Text.UTF8Encoding(true), ct);
            else Console.Write(textOut);
            return 0;
        });

        var code = new Argument<string>("code") { Description = "16-digit component code" };
        var audit = new Option<bool>("--audit") { Description = "Also print the audit trail" };
        var show = new Command("show", "One component (and its audit trail)") { code, audit };
        show.SetAction(async (pr, ct) =>
        {
            var parsed = ComponentCode.Parse(pr.GetValue(code));
            if (!parsed.IsOk) return CliOutput.Fail(parsed.Failures);
            var opened = await Session.OpenAsync(pr, store, county, ct);
            if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
            await using var s = opened.Value;
            var k = await s.Census.GetComponentAsync(parsed.Value, ct);
            if (k is null) return CliOutput.Fail(Failure.NotFound("component_not_found", $"There is no component {parsed.Value}."));
            var taxonomy = new Taxonomy(await s.Census.ListClassesAsync(ct));
            Console.WriteLine(JsonSerializer.Serialize(ComponentView.From(k, taxonomy), Json));
            if (pr.GetValue(audit)) Console.WriteLine(JsonSerializer.Serialize(await s.Census.GetAuditAsync(parsed.Value, ct), Json));
            return 0;
        });

        return new Command("components", "部件普查 component census (GB/T 30428)") { import, list, nearest, stats, show };
    }

    public static Command Classes(Option<string> store, Option<string> county)
    {
        var tree = new Option<string?>("--tree") { Description = "component (default) or event" };
        var list = new Command("list", "List the taxonomy (standard and local classes)") { tree };
        list.SetAction(async (pr, ct) =>
        {
            var opened = await Session.OpenAsync(pr, store, county, ct);
            if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
            await using var s = opened.Value;
            var wanted = pr.GetValue(tree)?.ToLowerInvariant();
            foreach (var c in await s.Census.ListClassesAsync(ct))
            {
                if (wanted is "component" && c.Code.Tree != ClassTree.Component || wanted is "event" && c.Code.Tree != ClassTree.Event) continue;
                Console.WriteLine(string.Join('\t', c.Code.ToString(), c.MajorName, c.Name, c.IsExtension ? "扩展 local" : "标准 standard"));
            }
            return 0;
        });

        var file = new Option<string?>("--file") { Description = "CSV: tree,major_code,major_name,minor_code,minor_name,source" };
        var code = new Option<string?>("--code") { Description = "Minor class, e.g. 0701 (component) or E0601 with --tree event" };
        var majorName = new Option<string?>("--major-name") { Description = "Major class name, e.g. 扩展部件" };
        var name = new Option<string?>("--name") { Description = "Minor class name" };
        var add = new Command("add", "Add or update local extension classes (no code change needed)") { file, tree, code, majorName, name };
        add.SetAction(async (pr, ct) =>
        {
            var opened = await Session.OpenAsync(pr, store, county, ct);
            if (!opened.IsOk) return CliOutput.Fail(opened.Failures);
            await using var s = opened.Value;
            Result<IReadOnlyList<ComponentClass>> classes;
            if (pr.GetValue(file) is { } f)
            {
                if (!File.Exists(f)) return CliOutput.Fail(Failure.NotFound("file_not_found", $"{f} does not exist."));
                await using var stream = File.OpenRead(f);
                classes = TaxonomyFile.Read(stream, isExtension: true, "cli:" + Environment.UserName);
            }
            else
            {
                var one = TaxonomyFile.Create(pr.GetValue(tree), null, pr.GetValue(majorName), pr.GetValue(code), pr.GetValue(name),
                    "cli:" + Environment.UserName, isExtension: true);
                classes = one.IsOk ? Result<IReadOnlyList<ComponentClass>>.Ok([one.Value]) : Result<IReadOnlyList<ComponentClass>>.Fail(one.Failures);
            }
            if (!classes.IsOk) return CliOutput.Fail(classes.Failures);
            var stored = await s.Census.UpsertClassesAsync(classes.Value, ct);
            if (!stored.IsOk) return CliOutput.Fail(stored.Failures);
            Console.WriteLine($"{stored.Value} classes added or updated");
            return 0;
        });
        return new Command("classes", "部件/事件分类 the GB/T 30428 taxonomy and local extensions") { list, add };
    }

    /// <summary>Loads the sample census into the store's empty census (samples load); prints what happened.</summary>
    public static async Task<bool> LoadSampleCensusAsync(Storage.IGridStore store, CountyCode county, string dir, CancellationToken ct)
    {
        await using var census = await Geo.Storage.StoreFactory.OpenCensusAsync(store, ct);
        var r = await SampleLoader.LoadCensusIfEmptyAsync(new CensusService(census, store, new OwnershipService(store), county), dir, ct);
        if (!r.IsOk)
        {
            CliOutput.Fail(r.Failures, "sample census");
            return false;
        }
        Console.WriteLine(r.Value ? $"census loaded: {await census.CountAsync(ct)} components" : "census: nothing to load");
        return true;
    }
}
