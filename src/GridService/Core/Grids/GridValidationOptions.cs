using Geo.GridService.Codes;

namespace Geo.GridService.Grids;

/// <summary>Limits and tolerances of <see cref="GridSetValidator.Validate"/>.</summary>
/// <param name="County">Every grid code must start with this county code.</param>
/// <param name="GapToleranceSquareMetres">Enclosed uncovered areas up to this size (m², EPSG:4547) are not
/// reported; digitising noise between neighbours is typically far below 1 m².</param>
/// <param name="OverlapToleranceSquareMetres">Overlaps between two grids up to this size (m², EPSG:4547) are not
/// reported.</param>
/// <param name="MaxVerticesPerGrid">Most vertices one grid may have, counted as stored (the closing vertex of each
/// ring counts).</param>
/// <param name="MaxGrids">Most features one import may have; above it nothing else is checked.</param>
public sealed record GridValidationOptions(
    CountyCode County,
    double GapToleranceSquareMetres = 1.0,
    double OverlapToleranceSquareMetres = 1.0,
    int MaxVerticesPerGrid = 100_000,
    int MaxGrids = 10_000);
