using System.Text.Json;
using NetTopologySuite.Geometries;

namespace Geo.Formats.GeoJson;

/// <summary>RFC 7946 geometry objects written with <see cref="Utf8JsonWriter"/> (shared by the file writer and the
/// OGC API Features responses).</summary>
public static class GeoJsonGeometryWriter
{
    /// <summary>Writes one geometry object; positions as stored (x, y[, z]), a LinearRing as a LineString.</summary>
    public static void Write(Utf8JsonWriter writer, Geometry geometry)
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
                Write(writer, geometry.GetGeometryN(i));
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
