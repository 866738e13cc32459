using Geo.Spatial.Failures;

namespace Geo.GridService.Codes;

/// <summary>
/// A unit-grid code (单元网格代码, CJ/T 213): county (6 digits) + subdistrict (3) + community (3) + grid sequence
/// (2 digits, 14 in all; or 3 digits, 15 in all in newer systems). Both lengths are accepted; the county prefix must
/// be the configured one. Ordinal comparison of the text is the order used by the boundary rule.
/// </summary>
public readonly record struct GridCode : IComparable<GridCode>
{
    public string Value { get; }

    private GridCode(string value) => Value = value;

    /// <summary>Subdistrict (街道) code: the county code plus 3 digits, e.g. <c>410482001</c>.</summary>
    public string SubdistrictCode => Value[..9];

    /// <summary>Community (社区) code: the subdistrict code plus 3 digits, e.g. <c>410482001002</c>.</summary>
    public string CommunityCode => Value[..12];

    public static Result<GridCode> Parse(string? text, CountyCode county)
    {
        if (string.IsNullOrEmpty(text))
            return Failure.Invalid("grid_code_missing", "The grid code is missing.");
        if (text.Length is not (14 or 15) || !Digits.All(text))
            return Failure.Invalid("grid_code_format",
                $"A unit-grid code has 14 or 15 digits (county 6 + subdistrict 3 + community 3 + sequence 2 or 3); got '{Digits.Shorten(text)}'.");
        if (!text.StartsWith(county.Value, StringComparison.Ordinal))
            return Failure.Invalid("grid_code_county",
                $"Grid code '{text}' does not start with the configured county code {county.Value}.");
        if (text.AsSpan(6, 3) is "000" || text.AsSpan(9, 3) is "000")
            return Failure.Invalid("grid_code_format",
                $"Grid code '{text}' has a zero subdistrict or community part.");
        return new GridCode(text);
    }

    /// <summary>For codes already validated when they were stored.</summary>
    public static GridCode FromTrusted(string value) => new(value);

    public int CompareTo(GridCode other) => string.CompareOrdinal(Value, other.Value);

    public override string ToString() => Value;
}
