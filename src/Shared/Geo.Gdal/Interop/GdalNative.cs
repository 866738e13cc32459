using System.Runtime.InteropServices;

namespace Geo.Gdal.Interop;

/// <summary>
/// Raw entry points of libgdal (GDAL 3.6 C API). Everything here is internal: handles other than the dataset are
/// borrowed pointers owned by their dataset, and strings returned by GDAL as <c>const char*</c> are bound as
/// <c>byte*</c> on purpose, because a <c>string</c> return with UTF-8 marshalling would make the generated stub free
/// memory that GDAL still owns.
/// </summary>
internal static unsafe partial class GdalNative
{
    /// <summary>Logical library name; mapped to <c>libgdal.so.32</c> by <see cref="GdalLibrary"/>'s resolver.</summary>
    internal const string Lib = "gdal";

    // GDALOpenEx flags (gdal.h).
    internal const uint OfReadOnly = 0x00;
    internal const uint OfRaster = 0x02;
    internal const uint OfVerboseError = 0x40;

    // CPLErr.
    internal const int CeNone = 0;
    internal const int CeDebug = 1;
    internal const int CeWarning = 2;
    internal const int CeFailure = 3;
    internal const int CeFatal = 4;

    // GDALRWFlag.
    internal const int GfRead = 0;

    // ---- driver manager, configuration, cache ----
    [LibraryImport(Lib)]
    internal static partial void GDALAllRegister();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void CPLSetConfigOption(string key, string? value);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void CPLSetThreadLocalConfigOption(string key, string? value);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* CPLGetThreadLocalConfigOption(string key, string? defaultValue);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* CPLGetConfigOption(string key, string? defaultValue);

    [LibraryImport(Lib)]
    internal static partial void GDALSetCacheMax64(long bytes);

    [LibraryImport(Lib)]
    internal static partial long GDALGetCacheMax64();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALGetDriverByName(string name);

    [LibraryImport(Lib)]
    internal static partial void GDALGetOpenDatasets(IntPtr* datasets, int* count);

    // ---- errors ----
    [LibraryImport(Lib)]
    internal static partial IntPtr CPLSetErrorHandler(delegate* unmanaged[Cdecl]<int, int, byte*, void> handler);

    [LibraryImport(Lib)]
    internal static partial void CPLPushErrorHandler(delegate* unmanaged[Cdecl]<int, int, byte*, void> handler);

    [LibraryImport(Lib)]
    internal static partial void CPLPopErrorHandler();

    [LibraryImport(Lib)]
    internal static partial void CPLErrorReset();

    [LibraryImport(Lib)]
    internal static partial byte* CPLGetLastErrorMsg();

    [LibraryImport(Lib)]
    internal static partial int CPLGetLastErrorNo();

    [LibraryImport(Lib)]
    internal static partial int CPLGetLastErrorType();

    /// <summary><c>CPLFree</c> is a macro over this.</summary>
    [LibraryImport(Lib)]
    internal static partial void VSIFree(void* p);

    // ---- datasets ----
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALOpenEx(string fileName, uint openFlags, IntPtr allowedDrivers, IntPtr openOptions, IntPtr siblingFiles);

    /// <summary>Returns <c>void</c> in 3.6 (a CPLErr return came later); binding it as void is ABI-safe either way.</summary>
    [LibraryImport(Lib)]
    internal static partial void GDALClose(IntPtr dataset);

    [LibraryImport(Lib)]
    internal static partial int GDALGetRasterXSize(GdalDatasetHandle dataset);

    [LibraryImport(Lib)]
    internal static partial int GDALGetRasterYSize(GdalDatasetHandle dataset);

    [LibraryImport(Lib)]
    internal static partial int GDALGetRasterCount(GdalDatasetHandle dataset);

    [LibraryImport(Lib)]
    internal static partial int GDALGetGeoTransform(GdalDatasetHandle dataset, double* transform);

    [LibraryImport(Lib)]
    internal static partial int GDALGetGCPCount(GdalDatasetHandle dataset);

    [LibraryImport(Lib)]
    internal static partial byte* GDALGetProjectionRef(GdalDatasetHandle dataset);

    /// <summary>Borrowed: owned by the dataset, valid while it is open.</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr GDALGetSpatialRef(GdalDatasetHandle dataset);

    [LibraryImport(Lib)]
    internal static partial IntPtr GDALGetDatasetDriver(GdalDatasetHandle dataset);

    [LibraryImport(Lib)]
    internal static partial byte* GDALGetDriverShortName(IntPtr driver);

    /// <summary>Borrowed: owned by the dataset. Band numbers are 1-based.</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr GDALGetRasterBand(GdalDatasetHandle dataset, int band);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* GDALGetMetadataItem(IntPtr majorObject, string name, string? domain);

    [LibraryImport(Lib)]
    internal static partial int GDALDatasetRasterIO(
        GdalDatasetHandle dataset, int rwFlag, int xOff, int yOff, int xSize, int ySize, void* buffer, int bufXSize,
        int bufYSize, int bufType, int bandCount, int* bandMap, int pixelSpace, int lineSpace, int bandSpace);

    // ---- bands (borrowed handles) ----
    [LibraryImport(Lib)]
    internal static partial int GDALGetRasterDataType(IntPtr band);

    [LibraryImport(Lib)]
    internal static partial void GDALGetBlockSize(IntPtr band, int* xSize, int* ySize);

    [LibraryImport(Lib)]
    internal static partial double GDALGetRasterNoDataValue(IntPtr band, int* success);

    [LibraryImport(Lib)]
    internal static partial int GDALGetOverviewCount(IntPtr band);

    /// <summary>Borrowed: owned by the parent band's dataset. 0-based index.</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr GDALGetOverview(IntPtr band, int index);

    /// <summary>Borrowed: owned by the band (an internal mask, a nodata mask or the all-valid mask).</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr GDALGetMaskBand(IntPtr band);

    [LibraryImport(Lib)]
    internal static partial int GDALGetRasterBandXSize(IntPtr band);

    [LibraryImport(Lib)]
    internal static partial int GDALGetRasterBandYSize(IntPtr band);

    [LibraryImport(Lib)]
    internal static partial int GDALRasterIO(
        IntPtr band, int rwFlag, int xOff, int yOff, int xSize, int ySize, void* buffer, int bufXSize, int bufYSize,
        int bufType, int pixelSpace, int lineSpace);

    [LibraryImport(Lib)]
    internal static partial int GDALGetDataTypeSizeBytes(int dataType);

    // ---- OSR ----
    [LibraryImport(Lib)]
    internal static partial IntPtr OSRClone(IntPtr srs);

    [LibraryImport(Lib)]
    internal static partial void OSRDestroySpatialReference(IntPtr srs);

    [LibraryImport(Lib)]
    internal static partial int OSRAutoIdentifyEPSG(IntPtr srs);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* OSRGetAuthorityName(IntPtr srs, string? targetKey);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* OSRGetAuthorityCode(IntPtr srs, string? targetKey);

    /// <summary>The WKT is allocated by GDAL and must be released with <see cref="VSIFree"/>.</summary>
    [LibraryImport(Lib)]
    internal static partial int OSRExportToWkt(IntPtr srs, byte** wkt);

    [LibraryImport(Lib)]
    internal static partial int OSRIsGeographic(IntPtr srs);

    [LibraryImport(Lib)]
    internal static partial int OSRIsProjected(IntPtr srs);

    [LibraryImport(Lib)]
    internal static partial int OSRIsLocal(IntPtr srs);

    [LibraryImport(Lib)]
    internal static partial double OSRGetLinearUnits(IntPtr srs, byte** name);

    [LibraryImport(Lib)]
    internal static partial double OSRGetAngularUnits(IntPtr srs, byte** name);

    [LibraryImport(Lib)]
    internal static partial double OSRGetSemiMajor(IntPtr srs, int* err);

    [LibraryImport(Lib)]
    internal static partial double OSRGetInvFlattening(IntPtr srs, int* err);

    // ---- utility API (gdal_utils.h) ----
    [LibraryImport(Lib)]
    internal static partial IntPtr GDALTranslateOptionsNew(IntPtr argv, IntPtr optionsForBinary);

    [LibraryImport(Lib)]
    internal static partial void GDALTranslateOptionsFree(IntPtr options);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALTranslate(string destination, GdalDatasetHandle source, IntPtr options, int* usageError);

    [LibraryImport(Lib)]
    internal static partial IntPtr GDALWarpAppOptionsNew(IntPtr argv, IntPtr optionsForBinary);

    [LibraryImport(Lib)]
    internal static partial void GDALWarpAppOptionsFree(IntPtr options);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALWarp(string destination, IntPtr destinationDataset, int sourceCount, IntPtr* sources, IntPtr options, int* usageError);

    /// <summary>Copies a GDAL-owned, NUL-terminated UTF-8 string without freeing it.</summary>
    internal static string? Str(byte* p) => p is null ? null : Marshal.PtrToStringUTF8((IntPtr)p);
}
