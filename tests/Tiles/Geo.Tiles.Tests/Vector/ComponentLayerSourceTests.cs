using Geo.Spatial.Tiles;
using Geo.Tiles.Vector;
using NetTopologySuite.Geometries;

namespace Geo.Tiles.Tests.Vector;

/// <summary>Census lines and areas in the components layer: points when zoomed out, themselves at full detail.</summary>
public class ComponentLayerSourceTests
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4490);

    [Fact]
    public void A_fence_is_a_point_below_full_detail_and_a_line_in_every_full_detail_tile_it_crosses()
    {
        // A 200 m fence across a zoom-16 tile edge (tiles there are about 500 m wide).
        var edge = TileMath.BoundsLonLat(TileMath.TileAt(112.845, 34.167, 16)).MaxX;
        var fence = Factory.CreateLineString([new Coordinate(edge - 0.001, 34.167), new Coordinate(edge + 0.001, 34.167)]);
        var at = fence.InteriorPoint;
        var records = new List<ComponentTileRecord>
        {
            new("4104820603000001", "0603", "护栏", "完好", at.X, at.Y, fence),
            new("4104820118000001", "0118", "路灯", "完好", 112.83, 34.15),
        };
        var data = ComponentLayerSource.Build(1, records);

        var west = TileMath.TileAt(edge - 0.0005, 34.167, 16);
        var east = TileMath.TileAt(edge + 0.0005, 34.167, 16);
        Assert.NotEqual(west, east);
        foreach (var tile in new[] { west, east })
        {
            var got = Query(data, tile);
            Assert.Contains(got, f => f.Geometry is LineString && (string)f.Attributes[0].Value! == "4104820603000001");
        }
        Assert.Equal(2, data.CountAt(16));

        var z14 = TileMath.TileAt(at.X, at.Y, 14);
        var low = Query(data, z14);
        Assert.Contains(low, f => f.Geometry is Point && (string)f.Attributes[0].Value! == "4104820603000001");
        Assert.DoesNotContain(low, f => f.Geometry is LineString);
    }

    [Fact]
    public void An_area_is_encoded_as_a_polygon_at_full_detail()
    {
        var patch = (Polygon)Factory.CreatePolygon([new(112.8450, 34.1670), new(112.8454, 34.1670), new(112.8454, 34.1673), new(112.8450, 34.1673), new(112.8450, 34.1670)]);
        var at = patch.InteriorPoint;
        var data = ComponentLayerSource.Build(1, [new ComponentTileRecord("4104820401000001", "0401", "绿地", "完好", at.X, at.Y, patch)]);
        var tile = TileMath.TileAt(at.X, at.Y, 17);
        var features = Query(data, tile);
        var bytes = new MvtEncoder().Encode(tile, [(ComponentLayerSource.LayerName, features)], false);
        Assert.NotEmpty(bytes);
        Assert.IsType<Polygon>(Assert.Single(features).Geometry);
    }

    private static List<VectorFeature> Query(ComponentLayerData data, TileId tile)
    {
        var into = new List<VectorFeature>();
        data.Query(ComponentLayerSource.LayerName, tile, VectorTileService.BufferedLonLat(tile, MvtOptions.Default), into);
        return into;
    }
}
