using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using Geo.GridService.Codes;
using Geo.GridService.Grids;
using Geo.GridService.Storage;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;
using NetTopologySuite.Geometries;
using Npgsql;

namespace Geo.Benchmarks;

/// <summary>
/// The largest bulk write the product has, a grid version of 10,000 grids (GridValidationOptions.MaxGrids), stored
/// through each backend: the embedded GeoPackage (prepared INSERTs, R*Tree triggers, one IMMEDIATE transaction,
/// synchronous=FULL) vs PostGIS (binary COPY into a GiST-indexed table, one transaction). Only the store write is
/// timed (validation is the same code for both). Each iteration writes into a new, empty store.
/// Needs GEO_BENCH_PG: a connection string to a PostgreSQL server whose database <c>bench_tpl</c> has PostGIS
/// (benchmarks/store-import/run.sh starts one in a temp directory).
/// </summary>
/// <remarks>In-process toolchain: on the shared 2-core machine the default toolchain's separate build timed out; the
/// write being measured is I/O- and server-bound, not sensitive to the JIT settings an out-of-process run would fix.</remarks>
[Config(typeof(InProcessMonitoring))]
[MemoryDiagnoser]
public class StoreImportBenchmarks
{
    private sealed class InProcessMonitoring : BenchmarkDotNet.Configs.ManualConfig
    {
        public InProcessMonitoring() => AddJob(BenchmarkDotNet.Jobs.Job.Default
            .WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(7)
            .WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance));
    }

    private readonly string _directory = Directory.CreateTempSubdirectory("geo-bench-import-").FullName;
    private IReadOnlyList<Grid> _grids = [];
    private IGridStore? _store;
    private string? _database;

    /// <summary>Vertices per grid: 5 (a plain square) or 101 (edges densified, like surveyed boundaries).</summary>
    [Params(5, 101)]
    public int Vertices { get; set; }

    private static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("GEO_BENCH_PG") is { Length: > 0 } cs ? cs
            : throw new InvalidOperationException("Set GEO_BENCH_PG (benchmarks/store-import/run.sh does).");

    [GlobalSetup]
    public void Setup() => _grids = Grids(10_000, (Vertices - 1) / 4);

    [IterationSetup(Target = nameof(GeoPackage))]
    public void NewGeoPackage() =>
        _store = GeoPackageGridStore.OpenAsync(Path.Combine(_directory, $"{Guid.NewGuid():N}.gpkg")).GetAwaiter().GetResult();

    [IterationSetup(Target = nameof(PostGisCopy))]
    public void NewPostGisDatabase()
    {
        _database = $"bench_{Guid.NewGuid():N}"[..20];
        using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ServerConnectionString) { Pooling = false }.ConnectionString))
        {
            c.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\" TEMPLATE bench_tpl", c);
            create.ExecuteNonQuery();
        }
        _store = PostGisGridStore.OpenAsync(new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = _database }.ConnectionString)
            .GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _store?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store = null;
        if (_database is null) return;
        NpgsqlConnection.ClearAllPools();
        using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ServerConnectionString) { Pooling = false }.ConnectionString);
        c.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE \"{_database}\" WITH (FORCE)", c);
        drop.ExecuteNonQuery();
        _database = null;
    }

    [GlobalCleanup]
    public void RemoveFiles() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true, Description = "GeoPackage: INSERT + R*Tree, one transaction")]
    public int GeoPackage() => Write();

    [Benchmark(Description = "PostGIS: binary COPY + GiST, one transaction")]
    public int PostGisCopy() => Write();

    private int Write()
    {
        var result = _store!.AddGridVersionAsync(new DateOnly(2024, 1, 1), _grids, "bench", null).GetAwaiter().GetResult();
        return result.IsOk ? result.Value.GridCount : throw new InvalidOperationException(result.Failure.ToString());
    }

    /// <summary>n grids tiling 100 x (n/100) cells of 0.0005 degrees, each edge carrying <paramref name="perEdge"/> vertices.</summary>
    internal static IReadOnlyList<Grid> Grids(int n, int perEdge)
    {
        var factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4490);
        double step = 0.0005 / perEdge;
        double X(int i) => 112.80 + i * step;
        double Y(int j) => 34.10 + j * step;
        var grids = new List<Grid>(n);
        for (var i = 0; i < n; i++)
        {
            int r = i / 100, col = i % 100;
            var ring = new List<Coordinate>(4 * perEdge + 1);
            for (var t = 0; t < perEdge; t++) ring.Add(new Coordinate(X(col * perEdge + t), Y(r * perEdge)));
            for (var t = 0; t < perEdge; t++) ring.Add(new Coordinate(X((col + 1) * perEdge), Y(r * perEdge + t)));
            for (var t = 0; t < perEdge; t++) ring.Add(new Coordinate(X((col + 1) * perEdge - t), Y((r + 1) * perEdge)));
            for (var t = 0; t < perEdge; t++) ring.Add(new Coordinate(X(col * perEdge), Y((r + 1) * perEdge - t)));
            ring.Add(ring[0].Copy());
            var code = $"410482{i / 1000 + 1:000}{i / 100 % 10 + 1:000}{i % 100:00}";
            grids.Add(new Grid(GridCode.FromTrusted(code), "基准网格" + i, "煤山街道", "丹阳社区", factory.CreatePolygon(ring.ToArray())));
        }
        return grids;
    }
}
