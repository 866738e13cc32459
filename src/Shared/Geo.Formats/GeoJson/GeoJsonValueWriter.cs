using System.Globalization;
using System.Text.Json;

namespace Geo.Formats.GeoJson;

/// <summary>GeoJSON property values: the CLR types of <see cref="VectorFeature"/> attributes as JSON.</summary>
public static class GeoJsonValueWriter
{
    /// <summary>Writes an attribute value of one of <see cref="VectorFeature"/>'s normalised types.</summary>
    public static void Write(Utf8JsonWriter writer, object? value)
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
}
