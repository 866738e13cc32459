using Geo.GridService.Codes;

namespace Geo.GridService.Responsibility;

/// <summary>
/// The responsibility matrix compiled for fast answers: for a grid (by its position in the grid set) and a class, the
/// rule that decides. Resolution order is <see cref="ResponsibilityRule.Specificity"/>: minor@grid, minor@all,
/// major@grid, major@all, default@grid, default@all. Rules are validated before they get here (no two rules with the
/// same grid and class), so the winner is unique.
/// </summary>
public sealed class ResponsibilityMatrix
{
    private readonly Dictionary<int, ResponsibilityRule>[] _byGrid;
    private readonly ResponsibilityRule?[] _defaultByGrid;

    /// <param name="gridCodes">The grids of one version, in index order.</param>
    /// <param name="rules">The whole matrix.</param>
    public ResponsibilityMatrix(IReadOnlyList<GridCode> gridCodes, IReadOnlyList<ResponsibilityRule> rules)
    {
        Rules = rules;
        _byGrid = new Dictionary<int, ResponsibilityRule>[gridCodes.Count];
        _defaultByGrid = new ResponsibilityRule?[gridCodes.Count];
        var classKeys = rules.Where(r => r.Class is not null).Select(r => Key(r.Class!.Value)).Distinct().ToArray();
        for (var g = 0; g < gridCodes.Count; g++)
        {
            var code = gridCodes[g];
            var applicable = rules.Where(r => r.Grid is null || r.Grid.Value == code).ToArray();
            var map = new Dictionary<int, ResponsibilityRule>(classKeys.Length);
            foreach (var key in classKeys)
            {
                ResponsibilityRule? best = null;
                foreach (var r in applicable)
                {
                    if (r.Class is { } c && !Matches(Key(c), key)) continue;
                    if (best is null || r.Specificity > best.Specificity) best = r;
                }
                if (best is not null) map[key] = best;
            }
            _byGrid[g] = map;
            _defaultByGrid[g] = applicable.Where(r => r.Class is null).MaxBy(r => r.Specificity);
        }
    }

    public IReadOnlyList<ResponsibilityRule> Rules { get; }

    /// <summary>The deciding rule for a class in a grid, or null when the matrix has no rule that applies.</summary>
    /// <param name="gridIndex">Position of the grid in the set this matrix was compiled for.</param>
    /// <param name="cls">The class; null asks for the grid's default department.</param>
    public ResponsibilityRule? Resolve(int gridIndex, ClassCode? cls)
    {
        if (cls is { } c)
        {
            var map = _byGrid[gridIndex];
            var key = Key(c);
            if (map.TryGetValue(key, out var rule)) return rule;
            if (c.IsMinor && map.TryGetValue(Key(c.Major), out rule)) return rule;
        }
        return _defaultByGrid[gridIndex];
    }

    private static int Key(ClassCode c) => c.Key;

    // Does a rule keyed ruleKey apply to a class keyed classKey? Equal, or the rule is the class's major.
    private static bool Matches(int ruleKey, int classKey) =>
        ruleKey == classKey || (ruleKey % 100 == 0 && (ruleKey >> 16) == (classKey >> 16) && (ruleKey & 0xFFFF) / 100 == (classKey & 0xFFFF) / 100);
}
