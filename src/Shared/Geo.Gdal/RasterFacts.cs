namespace Geo.Gdal;

/// <summary>A position in a raster's own CRS, GDAL traditional order: X = easting/longitude, Y = northing/latitude.</summary>
public readonly record struct CrsPoint(double X, double Y);

/// <summary>An axis-aligned box in a raster's own CRS (same axis order as <see cref="CrsPoint"/>).</summary>
public readonly record struct CrsBounds(double MinX, double MinY, double MaxX, double MaxY);

/// <summary>The four outer corners of a raster (pixel corners, not centres) in its own CRS.</summary>
public readonly record struct RasterCorners(CrsPoint UpperLeft, CrsPoint UpperRight, CrsPoint LowerRight, CrsPoint LowerLeft);

/// <summary>
/// What <see cref="SurveyInspector"/> learned about an accepted raster, all from metadata. The footprint check
/// against the city boundary is the caller's: transform <see cref="Corners"/> from <see cref="Epsg"/>.
/// </summary>
/// <param name="Width">Pixels.</param>
/// <param name="Height">Lines.</param>
/// <param name="BandTypes">Pixel type per band, band 1 first.</param>
/// <param name="NoData">Nodata value per band, or null.</param>
/// <param name="GeoTransform">North-up, square-pixel geotransform in the file CRS.</param>
/// <param name="Epsg">The file CRS, one of <see cref="RasterLimits.AllowedEpsgCodes"/>.</param>
/// <param name="CrsWkt">The file CRS as GDAL's WKT.</param>
/// <param name="GsdXMetres">Ground size of a pixel east-west, metres, at the raster centre (degrees converted on the
/// ellipsoid for geographic CRSs; Web Mercator's 1/cos φ scale removed for EPSG:3857).</param>
/// <param name="GsdYMetres">Same, north-south.</param>
/// <param name="Bounds">Extent in the file CRS.</param>
/// <param name="Corners">Corners in the file CRS.</param>
/// <param name="BlockWidth">Block width of band 1.</param>
/// <param name="BlockHeight">Block height of band 1.</param>
/// <param name="Compression">IMAGE_STRUCTURE COMPRESSION (e.g. <c>DEFLATE</c>, <c>YCbCr JPEG</c>), null if none.</param>
/// <param name="OverviewCount">Internal overview levels of band 1.</param>
/// <param name="FileBytes">File length.</param>
/// <param name="Warnings">GDAL warnings raised while opening, paths removed.</param>
public sealed record RasterFacts(
    int Width,
    int Height,
    IReadOnlyList<GdalDataType> BandTypes,
    IReadOnlyList<double?> NoData,
    GeoTransform GeoTransform,
    int Epsg,
    string CrsWkt,
    double GsdXMetres,
    double GsdYMetres,
    CrsBounds Bounds,
    RasterCorners Corners,
    int BlockWidth,
    int BlockHeight,
    string? Compression,
    int OverviewCount,
    long FileBytes,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Number of bands.</summary>
    public int BandCount => BandTypes.Count;

    /// <summary>Mean of <see cref="GsdXMetres"/> and <see cref="GsdYMetres"/>.</summary>
    public double GsdMetres => (GsdXMetres + GsdYMetres) / 2;
}
