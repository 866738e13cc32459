namespace Geo.Gdal.Tests;

public sealed class GeoTransformTests
{
    [Fact]
    public void North_up_transform_maps_pixel_corners()
    {
        var gt = new GeoTransform(393200, 0.5, 0, 3782000, 0, -0.5);

        Assert.True(gt.IsNorthUp);
        Assert.False(gt.IsRotated);
        Assert.Equal((393328.0, 3781872.0), gt.Apply(256, 256));
    }

    [Fact]
    public void Rotation_terms_make_it_rotated_and_not_north_up()
    {
        var gt = new GeoTransform(0, 3, 4, 0, 4, -3);

        Assert.True(gt.IsRotated);
        Assert.False(gt.IsNorthUp);
        Assert.Equal(5, gt.PixelWidth, 12);
        Assert.Equal(5, gt.PixelHeight, 12);
    }

    [Fact]
    public void South_up_is_not_north_up()
    {
        Assert.False(new GeoTransform(0, 1, 0, 0, 0, 1).IsNorthUp);
    }
}
