using Geo.GridService.Codes;
using Geo.GridService.Departments;
using Geo.Spatial.Failures;

namespace Geo.GridService.Responsibility;

/// <summary>One row of an incoming matrix, as parsed from CSV or JSON (strings not yet validated).</summary>
/// <param name="Row">1-based row or array position, for error locations.</param>
/// <param name="Grid">Grid code, or empty / <c>*</c> for every grid.</param>
/// <param name="Class">Class code (<c>C0101</c>, <c>E01</c>), or empty / <c>*</c> for the default.</param>
public sealed record RuleCandidate(int Row, string? Id, string? Grid, string? Class, string? Department, string? Note);

/// <summary>Validates a whole responsibility matrix before it replaces the stored one; reports every problem.</summary>
public static class RuleSetValidator
{
    public const int MaxRules = 100_000;

    /// <param name="knownGrids">Codes of the current grid version: a rule naming another grid is rejected.</param>
    public static Result<IReadOnlyList<ResponsibilityRule>> Validate(IReadOnlyList<RuleCandidate> candidates, CountyCode county,
        IReadOnlyCollection<Department> departments, IReadOnlySet<GridCode> knownGrids)
    {
        var failures = new List<Failure>();
        if (candidates.Count > MaxRules)
            return Failure.TooLarge("too_many_rules", $"A matrix may hold at most {MaxRules} rules; got {candidates.Count}.");
        var deptCodes = departments.Select(d => d.Code).ToHashSet();
        var rules = new List<ResponsibilityRule>(candidates.Count);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var cells = new Dictionary<(GridCode?, ClassCode?), int>();
        foreach (var c in candidates)
        {
            var at = $"rule {c.Row}";
            var ok = true;
            GridCode? grid = null;
            if (!IsWildcard(c.Grid))
            {
                var g = GridCode.Parse(c.Grid!.Trim(), county);
                if (!g.IsOk) { failures.Add(g.Failure with { Location = at }); ok = false; }
                else if (!knownGrids.Contains(g.Value))
                { failures.Add(Failure.Invalid("rule_grid_unknown", $"Grid {g.Value} is not in the current grid version.", at)); ok = false; }
                else grid = g.Value;
            }
            ClassCode? cls = null;
            if (!IsWildcard(c.Class))
            {
                var k = ClassCode.Parse(c.Class);
                if (!k.IsOk) { failures.Add(k.Failure with { Kind = FailureKind.Invalid, Location = at }); ok = false; }
                else cls = k.Value;
            }
            var d = DepartmentCode.Parse(c.Department?.Trim());
            if (!d.IsOk) { failures.Add(d.Failure with { Location = at }); ok = false; }
            else if (!deptCodes.Contains(d.Value))
            { failures.Add(Failure.Invalid("rule_department_unknown", $"Department {d.Value} does not exist.", at)); ok = false; }

            var id = string.IsNullOrWhiteSpace(c.Id) ? $"R{c.Row:D5}" : c.Id.Trim();
            if (id.Length > 64 || id.Any(char.IsControl))
            { failures.Add(Failure.Invalid("rule_id_format", "A rule id has at most 64 printable characters.", at)); ok = false; }
            else if (ids.TryGetValue(id, out var firstRow))
            { failures.Add(Failure.Invalid("rule_id_duplicate", $"Rule id '{id}' is also used by rule {firstRow}.", at)); ok = false; }
            else ids[id] = c.Row;

            if (!ok) continue;
            if (cells.TryGetValue((grid, cls), out var other))
            {
                failures.Add(Failure.Invalid("rule_duplicate",
                    $"Rule {c.Row} and rule {other} both decide {(cls?.ToString() ?? "the default")} in {(grid?.ToString() ?? "every grid")}.", at));
                continue;
            }
            cells[(grid, cls)] = c.Row;
            rules.Add(new ResponsibilityRule(id, grid, cls, d.Value, string.IsNullOrWhiteSpace(c.Note) ? null : c.Note.Trim()));
        }
        return failures.Count > 0 ? Result<IReadOnlyList<ResponsibilityRule>>.Fail(failures) : rules;
    }

    private static bool IsWildcard(string? s) => string.IsNullOrWhiteSpace(s) || s.Trim() is "*" or "default" or "全部";
}
