namespace Geo.Gdal;

/// <summary>
/// How <see cref="GdalDataset.Open"/> opens a file. Always read-only, raster only.
/// </summary>
/// <param name="AllowedDrivers">
/// Driver short names GDAL may use (<c>papszAllowedDrivers</c>); null allows every registered driver. Untrusted files
/// must be opened with <see cref="UntrustedGeoTiff"/>.
/// </param>
/// <param name="AllowSidecarFiles">
/// False passes a sibling-file list holding only the file itself, so GDAL never looks for <c>.aux.xml</c>, <c>.ovr</c>, <c>.tfw</c>,
/// <c>.prj</c> or <c>.msk</c> next to the file whatever <c>GDAL_DISABLE_READDIR_ON_OPEN</c> says.
/// </param>
/// <param name="DriverOpenOptions">Driver open options (<c>KEY=VALUE</c>), or null.</param>
public sealed record GdalOpenOptions(
    IReadOnlyList<string>? AllowedDrivers = null,
    bool AllowSidecarFiles = false,
    IReadOnlyList<string>? DriverOpenOptions = null)
{
    /// <summary>The way user uploads are opened: the GTiff driver only, no sidecars.</summary>
    public static GdalOpenOptions UntrustedGeoTiff { get; } = new(["GTiff"], AllowSidecarFiles: false);

    /// <summary>Files the server wrote itself: any registered driver, sidecars allowed.</summary>
    public static GdalOpenOptions Trusted { get; } = new(null, AllowSidecarFiles: true);
}
