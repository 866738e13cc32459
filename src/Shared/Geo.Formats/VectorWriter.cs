using Geo.Formats.GeoJson;
using Geo.Formats.GeoPackage;

namespace Geo.Formats;

/// <summary>
/// Writes vector features for GIS tools (GDAL, QGIS). The inputs come from our own code, so a wrong argument (an
/// unsupported attribute type, a non-EPSG CRS name) is a bug and throws <see cref="ArgumentException"/>.
/// </summary>
public static class VectorWriter
{
    /// <summary>
    /// Writes a GeoJSON FeatureCollection to <paramref name="stream"/> (left open): UTF-8 without BOM, Chinese text
    /// unescaped, coordinates as given (x = lon/easting). For a CRS other than EPSG:4326 the legacy member
    /// <c>"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}</c> is written so GDAL assigns it.
    /// </summary>
    /// <param name="crsName">The coordinates' CRS, e.g. <c>EPSG:4490</c> (also accepts the urn / URL forms).</param>
    public static void WriteGeoJson(Stream stream, IEnumerable<VectorFeature> features, string crsName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentException.ThrowIfNullOrWhiteSpace(crsName);
        GeoJsonFeatureWriter.Write(stream, features, crsName);
    }

    /// <summary>
    /// Writes a fresh single-layer GeoPackage at <paramref name="path"/> (replacing any file there, atomically): gpkg_*
    /// metadata, a feature table <paramref name="layerName"/> with an integer primary key <c>fid</c>, a geometry column
    /// <c>geom</c> in <paramref name="srid"/>, the given attribute <paramref name="columns"/> and an R*Tree spatial index.
    /// Attributes not listed in <paramref name="columns"/> are not written; a missing one is written as NULL.
    /// </summary>
    /// <param name="srid">EPSG code of the coordinates; recorded as organization EPSG in gpkg_spatial_ref_sys.</param>
    /// <param name="srsWkt">WKT1 definition of that CRS (e.g. from <c>projinfo EPSG:4490 -o WKT1_GDAL</c>).</param>
    /// <param name="columns">Attribute columns: string, bool, integral, floating, DateTime(Offset), DateOnly, Guid or byte[].</param>
    public static void WriteGeoPackage(string path, string layerName, IEnumerable<VectorFeature> features, int srid, string srsWkt,
        IReadOnlyList<(string Name, Type Type)> columns)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(columns);
        GeoPackageFeatureWriter.Write(path, layerName, features, srid, srsWkt, columns);
    }
}
