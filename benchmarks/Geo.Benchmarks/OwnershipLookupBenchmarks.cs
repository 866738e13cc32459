using BenchmarkDotNet.Attributes;
using Geo.GridService.Codes;
using Geo.GridService.Departments;
using Geo.GridService.Grids;
using Geo.GridService.Host.Samples;
using Geo.GridService.Ownership;
using Geo.GridService.Responsibility;
using Geo.Spatial.Crs;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace Geo.Benchmarks;

/// <summary>Sample data shared by the ownership benchmarks and the exactness check.</summary>
public static class SampleSet
{
    public static IReadOnlyList<Grid> Grids()
    {
        var county = CountyCode.Parse("410482").Value;
        return RuzhouSamples.Grids().Select(g => new Grid(GridCode.Parse(g.Code, county).Value, g.Name, g.SubdistrictName, g.CommunityName, g.Geometry)).ToList();
    }

    public static OwnershipSnapshot Snapshot(IReadOnlyList<Grid> grids)
    {
        var depts = RuzhouSamples.Departments().Select(d => new Department(DepartmentCode.Parse(d.Code).Value, d.Name, d.Contact, d.Phone)).ToList();
        var county = CountyCode.Parse("410482").Value;
        var rules = RuleSetValidator.Validate(
            RuzhouSamples.Rules(RuzhouSamples.Grids()).Select((r, i) => new RuleCandidate(i + 2, r.Id, r.Grid, r.Class, r.Department, r.Note)).ToList(),
            county, depts, grids.Select(g => g.Code).ToHashSet()).Value;
        var version = new GridVersion(1, new DateOnly(2024, 1, 1), null, DateTimeOffset.UnixEpoch, grids.Count, "samples", null);
        return new OwnershipSnapshot(1, [version], new Dictionary<int, IReadOnlyList<Grid>> { [1] = grids }, depts, rules);
    }

    /// <summary>Uniform random points over the grids' extent grown by 10 % (so some fall outside), EPSG:4490.</summary>
    public static (double[] X, double[] Y) Points(IReadOnlyList<Grid> grids, int n, int seed = 42)
    {
        var env = new Envelope();
        foreach (var g in grids) env.ExpandToInclude(g.Geometry.EnvelopeInternal);
        env.ExpandBy(env.Width * 0.05, env.Height * 0.05);
        var rng = new Random(seed);
        var x = new double[n];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = env.MinX + rng.NextDouble() * env.Width;
            y[i] = env.MinY + rng.NextDouble() * env.Height;
        }
        return (x, y);
    }
}

/// <summary>
/// In-process point-to-grid lookups on the 27 sample grids, per lookup. Peers in the same run: NetTopologySuite's
/// indexed point-in-area locator over every grid (what a straightforward implementation does) and an STR-tree of grid
/// envelopes with per-grid indexed locators.
/// </summary>
[MemoryDiagnoser]
public class OwnershipLookupBenchmarks
{
    private const int N = 1_000_000;
    private GridIndex _index = null!;
    private OwnershipSnapshot _snapshot = null!;
    private IPointOnGeometryLocator[] _locators = null!;
    private STRtree<int> _tree = null!;
    private double[] _x = null!, _y = null!;
    private ClassCode _class;

    [GlobalSetup]
    public void Setup()
    {
        var grids = SampleSet.Grids();
        _index = new GridIndex(grids);
        _snapshot = SampleSet.Snapshot(grids);
        _locators = grids.Select(g => (IPointOnGeometryLocator)new IndexedPointInAreaLocator(g.Geometry)).ToArray();
        _tree = new STRtree<int>();
        for (var i = 0; i < grids.Count; i++) _tree.Insert(grids[i].Geometry.EnvelopeInternal, i);
        _tree.Build();
        (_x, _y) = SampleSet.Points(grids, N);
        _class = ClassCode.Parse("E0101").Value;
    }

    [Benchmark(OperationsPerInvoke = N, Baseline = true, Description = "GridIndex.Locate (cell raster + exact edge test)")]
    public int GridIndexLocate()
    {
        var found = 0;
        for (var i = 0; i < N; i++)
            if (_index.Locate(_x[i], _y[i]).Found) found++;
        return found;
    }

    [Benchmark(OperationsPerInvoke = N, Description = "Full answer: CRS EPSG:4490, locate, matrix, department")]
    public int SnapshotAnswer()
    {
        var found = 0;
        for (var i = 0; i < N; i++)
            if (_snapshot.Answer(new OwnershipQuery(_x[i], _y[i], CrsId.Cgcs2000, _class)).IsOk) found++;
        return found;
    }

    [Benchmark(OperationsPerInvoke = N, Description = "Full answer from WGS84 (EPSG:4326)")]
    public int SnapshotAnswerWgs84()
    {
        var found = 0;
        for (var i = 0; i < N; i++)
            if (_snapshot.Answer(new OwnershipQuery(_x[i], _y[i], CrsId.Wgs84, _class)).IsOk) found++;
        return found;
    }

    [Benchmark(OperationsPerInvoke = N, Description = "Peer: NTS STRtree + IndexedPointInAreaLocator")]
    public int StrTreeLocate()
    {
        var found = 0;
        var env = new Envelope();
        for (var i = 0; i < N; i++)
        {
            var c = new Coordinate(_x[i], _y[i]);
            env.Init(c);
            foreach (var g in _tree.Query(env))
                if (_locators[g].Locate(c) != Location.Exterior) { found++; break; }
        }
        return found;
    }
}

/// <summary>Compares the index with an independent brute force (Geometry.Covers over every grid, lowest code wins).</summary>
public static class OwnershipExactness
{
    public static int Run(int n)
    {
        var grids = SampleSet.Grids();
        var index = new GridIndex(grids);
        var (x, y) = SampleSet.Points(grids, n, seed: 7);
        var factory = grids[0].Geometry.Factory;
        var prepared = grids.Select(g => NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(g.Geometry)).ToArray();
        var mismatches = 0;
        var inside = 0;
        // Also every vertex of every grid: the boundary rule.
        var vertices = grids.SelectMany(g => g.Geometry.Coordinates).ToArray();
        for (var i = 0; i < n + vertices.Length; i++)
        {
            var (px, py) = i < n ? (x[i], y[i]) : (vertices[i - n].X, vertices[i - n].Y);
            var p = factory.CreatePoint(new Coordinate(px, py));
            var expected = -1;
            for (var g = 0; g < prepared.Length; g++)
                if (prepared[g].Covers(p)) { expected = g; break; }
            var got = index.Locate(px, py).GridIndex;
            if (got != expected) mismatches++;
            if (expected >= 0) inside++;
        }
        Console.WriteLine($"points: {n} random + {vertices.Length} grid vertices; inside a grid: {inside}; mismatches vs brute force: {mismatches}");
        Console.WriteLine($"index: {index.CellCount} cells, {index.EdgeCellCount} need an exact test ({100.0 * index.EdgeCellCount / index.CellCount:F2} %)");
        return mismatches == 0 ? 0 : 1;
    }
}
