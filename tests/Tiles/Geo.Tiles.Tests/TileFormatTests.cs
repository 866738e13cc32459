namespace Geo.Tiles.Tests;

public class TileFormatTests
{
    [Theory]
    [InlineData("png", TileFormat.Png, "image/png")]
    [InlineData("JPG", TileFormat.Jpeg, "image/jpeg")]
    [InlineData("webp", TileFormat.Webp, "image/webp")]
    [InlineData("pbf", TileFormat.Mvt, "application/vnd.mapbox-vector-tile")]
    public void Url_extensions_name_a_format_and_its_media_type(string ext, TileFormat format, string media)
    {
        Assert.Equal(format, TileFormats.FromExtension(ext));
        Assert.Equal(media, format.MediaType());
    }

    [Fact]
    public void Unknown_extensions_are_not_formats() => Assert.Null(TileFormats.FromExtension("gif"));
}
