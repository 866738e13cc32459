using System.Collections.Concurrent;
using Geo.Gdal;
using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;

namespace Geo.Tiles.Raster;

/// <summary>
/// Tiles of one COG. GDAL datasets are not thread-safe, so each concurrent render rents its own open dataset from a
/// small pool (at most <see cref="MaxPooled"/> kept open; the handles are owned and closed on <see cref="Dispose"/>),
/// and the GDAL block cache keeps decoded blocks of those datasets between tiles. Bounds are the survey's extent in
/// degrees (x = longitude); tiles wholly outside them are answered without touching GDAL. Tiles are rendered by
/// <see cref="OverviewTileRenderer"/> (own resampling from the right overview level; a COG in a CRS the product does
/// not transform falls back to <see cref="RasterTileRenderer"/>, GDAL's warper).
/// </summary>
public sealed class RasterTileSource(string cogPath, RasterStyle style, Box boundsLonLat) : IDisposable
{
    /// <summary>Open datasets kept for reuse.</summary>
    public const int MaxPooled = 4;

    private readonly ConcurrentBag<GdalDataset> _pool = [];
    private int _disposed;
    private RasterGrid? _grid;
    private bool _gridRead;

    /// <summary>The COG (a server path).</summary>
    public string Path => cogPath;

    /// <summary>How pixels become colours.</summary>
    public RasterStyle Style => style;

    /// <summary>Extent in degrees.</summary>
    public Box BoundsLonLat => boundsLonLat;

    /// <summary>
    /// Renders and encodes a tile. Returns null when the tile holds nothing of the survey (outside its extent or all
    /// transparent). <paramref name="scale"/> is 1 (256 px) or 2 (512 px).
    /// </summary>
    public Result<byte[]?> Render(TileId tile, int scale, TileFormat format)
    {
        if (!TileMath.BoundsLonLat(tile).Intersects(boundsLonLat)) return Result<byte[]?>.Ok(null);
        var size = 256 * scale;
        var rgba = new byte[size * size * 4];
        var rendered = RenderRgba(tile, size, rgba);
        if (!rendered.IsOk) return Result<byte[]?>.Fail(rendered.Failures);
        return rendered.Value ? TileEncoder.Encode(rgba, size, size, format) : null;
    }

    /// <summary>Renders RGBA pixels; false when all transparent.</summary>
    public Result<bool> RenderRgba(TileId tile, int size, Span<byte> rgba) => WithDataset(tile, size, rgba, warp: false);

    /// <summary>Renders RGBA pixels with GDAL's warper (<see cref="RasterTileRenderer"/>: the pixels of the <c>gdalwarp</c>
    /// program); the reference the fast path is compared with.</summary>
    public Result<bool> RenderRgbaWarped(TileId tile, int size, Span<byte> rgba) => WithDataset(tile, size, rgba, warp: true);

    private Result<bool> WithDataset(TileId tile, int size, Span<byte> rgba, bool warp)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_pool.TryTake(out var dataset))
        {
            var opened = GdalDataset.Open(cogPath);
            if (!opened.IsOk) return Result<bool>.Fail(opened.Failures);
            dataset = opened.Value;
        }

        try
        {
            if (!Volatile.Read(ref _gridRead))
            {
                _grid = RasterGrid.Of(dataset);
                Volatile.Write(ref _gridRead, true);
            }

            return !warp && _grid is { } grid
                ? OverviewTileRenderer.Render(dataset, grid, style, tile, size, rgba)
                : RasterTileRenderer.Render(dataset, style, tile, size, rgba);
        }
        finally
        {
            if (Volatile.Read(ref _disposed) == 0 && _pool.Count < MaxPooled) _pool.Add(dataset);
            else dataset.Dispose();
        }
    }

    /// <summary>Closes the pooled datasets.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        while (_pool.TryTake(out var d)) d.Dispose();
    }
}
