using System.Text.RegularExpressions;

namespace Geo.Gdal.Interop;

/// <summary>
/// Makes a GDAL/libtiff message safe to return to a client: no server paths, no control characters, bounded length.
/// GDAL prefixes many messages with the file name (<c>/srv/uploads/…/x.tif: TIFFReadDirectory: …</c>).
/// </summary>
internal static partial class GdalMessages
{
    private const int MaxLength = 300;

    public static string Sanitize(string? message, string? path = null)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "GDAL reported no detail.";
        }

        var text = message;
        if (!string.IsNullOrEmpty(path))
        {
            text = text.Replace(path, "<file>", StringComparison.Ordinal);
            var name = Path.GetFileName(path);
            if (name.Length > 0)
            {
                text = text.Replace(name, "<file>", StringComparison.Ordinal);
            }
        }

        text = AbsolutePath().Replace(text, "<path>");
        text = ControlChars().Replace(text, " ").Trim();
        return text.Length <= MaxLength ? text : string.Concat(text.AsSpan(0, MaxLength), "…");
    }

    // An absolute Unix path or a /vsi… name: "/" followed by at least one non-space segment.
    [GeneratedRegex(@"(?<![\w.])/(?:[^\s/'`""():,;]+/?)+")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"[\p{Cc}\p{Cf}]+")]
    private static partial Regex ControlChars();
}
