using System.Globalization;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// Text forms of dates and times in the file, as GeoPackage (and so GDAL and QGIS) reads them: DATE is
/// <c>yyyy-MM-dd</c>, DATETIME is ISO 8601 UTC with milliseconds, <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>. Timestamps are
/// therefore stored to the millisecond; <see cref="Truncate"/> gives the value a caller gets back.
/// </summary>
internal static class SqlText
{
    private const string DateFormat = "yyyy-MM-dd";
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string FromDate(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static DateOnly ToDate(string text) => DateOnly.ParseExact(text, DateFormat, CultureInfo.InvariantCulture);

    public static string FromTimestamp(DateTimeOffset at) => at.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public static DateTimeOffset ToTimestamp(string text) =>
        DateTimeOffset.ParseExact(text, TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>The instant as the file keeps it: UTC, whole milliseconds.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}
