using BenchmarkDotNet.Running;
using Geo.Benchmarks;

// dotnet run -c Release -- verify            exactness check of the ownership index (1,000,000 random points)
// dotnet run -c Release -- stages [N]       quick CPU-time split of a 10,000-point batch (no BenchmarkDotNet)
// dotnet run -c Release -- vector-tiles [N] [DIR] [ROUNDS]   uncached MVT throughput (see benchmarks/vector-tiles/run.sh)
// dotnet run -c Release -- --filter '*'      BenchmarkDotNet suites (figures in benchmarks/README.md)
// dotnet run -c Release -- raster-tiles COG [N] [jpg] [--compare]   uncached raster tile split (see benchmarks/raster-tiles/run.sh)
// dotnet run -c Release -- census 500000     census import, index, nearest and bbox latencies (timed, see README)
//   ... census 500000 --import-only [--rounds 3]   the import alone, alternating with ogr2ogr (the peer) per round
//   ... census 500000 --write-to DIR           only write DIR/points.csv and DIR/template.gpkg (for timing ./geo components import)
// dotnet run -c Release -- census-import 200000 3   census import GeoPackage vs PostGIS COPY (benchmarks/store-import/run.sh census)
if (args is ["census-import", ..]) return await CensusImportBench.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 200_000, args.Length > 2 ? int.Parse(args[2]) : 3);
if (args is ["census", ..])
    return await CensusBench.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 500_000, importOnly: args.Contains("--import-only"),
        rounds: Array.IndexOf(args, "--rounds") is var r and > 0 && r + 1 < args.Length ? int.Parse(args[r + 1]) : 1,
        writeTo: Array.IndexOf(args, "--write-to") is var w and > 0 && w + 1 < args.Length ? Path.GetFullPath(args[w + 1]) : null);
if (args is ["stages", ..]) return BatchStages.Run(args.Length > 1 ? int.Parse(args[1]) : 200);
if (args is ["vector-tiles", ..]) return VectorTileThroughput.Run(args);
if (args is ["raster-tiles", ..]) return RasterTileLatency.Run(args);
if (args is ["verify", ..]) return OwnershipExactness.Run(args.Length > 1 ? int.Parse(args[1]) : 1_000_000);
BenchmarkSwitcher.FromAssembly(typeof(OwnershipLookupBenchmarks).Assembly).Run(args);
return 0;
