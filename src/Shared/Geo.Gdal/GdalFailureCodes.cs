namespace Geo.Gdal;

/// <summary>
/// Stable machine codes of the failures this assembly returns (part of the API contract, snake_case).
/// </summary>
public static class GdalFailureCodes
{
    // ---- SurveyInspector, in the order the checks run ----

    /// <summary>Path not absolute, not normalised, or a GDAL virtual name (<c>/vsi…</c>, <c>MEM:::</c>, <c>&lt;VRTDataset</c>). Invalid.</summary>
    public const string PathNotAllowed = "path_not_allowed";
    /// <summary>No file at the path. NotFound.</summary>
    public const string FileMissing = "file_missing";
    /// <summary>Zero-length file. Invalid.</summary>
    public const string FileEmpty = "file_empty";
    /// <summary>The first bytes are not a TIFF/BigTIFF signature. Invalid.</summary>
    public const string NotATiff = "not_a_tiff";
    /// <summary>GDAL's GTiff driver could not open it (truncated, corrupt IFD…). Invalid.</summary>
    public const string OpenFailed = "open_failed";
    /// <summary>No raster band. Invalid.</summary>
    public const string NoBands = "no_bands";
    /// <summary>More bands than the limit. Invalid.</summary>
    public const string TooManyBands = "too_many_bands";
    /// <summary>Width, height or pixel count above the limit. Invalid.</summary>
    public const string DimensionsTooLarge = "dimensions_too_large";
    /// <summary>Declared raw size far larger than the file could hold (decompression-bomb header). Invalid.</summary>
    public const string ImplausibleSize = "implausible_size";
    /// <summary>A block (tile/strip) above the limit. Invalid.</summary>
    public const string BlockTooLarge = "block_too_large";
    /// <summary>A block's data ends past the end of the file (cut upload). Invalid.</summary>
    public const string FileTruncated = "file_truncated";
    /// <summary>No geotransform, or GDAL's default (0,1,0,0,0,1). Invalid.</summary>
    public const string NotGeoreferenced = "not_georeferenced";
    /// <summary>Only ground control points, no geotransform. Invalid.</summary>
    public const string GcpsOnly = "gcps_only";
    /// <summary>Rotation terms (gt[2], gt[4]) non-zero. Invalid.</summary>
    public const string RotatedNotSupported = "rotated_not_supported";
    /// <summary>Pixel height positive (rows go north). Invalid.</summary>
    public const string SouthUpNotSupported = "south_up_not_supported";
    /// <summary>Pixel width negative (columns go west). Invalid.</summary>
    public const string MirroredNotSupported = "mirrored_not_supported";
    /// <summary>Pixel width and height differ by more than the tolerance. Invalid.</summary>
    public const string NonSquarePixels = "non_square_pixels";
    /// <summary>No CRS. Invalid.</summary>
    public const string CrsMissing = "crs_missing";
    /// <summary>A CRS without EPSG code or outside the supported list. Invalid.</summary>
    public const string CrsUnsupported = "crs_unsupported";

    // ---- GdalDataset reads ----

    /// <summary>Band number outside 1..BandCount. BadRequest.</summary>
    public const string BandOutOfRange = "band_out_of_range";
    /// <summary>Empty window or one outside the raster. BadRequest.</summary>
    public const string WindowOutOfRange = "window_out_of_range";
    /// <summary>Caller's buffer shorter than the window. BadRequest.</summary>
    public const string BufferTooSmall = "buffer_too_small";
    /// <summary>A Byte read on a band of another type. BadRequest.</summary>
    public const string BandTypeMismatch = "band_type_mismatch";
    /// <summary>GDAL failed while decoding pixels (corrupt tile). Invalid.</summary>
    public const string ReadFailed = "read_failed";

    // ---- GdalApps ----

    /// <summary>GDAL rejected the option list of a utility (a bug in the caller). BadRequest.</summary>
    public const string UtilityUsage = "gdal_usage_error";
    /// <summary>gdal_translate / gdalwarp failed. Invalid.</summary>
    public const string UtilityFailed = "gdal_utility_failed";
}
