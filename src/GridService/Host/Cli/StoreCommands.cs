using System.CommandLine;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Storage;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// <c>geo store ...</c>: the store itself. <c>migrate</c> brings a store's schema up to date (what <c>serve</c> does at
/// start unless <c>Geo__MigrateOnStart=false</c>); <c>info</c> says what a store is and holds; <c>copy</c> moves
/// everything from one store into another, empty one (GeoPackage to PostGIS and back). Stores are named as
/// <c>--store</c> names them; connection strings are printed without their password.
/// </summary>
internal static class StoreCommands
{
    public static Command Create() => new("store", "The store: schema migrations, information, copying between backends")
    {
        Migrate(), Info(), Copy(),
    };

    private static Command Migrate()
    {
        var cmd = new Command("migrate", "Apply pending schema migrations to the store (--store) and print its schema version");
        cmd.SetAction(async (pr, ct) =>
        {
            var spec = Parse(pr.GetValue(GeoCli.StoreOption));
            if (!spec.IsOk) return CliOutput.Fail(spec.Failures);
            await using var store = await StoreFactory.OpenAsync(spec.Value, new StoreOpenOptions(Migrate: true), ct);
            switch (store)
            {
                case PostGisGridStore pg:
                    foreach (var m in pg.Migration!.Applied) Console.WriteLine($"applied {m.Name}");
                    Console.WriteLine($"{spec.Value.Display}: schema version {pg.Migration.Version}{(pg.Migration.Applied.Count == 0 ? " (up to date)" : "")}");
                    break;
                default:
                    Console.WriteLine($"{spec.Value.Display}: GeoPackage schema up to date");
                    break;
            }
            return 0;
        });
        return cmd;
    }

    private static Command Info()
    {
        var cmd = new Command("info", "Which backend the store (--store) is, its revision and what it holds");
        cmd.SetAction(async (pr, ct) =>
        {
            var spec = Parse(pr.GetValue(GeoCli.StoreOption));
            if (!spec.IsOk) return CliOutput.Fail(spec.Failures);
            await using var store = await StoreFactory.OpenAsync(spec.Value, new StoreOpenOptions(Migrate: false), ct);
            var versions = await store.ListGridVersionsAsync(ct);
            Console.WriteLine($"store:       {spec.Value.Display}");
            Console.WriteLine($"backend:     {(spec.Value.Kind == StoreKind.PostGis ? "PostgreSQL/PostGIS" : "GeoPackage")}");
            Console.WriteLine($"revision:    {await store.GetRevisionAsync(ct)}");
            Console.WriteLine($"versions:    {versions.Count} ({versions.Sum(v => v.GridCount)} grids)");
            Console.WriteLine($"departments: {(await store.ListDepartmentsAsync(ct)).Count}");
            Console.WriteLine($"rules:       {(await store.ListRulesAsync(ct)).Count}");
            Console.WriteLine($"api keys:    {(await store.ListApiKeysAsync(ct)).Count}");
            await using (var census = await StoreFactory.OpenCensusAsync(store, ct))
                Console.WriteLine($"components:  {await census.CountAsync(ct)} ({(await census.ListClassesAsync(ct)).Count} classes)");
            await using (var surveys = await StoreFactory.OpenSurveysAsync(store, spec.Value.Target, ct))
                Console.WriteLine($"surveys:     {(await surveys.ListAsync(ct)).Count}");
            await using (var findingStore = await StoreFactory.OpenFindingsAsync(store, ct))
            {
                long findingCount = 0;
                await foreach (var _ in findingStore.ScanFindingsAsync(null, ct)) findingCount++;
                Console.WriteLine($"findings:    {findingCount} ({(await findingStore.ListRunsAsync(ct)).Count} change runs, " +
                                  $"{(await findingStore.ListPermitsAsync(ct)).Count} permits)");
            }
            return 0;
        });
        return cmd;
    }

    private static Command Copy()
    {
        var from = new Option<string>("--from") { Description = "Source store (GeoPackage path or PostgreSQL URI / connection string)", Required = true };
        var to = new Option<string>("--to") { Description = "Destination store, empty (created and migrated when new)", Required = true };
        var replace = new Option<bool>("--replace")
        {
            Description = "Replace what the destination holds (deleted in the copy's transaction; without it a destination with data is refused)",
        };
        var cmd = new Command("copy", "Copy everything (grid versions, grids, departments, matrix, API key hashes, census with audit, survey records, " +
                                      "change runs, findings, reviews, permits, dispatch outbox) into an empty store in one transaction, then verify")
        {
            from, to, replace,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var source = Parse(pr.GetValue(from));
            var destination = Parse(pr.GetValue(to));
            if (!source.IsOk) return CliOutput.Fail(source.Failures);
            if (!destination.IsOk) return CliOutput.Fail(destination.Failures);
            if (source.Value.Kind == destination.Value.Kind && source.Value.Target == destination.Value.Target)
                return CliOutput.Fail(Failure.BadRequest("store_copy_same", "--from and --to name the same store."));
            if (source.Value.Kind == StoreKind.GeoPackage && !File.Exists(source.Value.Target))
                return CliOutput.Fail(Failure.NotFound("store_not_found", $"There is no GeoPackage at {source.Value.Display}."));

            await using var src = await StoreFactory.OpenAsync(source.Value, new StoreOpenOptions(Migrate: false), ct);
            await using var dst = await StoreFactory.OpenAsync(destination.Value, new StoreOpenOptions(Migrate: true), ct);
            Result<StoreCopyReport> result = default;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var read = ctx.AddTask("读取 read", maxValue: 1);
                    var write = ctx.AddTask("写入 write grids", autoStart: false);
                    var census = ctx.AddTask("写入 write census", autoStart: false);
                    var findings = ctx.AddTask("写入 write surveys, findings", autoStart: false, maxValue: 1);
                    var verify = ctx.AddTask("核对 verify", autoStart: false, maxValue: 1);
                    var progress = new Progress<StoreCopy.Step>(step =>
                    {
                        switch (step.Phase)
                        {
                            case "write":
                                read.Value = read.MaxValue;
                                if (!write.IsStarted) write.StartTask();
                                write.MaxValue = Math.Max(1, step.Total);
                                write.Value = step.Done;
                                break;
                            case "census":
                                write.Value = write.MaxValue;
                                if (!census.IsStarted) census.StartTask();
                                census.MaxValue = Math.Max(1, step.Total);
                                census.Value = step.Done;
                                break;
                            case "surveys" or "findings":
                                write.Value = write.MaxValue;
                                census.Value = census.MaxValue;
                                if (!findings.IsStarted) findings.StartTask();
                                break;
                            case "verify":
                                write.Value = write.MaxValue;
                                census.Value = census.MaxValue;
                                findings.Value = findings.MaxValue;
                                if (!verify.IsStarted) verify.StartTask();
                                break;
                        }
                    });
                    result = await StoreCopy.CopyAsync(src, dst, new StoreCopyOptions(Replace: pr.GetValue(replace)), progress, ct);
                    if (result.IsOk) verify.Value = verify.MaxValue;
                });
            if (!result.IsOk) return CliOutput.Fail(result.Failures);
            var r = result.Value;
            Console.WriteLine($"copied {r.Versions} grid versions ({r.Grids} grids), {r.Departments} departments, {r.Rules} rules, {r.ApiKeys} API keys, " +
                              $"{r.Classes} classes, {r.Components} components ({r.Imports} imports, {r.AuditEntries} audit entries), {r.Surveys} survey records, " +
                              $"{r.Runs} change runs ({r.Findings} findings, {r.Reviews} reviews, {r.OutboxEntries} outbox entries), {r.Permits} permits " +
                              $"from {source.Value.Display} to {destination.Value.Display}; verified equal (survey COG files are not copied: keep the survey directory)");
            return 0;
        });
        return cmd;
    }

    private static Result<StoreSpec> Parse(string? spec) => StoreSpec.Parse(spec);
}
