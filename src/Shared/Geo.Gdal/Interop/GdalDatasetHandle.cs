using Microsoft.Win32.SafeHandles;

namespace Geo.Gdal.Interop;

/// <summary>
/// Owns one <c>GDALDatasetH</c>; <see cref="ReleaseHandle"/> calls <c>GDALClose</c> exactly once. Also keeps the live
/// count behind <see cref="GdalDataset.OpenCount"/>, so leak tests can see a handle that was never disposed.
/// </summary>
internal sealed class GdalDatasetHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private static long _openCount;

    // Used by the LibraryImport marshaller for returned handles; the project never returns this type from a stub.
    public GdalDatasetHandle() : base(ownsHandle: true)
    {
    }

    private GdalDatasetHandle(IntPtr handle) : base(ownsHandle: true) => SetHandle(handle);

    internal static long OpenCount => Interlocked.Read(ref _openCount);

    /// <summary>Takes ownership of a non-null handle just returned by GDAL (open, translate, warp).</summary>
    internal static GdalDatasetHandle Own(IntPtr raw)
    {
        if (raw == IntPtr.Zero)
        {
            throw new ArgumentException("Null dataset handle.", nameof(raw));
        }

        Interlocked.Increment(ref _openCount);
        return new GdalDatasetHandle(raw);
    }

    protected override bool ReleaseHandle()
    {
        GdalNative.GDALClose(handle);
        Interlocked.Decrement(ref _openCount);
        return true;
    }
}
