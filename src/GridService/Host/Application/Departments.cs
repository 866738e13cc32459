using Geo.GridService.Codes;
using Geo.GridService.Departments;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Application;

/// <summary>Parses and validates departments from CSV (code,name,contact,phone) before an upsert.</summary>
internal static class DepartmentInput
{
    public const int MaxDepartments = 10_000;

    public sealed record Candidate(int Row, string? Code, string? Name, string? Contact, string? Phone);

    public static Result<IReadOnlyList<Candidate>> FromCsv(Stream csv)
    {
        var table = CsvTable.Read(csv, MaxDepartments);
        if (!table.IsOk) return Result<IReadOnlyList<Candidate>>.Fail(table.Failures);
        var t = table.Value;
        int code = t.Column("code", "编码", "部门编码"), name = t.Column("name", "名称", "部门名称"),
            contact = t.Column("contact", "联系人"), phone = t.Column("phone", "电话", "联系电话");
        if (code < 0 || name < 0)
            return Failure.Invalid("csv_columns", "The departments CSV needs the columns code and name (optional: contact, phone).");
        return t.Rows.Select((r, i) => new Candidate(i + 2, CsvTable.Cell(r, code), CsvTable.Cell(r, name),
            CsvTable.Cell(r, contact), CsvTable.Cell(r, phone))).ToList();
    }

    public static Result<IReadOnlyList<Department>> Validate(IReadOnlyList<Candidate> candidates)
    {
        if (candidates.Count > MaxDepartments)
            return Failure.TooLarge("too_many_departments", $"At most {MaxDepartments} departments per request.");
        var failures = new List<Failure>();
        var result = new List<Department>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in candidates)
        {
            var at = $"row {c.Row}";
            var code = DepartmentCode.Parse(c.Code?.Trim());
            if (!code.IsOk) { failures.Add(code.Failure with { Location = at }); continue; }
            if (seen.TryGetValue(code.Value.Value, out var first))
            { failures.Add(Failure.Invalid("department_code_duplicate", $"Department {code.Value} is also on row {first}.", at)); continue; }
            seen[code.Value.Value] = c.Row;
            var name = c.Name?.Trim();
            if (string.IsNullOrEmpty(name)) { failures.Add(Failure.Invalid("department_name_missing", "The department name is missing.", at)); continue; }
            if (!TextRules.IsPlain(name, 200) || !TextRules.IsPlain(c.Contact, 200) || !TextRules.IsPlain(c.Phone, 64))
            { failures.Add(Failure.Invalid("text_invalid", "Names and contacts are at most 200 characters without control characters.", at)); continue; }
            result.Add(new Department(code.Value, name, c.Contact?.Trim(), c.Phone?.Trim()));
        }
        return failures.Count > 0 ? Result<IReadOnlyList<Department>>.Fail(failures) : result;
    }
}

/// <summary>Bounds on free text stored from user input (SECURITY.md G8).</summary>
internal static class TextRules
{
    public static bool IsPlain(string? s, int maxLength) =>
        s is null || (s.Length <= maxLength && !s.Any(char.IsControl));
}
