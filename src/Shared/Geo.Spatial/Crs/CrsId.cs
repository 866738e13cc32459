using Geo.Spatial.Failures;

namespace Geo.Spatial.Crs;

/// <summary>
/// A supported coordinate reference system: EPSG:4326, EPSG:4490, EPSG:4547, EPSG:3857, GCJ02 or BD09.
/// </summary>
/// <remarks>
/// <para>
/// Axis order: everywhere in this product x is the easting or longitude and y the northing or latitude (traditional GIS
/// order), even for EPSG:4326, EPSG:4490 and EPSG:4547 whose official EPSG axis order is latitude/northing first, and
/// even when the CRS was named by an OGC URN or URI that formally implies the EPSG order. Swap at the edge if a client
/// needs the other order.
/// </para>
/// <para>
/// Units: degrees for the geographic systems (4326, 4490, GCJ02, BD09), metres for the projected ones (4547, 3857).
/// </para>
/// </remarks>
/// <param name="Kind">Which system.</param>
public readonly record struct CrsId(CrsKind Kind)
{
    /// <summary>EPSG:4326, WGS 84 geographic, degrees, lon/lat.</summary>
    public static readonly CrsId Wgs84 = new(CrsKind.Wgs84);

    /// <summary>EPSG:4490, CGCS2000 geographic, degrees, lon/lat. The hub every conversion goes through.</summary>
    public static readonly CrsId Cgcs2000 = new(CrsKind.Cgcs2000);

    /// <summary>EPSG:4547, CGCS2000 / 3-degree Gauss-Kruger CM 114E, metres, easting/northing.</summary>
    public static readonly CrsId Cgcs2000GK114 = new(CrsKind.Cgcs2000GaussKruger114);

    /// <summary>EPSG:3857, WGS 84 / Pseudo-Mercator, metres, easting/northing.</summary>
    public static readonly CrsId WebMercator = new(CrsKind.WebMercator);

    /// <summary>GCJ-02, the obfuscated Chinese datum used by Amap/Tencent; degrees, lon/lat.</summary>
    public static readonly CrsId Gcj02 = new(CrsKind.Gcj02);

    /// <summary>BD-09, Baidu's offset of GCJ-02; degrees, lon/lat.</summary>
    public static readonly CrsId Bd09 = new(CrsKind.Bd09);

    private const int MaxEchoedLength = 40;
    private const int MaxParsedLength = 128;

    private const string SupportedList =
        "Supported: EPSG:4326 (WGS 84), EPSG:4490 (CGCS2000), EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E), " +
        "EPSG:3857 (Web Mercator), GCJ02, BD09.";

    /// <summary>Canonical name: "EPSG:4326", "EPSG:4490", "EPSG:4547", "EPSG:3857", "GCJ02" or "BD09".</summary>
    public string Name => Kind switch
    {
        CrsKind.Wgs84 => "EPSG:4326",
        CrsKind.Cgcs2000 => "EPSG:4490",
        CrsKind.Cgcs2000GaussKruger114 => "EPSG:4547",
        CrsKind.WebMercator => "EPSG:3857",
        CrsKind.Gcj02 => "GCJ02",
        CrsKind.Bd09 => "BD09",
        _ => throw UnknownKind(Kind),
    };

    /// <summary>The EPSG code, or null for GCJ02 and BD09 which have none.</summary>
    public int? Epsg => Kind switch
    {
        CrsKind.Wgs84 => 4326,
        CrsKind.Cgcs2000 => 4490,
        CrsKind.Cgcs2000GaussKruger114 => 4547,
        CrsKind.WebMercator => 3857,
        CrsKind.Gcj02 or CrsKind.Bd09 => null,
        _ => throw UnknownKind(Kind),
    };

    /// <summary>True for systems in degrees (4326, 4490, GCJ02, BD09), false for those in metres (4547, 3857).</summary>
    public bool IsGeographic => Kind switch
    {
        CrsKind.Wgs84 or CrsKind.Cgcs2000 or CrsKind.Gcj02 or CrsKind.Bd09 => true,
        CrsKind.Cgcs2000GaussKruger114 or CrsKind.WebMercator => false,
        _ => throw UnknownKind(Kind),
    };

    /// <summary>
    /// Parses a CRS name as clients send it: <c>EPSG:4326</c>, <c>4326</c>, <c>epsg:4490</c>, <c>WGS84</c>,
    /// <c>CGCS2000</c>, <c>GCJ02</c>, <c>GCJ-02</c>, <c>BD09</c>, <c>BD-09</c>, <c>urn:ogc:def:crs:EPSG::4547</c>,
    /// <c>http://www.opengis.net/def/crs/EPSG/0/4490</c>, <c>http://www.opengis.net/def/crs/OGC/1.3/CRS84</c> (WGS 84).
    /// Case-insensitive, surrounding white space ignored. The axis order is always lon/lat (see <see cref="CrsId"/>),
    /// whatever order the URN or URI formally implies.
    /// </summary>
    /// <returns>The CRS, or a <see cref="FailureKind.BadRequest"/> failure with code <c>unsupported_crs</c> listing the supported ones.</returns>
    public static Result<CrsId> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Failure.BadRequest("unsupported_crs", "No coordinate reference system given. " + SupportedList);
        }

        var trimmed = text.Trim();
        if (trimmed.Length <= MaxParsedLength && TryParseCore(trimmed.ToUpperInvariant()) is { } crs)
        {
            return crs;
        }

        var shown = trimmed.Length > MaxEchoedLength ? trimmed[..MaxEchoedLength] + "..." : trimmed;
        return Failure.BadRequest("unsupported_crs", $"Unsupported coordinate reference system '{shown}'. " + SupportedList);
    }

    /// <summary>The canonical <see cref="Name"/>.</summary>
    public override string ToString() => Name;

    private static CrsId? TryParseCore(string upper)
    {
        switch (upper)
        {
            case "WGS84" or "WGS 84" or "WGS-84" or "CRS84" or "OGC:CRS84"
                or "URN:OGC:DEF:CRS:OGC:1.3:CRS84" or "URN:OGC:DEF:CRS:OGC::CRS84"
                or "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84" or "HTTPS://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84":
                return Wgs84;
            case "CGCS2000" or "CGCS 2000":
                return Cgcs2000;
            case "GCJ02" or "GCJ-02":
                return Gcj02;
            case "BD09" or "BD-09":
                return Bd09;
        }

        string? code = null;
        if (upper.StartsWith("EPSG:", StringComparison.Ordinal))
        {
            code = upper["EPSG:".Length..];
        }
        else if (upper.StartsWith("URN:OGC:DEF:CRS:EPSG:", StringComparison.Ordinal))
        {
            // urn:ogc:def:crs:EPSG:{version}:{code}, the version is usually empty.
            var rest = upper["URN:OGC:DEF:CRS:EPSG:".Length..];
            var colon = rest.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && IsVersion(rest[..colon]))
            {
                code = rest[(colon + 1)..];
            }
        }
        else if (TryStripPrefix(upper, "HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/", out var rest)
                 || TryStripPrefix(upper, "HTTPS://WWW.OPENGIS.NET/DEF/CRS/EPSG/", out rest))
        {
            // http://www.opengis.net/def/crs/EPSG/{version}/{code}, the version is usually 0.
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && IsVersion(rest[..slash]))
            {
                code = rest[(slash + 1)..];
            }
        }
        else
        {
            code = upper;
        }

        return code switch
        {
            "4326" => Wgs84,
            "4490" => Cgcs2000,
            "4547" => Cgcs2000GK114,
            "3857" => WebMercator,
            _ => null,
        };
    }

    private static bool TryStripPrefix(string text, string prefix, out string rest)
    {
        var matches = text.StartsWith(prefix, StringComparison.Ordinal);
        rest = matches ? text[prefix.Length..] : "";
        return matches;
    }

    private static bool IsVersion(string text)
    {
        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static ArgumentOutOfRangeException UnknownKind(CrsKind kind) =>
        new(nameof(Kind), kind, "Not a supported CRS kind.");
}
