using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetTopologySuite.Geometries;

namespace Geo.Formats.GeoJson;

/// <summary>
/// Writes a FeatureCollection as UTF-8 without BOM, with Chinese text unescaped. Coordinates are written as x, y[, z]
/// in the given CRS (lon, lat for geographic CRSs, as GDAL expects). A non-WGS 84 CRS gets the legacy <c>crs</c>
/// member so that GDAL/QGIS assign it.
/// </summary>
internal static class GeoJsonFeatureWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        // Relaxed escaping keeps CJK characters readable; the output is a file, never inlined into HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static void Write(Stream stream, IEnumerable<VectorFeature> features, string crsName)
    {
        var hint = GeoJsonCrs.Normalise(crsName);
        var code = GeoJsonCrs.EpsgCode(hint)
                   ?? throw new ArgumentException($"'{crsName}' is not an EPSG CRS name (expected e.g. 'EPSG:4490').", nameof(crsName));

        using var writer = new Utf8JsonWriter(stream, Options);
        writer.WriteStartObject();
        writer.WriteString("type", "FeatureCollection");
        if (code != 4326)
        {
            writer.WriteStartObject("crs");
            writer.WriteString("type", "name");
            writer.WriteStartObject("properties");
            writer.WriteString("name", "urn:ogc:def:crs:EPSG::" + code.ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteStartArray("features");
        foreach (var feature in features)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "Feature");
            writer.WriteStartObject("properties");
            foreach (var (name, value) in feature.Attributes)
            {
                writer.WritePropertyName(name);
                GeoJsonValueWriter.Write(writer, value);
            }

            writer.WriteEndObject();
            writer.WritePropertyName("geometry");
            if (feature.Geometry is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                GeoJsonGeometryWriter.Write(writer, feature.Geometry);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }
}
