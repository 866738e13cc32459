using Geo.GridService.Codes;
using Geo.GridService.Grids;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.GridService.Tests.Support;

/// <summary>Grid sets for tests, in EPSG:4490 degrees around Ruzhou.</summary>
internal static class TestGrids
{
    public static readonly CountyCode Ruzhou = CountyCode.Parse("410482").Value;
    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4490);
    private static readonly WKTReader Reader = new(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4490));

    public static Geometry Wkt(string wkt) => Reader.Read(wkt);

    public static GridCode Code(int i) => GridCode.Parse($"41048200100{i / 100 + 1}{i % 100:D2}", Ruzhou).Value;

    public static Grid Grid(int i, string wkt) => new(Code(i), $"网格{i}", "煤山街道", "朝阳社区", Wkt(wkt));

    /// <summary>
    /// A jittered lattice of cols x rows quadrilaterals with bent, shared edges: neighbours share every boundary
    /// vertex, so the set tiles its area without gaps or overlaps (like real grids). Ordered by code.
    /// </summary>
    public static IReadOnlyList<Grid> Lattice(int cols, int rows, int seed = 7, double lon0 = 112.82, double lat0 = 34.15, double cell = 0.006)
    {
        var rng = new Random(seed);
        var nodes = new Coordinate[cols + 1, rows + 1];
        for (var i = 0; i <= cols; i++)
            for (var j = 0; j <= rows; j++)
            {
                var jx = i > 0 && i < cols ? (rng.NextDouble() - 0.5) * cell * 0.3 : 0;
                var jy = j > 0 && j < rows ? (rng.NextDouble() - 0.5) * cell * 0.3 : 0;
                nodes[i, j] = new Coordinate(Math.Round(lon0 + i * cell + jx, 9), Math.Round(lat0 + j * cell + jy, 9));
            }
        var edges = new Dictionary<(int, int, int, int), Coordinate[]>();
        Coordinate[] Edge(int i0, int j0, int i1, int j1)
        {
            var rev = (i1, j1).CompareTo((i0, j0)) < 0;
            var key = rev ? (i1, j1, i0, j0) : (i0, j0, i1, j1);
            if (!edges.TryGetValue(key, out var pts))
            {
                var a = nodes[key.Item1, key.Item2];
                var b = nodes[key.Item3, key.Item4];
                var off = (rng.NextDouble() - 0.5) * cell * 0.1;
                var (nx, ny) = (b.Y - a.Y, -(b.X - a.X));
                var len = Math.Sqrt(nx * nx + ny * ny);
                pts = [new Coordinate(Math.Round((a.X + b.X) / 2 + nx / len * off, 9), Math.Round((a.Y + b.Y) / 2 + ny / len * off, 9))];
                edges[key] = pts;
            }
            return rev ? pts.Reverse().ToArray() : pts;
        }
        var grids = new List<Grid>();
        var n = 0;
        for (var j = 0; j < rows; j++)
            for (var i = 0; i < cols; i++)
            {
                var ring = new List<Coordinate>();
                void Side(int a0, int b0, int a1, int b1) { ring.Add(nodes[a0, b0]); ring.AddRange(Edge(a0, b0, a1, b1)); }
                Side(i, j, i + 1, j);
                Side(i + 1, j, i + 1, j + 1);
                Side(i + 1, j + 1, i, j + 1);
                Side(i, j + 1, i, j);
                ring.Add(nodes[i, j]);
                grids.Add(new Grid(Code(n), $"网格{n}", "煤山街道", "朝阳社区", Factory.CreatePolygon(ring.ToArray())));
                n++;
            }
        return grids.OrderBy(g => g.Code).ToList();
    }
}
