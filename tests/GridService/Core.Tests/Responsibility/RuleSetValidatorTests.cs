using Geo.GridService.Codes;
using Geo.GridService.Departments;
using Geo.GridService.Responsibility;
using Geo.GridService.Tests.Support;

namespace Geo.GridService.Tests.Responsibility;

public class RuleSetValidatorTests
{
    private static readonly Department[] Departments =
        [new(DepartmentCode.Parse("CGJ").Value, "汝州市城市管理局", null, null), new(DepartmentCode.Parse("GS").Value, "汝州市供水有限公司", null, null)];

    private static readonly HashSet<GridCode> Grids = [TestGrids.Code(0), TestGrids.Code(1)];

    private static IReadOnlyList<string> Codes(params RuleCandidate[] rows) =>
        RuleSetValidator.Validate(rows, TestGrids.Ruzhou, Departments, Grids).Failures.Select(f => f.Code).ToList();

    [Fact]
    public void A_valid_matrix_with_wildcards_passes()
    {
        var r = RuleSetValidator.Validate(
            [new(2, "R1", "*", "*", "CGJ", null), new(3, "R2", TestGrids.Code(0).Value, "C0101", "GS", "上水井盖")],
            TestGrids.Ruzhou, Departments, Grids);
        Assert.True(r.IsOk);
        Assert.Null(r.Value[0].Grid);
        Assert.Null(r.Value[0].Class);
        Assert.Equal("C0101", r.Value[1].Class.ToString());
    }

    [Fact]
    public void Two_rules_for_the_same_grid_and_class_are_rejected() =>
        Assert.Contains("rule_duplicate", Codes(new(2, "A", "*", "C01", "CGJ", null), new(3, "B", "", "C01", "GS", null)));

    [Fact]
    public void An_unknown_department_is_rejected() =>
        Assert.Equal(["rule_department_unknown"], Codes(new RuleCandidate(2, "A", "*", "*", "XX", null)));

    [Fact]
    public void A_grid_not_in_the_current_version_is_rejected() =>
        Assert.Equal(["rule_grid_unknown"], Codes(new RuleCandidate(2, "A", "41048200200101", "*", "CGJ", null)));

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var codes = Codes(
            new(2, "A", "*", "0101", "CGJ", null),
            new(3, "B", "*", "*", "NOPE", null),
            new(4, "B", "123", "*", "CGJ", null));
        Assert.Equal(["class_ambiguous", "rule_department_unknown", "grid_code_format", "rule_id_duplicate"], codes);
    }
}
