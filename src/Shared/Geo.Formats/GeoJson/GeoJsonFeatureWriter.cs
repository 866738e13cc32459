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
                WriteValue(writer, value);
            }

            writer.WriteEndObject();
            writer.WritePropertyName("geometry");
            if (feature.Geometry is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                WriteGeometry(writer, feature.Geometry);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long or int or short or sbyte or byte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case double d: writer.WriteNumberValue(d); break;
            case float f: writer.WriteNumberValue(f); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case DateTime dt: writer.WriteStringValue(dt.ToString("O", CultureInfo.InvariantCulture)); break;
            case DateTimeOffset dto: writer.WriteStringValue(dto.ToString("O", CultureInfo.InvariantCulture)); break;
            case DateOnly date: writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
            case Guid g: writer.WriteStringValue(g.ToString("D")); break;
            default:
                throw new ArgumentException($"Attribute values of type {value.GetType().Name} cannot be written to GeoJSON.", nameof(value));
        }
    }

    private static void WriteGeometry(Utf8JsonWriter writer, Geometry geometry)
    {
        writer.WriteStartObject();
        writer.WriteString("type", geometry.GeometryType switch
        {
            Geometry.TypeNameLinearRing => Geometry.TypeNameLineString,
            var name => name,
        });

        if (geometry is GeometryCollection and not (MultiPoint or MultiLineString or MultiPolygon))
        {
            writer.WriteStartArray("geometries");
            for (var i = 0; i < geometry.NumGeometries; i++)
            {
                WriteGeometry(writer, geometry.GetGeometryN(i));
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            return;
        }

        writer.WritePropertyName("coordinates");
        WriteCoordinates(writer, geometry);
        writer.WriteEndObject();
    }

    private static void WriteCoordinates(Utf8JsonWriter writer, Geometry geometry)
    {
        switch (geometry)
        {
            case Point p:
                if (p.IsEmpty)
                {
                    writer.WriteStartArray();
                    writer.WriteEndArray();
                }
                else
                {
                    WritePosition(writer, p.Coordinate);
                }

                break;
            case LineString line:
                WritePositions(writer, line.CoordinateSequence);
                break;
            case Polygon polygon:
                writer.WriteStartArray();
                if (!polygon.IsEmpty)
                {
                    WritePositions(writer, polygon.ExteriorRing.CoordinateSequence);
                    foreach (var hole in polygon.InteriorRings)
                    {
                        WritePositions(writer, hole.CoordinateSequence);
                    }
                }

                writer.WriteEndArray();
                break;
            default: // MultiPoint, MultiLineString, MultiPolygon
                writer.WriteStartArray();
                for (var i = 0; i < geometry.NumGeometries; i++)
                {
                    WriteCoordinates(writer, geometry.GetGeometryN(i));
                }

                writer.WriteEndArray();
                break;
        }
    }

    private static void WritePositions(Utf8JsonWriter writer, CoordinateSequence sequence)
    {
        writer.WriteStartArray();
        for (var i = 0; i < sequence.Count; i++)
        {
            WritePosition(writer, sequence.GetCoordinate(i));
        }

        writer.WriteEndArray();
    }

    private static void WritePosition(Utf8JsonWriter writer, Coordinate c)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(c.X);
        writer.WriteNumberValue(c.Y);
        if (!double.IsNaN(c.Z))
        {
            writer.WriteNumberValue(c.Z);
        }

        writer.WriteEndArray();
    }
}
