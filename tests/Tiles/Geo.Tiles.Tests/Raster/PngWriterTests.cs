using Geo.Gdal;
using Geo.Tiles.Raster;

namespace Geo.Tiles.Tests.Raster;

public class PngWriterTests
{
    /// <summary>PNG's Paeth filter as the specification writes it, one byte at a time.</summary>
    private static byte[] PaethReference(byte[] row, byte[] up)
    {
        var dst = new byte[row.Length];
        for (var i = 0; i < row.Length; i++)
        {
            int a = i >= 4 ? row[i - 4] : 0, b = up[i], c = i >= 4 ? up[i - 4] : 0;
            var p = a + b - c;
            int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            dst[i] = (byte)(row[i] - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c));
        }

        return dst;
    }

    [Theory]
    [InlineData(1, 256)] // random bytes: every branch of the predictor
    [InlineData(2, 4)]   // few values: ties between a, b and c everywhere
    [InlineData(3, 2)]
    public void The_vectorised_Paeth_filter_equals_the_specification_byte_for_byte(int seed, int levels)
    {
        var rng = new Random(seed);
        foreach (var width in new[] { 1, 3, 4, 5, 17, 256, 513 })
        {
            var row = new byte[width * 4];
            var up = new byte[width * 4];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = (byte)(rng.Next(levels) * (255 / Math.Max(1, levels - 1)));
                up[i] = (byte)(rng.Next(levels) * (255 / Math.Max(1, levels - 1)));
            }

            var dst = new byte[row.Length];
            PngWriter.Paeth(row, up, dst);
            Assert.Equal(PaethReference(row, up), dst);
        }
    }

    [Theory]
    [InlineData(256, 256)]
    [InlineData(512, 512)]
    [InlineData(7, 3)]
    public void A_written_png_decodes_with_gdal_to_exactly_the_pixels_given(int width, int height)
    {
        var rng = new Random(width * 31 + height);
        var rgba = new byte[width * height * 4];
        for (var i = 0; i < rgba.Length; i++) rgba[i] = (byte)(i % 4 == 3 ? (i / 4 % 5 == 0 ? 0 : 255) : rng.Next(256));
        var dir = Directory.CreateTempSubdirectory("geo-png-");
        try
        {
            var path = Path.Combine(dir.FullName, "t.png");
            File.WriteAllBytes(path, PngWriter.Encode(rgba, width, height)); // GDAL's PNG driver checks every chunk's CRC
            using var decoded = GdalDataset.Open(path, new GdalOpenOptions(["PNG"])).Value;
            Assert.Equal((width, height, 4), (decoded.Width, decoded.Height, decoded.BandCount));
            var back = new byte[rgba.Length];
            Assert.True(decoded.ReadInterleaved([1, 2, 3, 4], 0, 0, width, height, back).IsOk);
            Assert.Equal(rgba, back);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
