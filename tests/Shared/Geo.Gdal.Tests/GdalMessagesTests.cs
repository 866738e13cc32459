using Geo.Gdal.Interop;

namespace Geo.Gdal.Tests;

public sealed class GdalMessagesTests
{
    [Theory]
    [InlineData("/srv/uploads/7f3a/survey.tif: TIFFReadDirectory: Cannot read TIFF directory count", "<file>: TIFFReadDirectory: Cannot read TIFF directory count")]
    [InlineData("`/srv/uploads/7f3a/survey.tif' not recognized as a supported file format.", "`<file>' not recognized as a supported file format.")]
    [InlineData("Cannot open /etc/secret/other.tif for 1/2 of it", "Cannot open <path> for 1/2 of it")]
    public void Removes_paths(string raw, string expected)
    {
        Assert.Equal(expected, GdalMessages.Sanitize(raw, "/srv/uploads/7f3a/survey.tif"));
    }

    [Fact]
    public void Bounds_length_and_strips_control_characters()
    {
        var sanitized = GdalMessages.Sanitize("a\u0000b\u202Ec" + new string('x', 1000));

        Assert.StartsWith("a b c", sanitized);
        Assert.True(sanitized.Length <= 301);
    }
}
