using Geo.GridService.Host.Application;
using Geo.Surveys;

namespace Geo.GridService.Host.Http;

/// <summary>Registers the survey catalog (survey records beside the grids: the same GeoPackage file or PostgreSQL
/// database), the ingest worker, and at start-up sweeps what an interrupted ingest left and loads the sample surveys
/// into an empty store.</summary>
internal static class SurveyServices
{
    public static void Add(IServiceCollection services, Storage.IGridStore grids, GeoOptions options)
    {
        var store = Geo.Storage.StoreFactory.OpenSurveysAsync(grids, options.SurveyStorePath).GetAwaiter().GetResult();
        services.AddSingleton<ISurveyStore>(store);
        var catalog = new SurveyCatalog(store, new SurveyOptions
        {
            DataDirectory = options.ResolvedSurveyDirectory,
            MaxUploadBytes = options.MaxSurveyUploadBytes,
        }, options.TileCacheBytes, new Geo.Tiles.Raster.RenderGate(
            options.TileRenderConcurrency > 0 ? options.TileRenderConcurrency : 2 * Environment.ProcessorCount,
            options.TileRenderQueue, TimeSpan.FromMilliseconds(Math.Max(0, options.TileRenderWaitMs))),
            options.IngestInWorker ? new WorkerProcessConverter(ConversionWorker.Command(options)) : null);
        catalog.Jobs.Timeout = options.IngestTimeoutSeconds > 0 ? TimeSpan.FromSeconds(options.IngestTimeoutSeconds) : null;
        services.AddSingleton(catalog);
        services.AddHostedService<SurveyJobWorker>();
    }

    public static async Task PrepareAsync(IServiceProvider services, GeoOptions options, CancellationToken ct)
    {
        var catalog = services.GetRequiredService<SurveyCatalog>();
        var ids = (await catalog.Store.ListAsync(ct)).Select(s => s.Id.Value).ToHashSet(StringComparer.Ordinal);
        SurveyFiles.Sweep(catalog.Ingest.DataDirectory, ids, TimeSpan.FromMinutes(10));
        if (!string.IsNullOrWhiteSpace(options.LoadSurveySamples) && Directory.Exists(options.LoadSurveySamples))
        {
            var loaded = await catalog.LoadSamplesIfEmptyAsync(options.LoadSurveySamples, ct);
            if (!loaded.IsOk) throw new InvalidOperationException("Loading the sample surveys failed: " + string.Join("; ", loaded.Failures));
        }
    }
}

/// <summary>How the service starts its ingest worker: this very program (<c>geo.dll</c>) with the hidden verb
/// <c>surveys convert-worker</c>, under the same .NET host.</summary>
internal static class ConversionWorker
{
    public const string Verb = "convert-worker";

    public static WorkerCommand Command(GeoOptions options)
    {
        var geoDll = typeof(ConversionWorker).Assembly.Location;
        var host = Environment.ProcessPath;
        // Under `dotnet geo.dll` (and test hosts) the process is the dotnet host; under the apphost it is `geo` itself.
        string[] args = ["surveys", Verb];
        var (file, prefix) = host is not null && Path.GetFileNameWithoutExtension(host) == "dotnet" ? (host, new[] { geoDll })
            : host is not null && Path.GetFileNameWithoutExtension(host) == Path.GetFileNameWithoutExtension(geoDll) ? (host, [])
            : ("dotnet", new[] { geoDll });
        var cpu = options.IngestTimeoutSeconds > 0 ? 2 * Environment.ProcessorCount * options.IngestTimeoutSeconds : 0;
        return new WorkerCommand(file, [.. prefix, .. args], Math.Max(0, options.IngestWorkerMemoryBytes), cpu);
    }
}

/// <summary>Runs queued ingest jobs.</summary>
internal sealed class SurveyJobWorker(SurveyCatalog catalog) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await catalog.Jobs.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
