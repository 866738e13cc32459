namespace Geo.Gdal;

/// <summary>
/// What GDAL says about a dataset's CRS.
/// </summary>
/// <param name="Wkt">The WKT as GDAL reports it (<c>GDALGetProjectionRef</c>); never empty.</param>
/// <param name="Epsg">EPSG code from the CRS's authority, or found by <c>OSRAutoIdentifyEPSG</c>; null if neither.</param>
/// <param name="IsGeographic">Coordinates are angles (degrees for EPSG:4326 / 4490).</param>
/// <param name="IsProjected">Coordinates are projected lengths.</param>
/// <param name="LinearUnitMetres">Metres per CRS unit for projected CRSs (1 for metres); NaN otherwise.</param>
/// <param name="AngularUnitRadians">Radians per CRS unit for geographic CRSs (π/180 for degrees); NaN otherwise.</param>
/// <param name="SemiMajorMetres">Ellipsoid semi-major axis in metres.</param>
/// <param name="InverseFlattening">Ellipsoid inverse flattening (0 for a sphere).</param>
public sealed record GdalCrs(
    string Wkt,
    int? Epsg,
    bool IsGeographic,
    bool IsProjected,
    double LinearUnitMetres,
    double AngularUnitRadians,
    double SemiMajorMetres,
    double InverseFlattening);
