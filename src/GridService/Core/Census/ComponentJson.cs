using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetTopologySuite.IO;

namespace Geo.GridService.Census;

/// <summary>
/// The JSON snapshot of a component kept in the audit trail (before/after): every field, the geometry as WKT in
/// EPSG:4490 (x = lon, y = lat). The same text on every backend, so audit entries compare across stores.
/// </summary>
public static class ComponentJson
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static string Write(Component c)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Encoder }))
        {
            w.WriteStartObject();
            w.WriteString("code", c.Code.Value);
            w.WriteString("class", c.Code.ClassDigits);
            w.WriteString("name", c.Name);
            w.WriteString("geometry", new WKTWriter { MaxCoordinatesPerLine = int.MaxValue }.Write(c.Geometry));
            w.WriteStartArray("grids");
            foreach (var g in c.GridCodes) w.WriteStringValue(g.Value);
            w.WriteEndArray();
            WriteNullable(w, "competentDepartment", c.CompetentDepartment?.Value);
            WriteNullable(w, "owner", c.Owner);
            WriteNullable(w, "maintainer", c.Maintainer?.Value);
            w.WriteString("status", CensusText.Label(c.Status));
            w.WriteString("firstRecorded", c.FirstRecorded.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("lastChanged", c.LastChanged.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("dataSource", CensusText.Label(c.Source));
            w.WriteStartArray("photos");
            foreach (var p in c.Photos) w.WriteStringValue(p);
            w.WriteEndArray();
            WriteNullable(w, "remarks", c.Remarks);
            if (c.AttributesJson is { } a)
            {
                w.WritePropertyName("attributes");
                w.WriteRawValue(a);
            }
            else w.WriteNull("attributes");
            w.WriteNumber("version", c.Version);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }
}
