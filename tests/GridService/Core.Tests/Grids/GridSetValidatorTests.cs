using System.Globalization;
using Geo.GridService.Codes;
using Geo.Spatial.Failures;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.GridService.Grids;

public sealed class GridSetValidatorTests
{
    private static readonly CountyCode s_ruzhou = CountyCode.Parse("410482").Value;
    private static readonly GridValidationOptions s_options = new(s_ruzhou);
    private static readonly WKTReader s_reader = new(NtsGeometryServices.Instance);
    private static readonly GeometryFactory s_factory = NtsGeometryServices.Instance.CreateGeometryFactory();

    // Cells of 0.01° x 0.01° (about 922 m x 1106 m) around Ruzhou; the 2x2 tiling's centre is (W + D, S + D).
    private const double W = 112.84, S = 34.16, D = 0.01;

    // ---- a valid import ----

    [Fact]
    public void Valid2x2TilingIsAcceptedOrderedByCode()
    {
        var result = Validate(
            Candidate(0, "41048200100104", Cell(W + D, S + D)),
            Candidate(1, "41048200100102", Cell(W + D, S)),
            Candidate(2, "41048200100103", Cell(W, S + D)),
            Candidate(3, "41048200100101", Cell(W, S)));

        Assert.True(result.IsOk, string.Join("; ", result.Failures));
        Assert.Equal(["41048200100101", "41048200100102", "41048200100103", "41048200100104"],
            result.Value.Select(static g => g.Code.Value));
    }

    [Fact]
    public void AcceptedGridHasTrimmedNameAndSrid4490()
    {
        var result = Validate(Candidate(0, "410482001001001", Cell(W, S), name: "  钟楼一网格 "));

        var grid = Assert.Single(result.Value);
        Assert.Equal("钟楼一网格", grid.Name);
        Assert.Equal(4490, grid.Geometry.SRID);
        Assert.Equal("410482001001", grid.CommunityCode);
    }

    [Fact]
    public void FourteenAndFifteenDigitCodesAreOrderedOrdinally()
    {
        var result = Validate(
            Candidate(0, "41048200100102", Cell(W, S)),
            Candidate(1, "410482001001010", Cell(W + D, S)));

        Assert.Equal(["410482001001010", "41048200100102"], result.Value.Select(static g => g.Code.Value));
    }

    // ---- geometry: presence and type ----

    [Fact]
    public void MissingGeometry() => CheckInvalid("geometry_missing", (Geometry?)null);

    [Fact]
    public void GeometryCollectionIsRejected() =>
        CheckInvalid("geometry_type", "GEOMETRYCOLLECTION (POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0)))");

    [Fact]
    public void LineStringIsRejected() => CheckInvalid("geometry_type", "LINESTRING (0 0, 10 10)");

    [Fact]
    public void EmptyPolygon() => CheckInvalid("geometry_empty", "POLYGON EMPTY");

    [Fact]
    public void MultiPolygonIsAccepted() =>
        Assert.True(Validate(Candidate(0, "41048200100101",
            "MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((20 0, 30 0, 30 10, 20 10, 20 0)))")).IsOk);

    [Fact]
    public void GeometryLabelledWithAnotherCrsIsRejected()
    {
        var geometry = s_reader.Read(Cell(W, S));
        geometry.SRID = 3857;

        CheckInvalid("geometry_crs", geometry);
    }

    [Fact]
    public void UnlabelledGeometryIsAcceptedAsCgcs2000() =>
        Assert.Equal(4490, Assert.Single(Validate(Candidate(0, "41048200100101", Cell(W, S))).Value).Geometry.SRID);

    // ---- geometry: coordinates ----

    [Fact]
    public void NaNCoordinate()
    {
        var polygon = s_factory.CreatePolygon(
        [
            new Coordinate(112.84, 34.16), new Coordinate(double.NaN, 34.16), new Coordinate(112.85, 34.17),
            new Coordinate(112.84, 34.17), new Coordinate(112.84, 34.16),
        ]);

        var failure = CheckInvalid("coordinate_invalid", polygon);
        Assert.Equal("feature 0 (41048200100101) at POINT (NaN 34.16)", failure.Location);
    }

    [Fact]
    public void LongitudeOutOfRange()
    {
        var failure = CheckInvalid("coordinate_invalid", "POLYGON ((200 0, 201 0, 201 1, 200 1, 200 0))");
        Assert.Equal("feature 0 (41048200100101) at POINT (200 0)", failure.Location);
    }

    [Fact]
    public void LatitudeOutOfRange() => CheckInvalid("coordinate_invalid", "POLYGON ((0 89, 1 89, 1 91, 0 91, 0 89))");

    // ---- geometry: topology (IsValidOp), one fixture per error type ----

    [Fact]
    public void BowTie()
    {
        var failure = CheckInvalid("self_intersection", "POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))");
        Assert.Equal("feature 0 (41048200100101) at POINT (5 5)", failure.Location);
    }

    [Fact]
    public void ShellTouchingItself() =>
        CheckInvalid("ring_self_intersection", "POLYGON ((0 0, 10 0, 5 5, 10 10, 0 10, 5 5, 0 0))");

    [Fact]
    public void HoleOutsideShell() =>
        CheckInvalid("hole_outside_shell", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (20 20, 30 20, 30 30, 20 30, 20 20))");

    [Fact]
    public void NestedHoles() =>
        CheckInvalid("nested_holes", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (1 1, 9 1, 9 9, 1 9, 1 1), (2 2, 8 2, 8 8, 2 8, 2 2))");

    [Fact]
    public void HoleSplittingTheInterior() =>
        CheckInvalid("disconnected_interior", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (5 0, 10 5, 5 10, 0 5, 5 0))");

    [Fact]
    public void NestedShells() =>
        CheckInvalid("nested_shells", "MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((2 2, 8 2, 8 8, 2 8, 2 2)))");

    [Fact]
    public void DuplicateRingsAreReportedAsSelfIntersection() =>
        // NTS 2.6's IsValidOp finds identical rings as overlapping segments; duplicate_rings stays mapped for others.
        CheckInvalid("self_intersection", "MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((0 0, 10 0, 10 10, 0 10, 0 0)))");

    [Fact]
    public void TooFewPoints() => CheckInvalid("too_few_points", "POLYGON ((0 0, 10 10, 0 0))");

    [Fact]
    public void CollinearShellHasZeroArea() => CheckInvalid("zero_area", "POLYGON ((0 0, 10 0, 20 0, 0 0))");

    [Fact]
    public void UnclosedRingCannotReachTheValidator() =>
        // NTS refuses to build it; the format readers report it as ring_not_closed with their own location.
        Assert.ThrowsAny<Exception>(() => s_reader.Read("POLYGON ((0 0, 10 0, 10 10, 0 10))"));

    [Fact]
    public void InvalidMetricGeometryIsReportedInItsCrs()
    {
        // A projection that folded the polygon: the location can only be given in EPSG:4547.
        var candidate = Candidate(0, "41048200100101", Cell(W, S)) with
        {
            MetricGeometry = s_reader.Read("POLYGON ((0 0, 100 100, 100 0, 0 100, 0 0))"),
        };

        var failure = Assert.Single(Validate(candidate).Failures);
        Assert.Equal("self_intersection", failure.Code);
        Assert.Equal("feature 0 (41048200100101) at POINT (50 50) in EPSG:4547 metres", failure.Location);
    }

    // ---- size limits ----

    [Fact]
    public void VerticesAtTheLimitAreAccepted() =>
        Assert.True(Validate(s_options with { MaxVerticesPerGrid = 5 }, Candidate(0, "41048200100101", Cell(W, S))).IsOk);

    [Fact]
    public void OneVertexOverTheLimit()
    {
        // Six vertices: the square with an extra vertex in the middle of its south edge (valid, collinear).
        var wkt = Inv($"POLYGON (({W} {S}, {W + D / 2} {S}, {W + D} {S}, {W + D} {S + D}, {W} {S + D}, {W} {S}))");
        var result = Validate(s_options with { MaxVerticesPerGrid = 5 }, Candidate(0, "41048200100101", wkt));

        var failure = Assert.Single(result.Failures);
        Assert.Equal("too_many_vertices", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
    }

    [Fact]
    public void TooManyGrids()
    {
        var result = Validate(s_options with { MaxGrids = 2 },
            Candidate(0, "41048200100101", Cell(W, S)),
            Candidate(1, "41048200100102", Cell(W + D, S)),
            Candidate(2, "41048200100103", Cell(W + 2 * D, S)));

        var failure = Assert.Single(result.Failures);
        Assert.Equal("too_many_grids", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
    }

    // ---- codes and names ----

    [Fact]
    public void ThirteenDigitCode()
    {
        var failure = Assert.Single(Validate(Candidate(4, "4104820010010", Cell(W, S))).Failures);
        Assert.Equal("grid_code_format", failure.Code);
        Assert.Equal("feature 4 (4104820010010)", failure.Location);
    }

    [Fact]
    public void CodeOfAnotherCounty()
    {
        var failure = Assert.Single(Validate(Candidate(0, "41048300100101", Cell(W, S))).Failures);
        Assert.Equal("grid_code_county", failure.Code);
    }

    [Fact]
    public void MissingCode()
    {
        var failure = Assert.Single(Validate(Candidate(7, null, Cell(W, S))).Failures);
        Assert.Equal("grid_code_missing", failure.Code);
        Assert.Equal("feature 7 (no code)", failure.Location);
    }

    [Fact]
    public void DuplicateCodeNamesBothFeatures()
    {
        var failure = Assert.Single(Validate(
            Candidate(0, "41048200100101", Cell(W, S)),
            Candidate(1, "41048200100101", Cell(W + D, S))).Failures);

        Assert.Equal("grid_code_duplicate", failure.Code);
        Assert.Equal("feature 0 (41048200100101) and feature 1 (41048200100101)", failure.Location);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void MissingName(string? name)
    {
        var failure = Assert.Single(Validate(Candidate(0, "41048200100101", Cell(W, S), name: name)).Failures);
        Assert.Equal("grid_name_missing", failure.Code);
    }

    // ---- overlaps ----

    [Fact]
    public void OverlapAboveToleranceNamesBothGridsAreaAndPoint()
    {
        // The east cell reaches 0.001° (about 92 m) into the west one: about 101,900 m².
        var result = Validate(
            Candidate(0, "41048200100101", Cell(W, S)),
            Candidate(1, "41048200100102", Cell(W + D - 0.001, S, D + 0.001)));

        var failure = Assert.Single(result.Failures);
        Assert.Equal("grid_overlap", failure.Code);
        Assert.StartsWith("feature 0 (41048200100101) and feature 1 (41048200100102) at POINT (", failure.Location);
        var area = (double)failure.Extensions!["area_m2"]!;
        Assert.Equal(LocalProjection.SquareMetres(0.001, D), area, 0.01);
        var (lon, lat) = LonLat(failure);
        Assert.InRange(lon, W + D - 0.001, W + D);
        Assert.InRange(lat, S, S + D);
    }

    [Fact]
    public void OverlapBelowToleranceIsNotReported()
    {
        // 0.00001° (about 0.9 m) over 0.01°: about 1,020 m².
        var overlapping = Cell(W + D - 0.00001, S, D + 0.00001);

        Assert.Equal("grid_overlap", Assert.Single(Validate(s_options with { OverlapToleranceSquareMetres = 500 },
            Candidate(0, "41048200100101", Cell(W, S)), Candidate(1, "41048200100102", overlapping)).Failures).Code);
        Assert.True(Validate(s_options with { OverlapToleranceSquareMetres = 2000 },
            Candidate(0, "41048200100101", Cell(W, S)), Candidate(1, "41048200100102", overlapping)).IsOk);
    }

    [Fact]
    public void GridsSharingAnEdgeDoNotOverlap() =>
        Assert.True(Validate(s_options with { OverlapToleranceSquareMetres = 0 },
            Candidate(0, "41048200100101", Cell(W, S)), Candidate(1, "41048200100102", Cell(W + D, S))).IsOk);

    [Fact]
    public void OverlapIsSkippedWithoutMetricGeometry() =>
        Assert.True(Validate(
            Candidate(0, "41048200100101", Cell(W, S)) with { MetricGeometry = null },
            Candidate(1, "41048200100102", Cell(W + D - 0.001, S, D + 0.001))).IsOk);

    // ---- gaps ----

    [Fact]
    public void EnclosedGapAboveToleranceIsReportedWithAreaAndPoint()
    {
        // Each cell of the 2x2 tiling misses a 0.0001° square at the centre: a 0.0002° square hole (about 407 m²).
        const double d = 0.0001;
        var result = Validate(NotchedTiling(d));

        var failure = Assert.Single(result.Failures);
        Assert.Equal("grid_gap", failure.Code);
        Assert.Equal(LocalProjection.SquareMetres(2 * d, 2 * d), (double)failure.Extensions!["area_m2"]!, 0.01);
        Assert.Equal([0, 1, 2, 3], (int[])failure.Extensions["features"]!);
        var (lon, lat) = LonLat(failure);
        Assert.InRange(lon, W + D - d, W + D + d);
        Assert.InRange(lat, S + D - d, S + D + d);
    }

    [Fact]
    public void EnclosedGapBelowToleranceIsNotReported()
    {
        // A 0.000004° square hole: about 0.16 m².
        Assert.True(Validate(NotchedTiling(0.000002)).IsOk);
    }

    [Fact]
    public void NotchAtTheOutsideIsNotAGap()
    {
        // The north-east cell misses its outer corner: uncovered, but not enclosed by grids.
        var ne = Inv($"POLYGON (({W + D} {S + D}, {W + 2 * D} {S + D}, {W + 2 * D} {S + 1.5 * D}, {W + 1.5 * D} {S + 1.5 * D}, {W + 1.5 * D} {S + 2 * D}, {W + D} {S + 2 * D}, {W + D} {S + D}))");
        var result = Validate(
            Candidate(0, "41048200100101", Cell(W, S)),
            Candidate(1, "41048200100102", Cell(W + D, S)),
            Candidate(2, "41048200100103", Cell(W, S + D)),
            Candidate(3, "41048200100104", ne));

        Assert.True(result.IsOk, string.Join("; ", result.Failures));
    }

    [Fact]
    public void HoleInsideOneGridIsAGap()
    {
        var result = Validate(Candidate(0, "41048200100101",
            Inv($"POLYGON (({W} {S}, {W + D} {S}, {W + D} {S + D}, {W} {S + D}, {W} {S}), ({W + 0.004} {S + 0.004}, {W + 0.004} {S + 0.006}, {W + 0.006} {S + 0.006}, {W + 0.006} {S + 0.004}, {W + 0.004} {S + 0.004}))")));

        Assert.Equal("grid_gap", Assert.Single(result.Failures).Code);
    }

    [Fact]
    public void HoleWhereAnInvalidGridLiesIsNotReportedTwice()
    {
        // The centre grid is a bow-tie: it is reported, and the hole it leaves in the union is not.
        var bowTie = Inv($"POLYGON (({W + D} {S + D}, {W + 2 * D} {S + 2 * D}, {W + 2 * D} {S + D}, {W + D} {S + 2 * D}, {W + D} {S + D}))");
        var ring = new List<GridCandidate>();
        var n = 0;
        for (var row = 0; row < 3; row++)
            for (var col = 0; col < 3; col++, n++)
                ring.Add(Candidate(n, $"4104820010010{n + 1}",
                    row == 1 && col == 1 ? bowTie : Cell(W + col * D, S + row * D)));

        var failure = Assert.Single(Validate([.. ring]).Failures);
        Assert.Equal("self_intersection", failure.Code);
    }

    // ---- everything at once ----

    [Fact]
    public void AllProblemsAreReportedAtOnce()
    {
        var result = Validate(
            Candidate(0, "41048200100101", "POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))"),
            Candidate(1, "41048200100102", Cell(W, S), name: null),
            Candidate(2, "4104820010010", Cell(W + D, S)));

        Assert.Equal(["self_intersection", "grid_name_missing", "grid_code_format"], result.Failures.Select(static f => f.Code));
        Assert.All(result.Failures, static f => Assert.Equal(FailureKind.Invalid, f.Kind));
    }

    // A city-scale set (10,000 unit grids) passes the whole check; how long it takes is a benchmark's business,
    // not a unit test's (a timed assertion fails on a busy machine).
    [Fact]
    [Trait("Category", "Slow")]
    public void Ten_thousand_grids_that_tile_without_gaps_are_accepted()
    {
        const int n = 100;
        var candidates = new GridCandidate[n * n];
        for (var i = 0; i < n * n; i++)
            candidates[i] = Candidate(i, $"410482001{i / n + 1:000}{i % n + 1:000}",
                Cell(W + i % n * 0.001, S + i / n * 0.001, 0.001, 0.001));

        var result = GridSetValidator.Validate(candidates, s_options);

        Assert.True(result.IsOk, string.Join("; ", result.Failures.Take(3)));
        Assert.Equal(n * n, result.Value.Count);
    }

    // ---- helpers ----

    private static Failure CheckInvalid(string code, string? wkt) =>
        CheckInvalid(code, wkt is null ? null : s_reader.Read(wkt));

    private static Failure CheckInvalid(string code, Geometry? geometry)
    {
        var result = Validate(Candidate(0, "41048200100101", geometry));
        Assert.False(result.IsOk);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(code, failure.Code);
        Assert.Equal(FailureKind.Invalid, failure.Kind);
        Assert.StartsWith("feature 0 (41048200100101)", failure.Location);
        return failure;
    }

    private static Result<IReadOnlyList<Grid>> Validate(params GridCandidate[] candidates) =>
        GridSetValidator.Validate(candidates, s_options);

    private static Result<IReadOnlyList<Grid>> Validate(GridValidationOptions options, params GridCandidate[] candidates) =>
        GridSetValidator.Validate(candidates, options);

    private static GridCandidate Candidate(int index, string? code, string wkt, string? name = "网格") =>
        Candidate(index, code, s_reader.Read(wkt), name);

    private static GridCandidate Candidate(int index, string? code, Geometry? geometry, string? name = "网格") =>
        new(index, code, name, "钟楼街道", "东大街社区", geometry, geometry is null ? null : LocalProjection.ToMetric(geometry));

    private static string Cell(double lon, double lat, double width = D, double height = D) =>
        Inv($"POLYGON (({lon} {lat}, {lon + width} {lat}, {lon + width} {lat + height}, {lon} {lat + height}, {lon} {lat}))");

    /// <summary>The 2x2 tiling whose four cells each miss a d x d square at the shared centre corner.</summary>
    private static GridCandidate[] NotchedTiling(double d)
    {
        double x0 = W, x1 = W + D, x2 = W + 2 * D, y0 = S, y1 = S + D, y2 = S + 2 * D;
        return
        [
            Candidate(0, "41048200100101", Inv($"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1 - d}, {x1 - d} {y1 - d}, {x1 - d} {y1}, {x0} {y1}, {x0} {y0}))")),
            Candidate(1, "41048200100102", Inv($"POLYGON (({x1} {y0}, {x2} {y0}, {x2} {y1}, {x1 + d} {y1}, {x1 + d} {y1 - d}, {x1} {y1 - d}, {x1} {y0}))")),
            Candidate(2, "41048200100103", Inv($"POLYGON (({x0} {y1}, {x1 - d} {y1}, {x1 - d} {y1 + d}, {x1} {y1 + d}, {x1} {y2}, {x0} {y2}, {x0} {y1}))")),
            Candidate(3, "41048200100104", Inv($"POLYGON (({x1} {y1 + d}, {x1 + d} {y1 + d}, {x1 + d} {y1}, {x2} {y1}, {x2} {y2}, {x1} {y2}, {x1} {y1 + d}))")),
        ];
    }

    private static (double Lon, double Lat) LonLat(Failure failure) =>
        ((double)failure.Extensions!["lon"]!, (double)failure.Extensions["lat"]!);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
