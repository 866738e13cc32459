using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;

namespace Geo.Spatial.Tests.Tiles;

public class TileMathTests
{
    [Fact]
    public void Zoom_zero_is_one_tile_covering_the_whole_square()
    {
        var b = TileMath.BoundsMercator(new TileId(0, 0, 0));
        Assert.Equal(-20037508.342789244, b.MinX, 6);
        Assert.Equal(20037508.342789244, b.MaxY, 6);
        Assert.Equal(2 * TileMath.OriginShift, b.Width, 6);
        Assert.Equal(85.0511287798, TileMath.BoundsLonLat(new TileId(0, 0, 0)).MaxY, 9);
    }

    [Fact]
    public void Central_Ruzhou_at_zoom_16_is_the_tile_gdal2tiles_names()
    {
        // 112.845 E, 34.167 N: x = floor((112.845 + 180) / 360 * 2^16), y from the Mercator formula.
        var t = TileMath.TileAt(112.845, 34.167, 16);
        Assert.Equal(new TileId(16, 53310, 26142), t);
        var b = TileMath.BoundsLonLat(t);
        Assert.True(b.MinX <= 112.845 && 112.845 < b.MaxX && b.MinY <= 34.167 && 34.167 < b.MaxY);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(112.845, 34.167)]
    [InlineData(-179.9, -80.0)]
    public void Mercator_round_trips_to_a_micrometre(double lon, double lat)
    {
        var (x, y) = TileMath.ToMercator(lon, lat);
        var (lon2, lat2) = TileMath.ToLonLat(x, y);
        Assert.Equal(lon, lon2, 9);
        Assert.Equal(lat, lat2, 9);
    }

    [Fact]
    public void Resolution_halves_with_each_zoom_and_doubles_with_tile_size()
    {
        Assert.Equal(156543.03392804097, TileMath.Resolution(0), 6);
        Assert.Equal(TileMath.Resolution(15) / 2, TileMath.Resolution(16), 9);
        Assert.Equal(TileMath.Resolution(16, 256) / 2, TileMath.Resolution(16, 512), 9);
    }

    [Theory]
    [InlineData(-1, 0, 0, "tile_zoom_out_of_range")]
    [InlineData(25, 0, 0, "tile_zoom_out_of_range")]
    [InlineData(3, 8, 0, "tile_out_of_range")]
    [InlineData(3, 0, -1, "tile_out_of_range")]
    public void Tiles_outside_the_pyramid_are_bad_requests(int z, int x, int y, string code)
    {
        var r = TileId.Create(z, x, y);
        Assert.False(r.IsOk);
        Assert.Equal(code, r.Failure.Code);
        Assert.Equal(FailureKind.BadRequest, r.Failure.Kind);
    }

    [Fact]
    public void Tiles_covering_a_box_are_exactly_those_that_intersect_it()
    {
        var box = new Box(112.80, 34.14, 112.89, 34.19);
        var tiles = TileMath.TilesCovering(box, 14).ToList();
        Assert.Equal(TileMath.CountCovering(box, 14), tiles.Count);
        Assert.All(tiles, t => Assert.True(TileMath.BoundsLonLat(t).Intersects(box)));
        var all = new HashSet<TileId>(tiles);
        var outside = TileMath.TilesCovering(new Box(112.6, 34.0, 113.1, 34.4), 14).Where(t => !all.Contains(t));
        Assert.All(outside, t => Assert.False(TileMath.BoundsLonLat(t).Intersects(box)));
    }
}
