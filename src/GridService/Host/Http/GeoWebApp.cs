using System.Text.Encodings.Web;
using Geo.GridService.Codes;
using Geo.GridService.Grids;
using Geo.GridService.Host.Application;
using Geo.GridService.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Geo.GridService.Host.Http;

/// <summary>Builds the web application around an opened store: services, middleware, endpoints.</summary>
public static class GeoWebApp
{
    /// <param name="configureServices">Extra registrations after the service's own (tests register doubles, e.g. a detector).</param>
    public static WebApplication Build(IGridStore store, GeoOptions options, string[]? args = null, string? urls = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args ?? [],
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        if (urls is not null) builder.WebHost.UseUrls(urls);
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.JsonWriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxJsonBytes; // small by default; raised per endpoint where uploads happen
            k.AddServerHeader = false;
        });
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = options.InlineHotPath);

        var county = CountyCode.Parse(options.County);
        if (!county.IsOk) throw new InvalidOperationException($"Geo:County is invalid: {county.Failure.Message}");

        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(store);
        services.AddSingleton(new OwnershipService(store, options.BoundaryToleranceMetres));
        services.AddSingleton(new GridImport(store, county.Value, new GridValidationOptions(county.Value)));
        CensusApi.AddCensus(services, store, county.Value);
        var registry = new ApiKeyRegistry();
        registry.SetBootstrap(string.IsNullOrEmpty(options.BootstrapAdminKey) ? Environment.GetEnvironmentVariable("GEO_ADMIN_KEY") : options.BootstrapAdminKey);
        services.AddSingleton(registry);
        services.AddGeoRateLimits(options, registry);
        services.AddSingleton<Application.Features.IFeatureCollectionSource, Application.Features.GridFeatureSource>();
        services.AddHostedService<StoreWatcher>();
        SurveyServices.Add(services, store, options);
        Findings.FindingsServices.Add(services, store);
        configureServices?.Invoke(services);

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        Policies.Configure(services.AddAuthorizationBuilder(), options.AnonymousRead);

        services.AddExceptionHandler<StoreUnavailableHandler>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier;
            ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;
        });
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            o.SerializerOptions.MaxDepth = 32;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GeoJsonContext.Default);
        });
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info = new() { Title = "汝州市数字化城管 网格服务 API (Ruzhou grid service)", Version = "v1",
                Description = "Grids, departments, the responsibility matrix and the dispatch ownership answer. " +
                              "Coordinates: x = easting/longitude, y = northing/latitude. Errors are RFC 9457 problem+json. " +
                              "Writes need an X-Api-Key header with the gis or admin role." };
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = static e => e switch
            {
                BadHttpRequestException b => b.StatusCode,
                StoreUnavailableException => StatusCodes.Status503ServiceUnavailable, // a read met a database that is down: retry
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        app.UseGeoRateLimits();
        app.UseMiddleware<OwnershipFastPath>(); // plain 200 ownership answers skip the rest of the pipeline
        if (options.InlineHotPath) app.UseMiddleware<ThreadPoolHop>(); // everything else leaves the socket thread
        // Routing explicitly here, after the hot path (WebApplication would otherwise match endpoints first, for
        // every request, before any middleware).
        app.UseRouting();
        app.UseStatusCodePages();
        // Static pages and the API reference never serve /api paths: keep their file-system probes off the hot path.
        app.UseWhen(static ctx => !ctx.Request.Path.StartsWithSegments("/api"), web =>
        {
            web.UseDefaultFiles();
            web.UseStaticFiles();
            web.UseSwaggerUI(o =>
            {
                o.SwaggerEndpoint("/openapi/v1.json", "Geo API v1");
                o.RoutePrefix = "docs";
                o.DocumentTitle = "API 参考 · 汝州市网格服务";
            });
        });
        app.UseAuthentication();
        app.UseAuthFailureGuard();
        app.UseAuthorization();

        app.MapOpenApi("/openapi/v1.json").AllowAnonymous(); // the one document; no {documentName} route to probe
        app.MapGet("/health", Health).AllowAnonymous().WithTags("Service").WithName("Health");
        app.MapOwnershipApi();
        app.MapGridsApi();
        app.MapDirectoryApi();
        app.MapCensusApi();
        app.MapOgcFeaturesApi();
        app.MapSurveysApi();
        app.MapTilesApi();
        app.MapFindingsApi();
        return app;
    }

    /// <summary>Loads the snapshot and keys before the first request is served.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken ct = default)
    {
        var store = app.Services.GetRequiredService<IGridStore>();
        var options = app.Services.GetRequiredService<IOptions<GeoOptions>>().Value;
        var ownership = app.Services.GetRequiredService<OwnershipService>();
        if (!string.IsNullOrWhiteSpace(options.LoadSamples))
        {
            var loaded = await SampleLoader.LoadIfEmptyAsync(store, ownership, options.LoadSamples, CountyCode.Parse(options.County).Value, ct);
            if (!loaded.IsOk)
                throw new InvalidOperationException("Loading the samples failed: " + string.Join("; ", loaded.Failures));
        }
        await ownership.RefreshAsync(force: true, ct);
        await CensusApi.PrepareAsync(app, ct);
        await app.Services.GetRequiredService<ApiKeyRegistry>().ReloadAsync(store, ct);
        await SurveyServices.PrepareAsync(app.Services, options, ct);
        await Findings.FindingsServices.PrepareAsync(app.Services, ct);
    }

    private static async Task<IResult> Health(OwnershipService ownership, IGridStore store, CancellationToken ct)
    {
        try
        {
            var revision = await store.GetRevisionAsync(ct);
            var current = ownership.IsLoaded ? ownership.Snapshot.Current : null;
            return Results.Ok(new
            {
                status = "ok",
                revision,
                gridVersion = current?.Number,
                grids = current?.GridCount,
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Results.Problem(title: "store unavailable", statusCode: StatusCodes.Status503ServiceUnavailable,
                extensions: new Dictionary<string, object?> { ["code"] = "store_unavailable" });
        }
    }
}

/// <summary>
/// Picks up writes made by other processes (another service instance on the same database, a CLI import): follows the
/// store's change feed (<see cref="IStoreChanges"/>: LISTEN/NOTIFY on PostGIS, within milliseconds; revision polling
/// every <see cref="GeoOptions.RefreshIntervalMs"/> on the GeoPackage) and refreshes the ownership snapshot, the key
/// registry when the revision moved, and asks the census index to catch up (census writes move the shared revision and
/// the census's own; the index and the components tile layer are rebuilt only when the census's own moved). While the store is unreachable the current snapshot keeps answering; the refresh
/// is retried until it succeeds.
/// </summary>
internal sealed class StoreWatcher(IGridStore store, OwnershipService ownership, ApiKeyRegistry registry, IOptions<GeoOptions> options,
    ILogger<StoreWatcher> log, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(100, options.Value.RefreshIntervalMs));
        var feed = store as IStoreChanges ?? new PollingChanges(store);
        var watch = new StoreWatchOptions(interval, (message, e) => log.LogWarning(e, "{Message}", message));
        long seen = ownership.IsLoaded ? ownership.Snapshot.Revision : -1;
        try
        {
            await foreach (var revision in feed.WatchAsync(watch, stoppingToken))
            {
                if (revision == seen) continue;
                while (true)
                {
                    try
                    {
                        await ownership.RefreshAsync(ct: stoppingToken);
                        await registry.ReloadAsync(store, stoppingToken);
                        seen = revision;
                        break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogWarning(e, "Refreshing from the store failed; will retry");
                        await Task.Delay(interval, stoppingToken);
                    }
                }
                // The census index (nearest-N, map windows, OGC bbox) follows the same revision: rebuild it now rather
                // than on the next request after another instance's census write. Best effort: a request rebuilds it
                // anyway when it finds it stale.
                if (services.GetService<Census.CensusService>() is { } census)
                {
                    try
                    {
                        await census.IndexAsync(stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogWarning(e, "Rebuilding the census index failed; the next census request retries");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>The change feed of a store that has none of its own: its revision, polled.</summary>
    private sealed class PollingChanges(IGridStore store) : IStoreChanges
    {
        public async IAsyncEnumerable<long> WatchAsync(StoreWatchOptions watch,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        {
            using var timer = new PeriodicTimer(watch.PollInterval);
            do
            {
                long revision;
                try { revision = await store.GetRevisionAsync(ct); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    watch.OnProblem?.Invoke("Reading the store revision failed; retrying.", e);
                    continue;
                }
                yield return revision;
            } while (await timer.WaitForNextTickAsync(ct));
        }
    }
}
