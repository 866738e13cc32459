namespace Geo.Spatial.Crs;

/// <summary>
/// The coordinate reference systems the product supports. Every coordinate the product handles is in one of these.
/// Axis order is always x = easting/longitude, y = northing/latitude, whatever the EPSG definition says.
/// </summary>
public enum CrsKind
{
    /// <summary>EPSG:4326, WGS 84 geographic; degrees, x = longitude, y = latitude.</summary>
    Wgs84,
    /// <summary>EPSG:4490, CGCS2000 geographic; degrees, x = longitude, y = latitude. Treated as the same datum as WGS 84.</summary>
    Cgcs2000,
    /// <summary>
    /// EPSG:4547, CGCS2000 / 3-degree Gauss-Kruger CM 114E (the zone of Ruzhou); metres, x = easting (false easting
    /// 500000, no zone prefix), y = northing.
    /// </summary>
    Cgcs2000GaussKruger114,
    /// <summary>EPSG:3857, WGS 84 / Pseudo-Mercator (web map tiles); metres, x = easting, y = northing.</summary>
    WebMercator,
    /// <summary>GCJ-02 ("Mars coordinates", Amap/Tencent/Google China); degrees, x = longitude, y = latitude. No EPSG code.</summary>
    Gcj02,
    /// <summary>BD-09 (Baidu Maps geographic); degrees, x = longitude, y = latitude. No EPSG code.</summary>
    Bd09,
}
