using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Geo.Gdal;

/// <summary>
/// Progress of a long GDAL operation (translate, warp): <see cref="Report"/> receives the completed fraction 0..1
/// on the calling thread; cancelling <see cref="Cancellation"/> makes GDAL stop at its next progress call (the
/// operation then fails with <c>gdal_utility_failed</c>).
/// </summary>
public sealed class GdalProgress(Action<double>? report, CancellationToken cancellation = default)
{
    /// <summary>Receives the completed fraction, 0..1. May be null (cancellation only).</summary>
    public Action<double>? Report { get; } = report;

    /// <summary>Stops the operation when cancelled.</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>An exception thrown by <see cref="Report"/>, kept to be rethrown after GDAL returns.</summary>
    internal Exception? Error { get; private set; }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static unsafe int Callback(double complete, byte* message, IntPtr data)
    {
        // Nothing may escape into native code.
        try
        {
            if (GCHandle.FromIntPtr(data).Target is not GdalProgress p)
            {
                return 1;
            }

            if (p.Cancellation.IsCancellationRequested)
            {
                return 0;
            }

            p.Report?.Invoke(Math.Clamp(complete, 0, 1));
            return 1;
        }
        catch (Exception e)
        {
            if (GCHandle.FromIntPtr(data).Target is GdalProgress p)
            {
                p.Error = e;
            }

            return 0;
        }
    }
}
