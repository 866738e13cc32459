using Geo.GridService.Codes;

namespace Geo.GridService.Responsibility;

/// <summary>
/// One cell of the responsibility matrix: in <see cref="Grid"/> (or every grid when null), cases of class
/// <see cref="Class"/> (a 2-digit major, a 4-digit minor, or every class when null) go to <see cref="Department"/>.
/// </summary>
/// <param name="Id">Stable rule identifier, quoted in every ownership answer it decides.</param>
public sealed record ResponsibilityRule(
    string Id,
    GridCode? Grid,
    ClassCode? Class,
    DepartmentCode Department,
    string? Note = null)
{
    /// <summary>
    /// Specificity rank; higher wins. The class decides first, the grid second:
    /// minor@grid (6) &gt; minor@all (5) &gt; major@grid (4) &gt; major@all (3) &gt; default@grid (2) &gt; default@all (1).
    /// A class-specific city-wide rule (the water company maintains every water cover) therefore beats a grid's
    /// catch-all default (the subdistrict office handles everything else in its grids).
    /// </summary>
    public int Specificity => (Class is null ? 0 : Class.Value.IsMinor ? 4 : 2) + (Grid is null ? 1 : 2);

    /// <summary>A human description, e.g. <c>E0101 in 41048200100101</c> or <c>default in every grid</c>.</summary>
    public string Describe() =>
        $"{(Class is null ? "default" : Class.Value.ToString())} in {(Grid is null ? "every grid" : Grid.Value.ToString())}";
}
