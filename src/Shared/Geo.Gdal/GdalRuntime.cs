using Geo.Gdal.Interop;

namespace Geo.Gdal;

/// <summary>
/// Process-wide GDAL set-up. Every public entry point of this assembly calls <see cref="EnsureInitialized()"/>, so
/// callers only need it to choose non-default <see cref="GdalRuntimeOptions"/> (call it once at start-up).
/// </summary>
public static class GdalRuntime
{
    private static readonly Lock Gate = new();
    private static GdalRuntimeOptions? _options;

    /// <summary>The options GDAL was initialised with, or null before the first call.</summary>
    public static GdalRuntimeOptions? Options => Volatile.Read(ref _options);

    /// <summary>
    /// Loads libgdal now. Call it from a <c>[ModuleInitializer]</c> of every executable or test assembly that may
    /// also load OpenCV, before any OpenCV type is touched: if OpenCV's native library comes first, GDAL binds to
    /// OpenCV's libjpeg and crashes on JPEG-compressed GeoTIFFs (PITFALLS, OpenCvSharp4). This assembly's own module
    /// initializer already does it, but only once something touches this assembly.
    /// </summary>
    /// <exception cref="DllNotFoundException">libgdal is not installed.</exception>
    public static void PreloadNativeLibrary() => GdalLibrary.Load();

    /// <summary>Initialises GDAL with <see cref="GdalRuntimeOptions.Default"/> (idempotent, thread-safe).</summary>
    public static void EnsureInitialized() => EnsureInitialized(GdalRuntimeOptions.Default);

    /// <summary>
    /// Initialises GDAL once: configuration options first (they are read when drivers register), then
    /// <c>GDALAllRegister</c>, the cache bound and the capturing error handler. Idempotent and thread-safe.
    /// </summary>
    /// <exception cref="InvalidOperationException">GDAL was already initialised with different options (a bug).</exception>
    public static void EnsureInitialized(GdalRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var current = Volatile.Read(ref _options);
        if (current is null)
        {
            lock (Gate)
            {
                current = _options;
                if (current is null)
                {
                    Initialize(options);
                    Volatile.Write(ref _options, options);
                    return;
                }
            }
        }

        if (!current.Equals(options))
        {
            throw new InvalidOperationException("GDAL is already initialised with different options; configure it once, at start-up.");
        }
    }

    private static void Initialize(GdalRuntimeOptions options)
    {
        GdalLibrary.Load();
        GdalErrors.Install();

        // Sidecars (.aux.xml, .ovr, .tfw, .prj, .msk) next to a file are never probed: uploads cannot side-load
        // georeferencing or overviews (U7), and there is no directory listing per open. Overviews must be internal.
        GdalNative.CPLSetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", options.DisableReadDirOnOpen);
        if (!string.IsNullOrWhiteSpace(options.SkipDrivers))
        {
            GdalNative.CPLSetConfigOption("GDAL_SKIP", options.SkipDrivers);
        }

        // No sidecar writes either (statistics, PAM metadata) next to uploads.
        GdalNative.CPLSetConfigOption("GDAL_PAM_ENABLED", options.PamEnabled ? "YES" : "NO");
        GdalNative.GDALAllRegister();
        GdalNative.GDALSetCacheMax64(options.CacheMaxMegabytes * 1024L * 1024L);
    }

    /// <summary>
    /// Sets a GDAL configuration option for the calling thread only (<c>CPLSetThreadLocalConfigOption</c>) until the
    /// returned scope is disposed, which restores the previous thread-local value. GDAL reads such options on the
    /// thread that opens a dataset or runs a utility, e.g. <c>GDAL_NUM_THREADS</c> for multi-threaded GeoTIFF
    /// decoding and overview computation in one ingest without changing the rest of the process.
    /// </summary>
    public static unsafe IDisposable ThreadConfig(string key, string? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        EnsureInitialized();
        var previous = GdalNative.Str(GdalNative.CPLGetThreadLocalConfigOption(key, null));
        GdalNative.CPLSetThreadLocalConfigOption(key, value);
        return new ThreadConfigScope(key, previous, Environment.CurrentManagedThreadId);
    }

    private sealed class ThreadConfigScope(string key, string? previous, int threadId) : IDisposable
    {
        public void Dispose()
        {
            if (Environment.CurrentManagedThreadId != threadId)
                throw new InvalidOperationException("A thread-local GDAL option must be restored on the thread that set it.");
            GdalNative.CPLSetThreadLocalConfigOption(key, previous);
        }
    }

    /// <summary>Datasets GDAL itself has open (all threads): the native-side cross-check of <see cref="GdalDataset.OpenCount"/>.</summary>
    internal static unsafe int NativeOpenDatasetCount()
    {
        EnsureInitialized();
        IntPtr list;
        int count;
        GdalNative.GDALGetOpenDatasets(&list, &count);
        return count;
    }

    /// <summary>Current value of a GDAL configuration option (tests and diagnostics).</summary>
    internal static unsafe string? GetConfigOption(string key)
    {
        EnsureInitialized();
        return GdalNative.Str(GdalNative.CPLGetConfigOption(key, null));
    }

    /// <summary>Cache bound in bytes as GDAL sees it.</summary>
    internal static long CacheMaxBytes
    {
        get
        {
            EnsureInitialized();
            return GdalNative.GDALGetCacheMax64();
        }
    }
}

/// <summary>
/// Process-wide GDAL settings, fixed at the first initialisation.
/// </summary>
/// <param name="CacheMaxMegabytes">Block cache bound (<c>GDAL_CACHEMAX</c>), in MiB. Bounds decoded memory (U3).</param>
/// <param name="SkipDrivers">
/// <c>GDAL_SKIP</c>: drivers deregistered for the whole process. The default removes the VRT driver (an XML file that
/// can point at any path or URL) and the network-reaching raster drivers. The utility functions still work without
/// the VRT driver because they build VRT datasets in memory directly; what is lost is opening <c>.vrt</c> files.
/// Uploads are additionally opened with an allowed-driver list of {GTiff}, so this is defence in depth.
/// </param>
/// <param name="DisableReadDirOnOpen"><c>GDAL_DISABLE_READDIR_ON_OPEN</c>; <c>EMPTY_DIR</c> means "assume no sidecars".</param>
/// <param name="PamEnabled"><c>GDAL_PAM_ENABLED</c>: whether GDAL may write/read <c>.aux.xml</c> sidecars.</param>
public sealed record GdalRuntimeOptions(
    int CacheMaxMegabytes = 1024,
    string SkipDrivers = GdalRuntimeOptions.DefaultSkipDrivers,
    string DisableReadDirOnOpen = "EMPTY_DIR",
    bool PamEnabled = false)
{
    /// <summary>VRT plus every raster driver that talks to the network.</summary>
    public const string DefaultSkipDrivers = "VRT WMS WMTS WCS HTTP DAAS EEDA EEDAI PLMOSAIC OGCAPI STACTA STACIT NGW ESRIC";

    /// <summary>1 GiB cache (the COG conversion of a large survey re-reads its overview passes: 256 MiB cost it a third more CPU), VRT and network drivers skipped, no sidecar probing, no PAM.</summary>
    public static GdalRuntimeOptions Default { get; } = new();
}
