using Geo.GridService.Grids;
using Geo.GridService.Ownership;
using Geo.GridService.Tests.Support;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Tests.Ownership;

public class GridIndexTests
{
    private static readonly IReadOnlyList<Grid> Lattice = TestGrids.Lattice(9, 3);
    private static readonly GridIndex Index = new(Lattice);

    /// <summary>The independent answer: every grid tested with Covers, lowest code wins.</summary>
    private static int BruteForce(IReadOnlyList<Grid> grids, double lon, double lat)
    {
        var p = TestGrids.Factory.CreatePoint(new Coordinate(lon, lat));
        for (var g = 0; g < grids.Count; g++)
            if (grids[g].Geometry.Covers(p)) return g;
        return -1;
    }

    [Fact]
    public void Random_points_get_the_same_owner_as_a_brute_force_point_in_polygon_check()
    {
        var env = new Envelope();
        foreach (var g in Lattice) env.ExpandToInclude(g.Geometry.EnvelopeInternal);
        env.ExpandBy(0.002); // include points outside the covered area
        var rng = new Random(1);
        for (var i = 0; i < 200_000; i++)
        {
            var lon = env.MinX + rng.NextDouble() * env.Width;
            var lat = env.MinY + rng.NextDouble() * env.Height;
            Assert.Equal(BruteForce(Lattice, lon, lat), Index.Locate(lon, lat).GridIndex);
        }
    }

    [Fact]
    public void Every_shared_vertex_and_edge_point_belongs_to_the_lowest_code_among_the_grids_that_cover_it()
    {
        var checkedPoints = 0;
        foreach (var grid in Lattice)
            foreach (var c in grid.Geometry.Coordinates)
            {
                var hit = Index.Locate(c.X, c.Y);
                Assert.Equal(BruteForce(Lattice, c.X, c.Y), hit.GridIndex);
                Assert.True(hit.OnBoundary);
                checkedPoints++;
            }
        Assert.True(checkedPoints > 100);
    }

    [Fact]
    public void A_point_on_an_edge_shared_by_two_grids_gets_exactly_one_owner_the_lower_code()
    {
        // Grids 0 and 1 share their vertical edge; its first vertex is on both boundaries.
        var shared = Lattice[0].Geometry.Intersection(Lattice[1].Geometry);
        Assert.False(shared.IsEmpty);
        var c = shared.Coordinates[0];
        var hit = Index.Locate(c.X, c.Y);
        Assert.Equal(0, hit.GridIndex);
        Assert.True(hit.OnBoundary);
    }

    [Fact]
    public void A_point_well_inside_a_grid_is_not_flagged_on_boundary()
    {
        var centre = Lattice[4].Geometry.InteriorPoint.Coordinate;
        var hit = Index.Locate(centre.X, centre.Y);
        Assert.Equal(4, hit.GridIndex);
        Assert.False(hit.OnBoundary);
    }

    [Theory]
    [InlineData(0.2, true)]
    [InlineData(3.0, false)]
    public void A_point_this_many_metres_inside_a_boundary_is_flagged_on_boundary_within_the_tolerance(double metres, bool expected)
    {
        var grid = TestGrids.Grid(0, "POLYGON ((112.82 34.15, 112.83 34.15, 112.83 34.16, 112.82 34.16, 112.82 34.15))");
        var index = new GridIndex([grid], boundaryToleranceMetres: 0.5);
        var dLon = metres / (111_320 * Math.Cos(34.155 * Math.PI / 180));
        var hit = index.Locate(112.82 + dLon, 34.155);
        Assert.Equal(0, hit.GridIndex);
        Assert.Equal(expected, hit.OnBoundary);
    }

    [Theory]
    [InlineData(double.NaN, 34.16)]
    [InlineData(112.85, double.PositiveInfinity)]
    [InlineData(0, 0)]
    [InlineData(113.5, 34.16)]
    public void Points_outside_every_grid_or_not_finite_have_no_owner(double lon, double lat) =>
        Assert.False(Index.Locate(lon, lat).Found);

    [Fact]
    public void A_point_in_a_hole_of_a_grid_with_no_grid_inside_has_no_owner()
    {
        var donut = TestGrids.Grid(0, "POLYGON ((112.80 34.10, 112.90 34.10, 112.90 34.20, 112.80 34.20, 112.80 34.10), (112.84 34.14, 112.86 34.14, 112.86 34.16, 112.84 34.16, 112.84 34.14))");
        var index = new GridIndex([donut]);
        Assert.False(index.Locate(112.85, 34.15).Found);
        Assert.True(index.Locate(112.81, 34.11).Found);
    }

    [Fact]
    public void Multipolygons_holes_slanted_edges_and_a_grid_inside_a_hole_match_brute_force()
    {
        // Two parts (one with a hole), a grid filling most of that hole with a slanted edge, a thin triangle: shapes the
        // raster fill must classify cell by cell (edge cells near every ring, interiors by even-odd).
        IReadOnlyList<Grid> grids =
        [
            TestGrids.Grid(0, "MULTIPOLYGON (((112.80 34.10, 112.90 34.10, 112.90 34.20, 112.80 34.20, 112.80 34.10), (112.83 34.13, 112.87 34.13, 112.87 34.17, 112.83 34.17, 112.83 34.13)), ((112.92 34.10, 112.95 34.12, 112.93 34.19, 112.92 34.10)))"),
            TestGrids.Grid(1, "POLYGON ((112.83 34.13, 112.87 34.13, 112.87 34.17, 112.84 34.165, 112.83 34.13))"),
            TestGrids.Grid(2, "POLYGON ((112.905 34.10, 112.915 34.10, 112.9101 34.20, 112.905 34.10))"),
        ];
        var index = new GridIndex(grids);
        var rng = new Random(3);
        for (var i = 0; i < 200_000; i++)
        {
            var lon = 112.79 + rng.NextDouble() * 0.17;
            var lat = 34.09 + rng.NextDouble() * 0.12;
            Assert.Equal(BruteForce(grids, lon, lat), index.Locate(lon, lat).GridIndex);
        }
    }

    [Fact]
    public void The_nearest_grid_to_an_outside_point_comes_with_its_distance_in_metres()
    {
        var grid = TestGrids.Grid(0, "POLYGON ((112.80 34.10, 112.90 34.10, 112.90 34.20, 112.80 34.20, 112.80 34.10))");
        var index = new GridIndex([grid]);
        // 0.01 degree of latitude north of the grid: about 1,106 m.
        var (nearest, metres) = index.Nearest(112.85, 34.21);
        Assert.Equal(0, nearest);
        Assert.InRange(metres, 1_100, 1_112);
    }

    [Fact]
    public void Grids_must_be_given_in_code_order()
    {
        var reversed = Lattice.Reverse().ToList();
        Assert.Throws<ArgumentException>(() => new GridIndex(reversed));
    }

    [Fact]
    public void Most_cells_answer_directly_without_an_exact_test()
    {
        Assert.True(Index.EdgeCellCount < Index.CellCount / 10, $"{Index.EdgeCellCount} of {Index.CellCount} cells need an exact test");
    }
}
