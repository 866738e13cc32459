using Geo.GridService.Codes;
using Geo.Spatial.Failures;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;
using NetTopologySuite.Operation.RelateNG;
using static Geo.GridService.Grids.GridValidationCodes;

namespace Geo.GridService.Grids;

/// <summary>
/// The check run on a whole grid import before anything is stored. It reports every problem it finds (a list of
/// <see cref="Failure"/>, one per problem, in a stable order: per feature in input order, then overlaps, then gaps)
/// and never repairs a geometry: an invalid polygon is rejected with the place where it is invalid, not buffered.
/// </summary>
/// <remarks>
/// <para>Per feature: the grid code (<see cref="GridCode.Parse"/>, its failures passed through with the feature as
/// location), duplicate codes, the name, and the geometry (present, Polygon/MultiPolygon, not empty, at most
/// <see cref="GridValidationOptions.MaxVerticesPerGrid"/> vertices, finite lon/lat in range, valid by NTS
/// <c>IsValidOp</c>, not degenerate). Coordinates are checked before <c>IsValidOp</c> runs, which is not defined
/// on NaN.</para>
/// <para>Across features, in EPSG:4547 metres and only among features whose geometry passed: overlaps whose area
/// exceeds <see cref="GridValidationOptions.OverlapToleranceSquareMetres"/>, and gaps, i.e. holes of the union of
/// all grids whose area exceeds <see cref="GridValidationOptions.GapToleranceSquareMetres"/>. Uncovered land that
/// is not enclosed by grids is not a gap: the city boundary is not known here. A hole that touches the envelope of
/// a feature rejected for its geometry is not reported, since that feature may fill it once fixed. Candidate pairs
/// come from an STR-tree, so the work grows about as n log n with the number of grids.</para>
/// <para><c>NetTopologySuite.Coverage</c> (CoverageValidator, CoverageGapFinder) ships in NTS 2.6.0, but its gap
/// finder measures gaps by width, not area, and its validator reports mismatched edges rather than overlap areas;
/// the area tolerances of this contract are computed directly instead.</para>
/// </remarks>
public static class GridSetValidator
{
    private const int Cgcs2000Srid = 4490;

    // Interiors of the two geometries intersect: for polygons, an overlap of positive area.
    private const string InteriorsIntersect = "T********";

    private static readonly GeometryFactory s_cgcs2000 = NtsGeometryServices.Instance.CreateGeometryFactory(Cgcs2000Srid);

    /// <summary>Returns the valid grids (ordered by code, ordinal) or every failure found.</summary>
    /// <exception cref="ArgumentException">The options are unusable (a bug in the caller's configuration), or a
    /// <see cref="GridCandidate.MetricGeometry"/> is not polygonal although its geometry is.</exception>
    public static Result<IReadOnlyList<Grid>> Validate(IReadOnlyList<GridCandidate> candidates, GridValidationOptions options)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        CheckOptions(options);

        // The limit bounds the work: past it, nothing else is looked at.
        if (candidates.Count > options.MaxGrids)
            return Failure.TooLarge(TooManyGrids,
                $"The import has {candidates.Count} features; at most {options.MaxGrids} grids are accepted in one import.");

        var failures = new List<Failure>();
        var grids = new List<Grid>(candidates.Count);
        var firstByCode = new Dictionary<string, GridCandidate>(StringComparer.Ordinal);
        var areaFeatures = new List<AreaFeature>(candidates.Count);
        var rejectedEnvelopes = new List<Envelope>();

        foreach (var candidate in candidates)
        {
            ArgumentNullException.ThrowIfNull(candidate, nameof(candidates));
            var ok = true;

            GridCode? code = null;
            var parsed = GridCode.Parse(candidate.Code, options.County);
            if (parsed.IsOk)
            {
                code = parsed.Value;
                if (firstByCode.TryGetValue(code.Value.Value, out var first))
                {
                    ok = false;
                    failures.Add(Failure.Invalid(GridCodeDuplicate,
                        $"Grid code {code.Value.Value} is used by feature {first.Index} and feature {candidate.Index}.",
                        $"{Label(first)} and {Label(candidate)}") with
                    {
                        Extensions = Facts(candidate, other: first),
                    });
                }
                else
                {
                    firstByCode.Add(code.Value.Value, candidate);
                }
            }
            else
            {
                ok = false;
                failures.AddRange(parsed.Failures.Select(f => f with { Location = Label(candidate), Extensions = Facts(candidate) }));
            }

            if (string.IsNullOrWhiteSpace(candidate.Name))
            {
                ok = false;
                failures.Add(Failure.Invalid(GridNameMissing, "The grid has no name.", Label(candidate)) with
                {
                    Extensions = Facts(candidate),
                });
            }

            if (GridGeometryCheck.Check(candidate, options, failures)
                && GridGeometryCheck.CheckMetric(candidate, failures, out var metric))
            {
                if (metric is not null)
                    areaFeatures.Add(new AreaFeature(candidate, metric));
            }
            else
            {
                ok = false;
                if (candidate.MetricGeometry is { IsEmpty: false } rejected && IsFinite(rejected.EnvelopeInternal))
                    rejectedEnvelopes.Add(rejected.EnvelopeInternal);
            }

            if (ok)
                grids.Add(new Grid(code!.Value, candidate.Name!.Trim(), candidate.SubdistrictName, candidate.CommunityName,
                    InCgcs2000(candidate.Geometry!)));
        }

        if (areaFeatures.Count > 1)
        {
            var tree = new STRtree<int>();
            for (var i = 0; i < areaFeatures.Count; i++)
                tree.Insert(areaFeatures[i].Metric.EnvelopeInternal, i);
            tree.Build();
            FindOverlaps(areaFeatures, tree, options.OverlapToleranceSquareMetres, failures);
            FindGaps(areaFeatures, tree, rejectedEnvelopes, options.GapToleranceSquareMetres, failures);
        }
        else if (areaFeatures.Count == 1)
        {
            // A lone grid can still enclose an uncovered hole.
            FindGaps(areaFeatures, null, rejectedEnvelopes, options.GapToleranceSquareMetres, failures);
        }

        if (failures.Count > 0)
            return Result<IReadOnlyList<Grid>>.Fail(failures);

        grids.Sort(static (a, b) => a.Code.CompareTo(b.Code));
        return grids;
    }

    private static void CheckOptions(GridValidationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.County.Value is null)
            throw new ArgumentException("The options need a county code.", nameof(options));
        if (!double.IsFinite(options.GapToleranceSquareMetres) || options.GapToleranceSquareMetres < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "The gap tolerance must be a finite number of m² >= 0.");
        if (!double.IsFinite(options.OverlapToleranceSquareMetres) || options.OverlapToleranceSquareMetres < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "The overlap tolerance must be a finite number of m² >= 0.");
        if (options.MaxVerticesPerGrid < 4)
            throw new ArgumentOutOfRangeException(nameof(options), "A grid needs at least 4 vertices: MaxVerticesPerGrid must be >= 4.");
        if (options.MaxGrids < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxGrids must be >= 1.");
    }

    private static void FindOverlaps(List<AreaFeature> features, STRtree<int> tree, double tolerance, List<Failure> failures)
    {
        var neighbours = new List<int>();
        for (var i = 0; i < features.Count; i++)
        {
            var a = features[i];
            neighbours.Clear();
            foreach (var j in tree.Query(a.Metric.EnvelopeInternal))
                if (j > i) neighbours.Add(j);
            if (neighbours.Count == 0) continue;
            neighbours.Sort();

            // Most neighbours only share an edge; the prepared relate answers that without computing an overlay.
            var prepared = RelateNG.Prepare(a.Metric);
            foreach (var j in neighbours)
            {
                var b = features[j];
                if (!prepared.Evaluate(b.Metric, InteriorsIntersect)) continue;
                var overlap = OverlayNGRobust.Overlay(a.Metric, b.Metric, SpatialFunction.Intersection);
                var area = overlap.Area;
                if (area <= tolerance) continue;

                var where = OverlapPoint(a, b, overlap);
                failures.Add(new Failure(GridOverlap,
                    $"Grids {Label(a.Candidate)} and {Label(b.Candidate)} overlap by {FormatArea(area)} m² (more than the tolerance of {FormatArea(tolerance)} m²).",
                    FailureKind.Invalid,
                    $"{Label(a.Candidate)} and {Label(b.Candidate)} at {where.Text}",
                    where.AddTo(Facts(a.Candidate, other: b.Candidate, area))));
            }
        }
    }

    /// <summary>A point inside the overlap, in lon/lat when it can be had exactly, else mapped or metric.</summary>
    private static GeoPoint OverlapPoint(AreaFeature a, AreaFeature b, Geometry metricOverlap)
    {
        var lonLat = OverlayNGRobust.Overlay(a.Candidate.Geometry!, b.Candidate.Geometry!, SpatialFunction.Intersection);
        if (lonLat is IPolygonal && !lonLat.IsEmpty && lonLat.Area > 0)
            return GeoPoint.LonLat(lonLat.InteriorPoint.Coordinate);
        return ToLonLat(metricOverlap.InteriorPoint.Coordinate, [a, b]);
    }

    private static void FindGaps(List<AreaFeature> features, STRtree<int>? tree, List<Envelope> rejectedEnvelopes,
        double tolerance, List<Failure> failures)
    {
        var union = OverlayNGRobust.Union(features.Select(static f => f.Metric));
        var factory = union.Factory;
        for (var p = 0; p < union.NumGeometries; p++)
        {
            if (union.GetGeometryN(p) is not Polygon polygon) continue;
            foreach (var hole in polygon.InteriorRings)
            {
                var gap = factory.CreatePolygon(factory.CreateLinearRing(hole.CoordinateSequence));
                var area = gap.Area;
                if (area <= tolerance) continue;
                var envelope = gap.EnvelopeInternal;
                if (rejectedEnvelopes.Exists(e => e.Intersects(envelope))) continue;

                var around = new List<AreaFeature>();
                if (tree is null)
                    around.AddRange(features);
                else
                    foreach (var j in tree.Query(envelope))
                        if (features[j].Metric.Intersects(gap)) around.Add(features[j]);
                around.Sort(static (x, y) => x.Candidate.Index.CompareTo(y.Candidate.Index));

                var where = ToLonLat(gap.InteriorPoint.Coordinate, around);
                var names = string.Join(", ", around.Take(4).Select(static f => Label(f.Candidate)))
                    + (around.Count > 4 ? $" and {around.Count - 4} more" : "");
                var facts = new Dictionary<string, object?>
                {
                    ["area_m2"] = Math.Round(area, 3),
                    ["features"] = around.Select(static f => f.Candidate.Index).ToArray(),
                };
                failures.Add(new Failure(GridGap,
                    $"An area of {FormatArea(area)} m² enclosed by grids is covered by none (more than the tolerance of {FormatArea(tolerance)} m²).",
                    FailureKind.Invalid,
                    around.Count > 0 ? $"gap next to {names} at {where.Text}" : $"gap at {where.Text}",
                    where.AddTo(facts)));
            }
        }
    }

    /// <summary>
    /// Maps a metric point back to lon/lat with an affine transform fitted, by least squares, to the vertices of a
    /// nearby grid (the metric geometry is that grid's lon/lat geometry projected vertex by vertex). Over a few
    /// kilometres the projection is affine to well below a centimetre, which is plenty to find the spot. Falls back to
    /// the metric coordinate, labelled with its CRS, if no grid gives a usable fit.
    /// </summary>
    private static GeoPoint ToLonLat(Coordinate metric, IEnumerable<AreaFeature> near)
    {
        foreach (var f in near)
            if (LocalAffine.Fit(f.Metric, f.Candidate.Geometry!) is { } affine)
                return GeoPoint.LonLat(affine.Map(metric));
        return GeoPoint.Metric(metric);
    }

    internal static string Label(GridCandidate c) =>
        string.IsNullOrEmpty(c.Code) ? $"feature {c.Index} (no code)" : $"feature {c.Index} ({Digits.Shorten(c.Code)})";

    internal static Dictionary<string, object?> Facts(GridCandidate c, GridCandidate? other = null, double? area = null)
    {
        var facts = new Dictionary<string, object?> { ["feature"] = c.Index, ["code"] = Digits.Shorten(c.Code) };
        if (other is not null)
        {
            facts["other_feature"] = other.Index;
            facts["other_code"] = Digits.Shorten(other.Code);
        }
        if (area is { } a) facts["area_m2"] = Math.Round(a, 3);
        return facts;
    }

    private static string FormatArea(double squareMetres) =>
        squareMetres.ToString(squareMetres < 10 ? "0.###" : "0.#", System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsFinite(Envelope e) =>
        double.IsFinite(e.MinX) && double.IsFinite(e.MaxX) && double.IsFinite(e.MinY) && double.IsFinite(e.MaxY);

    private static Geometry InCgcs2000(Geometry geometry) =>
        geometry.SRID == Cgcs2000Srid ? geometry : s_cgcs2000.CreateGeometry(geometry);

    /// <summary>A feature whose geometry passed every check and whose metric geometry is usable.</summary>
    private sealed record AreaFeature(GridCandidate Candidate, Geometry Metric);
}
