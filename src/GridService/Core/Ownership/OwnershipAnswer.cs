using Geo.GridService.Codes;
using Geo.Spatial.Crs;

namespace Geo.GridService.Ownership;

/// <summary>"This point, this class": the question the dispatch system asks.</summary>
/// <param name="X">Easting or longitude in <paramref name="Crs"/> (x first, whatever the CRS's official axis order).</param>
/// <param name="Y">Northing or latitude in <paramref name="Crs"/>.</param>
/// <param name="Class">Component or event class; null asks for the grid's default department.</param>
/// <param name="At">Answer from the grid version valid on this day (China Standard Time); null means today.</param>
public readonly record struct OwnershipQuery(double X, double Y, CrsId Crs, ClassCode? Class = null, DateOnly? At = null);

public sealed record GridRef(string Code, string Name, string SubdistrictCode, string? SubdistrictName, string CommunityCode, string? CommunityName);

public sealed record DepartmentRef(string Code, string Name, string? Contact, string? Phone);

/// <summary>The rule that decided, quoted in every answer so a dispatcher can see why.</summary>
public sealed record RuleRef(string Id, string? Grid, string? Class, string Description);

/// <summary>
/// The answer: one grid, one department, the deciding rule. Coordinates echo the query and give the point in
/// EPSG:4490 (lon, lat) as it was located.
/// </summary>
public sealed record OwnershipAnswer(
    GridRef Grid,
    DepartmentRef? Department,
    RuleRef? Rule,
    bool OnBoundary,
    string Crs,
    double X,
    double Y,
    double Lon,
    double Lat,
    string? Class,
    int GridVersion);

/// <summary>An answer without messages, for batches: the shared refs of the grid, department and rule, or an error
/// code (and, outside every grid, the nearest grid and its distance in metres).</summary>
public readonly record struct CompactAnswer(
    GridRef? Grid,
    DepartmentRef? Department,
    RuleRef? Rule,
    bool OnBoundary,
    int GridVersion,
    string? Error,
    GridRef? NearestGrid,
    double? DistanceMetres)
{
    public bool IsOk => Error is null;

    public static CompactAnswer Failed(string code) => new(null, null, null, false, 0, code, null, null);
}
