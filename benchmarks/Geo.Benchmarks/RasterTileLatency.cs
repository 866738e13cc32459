using System.Diagnostics;
using System.Globalization;
using Geo.Gdal;
using Geo.Spatial.Tiles;
using Geo.Tiles;
using Geo.Tiles.Raster;

namespace Geo.Benchmarks;

/// <summary>
/// In-process split of an uncached raster tile (no tile cache): warp/resample, read, encode, per zoom, on one
/// thread. <c>dotnet run -c Release -- raster-tiles COG [N] [jpg|webp] [--compare] [--opencv-png]</c>: N random tiles per
/// zoom 14-20; --compare also renders each with GDAL's warper and reports the pixel difference.
/// </summary>
internal static partial class RasterTileLatency
{
    public static int Run(string[] args)
    {
        var cog = Path.GetFullPath(args[1]);
        var n = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
        var compare = args.Contains("--compare");
        var cvPng = args.Contains("--opencv-png");
        var format = args.Contains("jpg") ? TileFormat.Jpeg : args.Contains("webp") ? TileFormat.Webp : TileFormat.Png;
        Box bounds;
        using (var ds = GdalDataset.Open(cog).Value) bounds = LonLat(ds);
        using var source = new RasterTileSource(cog, RasterStyle.Photo, bounds);
        // Warm-up (JIT, dataset open): a few z21 tiles, which share no source block with the measured zooms' choice of level.
        var warm = new byte[512 * 512 * 4];
        foreach (var t in TileMath.TilesCovering(bounds, 21).Take(4))
        {
            if (source.RenderRgba(t, 256, warm).Value) TileEncoder.Encode(warm, 256, 256, TileFormat.Png);
            if (source.RenderRgba(t, 512, warm).Value) TileEncoder.Encode(warm, 512, 512, TileFormat.Jpeg);
        }

        foreach (var size in new[] { 256, 512 })
        {
            for (var z = 14; z <= 20; z++)
            {
                var tiles = TileMath.TilesCovering(bounds, z).ToList();
                var rng = new Random(z);
                var pick = tiles.OrderBy(_ => rng.Next()).Take(n).ToList();
                var rgba = new byte[size * size * 4];
                var render = new List<double>();
                var encode = new List<double>();
                var warpTimes = new List<double>();
                var renderCpu = new List<double>();
                var encodeCpu = new List<double>();
                var reference = new byte[size * size * 4];
                double diffSum = 0; long diffCount = 0; var alphaMismatch = 0L; var maxDiff = 0;
                foreach (var t in pick)
                {
                    var sw = Stopwatch.StartNew();
                    var c0 = ThreadCpu.Milliseconds();
                    var ok = source.RenderRgba(t, size, rgba).Value;
                    var c1 = ThreadCpu.Milliseconds();
                    render.Add(sw.Elapsed.TotalMilliseconds);
                    renderCpu.Add(c1 - c0);
                    sw.Restart();
                    if (ok) _ = cvPng ? TileEncoder.EncodeWithOpenCv(rgba, size, size, format) : TileEncoder.Encode(rgba, size, size, format);
                    encode.Add(sw.Elapsed.TotalMilliseconds);
                    encodeCpu.Add(ThreadCpu.Milliseconds() - c1);
                    if (!compare) continue;
                    sw.Restart();
                    source.RenderRgbaWarped(t, size, reference);
                    warpTimes.Add(sw.Elapsed.TotalMilliseconds);
                    for (var i = 0; i < size * size; i++)
                    {
                        var o = i * 4;
                        if ((rgba[o + 3] == 0) != (reference[o + 3] == 0)) alphaMismatch++;
                        if (rgba[o + 3] < 255 || reference[o + 3] < 255) continue;
                        for (var c = 0; c < 3; c++)
                        {
                            var d = Math.Abs(rgba[o + c] - reference[o + c]);
                            diffSum += d; diffCount++; maxDiff = Math.Max(maxDiff, d);
                        }
                    }
                }

                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{size}px z{z} ({pick.Count} tiles): render wall p50 {P(render, 0.5):0.00} p99 {P(render, 0.99):0.00} ms, cpu p50 {P(renderCpu, 0.5):0.00} p99 {P(renderCpu, 0.99):0.00} | {format} wall p50 {P(encode, 0.5):0.00} p99 {P(encode, 0.99):0.00} ms, cpu p50 {P(encodeCpu, 0.5):0.00} p99 {P(encodeCpu, 0.99):0.00}");
                Console.WriteLine(line + (compare ? string.Create(CultureInfo.InvariantCulture, $" | gdalwarp p50 {P(warpTimes, 0.5):0.00} ms, mean |diff| {diffSum / Math.Max(1, diffCount):0.00} max {maxDiff}, alpha 0/non-0 mismatches {alphaMismatch}") : ""));
            }
        }

        return 0;
    }

    /// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID): the work of a render, whatever the load.</summary>
    internal static partial class ThreadCpu
    {
        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        private struct Timespec { public long Sec; public long Nsec; }

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
        private static partial int ClockGettime(int clock, out Timespec ts);

        public static double Milliseconds()
        {
            ClockGettime(3, out var ts); // CLOCK_THREAD_CPUTIME_ID
            return ts.Sec * 1000.0 + ts.Nsec / 1e6;
        }
    }

    private static double P(List<double> v, double q)
    {
        var s = v.Order().ToList();
        return s[Math.Min(s.Count - 1, (int)(q * s.Count))];
    }

    internal static Box LonLat(GdalDataset ds)
    {
        var gt = ds.GeoTransform!.Value;
        var crs = Geo.Spatial.Crs.CrsId.Parse("EPSG:" + ds.Crs?.Epsg).Value;
        Span<double> xs = [gt.OriginX, gt.OriginX + gt.PixelSizeX * ds.Width, gt.OriginX + gt.PixelSizeX * ds.Width, gt.OriginX];
        Span<double> ys = [gt.OriginY, gt.OriginY, gt.OriginY + gt.PixelSizeY * ds.Height, gt.OriginY + gt.PixelSizeY * ds.Height];
        Geo.Spatial.Crs.CoordinateConverter.Convert(crs, Geo.Spatial.Crs.CrsId.Wgs84, xs, ys);
        return new Box(Math.Min(xs[0], xs[3]), Math.Min(ys[2], ys[3]), Math.Max(xs[1], xs[2]), Math.Max(ys[0], ys[1]));
    }
}
