namespace Geo.GridService.Grids;

/// <summary>
/// The stable machine codes (<see cref="Geo.Spatial.Failures.Failure.Code"/>) that <see cref="GridSetValidator"/>
/// reports, besides the grid-code failures of <see cref="Codes.GridCode.Parse"/> (<c>grid_code_missing</c>,
/// <c>grid_code_format</c>, <c>grid_code_county</c>), which it passes through. Part of the API contract.
/// </summary>
public static class GridValidationCodes
{
    /// <summary>The import has more features than <see cref="GridValidationOptions.MaxGrids"/> (TooLarge).</summary>
    public const string TooManyGrids = "too_many_grids";
    /// <summary>A grid has more vertices than <see cref="GridValidationOptions.MaxVerticesPerGrid"/> (TooLarge).</summary>
    public const string TooManyVertices = "too_many_vertices";

    /// <summary>The feature has no geometry.</summary>
    public const string GeometryMissing = "geometry_missing";
    /// <summary>The geometry is not a Polygon or MultiPolygon (points, lines, GeometryCollection...).</summary>
    public const string GeometryType = "geometry_type";
    /// <summary>The geometry carries an SRID other than 4490 (CGCS2000) or 0 / -1 (unlabelled): it was not converted to
    /// EPSG:4490 lon/lat when read, and its coordinates cannot be trusted to be degrees in that CRS.</summary>
    public const string GeometryCrs = "geometry_crs";
    /// <summary>The geometry is an empty Polygon or MultiPolygon.</summary>
    public const string GeometryEmpty = "geometry_empty";
    /// <summary>A coordinate is NaN or infinite, or its longitude/latitude is outside [-180, 180] / [-90, 90].</summary>
    public const string CoordinateInvalid = "coordinate_invalid";
    /// <summary>A polygon's shell is degenerate (all its vertices on one line): it encloses no area.</summary>
    public const string ZeroArea = "zero_area";

    /// <summary>Two rings or parts of a ring cross (<c>IsValidOp</c>: SelfIntersection), e.g. a bow-tie.</summary>
    public const string SelfIntersection = "self_intersection";
    /// <summary>A ring touches or crosses itself (<c>IsValidOp</c>: RingSelfIntersection).</summary>
    public const string RingSelfIntersection = "ring_self_intersection";
    /// <summary>A ring's first and last vertex differ.</summary>
    public const string RingNotClosed = "ring_not_closed";
    /// <summary>A ring has fewer than 4 vertices (3 distinct ones).</summary>
    public const string TooFewPoints = "too_few_points";
    /// <summary>A hole lies (partly) outside its shell.</summary>
    public const string HoleOutsideShell = "hole_outside_shell";
    /// <summary>A hole lies inside another hole of the same polygon.</summary>
    public const string NestedHoles = "nested_holes";
    /// <summary>The holes cut the polygon's interior into several pieces.</summary>
    public const string DisconnectedInterior = "disconnected_interior";
    /// <summary>A part of a MultiPolygon lies inside another part.</summary>
    public const string NestedShells = "nested_shells";
    /// <summary>Two rings are identical.</summary>
    public const string DuplicateRings = "duplicate_rings";
    /// <summary>NTS rejected a coordinate (<c>IsValidOp</c>: InvalidCoordinate).</summary>
    public const string InvalidCoordinate = "invalid_coordinate";
    /// <summary>Any other <c>IsValidOp</c> error (none known in NTS 2.6; kept so that a new one fails closed).</summary>
    public const string GeometryInvalid = "geometry_invalid";

    /// <summary>Two features of the import carry the same grid code.</summary>
    public const string GridCodeDuplicate = "grid_code_duplicate";
    /// <summary>The grid has no name (missing or only white space).</summary>
    public const string GridNameMissing = "grid_name_missing";
    /// <summary>Two grids overlap by more than <see cref="GridValidationOptions.OverlapToleranceSquareMetres"/>.</summary>
    public const string GridOverlap = "grid_overlap";
    /// <summary>An area enclosed by grids but covered by none is larger than
    /// <see cref="GridValidationOptions.GapToleranceSquareMetres"/>.</summary>
    public const string GridGap = "grid_gap";
}
