using Geo.GridService.Codes;
using Geo.GridService.Responsibility;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Application;

/// <summary>Parses a responsibility matrix from CSV (id,grid,class,department,note; <c>*</c> = every grid / default).</summary>
internal static class MatrixInput
{
    public static Result<IReadOnlyList<RuleCandidate>> FromCsv(Stream csv)
    {
        var table = CsvTable.Read(csv, RuleSetValidator.MaxRules + 1);
        if (!table.IsOk) return Result<IReadOnlyList<RuleCandidate>>.Fail(table.Failures);
        var t = table.Value;
        int id = t.Column("id", "规则编号"), grid = t.Column("grid", "网格", "网格编码"), cls = t.Column("class", "类别", "类别编码"),
            dept = t.Column("department", "部门", "责任部门"), note = t.Column("note", "备注");
        if (grid < 0 || cls < 0 || dept < 0)
            return Failure.Invalid("csv_columns", "The matrix CSV needs the columns grid, class and department (optional: id, note).");
        return t.Rows.Select((r, i) => new RuleCandidate(i + 2, CsvTable.Cell(r, id), CsvTable.Cell(r, grid), CsvTable.Cell(r, cls),
            CsvTable.Cell(r, dept), CsvTable.Cell(r, note))).ToList();
    }

    /// <summary>Validates a matrix against the stored departments and the current grids, then replaces the stored one.</summary>
    public static async Task<Result<int>> ReplaceAsync(IReadOnlyList<RuleCandidate> candidates, IGridStore store,
        OwnershipService ownership, CountyCode county, CancellationToken ct)
    {
        var departments = await store.ListDepartmentsAsync(ct);
        var snapshot = await ownership.RefreshAsync(ct: ct);
        var gridCodes = snapshot.Current is { } v ? snapshot.Index(v.Number).Grids.Select(g => g.Code).ToHashSet() : [];
        var valid = RuleSetValidator.Validate(candidates, county, departments, gridCodes);
        if (!valid.IsOk) return Result<int>.Fail(valid.Failures);
        var stored = await store.ReplaceRulesAsync(valid.Value, ct);
        if (stored.IsOk) await ownership.RefreshAsync(ct: ct);
        return stored;
    }
}
