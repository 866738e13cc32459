using System.Globalization;
using Geo.GridService.Codes;
using Geo.Spatial.Failures;

namespace Geo.GridService.Census;

/// <summary>
/// A component identifier (部件标识码, GB/T 30428 / CJ/T 214): 16 digits = 6-digit county code + 2-digit major class
/// + 2-digit minor class + 6-digit serial, e.g. <c>4104820101000001</c> (Ruzhou, 上水井盖, serial 1).
/// <para>Validated once at the boundary: exactly 16 ASCII digits, non-zero major, minor and serial. Whether the
/// county is the configured one and the class exists is checked by <see cref="ComponentValidator"/> (it needs the
/// taxonomy). The 16 digits fit a <see cref="long"/> (<see cref="Number"/>), which orders like the text.</para>
/// </summary>
public readonly record struct ComponentCode : IComparable<ComponentCode>
{
    /// <summary>The highest serial number of a class.</summary>
    public const int MaxSerial = 999_999;

    public string Value { get; }

    private ComponentCode(string value) => Value = value;

    /// <summary>The county prefix (6 digits).</summary>
    public string County => Value[..6];

    /// <summary>The component minor class the code names (tree Component, 4 digits).</summary>
    public ClassCode Class => ClassCode.Create(ClassTree.Component, Value.Substring(6, 4));

    /// <summary>The class digits (major + minor, 4 digits).</summary>
    public string ClassDigits => Value.Substring(6, 4);

    /// <summary>The serial number within the county and class (1..999999).</summary>
    public int Serial => int.Parse(Value.AsSpan(10, 6), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>The code as a number; same order as the text (fixed width).</summary>
    public long Number => long.Parse(Value, NumberStyles.None, CultureInfo.InvariantCulture);

    public static Result<ComponentCode> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return Failure.Invalid("component_code_missing", "The component code (标识码) is missing.");
        var t = text.Trim();
        if (t.Length != 16 || !IsDigits(t))
            return Failure.Invalid("component_code_format",
                $"A component code has exactly 16 digits (county 6 + major 2 + minor 2 + serial 6); got '{Shorten(t)}' ({t.Length} characters).");
        if (t.AsSpan(6, 2) is "00" || t.AsSpan(8, 2) is "00")
            return Failure.Invalid("component_code_format", $"Component code '{t}' has a zero major or minor class.");
        if (t.AsSpan(10, 6) is "000000")
            return Failure.Invalid("component_code_format", $"Component code '{t}' has serial 000000; serials start at 000001.");
        return new ComponentCode(t);
    }

    /// <summary>Builds a code from its parts; <paramref name="minorClass"/> must be a component minor class.</summary>
    public static ComponentCode Create(CountyCode county, ClassCode minorClass, int serial)
    {
        if (minorClass.Tree != ClassTree.Component || !minorClass.IsMinor)
            throw new ArgumentException("A component code names a component minor class.", nameof(minorClass));
        ArgumentOutOfRangeException.ThrowIfLessThan(serial, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(serial, MaxSerial);
        return new ComponentCode(county.Value + minorClass.Digits + serial.ToString("D6", CultureInfo.InvariantCulture));
    }

    /// <summary>For codes validated when they were stored.</summary>
    public static ComponentCode FromTrusted(string value) => new(value);

    /// <summary>From <see cref="Number"/>.</summary>
    public static ComponentCode FromNumber(long number) => new(number.ToString("D16", CultureInfo.InvariantCulture));

    public int CompareTo(ComponentCode other) => string.CompareOrdinal(Value, other.Value);

    public override string ToString() => Value ?? "";

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (c is < '0' or > '9') return false;
        return true;
    }

    internal static string Shorten(string? s, int max = 40)
    {
        if (s is null) return "";
        var t = s.Length > max ? s[..max] + "…" : s;
        return string.Create(t.Length, t, static (span, src) =>
        {
            for (var i = 0; i < src.Length; i++) span[i] = char.IsControl(src[i]) ? '?' : src[i];
        });
    }
}
