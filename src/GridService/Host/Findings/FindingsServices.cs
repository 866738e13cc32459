using Microsoft.Extensions.DependencyInjection.Extensions;
using Geo.ChangeDetect.Findings;
using Geo.GridService.Host.Application;
using Geo.GridService.Storage;
using Geo.Storage;
using Geo.Surveys;

namespace Geo.GridService.Host.Findings;

/// <summary>
/// Composition of the findings application: the finding store (beside the grids: same GeoPackage file or database), the run
/// orchestration, the findings tile feed. The detector is resolved when a run starts, not at start-up, so the service
/// composes and serves everything else when no <see cref="ISurveyChangeDetector"/> is registered (a run then gets 503
/// <c>detector_unavailable</c>).
/// </summary>
public static class FindingsServices
{
    /// <summary>
    /// THE place the survey change-detection pipeline is registered, for the service and the CLI alike: the streaming
    /// <see cref="Geo.ChangeDetect.Surveys.SurveyPairDetector"/> with its one set of defaults. Tests replace it with a
    /// scripted double through the host's service configuration.
    /// </summary>
    public static void AddDetector(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ISurveyChangeDetector>(_ => new Geo.ChangeDetect.Surveys.SurveyPairDetector());
    }

    /// <summary>Registers the findings services on the grid store's backend (the same GeoPackage file or PostGIS database).</summary>
    public static void Add(IServiceCollection services, IGridStore store)
    {
        AddDetector(services);
        services.AddSingleton<IFindingStore>(_ => StoreFactory.OpenFindingsAsync(store).GetAwaiter().GetResult());
        services.AddSingleton(sp => new FindingsApp(sp.GetRequiredService<IFindingStore>(), sp.GetRequiredService<SurveyCatalog>(), store,
            sp.GetRequiredService<OwnershipService>(), () => sp.GetService<ISurveyChangeDetector>()));
        services.AddSingleton<Geo.Tiles.Vector.IFindingTileFeed>(sp => new FindingTileFeed(sp.GetRequiredService<IFindingStore>()));
        services.AddHostedService<FindingsShutdown>();
    }

    /// <summary>What a run's end says when its process died (found by the next start of the service or of a CLI verb).</summary>
    public const string AbandonedProblem = "The process running it stopped during the run (found at a later start); no finding was stored.";

    /// <summary>
    /// At start: runs a killed process left 'running' are marked failed (before any new run can start); runs another
    /// live process (a CLI run, another instance) still executes keep running: their leases tell them apart.
    /// </summary>
    public static async Task PrepareAsync(IServiceProvider services, CancellationToken ct)
    {
        if (services.GetService<FindingsApp>() is not { } app) return;
        await app.Runner.FailAbandonedRunsAsync(AbandonedProblem, ct);
    }
}

/// <summary>On shutdown, cancels live runs so they are recorded as cancelled rather than left running.</summary>
internal sealed class FindingsShutdown(FindingsApp app) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => app.Runner.StopAsync();
}
