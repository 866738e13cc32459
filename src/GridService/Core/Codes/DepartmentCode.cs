using Geo.Spatial.Failures;

namespace Geo.GridService.Codes;

/// <summary>
/// A department's code: 1-32 characters of ASCII letters, digits, '-' and '_' (e.g. <c>CGJ</c>, <c>GD-01</c>).
/// Departments keep their Chinese names in <see cref="Departments.Department.Name"/>; the code is the stable key.
/// </summary>
public readonly record struct DepartmentCode
{
    public string Value { get; }

    private DepartmentCode(string value) => Value = value;

    public static Result<DepartmentCode> Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return Failure.Invalid("department_code_missing", "The department code is missing.");
        if (text.Length > 32 || !text.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return Failure.Invalid("department_code_format",
                $"A department code has 1-32 ASCII letters, digits, '-' or '_'; got '{Digits.Shorten(text)}'.");
        return new DepartmentCode(text);
    }

    public static DepartmentCode FromTrusted(string value) => new(value);

    public override string ToString() => Value;
}
