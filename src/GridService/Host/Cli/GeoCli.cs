using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Encodings.Web;
using Geo.Formats;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Http;
using Geo.GridService.Host.Samples;
using Geo.GridService.Ownership;
using Geo.GridService.Storage;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Geo.Storage;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// The <c>geo</c> command: serve, samples, grids, departments, matrix, ownership, keys. Each verb parses its
/// arguments, calls the same application code as the HTTP API, and prints; bad input gives one readable error line
/// on stderr and a non-zero exit code (2 bad argument, 3 invalid data, 4 not found, 5 conflict, 6 too large).
/// </summary>
public static class GeoCli
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static readonly Option<string> StoreOption = new("--store")
    {
        Description = "GeoPackage file, or PostgreSQL as postgres://user:password@host:5432/db or Host=...;Database=... (env GEO_STORE; default data/geo.gpkg)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GEO_STORE") is { Length: > 0 } s ? s : "data/geo.gpkg",
    };

    private static readonly Option<string> CountyOption = new("--county")
    {
        Description = "County code whose grid codes are accepted",
        Recursive = true,
        DefaultValueFactory = _ => "410482",
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("汝州市数字化城管 网格服务 · Ruzhou urban-management grid service");
        root.Options.Add(StoreOption);
        root.Options.Add(CountyOption);
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(Samples());
        root.Subcommands.Add(Grids());
        root.Subcommands.Add(DepartmentsCommand());
        root.Subcommands.Add(MatrixCommand());
        root.Subcommands.Add(OwnershipCommand());
        root.Subcommands.Add(Keys());
        root.Subcommands.Add(CensusCli.Components(StoreOption, CountyOption));
        root.Subcommands.Add(CensusCli.Classes(StoreOption, CountyOption));
        root.Subcommands.Add(StoreCommands.Create());
        root.Subcommands.Add(ChangesCommand.Build());
        root.Subcommands.Add(SurveysCli.Surveys(StoreOption));
        root.Subcommands.Add(SurveysCli.Tiles(StoreOption));
        root.Subcommands.Add(FindingsCli.Findings());
        root.Subcommands.Add(FindingsCli.Permits());
        try
        {
            // Our own handler below: a store that cannot be opened is one readable line and an exit code, not a stack trace.
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: io: {e.Message}");
            return 1;
        }
        catch (StoreOpenException e)
        {
            return CliOutput.Fail(e.Failure);
        }
        catch (OperationCanceledException)
        {
            return 130; // interrupted (Ctrl+C / SIGTERM)
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Unhandled exception: {e}");
            return 1;
        }
    }

    private static Command Serve()
    {
        var urls = new Option<string>("--urls") { Description = "Listen addresses", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var samples = new Option<string?>("--load-samples") { Description = "Load this sample directory when the store is empty" };
        var surveySamples = new Option<string?>("--load-survey-samples") { Description = "Ingest this synthetic survey pair when no survey is stored" };
        var cmd = new Command("serve", "Run the HTTP service (API, API reference at /docs)") { urls, samples, surveySamples };
        cmd.SetAction(async (pr, ct) =>
        {
            // Settings from the environment (Geo__AnonymousRead=false, Geo__BoundaryToleranceMetres=1, ...); the command
            // line's store, county and samples win over them.
            var options = new GeoOptions();
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection("Geo").Bind(options);
            options.Store = pr.GetValue(StoreOption)!;
            options.County = pr.GetValue(CountyOption)!;
            options.LoadSamples = pr.GetValue(samples);
            options.LoadSurveySamples = pr.GetValue(surveySamples);
            await using var store = await OpenStore(options.Store, ct, new StoreOpenOptions(options.MigrateOnStart));
            var app = GeoWebApp.Build(store, options, [], pr.GetValue(urls));
            await GeoWebApp.PrepareAsync(app, ct);
            // The display form: a PostgreSQL password never reaches the console or the logs.
            Console.Error.WriteLine($"geo: serving {StoreSpec.Parse(options.Store).Value.Display} on {pr.GetValue(urls)} (API reference: /docs)");
            await app.RunAsync(ct);
            return 0;
        });
        return cmd;
    }

    private static Command Samples()
    {
        var outDir = new Option<string>("--out") { Description = "Output directory", DefaultValueFactory = _ => "data-samples/ruzhou" };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 410482 };
        var generate = new Command("generate", "Write the synthetic Ruzhou sample data set (deterministic)") { outDir, seed };
        generate.SetAction(pr =>
        {
            foreach (var f in RuzhouSamples.Write(pr.GetValue(outDir)!, pr.GetValue(seed))) Console.WriteLine(f);
            return 0;
        });
        var dir = new Option<string>("--dir") { Description = "Sample directory", DefaultValueFactory = _ => "data-samples/ruzhou" };
        var load = new Command("load", "Load a sample directory into an empty store") { dir };
        load.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            var county = County(pr);
            if (!county.IsOk) return CliOutput.Fail(county.Failures);
            var ownership = new OwnershipService(store);
            var r = await SampleLoader.LoadIfEmptyAsync(store, ownership, pr.GetValue(dir)!, county.Value, ct);
            if (!r.IsOk) return CliOutput.Fail(r.Failures);
            Console.WriteLine(r.Value ? "loaded" : "the store already holds grids; nothing loaded");
            if (!await CensusCli.LoadSampleCensusAsync(store, county.Value, pr.GetValue(dir)!, ct)) return 3;
            return 0;
        });
        return new Command("samples", "Sample data") { generate, load };
    }

    private static Command Grids()
    {
        var file = new Argument<string>("file") { Description = "GeoJSON, GeoPackage or zipped Shapefile" };
        var crs = new Option<string?>("--crs") { Description = "CRS of the file's coordinates when it declares none (EPSG:4490, EPSG:4547, EPSG:4326, ...)" };
        var validate = new Command("validate", "Check a grid file without storing it") { file, crs };
        validate.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            var setup = ImportSetup(pr, store, crs);
            if (!setup.IsOk) return CliOutput.Fail(setup.Failures);
            var checkedSet = setup.Value.Import.Check(pr.GetValue(file)!, setup.Value.Crs);
            if (!checkedSet.IsOk) return CliOutput.Fail(checkedSet.Failures, pr.GetValue(file));
            Console.WriteLine($"ok: {checkedSet.Value.Grids.Count} grids, valid (coordinates read as {checkedSet.Value.Crs})");
            return 0;
        });

        var validFrom = new Option<string?>("--valid-from") { Description = "First day of the new version, yyyy-MM-dd (default today, China time)" };
        var note = new Option<string?>("--note") { Description = "Note stored with the version" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate only" };
        var import = new Command("import", "Import a grid file as a new version (all or nothing)") { file, crs, validFrom, note, dryRun };
        import.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            var setup = ImportSetup(pr, store, crs);
            if (!setup.IsOk) return CliOutput.Fail(setup.Failures);
            var from = DayInput.Parse(pr.GetValue(validFrom), "--valid-from", "valid_from_invalid");
            if (!from.IsOk) return CliOutput.Fail(from.Failures);
            var path = pr.GetValue(file)!;
            var set = VectorReader.ReadFile(path);
            if (!set.IsOk) return CliOutput.Fail(set.Failures, path);
            var report = await setup.Value.Import.ImportAsync(set.Value,
                new GridImportRequest(setup.Value.Crs, from.Value, Path.GetFileName(path), pr.GetValue(note), pr.GetValue(dryRun)), ct);
            if (!report.IsOk) return CliOutput.Fail(report.Failures, path);
            var r = report.Value;
            Console.WriteLine(r.DryRun
                ? $"ok (dry run): {r.GridCount} grids valid; nothing stored"
                : $"imported version {r.Version!.Number}: {r.GridCount} grids, valid from {r.Version.ValidFrom:yyyy-MM-dd} (read as {r.Crs})");
            return 0;
        });

        var outFile = new Option<string>("--out") { Description = "Output file", Required = true };
        var format = new Option<string>("--format") { Description = "geojson or gpkg (default from the extension)" };
        var version = new Option<int?>("--version") { Description = "Version number (default current)" };
        var export = new Command("export", "Export a grid version (EPSG:4490)") { outFile, format, version };
        export.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            var ownership = new OwnershipService(store);
            await ownership.RefreshAsync(true, ct);
            var v = GridsApi.PickVersion(pr.GetValue(version), null, ownership);
            if (!v.IsOk) return CliOutput.Fail(v.Failures);
            var grids = await store.GetGridsAsync(v.Value.Number, ct);
            var path = pr.GetValue(outFile)!;
            var fmt = pr.GetValue(format) ?? (path.EndsWith(".gpkg", StringComparison.OrdinalIgnoreCase) ? "gpkg" : "geojson");
            if (fmt == "gpkg")
            {
                if (File.Exists(path)) File.Delete(path);
                GridFiles.WriteGeoPackage(path, grids, v.Value);
            }
            else if (fmt == "geojson")
            {
                await using var fs = File.Create(path);
                VectorWriter.WriteGeoJson(fs, GridFiles.ToFeatures(grids, v.Value), "EPSG:4490");
            }
            else return CliOutput.Fail(Failure.BadRequest("format_unsupported", "--format must be geojson or gpkg."));
            Console.WriteLine($"wrote {grids.Count} grids of version {v.Value.Number} to {path}");
            return 0;
        });

        var versions = new Command("versions", "List grid versions");
        versions.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            foreach (var v in await store.ListGridVersionsAsync(ct))
                Console.WriteLine($"{v.Number}\t{v.ValidFrom:yyyy-MM-dd}\t{(v.ValidTo is { } to ? to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "current")}\t{v.GridCount} grids\t{v.Source}");
            return 0;
        });
        return new Command("grids", "Responsibility grids") { validate, import, export, versions };
    }

    private static Command DepartmentsCommand()
    {
        var file = new Argument<string>("file") { Description = "CSV: code,name,contact,phone" };
        var import = new Command("import", "Insert or update departments from CSV") { file };
        import.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            await using var s = File.OpenRead(pr.GetValue(file)!);
            var parsed = DepartmentInput.FromCsv(s);
            if (!parsed.IsOk) return CliOutput.Fail(parsed.Failures);
            var valid = DepartmentInput.Validate(parsed.Value);
            if (!valid.IsOk) return CliOutput.Fail(valid.Failures);
            var stored = await store.UpsertDepartmentsAsync(valid.Value, ct);
            if (!stored.IsOk) return CliOutput.Fail(stored.Failures);
            Console.WriteLine($"upserted {stored.Value} departments");
            return 0;
        });
        var list = new Command("list", "List departments");
        list.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            foreach (var d in await store.ListDepartmentsAsync(ct)) Console.WriteLine($"{d.Code}\t{d.Name}\t{d.Contact}\t{d.Phone}");
            return 0;
        });
        return new Command("departments", "Departments") { import, list };
    }

    private static Command MatrixCommand()
    {
        var file = new Argument<string>("file") { Description = "CSV: id,grid,class,department,note ('*' = every grid / default)" };
        var import = new Command("import", "Replace the responsibility matrix from CSV (all or nothing)") { file };
        import.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            var county = County(pr);
            if (!county.IsOk) return CliOutput.Fail(county.Failures);
            await using var s = File.OpenRead(pr.GetValue(file)!);
            var parsed = MatrixInput.FromCsv(s);
            if (!parsed.IsOk) return CliOutput.Fail(parsed.Failures);
            var replaced = await MatrixInput.ReplaceAsync(parsed.Value, store, new OwnershipService(store), county.Value, ct);
            if (!replaced.IsOk) return CliOutput.Fail(replaced.Failures);
            Console.WriteLine($"stored {replaced.Value} rules");
            return 0;
        });
        var list = new Command("list", "List the matrix");
        list.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            foreach (var r in await store.ListRulesAsync(ct))
                Console.WriteLine($"{r.Id}\t{r.Grid?.Value ?? "*"}\t{r.Class?.ToString() ?? "*"}\t{r.Department}\t{r.Note}");
            return 0;
        });
        return new Command("matrix", "The responsibility matrix") { import, list };
    }

    private static Command OwnershipCommand()
    {
        var x = new Option<string?>("--x") { Description = "Easting or longitude" };
        var y = new Option<string?>("--y") { Description = "Northing or latitude" };
        var crs = new Option<string?>("--crs") { Description = "EPSG:4326 (default), EPSG:4490, EPSG:4547, EPSG:3857, GCJ02, BD09" };
        var cls = new Option<string?>("--class") { Description = "C + component code or E + event code, e.g. E0101" };
        var at = new Option<string?>("--at") { Description = "Answer for this day, yyyy-MM-dd" };
        var csv = new Option<string?>("--csv") { Description = "CSV of points: x,y[,class][,id]; answers one row per point" };
        var output = new Option<string?>("--out") { Description = "Output CSV for --csv (default stdout)" };
        var cmd = new Command("ownership", "Which grid and department own a point (or every point of a CSV)") { x, y, crs, cls, at, csv, output };
        cmd.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            var ownership = new OwnershipService(store);
            var snapshot = await ownership.RefreshAsync(true, ct);
            if (pr.GetValue(csv) is { } csvPath)
                return await OwnershipCsv.RunAsync(snapshot, csvPath, pr.GetValue(output), pr.GetValue(crs), pr.GetValue(cls), pr.GetValue(at), ct);
            var q = OwnershipApi.ParseQuery(pr.GetValue(x), pr.GetValue(y), pr.GetValue(crs), pr.GetValue(cls), pr.GetValue(at));
            if (!q.IsOk) return CliOutput.Fail(q.Failures);
            var answer = snapshot.Answer(q.Value);
            if (!answer.IsOk) return CliOutput.Fail(answer.Failures);
            Console.WriteLine(JsonSerializer.Serialize(answer.Value, Json));
            return 0;
        });
        return cmd;
    }

    private static Command Keys()
    {
        var name = new Option<string>("--name") { Description = "Who the key is for", Required = true };
        var role = new Option<string>("--role") { Description = "admin, gis, dispatch or viewer", Required = true };
        var create = new Command("create", "Create an API key (printed once)") { name, role };
        create.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            if (!DirectoryApi.TryRole(pr.GetValue(role), out var r))
                return CliOutput.Fail(Failure.BadRequest("role_invalid", "--role must be admin, gis, dispatch or viewer."));
            var secret = ApiKeyRegistry.NewKey();
            var key = new Access.ApiKey(Guid.NewGuid().ToString("N")[..12], pr.GetValue(name)!, r, secret[..8], ApiKeyRegistry.Hash(secret), DateTimeOffset.UtcNow, null);
            var stored = await store.AddApiKeyAsync(key, ct);
            if (!stored.IsOk) return CliOutput.Fail(stored.Failures);
            Console.WriteLine(secret);
            Console.Error.WriteLine($"key {key.Id} for {key.Name} ({ApiKeyAuthenticationHandler.RoleName(r)}): store it now, it is not shown again");
            return 0;
        });
        var list = new Command("list", "List API keys (never the keys themselves)");
        list.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            foreach (var k in await store.ListApiKeysAsync(ct))
                Console.WriteLine($"{k.Id}\t{k.Name}\t{ApiKeyAuthenticationHandler.RoleName(k.Role)}\t{k.Prefix}…\t{(k.RevokedAt is null ? "active" : "revoked")}");
            return 0;
        });
        var id = new Argument<string>("id");
        var revoke = new Command("revoke", "Revoke an API key") { id };
        revoke.SetAction(async (pr, ct) =>
        {
            await using var store = await OpenStore(pr.GetValue(StoreOption)!, ct);
            var r = await store.RevokeApiKeyAsync(pr.GetValue(id)!, DateTimeOffset.UtcNow, ct);
            if (!r.IsOk) return CliOutput.Fail(r.Failures);
            Console.WriteLine($"revoked {r.Value.Id}");
            return 0;
        });
        return new Command("keys", "API keys") { create, list, revoke };
    }

    private static Result<CountyCode> County(ParseResult pr) => CountyCode.Parse(pr.GetValue(CountyOption));

    private static Result<(GridImport Import, CrsId? Crs)> ImportSetup(ParseResult pr, IGridStore store, Option<string?> crsOption)
    {
        var county = County(pr);
        if (!county.IsOk) return Result<(GridImport, CrsId?)>.Fail(county.Failures);
        CrsId? crs = null;
        if (pr.GetValue(crsOption) is { } c)
        {
            var parsed = CrsId.Parse(c);
            if (!parsed.IsOk) return Result<(GridImport, CrsId?)>.Fail(parsed.Failures);
            crs = parsed.Value;
        }
        return (new GridImport(store, county.Value), crs);
    }

    /// <summary>Opens the store the spec names (GeoPackage path or PostgreSQL); a bad spec or an unreachable database
    /// becomes a <see cref="StoreOpenException"/>, printed by <see cref="RunAsync"/> as one line.</summary>
    internal static Task<IGridStore> OpenStore(string spec, CancellationToken ct, StoreOpenOptions? options = null) =>
        StoreFactory.OpenAsync(spec, options, ct);
}
