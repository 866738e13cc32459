using System.Text;
using Geo.Formats.Tests.TestSupport;
using Geo.Spatial.Failures;

namespace Geo.Formats.Tests;

public sealed class VectorReaderTests
{
    private static readonly byte[] PngHead = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52];

    [Theory]
    [InlineData("{\"type\":\"FeatureCollection\"}", VectorFormat.GeoJson)]
    [InlineData(" \r\n\t{\"type\":\"Point\"}", VectorFormat.GeoJson)]
    [InlineData("\uFEFF{\"type\":\"Point\"}", VectorFormat.GeoJson)]
    [InlineData("SQLite format 3\0....", VectorFormat.GeoPackage)]
    [InlineData("PK\x03\x04....", VectorFormat.ZippedShapefile)]
    public void Sniff_recognises_the_format_by_its_first_bytes(string head, VectorFormat expected)
    {
        Assert.Equal(expected, VectorReader.Sniff(Encoding.UTF8.GetBytes(head)).Value);
    }

    [Fact]
    public void Sniff_rejects_a_png()
    {
        var failure = VectorReader.Sniff(PngHead).Failure;

        Assert.Equal("unsupported_format", failure.Code);
        Assert.Equal(FailureKind.Invalid, failure.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("[1,2]")]
    [InlineData("SQLite format 2")]
    public void Sniff_rejects_other_heads(string head)
    {
        Assert.Equal("unsupported_format", VectorReader.Sniff(Encoding.UTF8.GetBytes(head)).Failure.Code);
    }

    [Fact]
    public void ReadFile_rejects_a_png_renamed_geojson()
    {
        using var dir = new TempDirectory();
        var path = dir.File("grids.geojson");
        File.WriteAllBytes(path, [.. PngHead, .. new byte[100]]);

        Assert.Equal("unsupported_format", VectorReader.ReadFile(path).Failure.Code);
    }

    [Fact]
    public void ReadFile_sniffs_rather_than_trusting_the_extension()
    {
        using var dir = new TempDirectory();
        var path = Fixtures.WriteText(dir, "grids.gpkg", Fixtures.GridsGeoJson4490);

        Assert.Equal(2, VectorReader.ReadFile(path).Value.Features.Count);
    }

    [Fact]
    public void ReadFile_rejects_a_file_over_max_bytes_before_reading_it()
    {
        using var dir = new TempDirectory();
        var path = Fixtures.WriteText(dir, "grids.geojson", Fixtures.GridsGeoJson4490);

        var failure = VectorReader.ReadFile(path, new VectorReadLimits(MaxBytes: 64)).Failure;

        Assert.Equal("file_too_large", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
    }

    [Fact]
    public void ReadFile_reports_a_missing_file()
    {
        using var dir = new TempDirectory();

        Assert.Equal("file_not_found", VectorReader.ReadFile(dir.File("none.geojson")).Failure.Code);
    }
}
