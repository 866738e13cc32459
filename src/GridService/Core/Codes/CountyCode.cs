using Geo.Spatial.Failures;

namespace Geo.GridService.Codes;

/// <summary>A 6-digit county-level administrative division code (GB/T 2260), e.g. <c>410482</c> for Ruzhou.</summary>
public readonly record struct CountyCode
{
    public string Value { get; }

    private CountyCode(string value) => Value = value;

    public static Result<CountyCode> Parse(string? text)
    {
        if (text is null || text.Length != 6 || !Digits.All(text))
            return Failure.BadRequest("invalid_county_code", $"A county code has exactly 6 digits; got '{Digits.Shorten(text)}'.");
        return new CountyCode(text);
    }

    public override string ToString() => Value;
}

internal static class Digits
{
    public static bool All(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (c is < '0' or > '9') return false;
        return true;
    }

    /// <summary>Echo user input safely in a message: bounded length, control characters replaced.</summary>
    public static string Shorten(string? s, int max = 40)
    {
        if (s is null) return "";
        var t = s.Length > max ? s[..max] + "…" : s;
        return string.Create(t.Length, t, static (span, src) =>
        {
            for (var i = 0; i < src.Length; i++) span[i] = char.IsControl(src[i]) ? '?' : src[i];
        });
    }
}
