using NetTopologySuite.Geometries;

namespace Geo.GridService.Grids;

/// <summary>
/// One incoming feature of a grid import, already parsed from its file but not yet validated. Nothing here is
/// trusted: every field may be missing or wrong, and <see cref="GridSetValidator"/> reports what is.
/// </summary>
/// <param name="Index">The feature's position in the source file (0-based), used in every failure location.</param>
/// <param name="Code">The unit-grid code as read (not trimmed), e.g. <c>41048200100101</c>.</param>
/// <param name="Name">The grid's display name as read.</param>
/// <param name="SubdistrictName">街道 name as read; optional.</param>
/// <param name="CommunityName">社区 name as read; optional.</param>
/// <param name="Geometry">The geometry as read, in CGCS2000 geographic coordinates (EPSG:4490), x = longitude,
/// y = latitude, degrees, as the reader converted it from the file's CRS. Its SRID must be 4490 or 0 / -1 (unlabelled);
/// any other SRID is reported as <c>geometry_crs</c>.</param>
/// <param name="MetricGeometry">The same geometry projected vertex by vertex to EPSG:4547 (CGCS2000 / 3-degree
/// Gauss-Kruger CM 114E), x = easting, y = northing, metres; null when it could not be projected, in which case the
/// area-based checks (overlaps, gaps) are skipped for this feature.</param>
public sealed record GridCandidate(
    int Index,
    string? Code,
    string? Name,
    string? SubdistrictName,
    string? CommunityName,
    Geometry? Geometry,
    Geometry? MetricGeometry);
