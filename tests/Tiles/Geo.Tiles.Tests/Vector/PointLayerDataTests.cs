using Geo.Spatial.Tiles;
using Geo.Tiles.Vector;

namespace Geo.Tiles.Tests.Vector;

/// <summary>The component index: exact tile membership at full detail, deterministic priority thinning below.</summary>
public class PointLayerDataTests
{
    private static List<ComponentTileRecord> RandomComponents(int n, int seed = 1)
    {
        var rng = new Random(seed);
        var majors = new[] { "01", "02", "03", "04", "05", "06" };
        return Enumerable.Range(0, n).Select(i =>
        {
            var major = majors[rng.Next(majors.Length)];
            return new ComponentTileRecord($"410482{major}01{i:D6}", major + "01", null, null,
                112.815 + rng.NextDouble() * 0.06, 34.15 + rng.NextDouble() * 0.035);
        }).ToList();
    }

    [Fact]
    public void At_full_detail_a_tile_holds_exactly_the_points_inside_it_and_its_buffer()
    {
        var records = RandomComponents(20_000);
        var data = ComponentLayerSource.Build(1, records);
        var box = new Box(112.815, 34.15, 112.875, 34.185);
        var seen = 0;
        foreach (var tile in TileMath.TilesCovering(box, 16))
        {
            var buffered = VectorTileService.BufferedLonLat(tile, MvtOptions.Default);
            var inside = new List<VectorFeature>();
            data.Query("components", tile, buffered, inside);
            var expected = records.Where(r => r.Lon >= buffered.MinX && r.Lon <= buffered.MaxX && r.Lat >= buffered.MinY && r.Lat <= buffered.MaxY)
                .Select(r => r.Code).Order().ToList();
            Assert.Equal(expected, inside.Select(f => (string)f.Attributes[0].Value!).Order().ToList());
            seen += records.Count(r => TileMath.TileAt(r.Lon, r.Lat, 16) == tile);
        }
        Assert.Equal(records.Count, seen);
    }

    [Fact]
    public void Below_full_detail_each_cell_keeps_one_point_and_the_higher_priority_class_wins()
    {
        // Two components a metre apart: road/traffic (02) outranks a house (05), whatever their codes.
        var records = new List<ComponentTileRecord>
        {
            new("4104820501000001", "0501", null, null, 112.845, 34.167),
            new("4104820201000002", "0201", null, null, 112.84501, 34.16701),
        };
        var data = ComponentLayerSource.Build(1, records);
        var tile = TileMath.TileAt(112.845, 34.167, 13);
        var got = new List<VectorFeature>();
        data.Query("components", tile, VectorTileService.BufferedLonLat(tile, MvtOptions.Default), got);
        Assert.Equal("4104820201000002", Assert.Single(got).Attributes[0].Value);

        var z16 = TileMath.TileAt(112.845, 34.167, 16);
        got.Clear();
        data.Query("components", z16, VectorTileService.BufferedLonLat(z16, MvtOptions.Default), got);
        Assert.Equal(2, got.Count);
    }

    [Fact]
    public void Thinning_shows_fewer_points_at_each_zoom_out_and_none_below_the_minimum_zoom()
    {
        var data = ComponentLayerSource.Build(1, RandomComponents(50_000));
        var counts = Enumerable.Range(11, 6).Select(data.CountAt).ToList();
        Assert.Equal(0, counts[0]);
        for (var i = 1; i < counts.Count - 1; i++) Assert.True(counts[i] < counts[i + 1], string.Join(",", counts));
        Assert.Equal(50_000, data.CountAt(16));
        Assert.Equal(50_000, data.CountAt(20));
    }

    [Fact]
    public void Thinning_picks_the_same_points_whatever_the_build_order()
    {
        var records = RandomComponents(5_000);
        var a = ComponentLayerSource.Build(1, records);
        var shuffled = records.OrderBy(_ => Guid.NewGuid()).ToList();
        var b = ComponentLayerSource.Build(1, shuffled);
        var tile = TileMath.TileAt(112.845, 34.167, 13);
        var box = VectorTileService.BufferedLonLat(tile, MvtOptions.Default);
        List<VectorFeature> fa = [], fb = [];
        a.Query("components", tile, box, fa);
        b.Query("components", tile, box, fb);
        Assert.Equal(fa.Select(f => f.Attributes[0].Value).Order(), fb.Select(f => f.Attributes[0].Value).Order());
    }
}
