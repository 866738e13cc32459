namespace Geo.Gdal;

/// <summary>
/// Limits and policy applied by <see cref="SurveyInspector"/> to an uploaded raster before any pixel is read
/// (SECURITY U4/U8/U9). Defaults fit drone orthophotos of a city: up to 200,000 px a side, 4·10¹⁰ px, 8 bands.
/// </summary>
public sealed record RasterLimits
{
    /// <summary>
    /// EPSG codes the product accepts by default: WGS 84 (4326), CGCS2000 geographic (4490), Web Mercator (3857) and
    /// every CGCS2000 3-degree Gauss-Krüger zone, both the zone-prefixed (4513–4533, zones 25–45) and the
    /// central-meridian (4534–4554, 75°E–135°E) variants. Ruzhou (112.8°E) is in 4547 (CM 114°E) or 4525 (zone 38).
    /// </summary>
    public static IReadOnlySet<int> DefaultEpsgCodes { get; } =
        new HashSet<int>(new[] { 4326, 4490, 3857 }.Concat(Enumerable.Range(4513, 4554 - 4513 + 1)));

    // Declared after DefaultEpsgCodes on purpose: static initialisers run in text order.
    /// <summary>The project's defaults.</summary>
    public static RasterLimits Default { get; } = new();

    /// <summary>Most bands (RGB + alpha + a few multispectral). Default 8.</summary>
    public int MaxBands { get; init; } = 8;

    /// <summary>Largest width in pixels. Default 200,000.</summary>
    public int MaxWidth { get; init; } = 200_000;

    /// <summary>Largest height in pixels. Default 200,000.</summary>
    public int MaxHeight { get; init; } = 200_000;

    /// <summary>Largest width × height. Default 4·10¹⁰.</summary>
    public long MaxPixels { get; init; } = 40_000_000_000;

    /// <summary>
    /// Largest ratio of declared raw size (width × height × Σ bytes per sample) to file length. A real orthophoto is
    /// 2:1 to 50:1 compressed; DEFLATE cannot exceed about 1032:1, so 1000:1 only rejects headers that lie (a 2 KB
    /// file claiming 10⁶ × 10⁶ px) or nearly empty sparse files. Default 1000.
    /// </summary>
    public double MaxCompressionRatio { get; init; } = 1000;

    /// <summary>Largest block (tile or strip) of all bands, decoded, in bytes. Default 64 MiB.</summary>
    public long MaxBlockBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Largest relative difference between pixel width and height, in CRS units. Default 1 %.</summary>
    public double MaxPixelAspectDeviation { get; init; } = 0.01;

    /// <summary>Accepted EPSG codes. Default <see cref="DefaultEpsgCodes"/>.</summary>
    public IReadOnlySet<int> AllowedEpsgCodes { get; init; } = DefaultEpsgCodes;
}
