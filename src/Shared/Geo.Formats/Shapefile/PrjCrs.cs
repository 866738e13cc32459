using System.Text;
using System.Text.RegularExpressions;

namespace Geo.Formats.Shapefile;

/// <summary>
/// Turns a Shapefile .prj (ESRI WKT1 as GDAL/ArcGIS write it, or OGC WKT1/WKT2) into a CRS hint. An authority code on
/// the root CRS wins; otherwise the root name is matched against the CRSs the product supports. Only the root is
/// looked at: a projected CRS whose name is unknown must not be mistaken for its base geographic CRS.
/// </summary>
internal static partial class PrjCrs
{
    private static readonly Dictionary<string, string> KnownNames = new(StringComparer.Ordinal)
    {
        // CGCS2000 geographic (EPSG:4490)
        ["CGCS2000"] = "EPSG:4490",
        ["GCS_CGCS2000"] = "EPSG:4490",
        ["CHINA_GEODETIC_COORDINATE_SYSTEM_2000"] = "EPSG:4490",
        ["GCS_CHINA_GEODETIC_COORDINATE_SYSTEM_2000"] = "EPSG:4490",
        // CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547), the zone of Ruzhou
        ["CGCS2000_3_DEGREE_GK_CM_114E"] = "EPSG:4547",
        ["CGCS2000_3_DEGREE_GAUSS_KRUGER_CM_114E"] = "EPSG:4547",
        // WGS 84 (EPSG:4326)
        ["GCS_WGS_1984"] = "EPSG:4326",
        ["WGS_84"] = "EPSG:4326",
        ["WGS_1984"] = "EPSG:4326",
        ["WGS84"] = "EPSG:4326",
        // Web Mercator (EPSG:3857)
        ["WGS_1984_WEB_MERCATOR_AUXILIARY_SPHERE"] = "EPSG:3857",
        ["WGS_84_PSEUDO_MERCATOR"] = "EPSG:3857",
        ["PSEUDO_MERCATOR"] = "EPSG:3857",
        ["WGS_1984_WEB_MERCATOR"] = "EPSG:3857",
    };

    public static string? Recognise(string prj)
    {
        var wkt = prj.Trim().TrimStart('\uFEFF').Trim();
        if (wkt.Length == 0)
        {
            return null;
        }

        if (RootAuthority(wkt) is { } authority)
        {
            return authority;
        }

        var root = RootName().Match(wkt);
        if (root.Success && KnownNames.TryGetValue(Normalise(root.Groups["name"].Value), out var hint))
        {
            return hint;
        }

        return "WKT:" + FormatFailures.Printable(wkt.Length > 60 ? wkt[..60] : wkt);
    }

    /// <summary>AUTHORITY["EPSG","4547"] (WKT1) or ID["EPSG",4547] (WKT2) directly inside the root element.</summary>
    private static string? RootAuthority(string wkt)
    {
        var depth = 0;
        var inQuotes = false;
        for (var i = 0; i < wkt.Length; i++)
        {
            var c = wkt[i];
            if (c == '"')
            {
                inQuotes = !inQuotes;
            }
            else if (inQuotes)
            {
                continue;
            }
            else if (c is '[' or '(')
            {
                depth++;
            }
            else if (c is ']' or ')')
            {
                depth--;
            }
            else if (depth == 1 && char.IsLetter(c) && (i == 0 || !char.IsLetterOrDigit(wkt[i - 1])))
            {
                var m = Authority().Match(wkt, i);
                if (m.Success && m.Index == i)
                {
                    return m.Groups["org"].Value.ToUpperInvariant() + ":" + m.Groups["code"].Value;
                }
            }
        }

        return null;
    }

    private static string Normalise(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name.ToUpperInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(c);
            }
            else if (sb.Length > 0 && sb[^1] != '_')
            {
                sb.Append('_');
            }
        }

        return sb.ToString().TrimEnd('_');
    }

    [GeneratedRegex(@"^\s*[A-Za-z]+\s*[\[(]\s*""(?<name>[^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex RootName();

    [GeneratedRegex(@"\G(?:AUTHORITY|ID)\s*[\[(]\s*""(?<org>EPSG)""\s*,\s*""?(?<code>[0-9]{1,9})""?", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Authority();
}
