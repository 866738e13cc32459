using OpenCvSharp;

namespace Geo.Tiles.Raster;

/// <summary>
/// Encodes RGBA pixels (rendered by GDAL from the server's own COGs) as PNG, JPEG or WebP with OpenCV's encoders.
/// Only encoding happens here: user-supplied images are never decoded by OpenCV (SECURITY U14).
/// </summary>
public static class TileEncoder
{
    /// <summary>JPEG and WebP quality.</summary>
    public const int Quality = 85;

    /// <summary>
    /// Encodes <paramref name="rgba"/> (row-major, 4 bytes a pixel, straight alpha). PNG and WebP keep the alpha;
    /// JPEG has none, so transparent pixels come out black. PNG is written by <see cref="PngWriter"/> (faster than
    /// OpenCV's encoder for tiles), JPEG and WebP by OpenCV.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgba, int width, int height, TileFormat format) =>
        format == TileFormat.Png ? PngWriter.Encode(rgba, width, height) : EncodeWithOpenCv(rgba, width, height, format);

    /// <summary>Encodes with OpenCV's encoders (PNG at zlib level 3): the benchmark's comparison for <see cref="PngWriter"/>.</summary>
    public static unsafe byte[] EncodeWithOpenCv(ReadOnlySpan<byte> rgba, int width, int height, TileFormat format)
    {
        if (rgba.Length < width * height * 4) throw new ArgumentException("Too few pixels.", nameof(rgba));
        fixed (byte* p = rgba)
        {
            using var source = Mat.FromPixelData(height, width, MatType.CV_8UC4, (IntPtr)p);
            using var converted = new Mat();
            switch (format)
            {
                case TileFormat.Png:
                    Cv2.CvtColor(source, converted, ColorConversionCodes.RGBA2BGRA);
                    return converted.ImEncode(".png", new ImageEncodingParam(ImwriteFlags.PngCompression, 3));
                case TileFormat.Webp:
                    Cv2.CvtColor(source, converted, ColorConversionCodes.RGBA2BGRA);
                    return converted.ImEncode(".webp", new ImageEncodingParam(ImwriteFlags.WebPQuality, Quality));
                case TileFormat.Jpeg:
                    Cv2.CvtColor(source, converted, ColorConversionCodes.RGBA2BGR);
                    return converted.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, Quality));
                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, "Not a raster tile format.");
            }
        }
    }
}
