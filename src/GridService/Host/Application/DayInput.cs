using System.Globalization;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Application;

/// <summary>Dates given by users (<c>at</c>, <c>validFrom</c>): <c>yyyy-MM-dd</c>, a day in China Standard Time.</summary>
internal static class DayInput
{
    /// <summary>Null or blank gives null; anything else must be <c>yyyy-MM-dd</c>, else a BadRequest
    /// <c>{name}_invalid</c> failure naming the parameter.</summary>
    public static Result<DateOnly?> Parse(string? text, string name, string code)
    {
        if (string.IsNullOrWhiteSpace(text)) return (DateOnly?)null;
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return (DateOnly?)d;
        var shown = text.Length > 32 ? text[..32] + "…" : text;
        return Failure.BadRequest(code, $"{name} must be a date yyyy-MM-dd; got '{shown}'.");
    }
}
