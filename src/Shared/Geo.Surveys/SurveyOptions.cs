namespace Geo.Surveys;

/// <summary>Where surveys live and what is accepted.</summary>
public sealed record SurveyOptions
{
    /// <summary>
    /// Ruzhou's area of interest in EPSG:4326 degrees (the county, 汝州市, with a margin of a few km): a survey's
    /// extent must lie wholly inside it (SECURITY U9).
    /// </summary>
    public static LonLatBounds RuzhouArea { get; } = new(112.40, 33.85, 113.30, 34.50);

    /// <summary>Directory of the COGs (and of uploads in progress, under <c>uploads/</c>). Default <c>data/surveys</c>.</summary>
    public string DataDirectory { get; init; } = "data/surveys";

    /// <summary>The city's area; extents outside it are rejected with <c>outside_city</c>.</summary>
    public LonLatBounds CityArea { get; init; } = RuzhouArea;

    /// <summary>Largest upload in bytes, counted on bytes read. Default 40 GiB.</summary>
    public long MaxUploadBytes { get; init; } = 40L * 1024 * 1024 * 1024;

    /// <summary>JPEG quality of orthophoto COGs (1-100). Default 90.</summary>
    public int JpegQuality { get; init; } = 90;

    /// <summary>
    /// Share of the survey disk's free space the COG driver's temporary overview files may take uncompressed (default
    /// 0.25). GDAL's COG driver computes the overviews into temporary TIFFs before writing the COG and compresses them
    /// with ZSTD by default, which costs about 40 % of the conversion's CPU (measured: 9.3-10.0 s vs 4.7-5.9 s of CPU
    /// for an 8192² RGBA survey); when the uncompressed overviews (a third of the raster, plus its mask) fit in this
    /// share, they are written uncompressed (<c>COG_TMP_COMPRESSION=NONE</c>). The COG itself is the same either way.
    /// 0 keeps GDAL's default.
    /// </summary>
    public double UncompressedTempShare { get; init; } = 0.25;

    /// <summary>Longest side, in pixels, of the mask read to trace the footprint. Default 1024.</summary>
    public int FootprintMaskSize { get; init; } = 1024;
}
