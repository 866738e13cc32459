using System.Runtime.InteropServices;

namespace Geo.Gdal.Interop;

/// <summary>Entry points for creating in-memory rasters, writing pixels and reporting progress of the utilities.</summary>
internal static unsafe partial class GdalNative
{
    internal const int GfWrite = 1;

    [LibraryImport(Lib)]
    internal static partial IntPtr GDALCreate(IntPtr driver, byte* name, int width, int height, int bands, int type, IntPtr options);

    [LibraryImport(Lib)]
    internal static partial int GDALSetGeoTransform(GdalDatasetHandle dataset, double* transform);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GDALSetProjection(GdalDatasetHandle dataset, string wkt);

    [LibraryImport(Lib)]
    internal static partial IntPtr OSRNewSpatialReference(IntPtr wkt);

    [LibraryImport(Lib)]
    internal static partial int OSRImportFromEPSG(IntPtr srs, int epsg);

    [LibraryImport(Lib)]
    internal static partial int GDALSetRasterNoDataValue(IntPtr band, double value);

    [LibraryImport(Lib)]
    internal static partial int GDALSetRasterColorInterpretation(IntPtr band, int interpretation);

    [LibraryImport(Lib)]
    internal static partial int GDALTranslateOptionsSetProgress(IntPtr options, delegate* unmanaged[Cdecl]<double, byte*, IntPtr, int> progress, IntPtr data);

    [LibraryImport(Lib)]
    internal static partial int GDALWarpAppOptionsSetProgress(IntPtr options, delegate* unmanaged[Cdecl]<double, byte*, IntPtr, int> progress, IntPtr data);
}
