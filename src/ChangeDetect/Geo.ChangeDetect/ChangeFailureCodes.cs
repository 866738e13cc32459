namespace Geo.ChangeDetect;

/// <summary>Stable machine codes of the failures the change-detection core returns (snake_case, part of the contract).</summary>
public static class ChangeFailureCodes
{
    /// <summary>A folder given as input does not exist. NotFound.</summary>
    public const string DirectoryMissing = "directory_missing";
    /// <summary>The before folder holds no image that the after folder also holds. Invalid.</summary>
    public const string NoPairs = "no_pairs";
    /// <summary>A file could not be decoded as an image by GDAL. Invalid.</summary>
    public const string ImageUnreadable = "image_unreadable";
    /// <summary>An image has a band count or data type the detector does not take (it wants 8-bit, 1, 3 or 4 bands). Invalid.</summary>
    public const string ImageUnsupported = "image_unsupported";
    /// <summary>Before and after images differ in size. Invalid.</summary>
    public const string SizeMismatch = "size_mismatch";
    /// <summary>An image is smaller than the detector's minimum (32 x 32) or above its in-memory limit. Invalid / TooLarge.</summary>
    public const string ImageSize = "image_size";
    /// <summary>A parameter is out of range (e.g. a non-positive GSD). BadRequest.</summary>
    public const string BadParameter = "bad_parameter";

    /// <summary>A survey file cannot be opened or read as a georeferenced raster. Invalid.</summary>
    public const string SurveyUnreadable = "survey_unreadable";
    /// <summary>A survey has a layout the pipeline does not take (ortho: 3 or 4 Byte bands; DSM: 1 band; north-up). Invalid.</summary>
    public const string SurveyUnsupported = "survey_unsupported";
    /// <summary>The two surveys (or an ortho and its DSM) are in different CRSs, or one has none. Invalid.</summary>
    public const string CrsMismatch = "crs_mismatch";
    /// <summary>The two orthophotos have different ground sample distances (resample one first). Invalid.</summary>
    public const string GsdMismatch = "gsd_mismatch";
    /// <summary>The surveys (and the area limit, when given) do not overlap. Invalid.</summary>
    public const string NoOverlap = "no_overlap";
    /// <summary>A DSM was given for one survey only: both or neither. BadRequest.</summary>
    public const string DsmOneSide = "dsm_one_side";
}
