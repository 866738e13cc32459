using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Census;

/// <summary>
/// The taxonomy as a CSV file: <c>tree,major_code,major_name,minor_code,minor_name,source</c> (tree = component or
/// event; default component). The standard's lists ship as <c>taxonomy/gbt30428-classes.csv</c> next to the program
/// and are loaded into an empty store; a city's local classes come in the same format (CLI <c>classes add --file</c>,
/// <c>POST /api/v1/classes</c>), so extending the taxonomy needs no code change.
/// </summary>
public static class TaxonomyFile
{
    /// <summary>The shipped standard classes (copied to the build output).</summary>
    public static string ShippedPath => Path.Combine(AppContext.BaseDirectory, "taxonomy", "gbt30428-classes.csv");

    public static Result<IReadOnlyList<ComponentClass>> Read(Stream stream, bool isExtension, string? defaultSource)
    {
        var table = CsvTable.Read(stream, 10_000);
        if (!table.IsOk) return Result<IReadOnlyList<ComponentClass>>.Fail(table.Failures);
        var t = table.Value;
        int tree = t.Column("tree", "树"), majorCode = t.Column("major_code", "大类代码"), majorName = t.Column("major_name", "大类名称"),
            minorCode = t.Column("minor_code", "code", "小类代码"), minorName = t.Column("minor_name", "name", "小类名称"), source = t.Column("source", "来源");
        if (minorCode < 0 || minorName < 0 || majorName < 0)
            return Failure.Invalid("taxonomy_columns", "A taxonomy file needs the columns major_name, minor_code and minor_name (major_code, tree and source are optional).");
        var failures = new List<Failure>();
        var list = new List<ComponentClass>();
        for (var i = 0; i < t.Rows.Count; i++)
        {
            var row = t.Rows[i];
            var r = Create(CsvTable.Cell(row, tree), CsvTable.Cell(row, majorCode), CsvTable.Cell(row, majorName), CsvTable.Cell(row, minorCode),
                CsvTable.Cell(row, minorName), CsvTable.Cell(row, source) ?? defaultSource, isExtension, $"row {i + 1}");
            if (r.IsOk) list.Add(r.Value);
            else failures.AddRange(r.Failures);
        }
        var dup = list.GroupBy(c => c.Code).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) failures.Add(Failure.Invalid("class_duplicate", $"Class {dup.Key} occurs more than once."));
        return failures.Count > 0 ? Result<IReadOnlyList<ComponentClass>>.Fail(failures) : list;
    }

    /// <summary>Validates one class: minor code of 4 digits under its major, names 1..40 characters without control characters.</summary>
    public static Result<ComponentClass> Create(string? tree, string? majorCode, string? majorName, string? minorCode, string? minorName,
        string? source, bool isExtension, string location = "class")
    {
        var kind = tree?.Trim().ToLowerInvariant() switch
        {
            null or "" or "component" or "c" or "部件" => (ClassTree?)ClassTree.Component,
            "event" or "e" or "事件" => ClassTree.Event,
            _ => null,
        };
        if (kind is null) return Failure.Invalid("class_tree", $"Tree '{Shorten(tree)}' is neither component (部件) nor event (事件).", location);
        var digits = minorCode?.Trim() ?? "";
        if (digits.Length == 5 && digits[0] is 'C' or 'c' or 'E' or 'e') digits = digits[1..];
        var parsed = ClassCode.Parse((kind == ClassTree.Component ? "C" : "E") + digits);
        if (!parsed.IsOk || !parsed.Value.IsMinor)
            return Failure.Invalid("class_format", $"Minor class '{Shorten(minorCode)}' is not 4 digits (major 2 + minor 2, neither 00).", location);
        if (!string.IsNullOrWhiteSpace(majorCode) && majorCode.Trim() != parsed.Value.Major.Digits)
            return Failure.Invalid("class_major_mismatch", $"Minor class {digits} does not belong to major class {Shorten(majorCode)}.", location);
        if (!ValidName(majorName) || !ValidName(minorName))
            return Failure.Invalid("class_name", $"Class names need 1-{ComponentClass.MaxNameLength} characters without control characters.", location);
        return new ComponentClass(parsed.Value, majorName!.Trim(), minorName!.Trim(), isExtension, source?.Trim() is { Length: > 0 } s ? s[..Math.Min(s.Length, 200)] : null);
    }

    private static bool ValidName(string? s) =>
        !string.IsNullOrWhiteSpace(s) && s.Trim().Length <= ComponentClass.MaxNameLength && !s.Any(char.IsControl);

    private static string Shorten(string? s) => s is null ? "" : s.Length > 20 ? s[..20] + "…" : s;

    /// <summary>Loads the shipped standard classes into a store that has none; returns how many were loaded.</summary>
    public static async Task<Result<int>> EnsureSeededAsync(ICensusStore store, CancellationToken ct = default)
    {
        if ((await store.ListClassesAsync(ct)).Count > 0) return 0;
        await using var s = File.OpenRead(ShippedPath);
        var classes = Read(s, isExtension: false, "GB/T 30428");
        if (!classes.IsOk) return Result<int>.Fail(classes.Failures);
        return await store.UpsertClassesAsync(classes.Value, ct);
    }
}
