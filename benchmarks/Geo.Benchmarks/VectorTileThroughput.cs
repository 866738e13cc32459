using System.Diagnostics;
using System.Globalization;
using Geo.GridService.Host.Samples;
using Geo.Spatial.Tiles;
using Geo.Tiles.Vector;

namespace Geo.Benchmarks;

/// <summary>
/// Vector tile production, uncached, on one thread, for the side-by-side run against PostGIS ST_AsMVT
/// (benchmarks/vector-tiles/run.sh): 500,000 synthetic point components over the sample city, every zoom-16 tile
/// that covers them; and the 27 sample grids over every tile of zooms 12-16. Writes the points and the tile lists as
/// CSV for the peer, and the feature count of each tile so that both sides are checked to produce the same tiles.
/// </summary>
internal static class VectorTileThroughput
{
    // The sample grids' extent (EPSG:4490, x = lon, y = lat).
    private static readonly Box City = new(112.8129, 34.1490, 112.8772, 34.1850);

    public static int Run(string[] args)
    {
        var n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500_000;
        var outDir = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "geo-vt-bench");
        var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        Directory.CreateDirectory(outDir);

        // --- components ---------------------------------------------------------------------------------------
        var rng = new Random(410482);
        var records = new ComponentTileRecord[n];
        using (var csv = new StreamWriter(Path.Combine(outDir, "components.csv")))
        {
            for (var i = 0; i < n; i++)
            {
                var major = (1 + rng.Next(6)).ToString("D2", CultureInfo.InvariantCulture);
                var minor = (1 + rng.Next(20)).ToString("D2", CultureInfo.InvariantCulture);
                var lon = Math.Round(City.MinX + rng.NextDouble() * City.Width, 7);
                var lat = Math.Round(City.MinY + rng.NextDouble() * City.Height, 7);
                var code = $"410482{major}{minor}{i:D6}";
                records[i] = new ComponentTileRecord(code, major + minor, null, null, lon, lat);
                csv.WriteLine(FormattableString.Invariant($"{code},{major}{minor},{major},{lon},{lat}"));
            }
        }
        var build = Stopwatch.StartNew();
        var source = new ComponentLayerSource(new Feed(records));
        var data = source.GetDataAsync().AsTask().GetAwaiter().GetResult();
        build.Stop();
        var z16 = TileMath.TilesCovering(City, 16).ToList();
        WriteTiles(Path.Combine(outDir, "tiles-components.csv"), z16);
        var componentRate = Measure("components", source, data, z16, rounds, Path.Combine(outDir, "counts-components.csv"));

        // --- grids --------------------------------------------------------------------------------------------
        var grids = RuzhouSamples.Grids().Select(g => new VectorFeature(g.Geometry,
            [new("code", g.Code), new("name", g.Name), new("subdistrict", g.SubdistrictName)])).ToList();
        var gridSource = new StaticSource("grids", new GeometryLayerData(1, new Dictionary<string, IReadOnlyList<VectorFeature>> { ["grids"] = grids }));
        var gridTiles = Enumerable.Range(12, 5).SelectMany(z => TileMath.TilesCovering(City, z)).ToList();
        WriteTiles(Path.Combine(outDir, "tiles-grids.csv"), gridTiles);
        var gridRate = Measure("grids", gridSource, gridSource.Data, gridTiles, rounds * 20, Path.Combine(outDir, "counts-grids.csv"));

        Console.WriteLine(FormattableString.Invariant($"index build for {n:N0} points (sort + thinned levels 12-15): {build.Elapsed.TotalMilliseconds:F0} ms"));
        Console.WriteLine(FormattableString.Invariant($"RESULT components_tiles_per_s={componentRate:F1} grids_tiles_per_s={gridRate:F1} z16_tiles={z16.Count} grid_tiles={gridTiles.Count}"));
        return 0;
    }

    private static double Measure(string name, IVectorLayerSource source, IVectorLayerData data, List<TileId> tiles, int rounds, string countsPath)
    {
        var encoder = new MvtEncoder();
        // Counts (and a warm-up): features per tile as the peer will count them.
        using (var counts = new StreamWriter(countsPath))
        {
            var list = new List<VectorFeature>();
            foreach (var t in tiles)
            {
                list.Clear();
                data.Query(source.Layers[0].Id, t, VectorTileService.BufferedLonLat(t, MvtOptions.Default), list);
                var bytes = VectorTileService.Render(source, data, t, MvtOptions.Default, encoder);
                counts.WriteLine(FormattableString.Invariant($"{t.Z},{t.X},{t.Y},{list.Count},{bytes.Length}"));
            }
        }
        var best = double.MaxValue;
        long totalBytes = 0;
        for (var r = 0; r < rounds; r++)
        {
            totalBytes = 0;
            var sw = Stopwatch.StartNew();
            foreach (var t in tiles) totalBytes += VectorTileService.Render(source, data, t, MvtOptions.Default, encoder).Length;
            sw.Stop();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            Console.WriteLine(FormattableString.Invariant($"{name} round {r + 1}: {tiles.Count} tiles in {sw.Elapsed.TotalMilliseconds:F1} ms = {tiles.Count / sw.Elapsed.TotalSeconds:F1} tiles/s, {totalBytes / 1024.0:F0} KiB"));
        }
        return tiles.Count / best;
    }

    private static void WriteTiles(string path, IEnumerable<TileId> tiles) =>
        File.WriteAllLines(path, tiles.Select(t => FormattableString.Invariant($"{t.Z},{t.X},{t.Y}")));

    private sealed class Feed(IReadOnlyList<ComponentTileRecord> records) : IComponentTileFeed
    {
        public ValueTask<long> GetRevisionAsync(CancellationToken ct = default) => ValueTask.FromResult(1L);
        public ValueTask<IReadOnlyList<ComponentTileRecord>> GetComponentsAsync(CancellationToken ct = default) => ValueTask.FromResult(records);
    }

    private sealed class StaticSource(string name, IVectorLayerData data) : IVectorLayerSource
    {
        public IVectorLayerData Data => data;
        public string Name => name;
        public string Title => name;
        public int MinZoom => 8;
        public int MaxZoom => 16;
        public IReadOnlyList<VectorLayerSchema> Layers { get; } = [new(name, name, new Dictionary<string, VectorFieldType>())];
        public ValueTask<IVectorLayerData> GetDataAsync(CancellationToken ct = default) => ValueTask.FromResult(data);
    }
}
