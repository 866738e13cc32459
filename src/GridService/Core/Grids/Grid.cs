using Geo.GridService.Codes;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Grids;

/// <summary>
/// One responsibility grid (责任网格 / 单元网格) of one version.
/// <see cref="Geometry"/> is a Polygon or MultiPolygon in CGCS2000 geographic coordinates (EPSG:4490),
/// axis order x = longitude, y = latitude (degrees), SRID 4490.
/// </summary>
public sealed record Grid(
    GridCode Code,
    string Name,
    string? SubdistrictName,
    string? CommunityName,
    Geometry Geometry)
{
    /// <summary>Subdistrict (街道) code, derived from the grid code.</summary>
    public string SubdistrictCode => Code.SubdistrictCode;

    /// <summary>Community (社区) code, derived from the grid code.</summary>
    public string CommunityCode => Code.CommunityCode;
}

/// <summary>
/// A version of the whole grid set. An import creates a new version valid from <see cref="ValidFrom"/>; the previous
/// one is closed the day before (its <see cref="ValidTo"/> is exclusive: the version answers for dates
/// ValidFrom &lt;= d &lt; ValidTo). Old versions stay queryable ("at" in the ownership API).
/// </summary>
public sealed record GridVersion(
    int Number,
    DateOnly ValidFrom,
    DateOnly? ValidTo,
    DateTimeOffset ImportedAt,
    int GridCount,
    string? Source,
    string? Note)
{
    public bool IsValidOn(DateOnly day) => ValidFrom <= day && (ValidTo is null || day < ValidTo.Value);
}
