using System.Runtime.InteropServices;

namespace Geo.Gdal.Interop;

/// <summary>Mask bands and colour interpretation, for reading valid-data masks beside the pixels.</summary>
internal static unsafe partial class GdalNative
{
    // GDALGetMaskFlags bits (gdal.h).
    internal const int GmfAllValid = 0x01;
    internal const int GmfPerDataset = 0x02;
    internal const int GmfAlpha = 0x04;
    internal const int GmfNoData = 0x08;

    // GDALGetMaskBand is declared in GdalNative.cs.

    [LibraryImport(Lib)]
    internal static partial int GDALGetMaskFlags(IntPtr band);

    [LibraryImport(Lib)]
    internal static partial int GDALGetRasterColorInterpretation(IntPtr band);
}
