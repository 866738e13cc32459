namespace Geo.GridService.Host.Census;

/// <summary>CSV output cells safe to open in a spreadsheet (SECURITY: CSV formula injection).</summary>
public static class CsvCell
{
    /// <summary>
    /// Quotes a cell when needed (RFC 4180) and defuses a leading <c>= + - @</c>, tab or carriage return by prefixing a
    /// single quote, so Excel/WPS never evaluate user text as a formula. Plain numbers (e.g. -3.5) are left alone.
    /// </summary>
    public static string Safe(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var v = value;
        if (v[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(v, System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out _))
            v = "'" + v;
        if (v.AsSpan().IndexOfAny(",\"\r\n") >= 0) v = "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        return v;
    }
}
