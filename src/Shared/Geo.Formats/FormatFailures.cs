using Geo.Spatial.Failures;

namespace Geo.Formats;

/// <summary>
/// Every failure this library returns is built here, so codes, kinds and location formats stay consistent
/// (a feature is located as <c>feature N</c>, JSON text as <c>line L, position P</c>, a zip entry by its name).
/// </summary>
internal static class FormatFailures
{
    /// <summary>Stop collecting per-feature failures after this many: enough to fix a file, bounded in memory.</summary>
    public const int MaxCollected = 100;

    public static Failure Feature(string code, string message, int index, FailureKind kind = FailureKind.Invalid) =>
        new(code, message, kind, $"feature {index}", new Dictionary<string, object?> { ["featureIndex"] = index });

    public static Failure Json(string code, string message, long line, long position, long byteOffset, FailureKind kind = FailureKind.Invalid) =>
        new(code, message, kind, $"line {line}, position {position}",
            new Dictionary<string, object?> { ["line"] = line, ["position"] = position, ["byteOffset"] = byteOffset });

    public static Failure Entry(string code, string message, string entryName, FailureKind kind = FailureKind.Invalid) =>
        new(code, message, kind, $"zip entry '{Printable(entryName)}'", new Dictionary<string, object?> { ["entry"] = Printable(entryName) });

    public static Failure TooLarge(long maxBytes, string? location = null) =>
        Failure.TooLarge("file_too_large", $"The input exceeds the limit of {maxBytes} bytes.", location ?? $"byte {maxBytes}");

    public static Failure TooManyFeatures(int maxFeatures) =>
        Feature("too_many_features", $"The file holds more than the limit of {maxFeatures} features.", maxFeatures, FailureKind.TooLarge);

    public static Failure TooManyVertices(int index, long count, int max) =>
        Feature("too_many_vertices", $"The geometry has {(count > max ? count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "more than " + max)} vertices; the limit is {max}.",
            index, FailureKind.TooLarge);

    /// <summary>Names come from untrusted files: keep them short and free of control characters in messages.</summary>
    public static string Printable(string s)
    {
        var chars = s.Length > 120 ? s[..120] + "…" : s;
        return string.Create(chars.Length, chars, static (span, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                span[i] = char.IsControl(src[i]) || src[i] is '\u202E' or '\u202D' ? '?' : src[i];
            }
        });
    }

    /// <summary>
    /// Exceptions a third-party parser throws on malformed bytes (as opposed to bugs or infrastructure faults).
    /// Used only around NTS/Shapefile/WKB parsing of in-memory untrusted data, where the library's own defects on
    /// crafted bytes (a null or an invalid cast deep in a reader) are still bad input, not a bug of ours.
    /// </summary>
    public static bool IsParserFault(Exception ex) => ex is
        IOException or InvalidDataException or ArgumentException or FormatException or IndexOutOfRangeException
        or OverflowException or InvalidOperationException or NotSupportedException or NetTopologySuite.IO.ParseException
        or NetTopologySuite.IO.Esri.ShapefileException or InvalidCastException or NullReferenceException
        // A crafted count field can make a parser request an impossible array; that fails at once without using memory.
        or OutOfMemoryException;
}
