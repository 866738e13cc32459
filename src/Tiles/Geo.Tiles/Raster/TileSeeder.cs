using System.Collections.Concurrent;
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
/// Pre-renders a zoom range of one COG into a tile sink (an XYZ directory or an MBTiles file) with several workers,
/// each rendering with its own pooled GDAL dataset. Every tile is rendered by <see cref="RasterTileSource"/>, the
/// same code as the served tiles, so a seeded tile has the bytes the service would answer. Tiles are handed out in
/// 4 x 4 blocks (neighbours read the same source blocks, which then stay in that worker's GDAL block cache). Tiles
/// with nothing of the survey are not written (as gdal2tiles does).
/// </summary>
public static class TileSeeder
{
    private const int Block = 4;

    /// <summary>Seeds zooms <paramref name="minZoom"/>..<paramref name="maxZoom"/> into an XYZ directory.</summary>
    public static Result<SeedReport> SeedDirectory(RasterTileSource source, int minZoom, int maxZoom, TileFormat format, string outDirectory,
        int workers, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var ext = Extension(format);
        if (ext is null) return Failure.BadRequest("tile_format_invalid", "Raster tiles are png, jpg or webp.");
        using var sink = new DirectoryTileSink(outDirectory, ext);
        return Seed(source, minZoom, maxZoom, 1, format, sink, workers, progress, ct);
    }

    /// <summary>The file extension (and MBTiles format name) of a raster tile format, or null.</summary>
    public static string? Extension(TileFormat format) =>
        format switch { TileFormat.Png => "png", TileFormat.Jpeg => "jpg", TileFormat.Webp => "webp", _ => null };

    /// <summary>
    /// Seeds zooms <paramref name="minZoom"/>..<paramref name="maxZoom"/> at <paramref name="scale"/> (1 = 256 px,
    /// 2 = 512 px) into <paramref name="sink"/> and completes it. Progress is 0..1 over the tiles. A render failure
    /// stops the run and nothing is completed.
    /// </summary>
    public static Result<SeedReport> Seed(RasterTileSource source, int minZoom, int maxZoom, int scale, TileFormat format, ITileSink sink,
        int workers, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        if (minZoom < 0 || maxZoom > TileId.MaxZoom || minZoom > maxZoom)
            return Failure.BadRequest("zoom_range_invalid", $"The zoom range must lie in 0..{TileId.MaxZoom}, min <= max.");
        if (Extension(format) is null) return Failure.BadRequest("tile_format_invalid", "Raster tiles are png, jpg or webp.");
        if (scale is not (1 or 2)) return Failure.BadRequest("tile_size_invalid", "Tiles are 256 or 512 pixels.");

        var blocks = Blocks(source.BoundsLonLat, minZoom, maxZoom);
        var total = blocks.Sum(static b => (long)b.Length);
        long written = 0, empty = 0, done = 0;
        Failure? failure = null;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = ct };
        Parallel.ForEach(Partitioner.Create(blocks, EnumerablePartitionerOptions.NoBuffering), options, (block, state) =>
        {
            foreach (var tile in block)
            {
                if (state.ShouldExitCurrentIteration) return;
                var r = source.Render(tile, scale, format);
                if (!r.IsOk)
                {
                    Interlocked.CompareExchange(ref failure, r.Failure, null);
                    state.Stop();
                    return;
                }

                if (r.Value is { } bytes)
                {
                    sink.Write(tile, bytes);
                    Interlocked.Increment(ref written);
                }
                else
                {
                    Interlocked.Increment(ref empty);
                }

                var d = Interlocked.Increment(ref done);
                if (progress is not null && (d & 15) == 0) progress.Report((double)d / total);
            }
        });
        if (failure is not null) return failure;
        sink.Complete();
        progress?.Report(1);
        return new SeedReport(written, empty, started.Elapsed);
    }

    /// <summary>The tiles covering <paramref name="lonLat"/> at each zoom, in blocks of 4 x 4 neighbours, deepest zoom first
    /// (the largest share of the work starts first, so the workers finish together).</summary>
    internal static List<TileId[]> Blocks(Box lonLat, int minZoom, int maxZoom)
    {
        var blocks = new List<TileId[]>();
        for (var z = maxZoom; z >= minZoom; z--)
        {
            var nw = TileMath.TileAt(lonLat.MinX, lonLat.MaxY, z);
            var se = TileMath.TileAt(lonLat.MaxX, lonLat.MinY, z);
            for (var by = nw.Y; by <= se.Y; by += Block)
            {
                for (var bx = nw.X; bx <= se.X; bx += Block)
                {
                    var list = new List<TileId>(Block * Block);
                    for (var y = by; y <= Math.Min(se.Y, by + Block - 1); y++)
                        for (var x = bx; x <= Math.Min(se.X, bx + Block - 1); x++)
                            list.Add(new TileId(z, x, y));
                    blocks.Add([.. list]);
                }
            }
        }

        return blocks;
    }
}
