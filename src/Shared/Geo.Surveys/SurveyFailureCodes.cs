namespace Geo.Surveys;

/// <summary>Stable machine codes of survey failures (snake_case, part of the API contract). The pre-read checks of the
/// raster itself have their own codes in <c>Geo.Gdal.GdalFailureCodes</c>.</summary>
public static class SurveyFailureCodes
{
    /// <summary>Not 16 lowercase hex digits. BadRequest.</summary>
    public const string SurveyIdInvalid = "survey_id_invalid";
    /// <summary>No such survey. NotFound.</summary>
    public const string SurveyNotFound = "survey_not_found";
    /// <summary>The same file (SHA-256) is already registered. Conflict; extension <c>surveyId</c>.</summary>
    public const string SurveyExists = "survey_exists";
    /// <summary>A DSM named by an ortho cannot be deleted. Conflict.</summary>
    public const string SurveyInUse = "survey_in_use";
    /// <summary>The DSM an ortho names is not stored. Invalid.</summary>
    public const string PairedDsmMissing = "paired_dsm_missing";
    /// <summary>The raster footprint is not inside the city's area. Invalid (SECURITY U9).</summary>
    public const string OutsideCity = "outside_city";
    /// <summary>The CRS is valid but not one the product transforms (EPSG:4326, 4490, 4547, 3857). Invalid.</summary>
    public const string CrsNotSupported = "crs_not_supported";
    /// <summary>Neither 3/4 Byte bands (ortho) nor one numeric band (DSM), or the wrong kind for the slot. Invalid.</summary>
    public const string BandLayoutUnsupported = "band_layout_unsupported";
    /// <summary>The raster holds no valid pixel (all masked / nodata). Invalid.</summary>
    public const string NoValidData = "no_valid_data";
    /// <summary>Name missing, too long or with control characters. BadRequest.</summary>
    public const string NameInvalid = "survey_name_invalid";
    /// <summary>Flight date missing or not yyyy-MM-dd. BadRequest.</summary>
    public const string DateInvalid = "flight_date_invalid";
    /// <summary>Upload larger than the configured limit (counted on bytes read). TooLarge.</summary>
    public const string UploadTooLarge = "upload_too_large";
    /// <summary>Empty upload body. BadRequest.</summary>
    public const string UploadEmpty = "upload_empty";
    /// <summary>Converting to a COG failed (corrupt pixels found while decoding). Invalid.</summary>
    public const string ConversionFailed = "conversion_failed";
    /// <summary>The conversion worker process ended without an answer (a decoder crash, a resource limit, a kill):
    /// that file is not stored, the service runs on. Invalid (SECURITY O3).</summary>
    public const string ConversionCrashed = "conversion_crashed";
    /// <summary>No such ingest job. NotFound.</summary>
    public const string JobNotFound = "job_not_found";
    /// <summary>The disk is full. Unavailable (SECURITY U12).</summary>
    public const string DiskFull = "disk_full";
}
