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
    public void A_warped_tile_equals_gdalwarps_output_of_the_same_extent_pixel_for_pixel(int z, int size)
    {
        var tile = cog.Centre(z);
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var ours = new byte[size * size * 4];
        Assert.True(source.RenderRgbaWarped(tile, size, ours).Value);

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

    [Theory]
    [InlineData(19, 256)]  // full resolution, upsampled
    [InlineData(18, 256)]
    [InlineData(16, 256)]  // an overview
    [InlineData(15, 512)]  // a coarser overview, 512 px
    public void A_served_tile_matches_gdalwarps_output_within_a_grey_level_on_average(int z, int size)
    {
        var tile = cog.Centre(z);
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var ours = new byte[size * size * 4];
        Assert.True(source.RenderRgba(tile, size, ours).Value);
        var b = TileMath.BoundsMercator(tile);
        var reference = Path.Combine(cog.Root, $"gdalwarp-fast-{z}-{size}.tif");
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        Run("gdalwarp", "-q", "-overwrite", "-of", "GTiff", "-t_srs", "EPSG:3857", "-te", F(b.MinX), F(b.MinY), F(b.MaxX), F(b.MaxY),
            "-ts", $"{size}", $"{size}", "-r", "bilinear", "-dstalpha", cog.Pair.Epoch1, reference);
        using var theirs = GdalDataset.Open(reference).Value;
        var expected = new byte[size * size * 4];
        Assert.True(theirs.ReadInterleaved([1, 2, 3, 4], 0, 0, size, size, expected).IsOk);
        double diff = 0;
        long compared = 0, transparencyDiffers = 0;
        for (var i = 0; i < size * size; i++)
        {
            var o = i * 4;
            if ((ours[o + 3] == 0) != (expected[o + 3] == 0)) transparencyDiffers++;
            if (ours[o + 3] < 255 || expected[o + 3] < 255) continue;
            for (var c = 0; c < 3; c++) diff += Math.Abs(ours[o + c] - expected[o + c]);
            compared += 3;
        }

        Assert.True(compared > 3 * 2000, "a good part of the tile is opaque in both");
        var mean = diff / compared;
        Assert.True(mean < 1.0, $"mean |RGB difference| {mean:0.000} grey levels");
        Assert.True(transparencyDiffers < size * size / 100, $"{transparencyDiffers} pixels differ in transparency (edges only)");
    }

    [Fact]
    public void Seeding_into_mbtiles_gives_a_file_gdal_reads_with_the_zooms_and_bounds_and_the_served_bytes()
    {
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var path = Path.Combine(cog.Root, "seed.mbtiles");
        SeedReport report;
        using (var sink = new MbTilesSink(path, new MbTilesMetadata("测试 seed", "png", cog.Bounds, 15, 18)))
            report = TileSeeder.Seed(source, 15, 18, 1, TileFormat.Png, sink, 2).Value;
        Assert.True(report.Written > 4);
        Assert.False(File.Exists(path + ".partial"));

        var info = System.Text.Json.JsonDocument.Parse(RunOutput("gdalinfo", "-json", path)).RootElement;
        Assert.Equal("MBTiles", info.GetProperty("driverShortName").GetString());
        var md = info.GetProperty("metadata").GetProperty("");
        Assert.Equal("15", md.GetProperty("minzoom").GetString());
        Assert.Equal("18", md.GetProperty("maxzoom").GetString());
        Assert.Equal("18", md.GetProperty("ZOOM_LEVEL").GetString());
        var bounds = md.GetProperty("bounds").GetString()!.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([cog.Bounds.MinX, cog.Bounds.MinY, cog.Bounds.MaxX, cog.Bounds.MaxY], bounds);
        // GDAL's extent (EPSG:3857, derived from the bounds and the z18 tiles) is the survey's, to within a z15 tile.
        var corners = info.GetProperty("wgs84Extent").GetProperty("coordinates")[0].EnumerateArray()
            .Select(p => (Lon: p[0].GetDouble(), Lat: p[1].GetDouble())).ToArray();
        var slack = 360.0 / (1 << 15);
        Assert.InRange(corners.Min(c => c.Lon), cog.Bounds.MinX - slack, cog.Bounds.MinX + slack);
        Assert.InRange(corners.Max(c => c.Lon), cog.Bounds.MaxX - slack, cog.Bounds.MaxX + slack);
        Assert.InRange(corners.Min(c => c.Lat), cog.Bounds.MinY - slack, cog.Bounds.MinY + slack);
        Assert.InRange(corners.Max(c => c.Lat), cog.Bounds.MaxY - slack, cog.Bounds.MaxY + slack);

        // Every tile row is TMS (from the south) and holds exactly what the service serves for that XYZ tile.
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles";
        using var served = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var count = 0;
        using (var rows = cmd.ExecuteReader())
        {
            while (rows.Read())
            {
                var z = rows.GetInt32(0);
                var tile = new TileId(z, rows.GetInt32(1), (1 << z) - 1 - rows.GetInt32(2));
                Assert.Equal(served.Render(tile, 1, TileFormat.Png).Value, (byte[])rows[3]);
                count++;
            }
        }

        Assert.Equal(report.Written, count);
        var centre = cog.Centre(18);
        Assert.NotNull(served.Render(centre, 1, TileFormat.Png).Value);
    }

    [Fact]
    public void Seeding_512_px_jpeg_tiles_writes_512_px_images()
    {
        using var source = new RasterTileSource(cog.Pair.Epoch1, RasterStyle.Photo, cog.Bounds);
        var path = Path.Combine(cog.Root, "seed512.mbtiles");
        using (var sink = new MbTilesSink(path, new MbTilesMetadata("512", "jpg", cog.Bounds, 17, 18)))
            Assert.True(TileSeeder.Seed(source, 17, 18, 2, TileFormat.Jpeg, sink, 2).Value.Written > 0);
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT tile_data FROM tiles LIMIT 1";
        var jpeg = Path.Combine(cog.Root, "one512.jpg");
        File.WriteAllBytes(jpeg, (byte[])cmd.ExecuteScalar()!);
        using var decoded = GdalDataset.Open(jpeg, new GdalOpenOptions(["JPEG"])).Value;
        Assert.Equal((512, 512), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task The_render_gate_refuses_beyond_its_slots_and_queue_and_admits_again_after_a_release()
    {
        using var gate = new RenderGate(1, 0, TimeSpan.Zero);
        var first = await gate.EnterAsync(CancellationToken.None);
        Assert.NotNull(first);
        Assert.Null(await gate.EnterAsync(CancellationToken.None));
        first!.Dispose();
        using var again = await gate.EnterAsync(CancellationToken.None);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task A_queued_render_gets_the_slot_when_it_is_released()
    {
        using var gate = new RenderGate(1, 1, TimeSpan.FromMinutes(5));
        var first = await gate.EnterAsync(CancellationToken.None);
        var waiting = gate.EnterAsync(CancellationToken.None).AsTask();
        Assert.Null(await gate.EnterAsync(CancellationToken.None)); // the queue (1) is full
        first!.Dispose();
        using var second = await waiting;
        Assert.NotNull(second);
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

    private static string RunOutput(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool}: {err}");
        return output;
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
