namespace Geo.ChangeDetect;

/// <summary>
/// An 8-bit RGB image held in memory, pixel-interleaved (R, G, B), row-major, <see cref="Width"/> x 3 bytes per row.
/// Rows run top to bottom, as GDAL reads them (north up for a north-up raster). The boundary type of the pair
/// detector: callers decode with GDAL (<see cref="GdalImageReader"/>) and never with OpenCV.
/// </summary>
public sealed class RgbImage
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied).</summary>
    /// <exception cref="ArgumentException">Sizes not positive or the buffer is not exactly width x height x 3.</exception>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.LongLength != (long)width * height * 3)
        {
            throw new ArgumentException($"Expected {(long)width * height * 3} bytes for {width} x {height} RGB, got {pixels.LongLength}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>R, G, B bytes, interleaved, row-major.</summary>
    public byte[] Pixels { get; }
}
