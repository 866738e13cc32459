using System.Runtime.InteropServices;
using Geo.Gdal.Interop;
using Geo.Spatial.Failures;

namespace Geo.Gdal;

/// <summary>
/// In-process <c>gdal_translate</c> and <c>gdalwarp</c> (GDAL's utility C API), for server-side work on datasets
/// that already passed <see cref="SurveyInspector"/>. Arguments are the command-line switches without the program
/// name, e.g. <c>["-of", "GTiff", "-co", "COMPRESS=DEFLATE"]</c>. The destination may be a file path, a
/// <c>/vsimem/</c> name, or empty with <c>-of MEM</c>. The result is a new open dataset owned by the caller.
/// </summary>
public static class GdalApps
{
    /// <summary>gdal_translate <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public static unsafe Result<GdalDataset> Translate(GdalDataset source, string destination, IReadOnlyList<string> arguments,
        GdalProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(arguments);
        GdalRuntime.EnsureInitialized();

        using var argv = Utf8StringList.Create(arguments);
        var scope = GdalErrorScope.Begin();
        var options = GdalNative.GDALTranslateOptionsNew(argv.Pointer, IntPtr.Zero);
        if (options == IntPtr.Zero)
        {
            return Usage("gdal_translate", scope.FirstFailureMessage);
        }

        var progressHandle = progress is null ? default : GCHandle.Alloc(progress);
        try
        {
            if (progress is not null)
            {
                GdalNative.GDALTranslateOptionsSetProgress(options, &GdalProgress.Callback, GCHandle.ToIntPtr(progressHandle));
            }

            int usageError = 0;
            var raw = GdalNative.GDALTranslate(destination, source.Handle, options, &usageError);
            return Finish(raw, usageError, "gdal_translate", destination, scope.FirstFailureMessage, progress);
        }
        finally
        {
            GdalNative.GDALTranslateOptionsFree(options);
            if (progressHandle.IsAllocated)
            {
                progressHandle.Free();
            }
        }
    }

    /// <summary>gdalwarp <paramref name="sources"/> into a new <paramref name="destination"/>.</summary>
    public static unsafe Result<GdalDataset> Warp(IReadOnlyList<GdalDataset> sources, string destination, IReadOnlyList<string> arguments,
        GdalProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(arguments);
        if (sources.Count == 0)
        {
            throw new ArgumentException("At least one source dataset is needed.", nameof(sources));
        }

        GdalRuntime.EnsureInitialized();
        using var argv = Utf8StringList.Create(arguments);
        var scope = GdalErrorScope.Begin();
        var options = GdalNative.GDALWarpAppOptionsNew(argv.Pointer, IntPtr.Zero);
        if (options == IntPtr.Zero)
        {
            return Usage("gdalwarp", scope.FirstFailureMessage);
        }

        // Keep every source handle alive while GDAL holds the raw pointers.
        var added = new bool[sources.Count];
        var raws = new IntPtr[sources.Count];
        var progressHandle = progress is null ? default : GCHandle.Alloc(progress);
        try
        {
            if (progress is not null)
            {
                GdalNative.GDALWarpAppOptionsSetProgress(options, &GdalProgress.Callback, GCHandle.ToIntPtr(progressHandle));
            }

            for (var i = 0; i < sources.Count; i++)
            {
                sources[i].Handle.DangerousAddRef(ref added[i]);
                raws[i] = sources[i].Handle.DangerousGetHandle();
            }

            int usageError = 0;
            fixed (IntPtr* p = raws)
            {
                var raw = GdalNative.GDALWarp(destination, IntPtr.Zero, raws.Length, p, options, &usageError);
                return Finish(raw, usageError, "gdalwarp", destination, scope.FirstFailureMessage, progress);
            }
        }
        finally
        {
            for (var i = 0; i < sources.Count; i++)
            {
                if (added[i])
                {
                    sources[i].Handle.DangerousRelease();
                }
            }

            GdalNative.GDALWarpAppOptionsFree(options);
            if (progressHandle.IsAllocated)
            {
                progressHandle.Free();
            }
        }
    }

    private static Result<GdalDataset> Finish(IntPtr raw, int usageError, string tool, string destination, string? message,
        GdalProgress? progress)
    {
        if (progress?.Error is { } error)
        {
            if (raw != IntPtr.Zero)
            {
                GdalDataset.Wrap(raw, destination).Dispose();
            }

            throw new InvalidOperationException($"The progress callback of {tool} threw.", error);
        }

        if (raw == IntPtr.Zero && progress is not null && progress.Cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException(progress.Cancellation);
        }

        if (raw == IntPtr.Zero)
        {
            return usageError != 0
                ? Usage(tool, message)
                : Failure.Invalid(GdalFailureCodes.UtilityFailed, $"{tool} failed: " + GdalMessages.Sanitize(message, destination));
        }

        return GdalDataset.Wrap(raw, destination);
    }

    private static Failure Usage(string tool, string? message) =>
        Failure.BadRequest(GdalFailureCodes.UtilityUsage, $"{tool} rejected its arguments: " + GdalMessages.Sanitize(message));
}
