using Geo.Spatial.Tiles;
using Geo.Tiles.Vector;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Tiles.Tests.Vector;

/// <summary>The encoder's output read back by GDAL's MVT driver: positions, clipping, rings, attributes.</summary>
public class MvtEncoderTests
{
    private static readonly WKTReader Wkt = new(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4490));

    private static VectorFeature F(string wkt, params (string, object?)[] attrs) =>
        new(Wkt.Read(wkt), attrs.Select(a => new KeyValuePair<string, object?>(a.Item1, a.Item2)).ToList());

    private static byte[] Encode(TileId tile, string layer, bool simplify, params VectorFeature[] features) =>
        new MvtEncoder().Encode(tile, [(layer, features)], simplify);

    // Ruzhou centre (112.845 E, 34.167 N) lies in this zoom-14 tile.
    private static readonly TileId Z14 = TileMath.TileAt(112.845, 34.167, 14);

    [Fact]
    public void A_point_decodes_at_its_web_mercator_position_to_within_one_tile_unit()
    {
        var bytes = Encode(Z14, "pts", false, F("POINT (112.845 34.167)", ("code", "4104820101000001")));
        var f = Assert.Single(OgrMvt.Decode(bytes, Z14));
        Assert.Equal("pts", f.Layer);
        Assert.Equal("4104820101000001", f.Attributes["code"]);
        var (mx, my) = TileMath.ToMercator(112.845, 34.167);
        var unit = TileMath.BoundsMercator(Z14).Width / 4096;
        var p = (Point)f.Geometry!;
        Assert.InRange(p.X, mx - unit, mx + unit);
        Assert.InRange(p.Y, my - unit, my + unit);
    }

    [Fact]
    public void Attribute_types_survive_and_nulls_are_left_out()
    {
        var bytes = Encode(Z14, "a", false, F("POINT (112.845 34.167)",
            ("name", "钟楼街道 网格 01"), ("count", 42), ("negative", -7L), ("ratio", 0.25), ("ok", true), ("missing", null)));
        var a = Assert.Single(OgrMvt.Decode(bytes, Z14)).Attributes;
        Assert.Equal("钟楼街道 网格 01", a["name"]);
        Assert.Equal("42", a["count"]);
        Assert.Equal("-7", a["negative"]);
        Assert.Equal(0.25, OgrMvt.Number(a["ratio"]));
        Assert.Contains(a["ok"], new[] { "1", "true", "True" });
        Assert.False(a.ContainsKey("missing") && a["missing"] != "(null)");
    }

    [Fact]
    public void A_polygon_larger_than_the_tile_is_clipped_to_the_tile_and_its_buffer()
    {
        var b = TileMath.BoundsLonLat(Z14);
        var big = $"POLYGON (({b.MinX - 0.1} {b.MinY - 0.1}, {b.MaxX + 0.1} {b.MinY - 0.1}, {b.MaxX + 0.1} {b.MaxY + 0.1}, {b.MinX - 0.1} {b.MaxY + 0.1}, {b.MinX - 0.1} {b.MinY - 0.1}))";
        var bytes = Encode(Z14, "grids", true, F(big, ("code", "41048200100101")));
        var f = Assert.Single(OgrMvt.Decode(bytes, Z14));
        var m = TileMath.BoundsMercator(Z14);
        var buffer = m.Width * 64 / 4096;
        var e = f.Geometry!.EnvelopeInternal;
        Assert.Equal(m.MinX - buffer, e.MinX, 0.5);
        Assert.Equal(m.MaxX + buffer, e.MaxX, 0.5);
        Assert.Equal(m.MinY - buffer, e.MinY, 0.5);
        Assert.Equal(m.MaxY + buffer, e.MaxY, 0.5);
        Assert.True(f.Geometry.IsValid);
    }

    [Fact]
    public void A_polygon_cut_by_one_tile_edge_is_clipped_exactly()
    {
        // The common case (fast Sutherland-Hodgman path): the area kept equals the exact intersection with the tile
        // and its buffer, in Mercator square metres.
        var b = TileMath.BoundsLonLat(Z14);
        double x0 = b.MinX + b.Width * .3, x1 = b.MaxX + b.Width * .5, y0 = b.MinY + b.Height * .2, y1 = b.MinY + b.Height * .7;
        var wkt = $"POLYGON (({x0} {y0}, {x1} {y0 + b.Height * .1}, {x1} {y1}, {x0} {y1}, {x0} {y0}))";
        var f = Assert.Single(OgrMvt.Decode(Encode(Z14, "p", false, F(wkt)), Z14));
        Assert.True(f.Geometry!.IsValid);
        var m = TileMath.BoundsMercator(Z14);
        var buffer = m.Width * 64 / 4096;
        var box = new GeometryFactory().ToGeometry(new Envelope(m.MinX - buffer, m.MaxX + buffer, m.MinY - buffer, m.MaxY + buffer));
        var mercator = new NetTopologySuite.IO.WKTReader().Read(wkt);
        mercator.Apply(new MercatorFilter());
        Assert.Equal(1, f.Geometry.Area / mercator.Intersection(box).Area, 2);
    }

    [Fact]
    public void A_polygon_that_leaves_and_reenters_the_tile_becomes_valid_separate_parts()
    {
        // An upside-down U entering from above: its bar lies beyond the buffer, its two arms reach into the tile.
        var b = TileMath.BoundsLonLat(Z14);
        double l = b.MinX + b.Width * .2, r = b.MinX + b.Width * .8, il = b.MinX + b.Width * .4, ir = b.MinX + b.Width * .6;
        double low = b.MaxY - b.Height * .1, top = b.MaxY + b.Height * .6;
        var u = $"POLYGON (({l} {low}, {il} {low}, {il} {top}, {ir} {top}, {ir} {low}, {r} {low}, {r} {top + b.Height}, {l} {top + b.Height}, {l} {low}))";
        var f = Assert.Single(OgrMvt.Decode(Encode(Z14, "p", false, F(u)), Z14));
        Assert.True(f.Geometry!.IsValid);
        Assert.Equal(2, f.Geometry.NumGeometries); // not joined along the buffer's edge
    }

    [Fact]
    public void A_polygon_with_a_hole_keeps_the_hole()
    {
        var b = TileMath.BoundsLonLat(Z14);
        double x0 = b.MinX + b.Width * .2, x1 = b.MinX + b.Width * .8, y0 = b.MinY + b.Height * .2, y1 = b.MinY + b.Height * .8;
        double h0 = b.MinX + b.Width * .4, h1 = b.MinX + b.Width * .6, v0 = b.MinY + b.Height * .4, v1 = b.MinY + b.Height * .6;
        var wkt = $"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}), ({h0} {v0}, {h0} {v1}, {h1} {v1}, {h1} {v0}, {h0} {v0}))";
        var f = Assert.Single(OgrMvt.Decode(Encode(Z14, "p", false, F(wkt)), Z14));
        var poly = f.Geometry is MultiPolygon mp ? Assert.IsType<Polygon>(Assert.Single(mp.Geometries)) : Assert.IsType<Polygon>(f.Geometry);
        Assert.Equal(1, poly.NumInteriorRings);
        Assert.True(poly.IsValid);
        // 0.6^2 - 0.2^2 of the tile's area, in Mercator square metres.
        var m = TileMath.BoundsMercator(Z14);
        Assert.Equal(0.32, poly.Area / (m.Width * m.Height), 2);
    }

    [Fact]
    public void A_line_that_leaves_and_reenters_the_tile_becomes_two_parts()
    {
        var b = TileMath.BoundsLonLat(Z14);
        double y = b.MinY + b.Height / 2, yOut = b.MaxY + b.Height, xa = b.MinX + b.Width * .2, xb = b.MinX + b.Width * .5, xc = b.MinX + b.Width * .8;
        var wkt = $"LINESTRING ({xa} {y}, {xb} {yOut}, {xc} {y})";
        var f = Assert.Single(OgrMvt.Decode(Encode(Z14, "l", false, F(wkt)), Z14));
        var ml = Assert.IsType<MultiLineString>(f.Geometry);
        Assert.Equal(2, ml.NumGeometries);
    }

    [Fact]
    public void Features_outside_the_tile_and_its_buffer_make_an_empty_tile()
    {
        var bytes = Encode(Z14, "p", false, F("POINT (113.5 34.9)"), F("POLYGON ((113.5 34.9, 113.6 34.9, 113.6 35, 113.5 34.9))"));
        Assert.Empty(bytes);
    }

    [Fact]
    public void A_point_in_the_buffer_is_kept_and_one_beyond_it_is_dropped()
    {
        var m = TileMath.BoundsMercator(Z14);
        var unit = m.Width / 4096;
        var (inLon, inLat) = TileMath.ToLonLat(m.MaxX + 30 * unit, (m.MinY + m.MaxY) / 2);
        var (outLon, outLat) = TileMath.ToLonLat(m.MaxX + 100 * unit, (m.MinY + m.MaxY) / 2);
        var features = OgrMvt.Decode(Encode(Z14, "p", false, F($"POINT ({inLon} {inLat})", ("k", "in")), F($"POINT ({outLon} {outLat})", ("k", "out"))), Z14);
        Assert.Equal("in", Assert.Single(features).Attributes["k"]);
    }

    [Fact]
    public void Simplification_below_max_zoom_drops_vertices_that_do_not_show()
    {
        // A 400 m circle with 2,000 vertices: at zoom 12 it spans about 40 px; a 0.5 px tolerance keeps far fewer.
        var circle = new NetTopologySuite.Utilities.GeometricShapeFactory(new GeometryFactory(new PrecisionModel(), 4490))
        { Centre = new Coordinate(112.845, 34.167), Width = 0.0086, Height = 0.0072, NumPoints = 2000 }.CreateEllipse();
        var f = new VectorFeature(circle, []);
        var z12 = TileMath.TileAt(112.845, 34.167, 12);
        var simplified = Assert.Single(OgrMvt.Decode(new MvtEncoder().Encode(z12, [("c", [f])], simplify: true), z12)).Geometry!;
        var full = Assert.Single(OgrMvt.Decode(new MvtEncoder().Encode(z12, [("c", [f])], simplify: false), z12)).Geometry!;
        Assert.True(simplified.NumPoints < full.NumPoints / 3, $"{simplified.NumPoints} vs {full.NumPoints}");
        Assert.True(simplified.IsValid);
        Assert.Equal(full.Area, simplified.Area, full.Area * 0.05);
    }

    [Fact]
    public void Several_layers_go_in_one_tile()
    {
        var encoder = new MvtEncoder();
        var bytes = encoder.Encode(Z14, [("grids", [F("POINT (112.845 34.167)")]), ("grid_labels", [F("POINT (112.846 34.168)"), F("POINT (112.844 34.166)")])]);
        var features = OgrMvt.Decode(bytes, Z14);
        Assert.Equal(1, features.Count(f => f.Layer == "grids"));
        Assert.Equal(2, features.Count(f => f.Layer == "grid_labels"));
    }

    /// <summary>Moves lon/lat vertices to Web Mercator metres.</summary>
    private sealed class MercatorFilter : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var (x, y) = TileMath.ToMercator(seq.GetX(i), seq.GetY(i));
            seq.SetX(i, x);
            seq.SetY(i, y);
        }
    }
}
