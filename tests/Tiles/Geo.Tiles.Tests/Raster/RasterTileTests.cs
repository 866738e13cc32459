using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Geo.Gdal;
using Geo.Spatial.Tiles;
using Geo.Surveys.Synthetic;
using Geo.Tiles.Raster;

namespace Geo.Tiles.Tests.Raster;

/// <summary>Loads libgdal before OpenCV (the tile encoder) in this test process (PITFALLS).</summary>
internal static class RasterTestAssembly
{
#pragma warning disable CA2255 // Test assembly: the documented place for this.
    [ModuleInitializer]
    internal static void LoadGdalFirst() => GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}

/// <summary>A synthetic orthophoto COG (JPEG, mask from the flight polygon) of 1024 px at 0.2 m.</summary>
public sealed class CogFixture : IDisposable
{
    public CogFixture()
    {
        Root = Directory.CreateTempSubdirectory("geo-raster-tiles-").FullName;
        Pair = SyntheticSurveys.Generate(Root, new SyntheticOptions(SizePx: 1024, Seed: 3, GsdMetres: 0.2));
        using var ds = GdalDataset.Open(Pair.Epoch1).Value;
        var gt = ds.GeoTransform!.Value;
        Span<double> xs = [gt.OriginX, gt.OriginX + gt.PixelSizeX * ds.Width];
        Span<double> ys = [gt.OriginY + gt.PixelSizeY * ds.Height, gt.OriginY];
        Geo.Spatial.Crs.CoordinateConverter.Convert(Geo.Spatial.Crs.CrsId.Cgcs2000GK114, Geo.Spatial.Crs.CrsId.Wgs84, xs, ys);
        Bounds = new Box(xs[0], ys[0], xs[1], ys[1]);
    }

    public string Root { get; }
    public SyntheticPair Pair { get; }
    public Box Bounds { get; }

    /// <summary>A zoom-18 tile at the survey's centre.</summary>
    public TileId Centre(int z) => TileMath.TileAt((Bounds.MinX + Bounds.MaxX) / 2, (Bounds.MinY + Bounds.MaxY) / 2, z);

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }
}

public sealed class RasterTileTests(CogFixture cog) : IClassFixture<CogFixture>
{
    [Theory]
    [InlineData(18, 256)]
    [InlineData(16, 256)]  // reads an overview
    [InlineData(19, 512)]
    public void A_tile_equals_gdalwarps_output_of_the_same_extent_pixel_for_pixel(int z, int size)
    {
        var tile = cog.Centre(z);
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var ours = new byte[size * size * 4];
        Assert.True(source.RenderRgba(tile, size, ours).Value);

        var b = TileMath.BoundsMercator(tile);
        var reference = Path.Combine(cog.Root, $"gdalwarp-{z}-{size}.tif");
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        Run("gdalwarp", "-q", "-overwrite", "-of", "GTiff", "-t_srs", "EPSG:3857", "-te", F(b.MinX), F(b.MinY), F(b.MaxX), F(b.MaxY),
            "-ts", $"{size}", $"{size}", "-r", "bilinear", "-dstalpha", cog.Pair.Epoch1, reference);
        using var theirs = GdalDataset.Open(reference).Value;
        var expected = new byte[size * size * 4];
        Assert.True(theirs.ReadInterleaved([1, 2, 3, 4], 0, 0, size, size, expected).IsOk);
        Assert.Equal(expected.Length, ours.Length);
        var differing = 0;
        for (var i = 0; i < ours.Length; i++) if (ours[i] != expected[i]) differing++;
        Assert.Equal(0, differing);
    }

    [Fact]
    public void Outside_the_flight_footprint_a_tile_is_transparent_and_inside_opaque()
    {
        // The north-west corner of the raster is cut off by the flight polygon (mask 0 there).
        var corner = TileMath.TileAt(cog.Bounds.MinX + 1e-6, cog.Bounds.MaxY - 1e-6, 20);
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var rgba = new byte[256 * 256 * 4];
        source.RenderRgba(corner, 256, rgba);
        var alphas = Enumerable.Range(0, 256 * 256).Select(i => rgba[i * 4 + 3]).ToArray();
        Assert.Contains(alphas, a => a == 0);
        var centre = new byte[256 * 256 * 4];
        Assert.True(source.RenderRgba(cog.Centre(20), 256, centre).Value);
        Assert.All(Enumerable.Range(0, 256 * 256), i => Assert.Equal(255, centre[i * 4 + 3]));
    }

    [Fact]
    public void A_tile_wholly_outside_the_survey_is_null_without_rendering()
    {
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        Assert.Null(source.Render(new TileId(18, 0, 0), 1, TileFormat.Png).Value);
    }

    [Theory]
    [InlineData(TileFormat.Png, "PNG")]
    [InlineData(TileFormat.Jpeg, "JPEG")]
    [InlineData(TileFormat.Webp, "WEBP")]
    public void Encoded_tiles_decode_with_gdal_to_the_rendered_pixels(TileFormat format, string driver)
    {
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var tile = cog.Centre(19);
        var bytes = source.Render(tile, 1, format).Value!;
        var rgba = new byte[256 * 256 * 4];
        source.RenderRgba(tile, 256, rgba);
        var path = Path.Combine(cog.Root, $"tile.{format}");
        File.WriteAllBytes(path, bytes);
        using var decoded = GdalDataset.Open(path, new GdalOpenOptions([driver])).Value;
        Assert.Equal((256, 256), (decoded.Width, decoded.Height));
        var rgb = new byte[256 * 256 * 3];
        decoded.ReadInterleaved([1, 2, 3], 0, 0, 256, 256, rgb);
        double diff = 0;
        for (var i = 0; i < 256 * 256; i++)
            for (var c = 0; c < 3; c++) diff += Math.Abs(rgb[i * 3 + c] - rgba[i * 4 + c]);
        var mean = diff / (256 * 256 * 3);
        if (format == TileFormat.Png) Assert.Equal(0, mean); // lossless
        else Assert.True(mean < 6, $"mean absolute difference {mean:0.00}");
    }

    [Fact]
    public void Seeding_writes_an_xyz_directory_of_every_tile_with_data()
    {
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var dir = Path.Combine(cog.Root, "seed");
        var report = TileSeeder.SeedDirectory(source, 15, 18, TileFormat.Png, dir, 2).Value;
        var files = Directory.GetFiles(dir, "*.png", SearchOption.AllDirectories);
        Assert.Equal(report.Written, files.Length);
        Assert.True(report.Written > 4);
        var t = cog.Centre(18);
        Assert.True(File.Exists(Path.Combine(dir, "18", t.X.ToString(), $"{t.Y}.png")));
    }

    [Fact]
    public void A_dsm_tile_is_coloured_on_the_height_ramp()
    {
        using var source = new RasterTileSource(cog.Pair.Epoch1Dsm, new RasterStyle.HeightRamp(90, 130), cog.Bounds);
        var rgba = new byte[256 * 256 * 4];
        Assert.True(source.RenderRgba(cog.Centre(18), 256, rgba).Value);
        var colours = Enumerable.Range(0, 256 * 256).Select(i => (rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2])).Distinct().Count();
        Assert.True(colours > 10, "a ramp, not a flat colour");
    }

    private static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }
}

public sealed class TileCacheTests
{
    [Fact]
    public void The_cache_never_holds_more_bytes_than_its_capacity_and_evicts_the_least_recently_used()
    {
        var cache = new TileCache(1000);
        cache.Set("a", new byte[400]);
        cache.Set("b", new byte[400]);
        Assert.True(cache.TryGet("a", out _)); // a is now more recent than b
        cache.Set("c", new byte[400]);
        Assert.True(cache.Bytes <= 1000);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("c", out _));
    }

    [Fact]
    public void An_entry_larger_than_the_cache_is_not_kept()
    {
        var cache = new TileCache(100);
        cache.Set("big", new byte[101]);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Removing_by_prefix_drops_one_surveys_tiles()
    {
        var cache = new TileCache(10_000);
        cache.Set("s1/1/0/0", new byte[10]);
        cache.Set("s2/1/0/0", new byte[10]);
        cache.RemoveWhere("s1/");
        Assert.False(cache.TryGet("s1/1/0/0", out _));
        Assert.True(cache.TryGet("s2/1/0/0", out _));
        Assert.Equal(10, cache.Bytes);
    }
}
