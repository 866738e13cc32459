using Geo.Spatial.Failures;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Valid;
using static Geo.GridService.Grids.GridValidationCodes;

namespace Geo.GridService.Grids;

/// <summary>The per-feature geometry checks of <see cref="GridSetValidator"/>, in the order they must run.</summary>
internal static class GridGeometryCheck
{
    /// <summary>
    /// Checks the lon/lat geometry: present, polygonal, labelled EPSG:4490 or unlabelled (SRID 0 or -1), not empty,
    /// within the vertex limit, finite coordinates in range, topologically valid and not degenerate. Reports at most
    /// one failure (the first that applies, since each check assumes the previous ones passed) and returns whether
    /// the geometry passed.
    /// </summary>
    public static bool Check(GridCandidate c, GridValidationOptions options, List<Failure> failures)
    {
        var g = c.Geometry;
        if (g is null)
            return Fail(failures, c, GeometryMissing, "The feature has no geometry.");
        if (g is not (Polygon or MultiPolygon))
            return Fail(failures, c, GeometryType, $"A grid must be a Polygon or MultiPolygon, not a {g.GeometryType}.");
        if (g.SRID is not (<= 0 or 4490))
            return Fail(failures, c, GeometryCrs,
                $"The geometry is labelled with SRID {g.SRID}; grids are read in CGCS2000 lon/lat (EPSG:4490).");
        if (g.IsEmpty)
            return Fail(failures, c, GeometryEmpty, $"The {g.GeometryType} is empty.");

        // Before any per-coordinate work: the limit bounds it.
        var vertices = g.NumPoints;
        if (vertices > options.MaxVerticesPerGrid)
        {
            failures.Add(new Failure(TooManyVertices,
                $"The grid has {vertices} vertices; at most {options.MaxVerticesPerGrid} are accepted per grid.",
                FailureKind.TooLarge, GridSetValidator.Label(c), GridSetValidator.Facts(c)));
            return false;
        }

        // IsValidOp is not defined on NaN or infinite ordinates: check them first.
        if (FirstInvalidCoordinate(g) is { } bad)
            return Fail(failures, c, CoordinateInvalid,
                "A coordinate is not a finite longitude in [-180, 180] and latitude in [-90, 90] (EPSG:4490 degrees).",
                GeoPoint.LonLat(bad));

        return CheckTopology(g, c, failures, GeoPoint.LonLat);
    }

    /// <summary>
    /// Checks the metric geometry of a feature whose lon/lat geometry passed. Returns false when it reported a failure;
    /// <paramref name="usable"/> is the metric geometry to use for the area checks, or null to skip them (the feature
    /// has none, or its projection produced non-finite coordinates, i.e. it could not be projected).
    /// </summary>
    public static bool CheckMetric(GridCandidate c, List<Failure> failures, out Geometry? usable)
    {
        usable = null;
        var m = c.MetricGeometry;
        if (m is null) return true;
        if (m is not (Polygon or MultiPolygon) || m.IsEmpty)
            throw new ArgumentException(
                $"Feature {c.Index}: the metric geometry must be the projected Polygon/MultiPolygon, not a {(m.IsEmpty ? "empty " : "")}{m.GeometryType}.",
                "candidates");
        if (FirstNonFinite(m) is not null) return true;

        // Projection keeps topology except for rings closer than its distortion: rare, but then the overlay below
        // would be undefined, so it is reported where it happens.
        if (!CheckTopology(m, c, failures, GeoPoint.Metric)) return false;
        usable = m;
        return true;
    }

    private static bool CheckTopology(Geometry g, GridCandidate c, List<Failure> failures, Func<Coordinate, GeoPoint> locate)
    {
        var error = new IsValidOp(g).ValidationError;

        // A collapsed shell (all vertices on a line) shows up as a self-intersection; say what it really is.
        if (error is null or { ErrorType: TopologyValidationErrors.SelfIntersection or TopologyValidationErrors.RingSelfIntersection }
            && FirstDegenerateShell(g) is { } flat)
            return Fail(failures, c, ZeroArea, "A polygon encloses no area: all vertices of its shell lie on one line.", locate(flat));

        if (error is null) return true;
        var (code, message) = error.ErrorType switch
        {
            TopologyValidationErrors.SelfIntersection => (SelfIntersection, "Rings of the polygon cross or overlap each other."),
            TopologyValidationErrors.RingSelfIntersection => (RingSelfIntersection, "A ring crosses or touches itself."),
            TopologyValidationErrors.RingNotClosed => (RingNotClosed, "A ring is not closed (its last vertex differs from its first)."),
            TopologyValidationErrors.TooFewPoints => (TooFewPoints, "A ring has too few distinct vertices (at least 3 distinct ones, 4 with the closing vertex)."),
            TopologyValidationErrors.HoleOutsideShell => (HoleOutsideShell, "A hole lies outside its polygon's shell."),
            TopologyValidationErrors.NestedHoles => (NestedHoles, "A hole lies inside another hole."),
            TopologyValidationErrors.DisconnectedInteriors => (DisconnectedInterior, "The holes split the polygon's interior into separate pieces."),
            TopologyValidationErrors.NestedShells => (NestedShells, "A part of the MultiPolygon lies inside another part."),
            TopologyValidationErrors.DuplicateRings => (DuplicateRings, "Two rings are identical."),
            TopologyValidationErrors.InvalidCoordinate => (InvalidCoordinate, "A coordinate is not valid."),
            _ => (GeometryInvalid, $"The geometry is not valid: {error.Message}."),
        };
        return Fail(failures, c, code, message, error.Coordinate is { } at ? locate(at) : null);
    }

    private static bool Fail(List<Failure> failures, GridCandidate c, string code, string message, GeoPoint? at = null)
    {
        var label = GridSetValidator.Label(c);
        var facts = GridSetValidator.Facts(c);
        failures.Add(new Failure(code, message, FailureKind.Invalid,
            at is { } p ? $"{label} at {p.Text}" : label,
            at is { } q ? q.AddTo(facts) : facts));
        return false;
    }

    private static Coordinate? FirstInvalidCoordinate(Geometry g)
    {
        foreach (var ring in Rings(g))
        {
            var s = ring.CoordinateSequence;
            for (var i = 0; i < s.Count; i++)
            {
                double x = s.GetX(i), y = s.GetY(i);
                if (!double.IsFinite(x) || !double.IsFinite(y) || x is < -180 or > 180 || y is < -90 or > 90)
                    return new Coordinate(x, y);
            }
        }
        return null;
    }

    private static Coordinate? FirstNonFinite(Geometry g)
    {
        foreach (var ring in Rings(g))
        {
            var s = ring.CoordinateSequence;
            for (var i = 0; i < s.Count; i++)
                if (!double.IsFinite(s.GetX(i)) || !double.IsFinite(s.GetY(i)))
                    return new Coordinate(s.GetX(i), s.GetY(i));
        }
        return null;
    }

    /// <summary>The first vertex of the first shell whose vertices are all collinear (robust orientation test).</summary>
    private static Coordinate? FirstDegenerateShell(Geometry g)
    {
        for (var p = 0; p < g.NumGeometries; p++)
        {
            if (g.GetGeometryN(p) is not Polygon { IsEmpty: false } polygon) continue;
            var s = polygon.ExteriorRing.CoordinateSequence;
            if (s.Count == 0) continue;
            var a = s.GetCoordinate(0);
            Coordinate? b = null;
            var flat = true;
            for (var i = 1; i < s.Count && flat; i++)
            {
                var q = s.GetCoordinate(i);
                if (b is null)
                {
                    if (!q.Equals2D(a)) b = q;
                }
                else if (Orientation.Index(a, b, q) != OrientationIndex.Collinear)
                {
                    flat = false;
                }
            }
            if (flat) return a;
        }
        return null;
    }

    private static IEnumerable<LineString> Rings(Geometry g)
    {
        for (var p = 0; p < g.NumGeometries; p++)
        {
            if (g.GetGeometryN(p) is not Polygon polygon || polygon.IsEmpty) continue;
            yield return polygon.ExteriorRing;
            foreach (var hole in polygon.InteriorRings)
                yield return hole;
        }
    }
}
