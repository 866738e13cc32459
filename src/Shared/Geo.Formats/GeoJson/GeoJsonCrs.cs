using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Geo.Formats.GeoJson;

/// <summary>
/// The legacy GeoJSON 2008 <c>crs</c> member. RFC 7946 removed it, but GDAL still reads and writes it, and Chinese
/// survey data in CGCS2000 (EPSG:4490/4547) relies on it.
/// </summary>
internal static partial class GeoJsonCrs
{
    /// <summary>Reads a <c>crs</c> member into a hint such as <c>EPSG:4490</c>; <c>null</c> when absent or unusable.</summary>
    public static string? Read(JsonElement crs)
    {
        if (crs.ValueKind != JsonValueKind.Object
            || !crs.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object
            || !crs.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        switch (type.GetString())
        {
            case "name" when properties.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String:
                return Normalise(name.GetString()!);
            case "EPSG" when properties.TryGetProperty("code", out var code):
                return code.ValueKind switch
                {
                    JsonValueKind.Number when code.TryGetInt32(out var n) && n > 0 => Epsg(n),
                    JsonValueKind.String when int.TryParse(code.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 => Epsg(n),
                    _ => null,
                };
            default:
                return null;
        }
    }

    /// <summary>
    /// <c>EPSG:4490</c>, <c>urn:ogc:def:crs:EPSG::4490</c>, <c>urn:ogc:def:crs:EPSG:6.6:4490</c> and
    /// <c>http://www.opengis.net/def/crs/EPSG/0/4490</c> become <c>EPSG:4490</c>; OGC CRS84 (WGS 84 in lon/lat order,
    /// which is how GeoJSON coordinates are always written) becomes <c>EPSG:4326</c>; anything else is returned as given.
    /// </summary>
    public static string? Normalise(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }

        var m = EpsgPattern().Match(trimmed);
        if (m.Success && int.TryParse(m.Groups["code"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code > 0)
        {
            return Epsg(code);
        }

        if (Crs84Pattern().IsMatch(trimmed))
        {
            return "EPSG:4326";
        }

        return trimmed.Length > 200 ? trimmed[..200] : trimmed;
    }

    /// <summary>The EPSG code of a normalised hint, or <c>null</c>.</summary>
    public static int? EpsgCode(string? hint) =>
        hint is not null && hint.StartsWith("EPSG:", StringComparison.Ordinal)
        && int.TryParse(hint.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;

    private static string Epsg(int code) => "EPSG:" + code.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?:EPSG:|urn:ogc:def:crs:EPSG:[0-9.]*:|https?://www\.opengis\.net/def/crs/EPSG/[0-9.]+/)(?<code>[0-9]{1,9})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EpsgPattern();

    [GeneratedRegex(@"^(?:urn:ogc:def:crs:OGC:[0-9.]*:CRS84|https?://www\.opengis\.net/def/crs/OGC/[0-9.]+/CRS84|(?:OGC:)?CRS84)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Crs84Pattern();
}
