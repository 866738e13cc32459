namespace Geo.GridService.Host.Http;

/// <summary>Service configuration (section <c>Geo</c> of appsettings.json, or environment variables GEO__*).</summary>
public sealed class GeoOptions
{
    /// <summary>The store: a GeoPackage path (created when missing) or a PostgreSQL URI / connection string (see
    /// <c>Geo.Storage.StoreSpec</c>). Secret when it holds a password: never log it.</summary>
    public string Store { get; set; } = "data/geo.gpkg";

    /// <summary>The county whose grid codes this instance accepts (汝州市 410482).</summary>
    public string County { get; set; } = "410482";

    /// <summary>An admin key accepted in addition to the stored ones, for bootstrapping (also GEO_ADMIN_KEY).
    /// Empty = none. At least 24 characters.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>When true, reads (ownership, grids, departments, the matrix) need no key; writes always do.</summary>
    public bool AnonymousRead { get; set; } = true;

    /// <summary>Distance in metres under which a point is reported as on a grid boundary.</summary>
    public double BoundaryToleranceMetres { get; set; } = 0.5;

    /// <summary>Most points in one batch ownership request.</summary>
    public int MaxBatchPoints { get; set; } = 10_000;

    /// <summary>Largest grid file accepted by the import endpoint, in bytes.</summary>
    public long MaxImportBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>Largest JSON body on other endpoints, in bytes.</summary>
    public long MaxJsonBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest batch request body, in bytes (10,000 points fit in under 1 MB).</summary>
    public long MaxBatchBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>How often the store's revision is polled to pick up other instances' writes, in milliseconds.</summary>
    public int RefreshIntervalMs { get; set; } = 1000;

    /// <summary>Apply pending PostGIS schema migrations at start (default); false = refuse to start on an old schema
    /// and leave migrating to <c>geo store migrate</c>.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Requests per second one client without a key (one remote address) may make; bursts up to twice that.
    /// 0 = no limit. A map view loads a few dozen tiles at once; the default leaves room for that.</summary>
    public int AnonymousRequestsPerSecond { get; set; } = 500;

    /// <summary>Requests per second one API key may make (the dispatch system is one key); 0 = no limit.</summary>
    public int KeyRequestsPerSecond { get; set; } = 50_000;

    /// <summary>Failed key checks (401) one remote address may cause per minute before its keyed requests get 429
    /// (SECURITY.md Z5); 0 = no limit.</summary>
    public int AuthFailuresPerMinute { get; set; } = 20;

    /// <summary>Directory of sample data to load into an empty store at start (the README's run command); empty = none.</summary>
    public string? LoadSamples { get; set; }

    /// <summary>Directory of survey COGs and uploads in progress; empty = <c>surveys/</c> beside the store file.</summary>
    public string? SurveyDirectory { get; set; }

    /// <summary>Largest survey upload in bytes, counted on bytes read (default 40 GiB).</summary>
    public long MaxSurveyUploadBytes { get; set; } = 40L * 1024 * 1024 * 1024;

    /// <summary>
    /// Run the ownership hot path on Kestrel's socket threads (inline scheduling, default true): a plain ownership
    /// answer is computed and written without a hop to the thread pool, and every other request hops there first
    /// (<see cref="ThreadPoolHop"/>), so nothing that blocks ever runs on a socket thread.
    /// </summary>
    public bool InlineHotPath { get; set; } = true;

    /// <summary>Bytes of encoded raster tiles kept in memory (default 256 MiB).</summary>
    public long TileCacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Bytes of encoded vector tiles (MVT) kept in memory (default 64 MiB; 0 disables the cache, every tile is
    /// rendered from the in-memory layer data on each request).</summary>
    public long VectorTileCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Raster tile renders running at once (SECURITY A5); 0 = twice the processor count.</summary>
    public int TileRenderConcurrency { get; set; }

    /// <summary>Tile requests allowed to wait for a render slot; beyond them, 503 with Retry-After (default 64).</summary>
    public int TileRenderQueue { get; set; } = 64;

    /// <summary>Longest wait for a render slot in milliseconds; after it, 503 with Retry-After (default 2000).</summary>
    public int TileRenderWaitMs { get; set; } = 2000;

    /// <summary>Wall-clock limit of one survey ingest job in seconds; 0 = none (default 3600).</summary>
    public int IngestTimeoutSeconds { get; set; } = 3600;

    /// <summary>
    /// Decode and convert uploaded surveys in a worker process (default true; SECURITY O3): a decoder crash on a
    /// crafted file ends that worker and fails that one job (<c>conversion_crashed</c>), never the service.
    /// </summary>
    public bool IngestInWorker { get; set; } = true;

    /// <summary>Address-space limit (RLIMIT_AS) of the ingest worker in bytes (default 8 GiB; 0 = none).</summary>
    public long IngestWorkerMemoryBytes { get; set; } = 8L << 30;

    /// <summary>A directory holding a synthetic survey pair (manifest.json) to ingest when no survey is stored; empty = none.</summary>
    public string? LoadSurveySamples { get; set; }

    /// <summary>The survey directory in force: the setting, else <c>surveys/</c> beside a GeoPackage store, else <c>data/surveys</c>.</summary>
    public string ResolvedSurveyDirectory => !string.IsNullOrWhiteSpace(SurveyDirectory)
        ? Path.GetFullPath(SurveyDirectory)
        : StoreIsGeoPackage
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Store)) ?? ".", "surveys")
            : Path.GetFullPath(Path.Combine("data", "surveys"));

    /// <summary>
    /// The GeoPackage holding the survey records when the store is a GeoPackage: the store itself. (With a PostgreSQL
    /// store the records are in the database; the survey directory, shared by the instances, holds only the COGs.)
    /// </summary>
    public string SurveyStorePath => StoreIsGeoPackage ? Store : Path.Combine(ResolvedSurveyDirectory, "surveys.gpkg");

    private bool StoreIsGeoPackage =>
        Geo.Storage.StoreSpec.Parse(Store) is not { IsOk: true } spec || spec.Value.Kind == Geo.Storage.StoreKind.GeoPackage;
}
