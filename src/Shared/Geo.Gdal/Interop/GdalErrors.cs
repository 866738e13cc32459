using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Geo.Gdal.Interop;

/// <summary>One message GDAL reported through its error handler.</summary>
internal readonly record struct GdalError(int Class, int Number, string Message)
{
    public bool IsFailure => Class >= GdalNative.CeFailure;
}

/// <summary>
/// The process-wide GDAL error handler and the thread-local capture behind it. GDAL calls the handler on the thread
/// that raised the error, so a <see cref="ThreadStaticAttribute"/> buffer keeps one thread's errors out of another
/// call's result (SECURITY U5). Each managed call into GDAL that can fail runs inside a <see cref="GdalErrorScope"/>
/// which clears the buffer first, so a stale error from an earlier call on the same thread is never reported.
/// </summary>
internal static unsafe class GdalErrors
{
    private const int MaxCaptured = 32;

    [ThreadStatic]
    private static List<GdalError>? t_errors;

    /// <summary>
    /// Installed with <c>CPLSetErrorHandler</c> (global). <c>CPLPushErrorHandler</c> would only cover the calling
    /// thread. Nothing else in the process may replace it (it would also silence GDAL's stderr output, as this does).
    /// </summary>
    internal static void Install() => GdalNative.CPLSetErrorHandler(&Handler);

    internal static List<GdalError> Current => t_errors ??= new List<GdalError>(4);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Handler(int errorClass, int errorNumber, byte* message)
    {
        // Nothing may escape into native code: swallow everything.
        try
        {
            if (errorClass == GdalNative.CeDebug)
            {
                return;
            }

            var list = Current;
            if (list.Count < MaxCaptured)
            {
                list.Add(new GdalError(errorClass, errorNumber, GdalNative.Str(message) ?? string.Empty));
            }
        }
        catch
        {
            // Out of memory while recording an error: drop it.
        }
    }
}

/// <summary>
/// Brackets one logical GDAL call on the current thread: clears the captured errors on entry and exposes what was
/// raised since. Not nestable by design (no code path needs it); create, call GDAL, inspect, let go.
/// </summary>
internal readonly ref struct GdalErrorScope
{
    private readonly List<GdalError> _errors;

    private GdalErrorScope(List<GdalError> errors) => _errors = errors;

    public static GdalErrorScope Begin()
    {
        var errors = GdalErrors.Current;
        errors.Clear();
        GdalNative.CPLErrorReset();
        return new GdalErrorScope(errors);
    }

    /// <summary>The first CE_Failure / CE_Fatal message, or null.</summary>
    public string? FirstFailureMessage
    {
        get
        {
            foreach (var e in _errors)
            {
                if (e.IsFailure)
                {
                    return e.Message;
                }
            }

            return null;
        }
    }

    public bool HasFailure => FirstFailureMessage is not null;

    /// <summary>Warning messages raised since <see cref="Begin"/> (raw, not sanitized).</summary>
    public IReadOnlyList<string> Warnings => _errors.Where(static e => e.Class == GdalNative.CeWarning).Select(static e => e.Message).ToArray();
}
