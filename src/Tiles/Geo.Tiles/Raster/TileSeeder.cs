using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;

namespace Geo.Tiles.Raster;

/// <summary>What a seeding run did.</summary>
public sealed record SeedReport(long Written, long Empty, TimeSpan Elapsed)
{
    /// <summary>Tiles per second over all tiles visited (written and empty).</summary>
    public double TilesPerSecond => (Written + Empty) / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Pre-renders a zoom range of one COG into an XYZ directory (<c>{z}/{x}/{y}.{ext}</c>, the layout of
/// <c>gdal2tiles.py --xyz</c>), with several workers, each with its own GDAL dataset. Tiles with nothing of the survey
/// are not written (as gdal2tiles does).
/// </summary>
public static class TileSeeder
{
    /// <summary>Seeds zooms <paramref name="minZoom"/>..<paramref name="maxZoom"/>. Progress is 0..1 over the tiles.</summary>
    public static Result<SeedReport> SeedDirectory(RasterTileSource source, int minZoom, int maxZoom, TileFormat format, string outDirectory,
        int workers, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (minZoom < 0 || maxZoom > TileId.MaxZoom || minZoom > maxZoom)
            return Failure.BadRequest("zoom_range_invalid", $"The zoom range must lie in 0..{TileId.MaxZoom}, min <= max.");
        var ext = format switch { TileFormat.Png => "png", TileFormat.Jpeg => "jpg", TileFormat.Webp => "webp", _ => null };
        if (ext is null) return Failure.BadRequest("tile_format_invalid", "Raster tiles are png, jpg or webp.");

        long total = 0;
        for (var z = minZoom; z <= maxZoom; z++) total += TileMath.CountCovering(source.BoundsLonLat, z);
        var tiles = Enumerable.Range(minZoom, maxZoom - minZoom + 1).SelectMany(z => TileMath.TilesCovering(source.BoundsLonLat, z));
        long written = 0, empty = 0, done = 0;
        Failure? failure = null;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var createdDirs = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        Parallel.ForEach(tiles, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = ct }, (tile, state) =>
        {
            var r = source.Render(tile, 1, format);
            if (!r.IsOk)
            {
                Interlocked.CompareExchange(ref failure, r.Failure, null);
                state.Stop();
                return;
            }

            if (r.Value is { } bytes)
            {
                var dir = Path.Combine(outDirectory, tile.Z.ToString(), tile.X.ToString());
                if (createdDirs.TryAdd(dir, true)) Directory.CreateDirectory(dir);
                File.WriteAllBytes(Path.Combine(dir, $"{tile.Y}.{ext}"), bytes);
                Interlocked.Increment(ref written);
            }
            else
            {
                Interlocked.Increment(ref empty);
            }

            var d = Interlocked.Increment(ref done);
            if (progress is not null && (d & 63) == 0) progress.Report((double)d / total);
        });
        if (failure is not null) return failure;
        progress?.Report(1);
        return new SeedReport(written, empty, started.Elapsed);
    }
}
