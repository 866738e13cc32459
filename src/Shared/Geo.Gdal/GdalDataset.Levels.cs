using Geo.Gdal.Interop;
using Geo.Spatial.Failures;

namespace Geo.Gdal;

// Reading at a resolution level: the full-resolution raster (level 0) or one of its internal overviews (1..n), so a
// renderer can pick the level itself and read exactly the window it needs, without a warper.
public sealed partial class GdalDataset
{
    /// <summary>The pseudo band number of the dataset's validity mask (the mask band of band 1: an internal mask,
    /// a nodata mask, or all 255 when the raster has neither). Mask values are 0 (invalid) to 255 (valid).</summary>
    public const int MaskBand = 0;

    /// <summary>Resolution levels: 1 (full resolution) plus the internal overviews of band 1.</summary>
    public int LevelCount => 1 + OverviewCount(1);

    /// <summary>Size in pixels of resolution level <paramref name="level"/> (0 = full resolution, then overviews from fine to coarse).</summary>
    public (int Width, int Height) LevelSize(int level)
    {
        using var lease = new Lease(_handle);
        var band = LevelBand(level, 1);
        return (GdalNative.GDALGetRasterBandXSize(band), GdalNative.GDALGetRasterBandYSize(band));
    }

    /// <summary>
    /// Reads a window of band <paramref name="band"/> (1-based, or <see cref="MaskBand"/>) at resolution level
    /// <paramref name="level"/> as bytes (GDAL converts other types), row-major, one sample every
    /// <paramref name="pixelSpacing"/> bytes (e.g. 4 to fill one channel of an RGBA buffer). The window is in the
    /// level's own pixels. Failures as for <see cref="ReadBlock(int,int,int,int,int,Span{byte})"/>.
    /// </summary>
    public unsafe Result<int> ReadLevel(int level, int band, int x, int y, int width, int height, Span<byte> buffer, int pixelSpacing = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pixelSpacing, 1);
        if (CheckLevelWindow(level, band, x, y, width, height, buffer.Length, pixelSpacing) is { } bad)
        {
            return bad;
        }

        fixed (byte* p = buffer)
        {
            return LevelIo(level, band, x, y, width, height, p, GdalDataType.Byte, pixelSpacing, width * pixelSpacing);
        }
    }

    /// <summary>Reads a window of a band at a resolution level converted to 32-bit floats, row-major. See the Byte overload.</summary>
    public unsafe Result<int> ReadLevel(int level, int band, int x, int y, int width, int height, Span<float> buffer)
    {
        if (CheckLevelWindow(level, band, x, y, width, height, buffer.Length, 1) is { } bad)
        {
            return bad;
        }

        fixed (float* p = buffer)
        {
            return LevelIo(level, band, x, y, width, height, p, GdalDataType.Float32, sizeof(float), width * sizeof(float));
        }
    }

    private unsafe Result<int> LevelIo(int level, int band, int x, int y, int width, int height, void* p, GdalDataType type, int pixelSpace, int lineSpace)
    {
        using var lease = new Lease(_handle);
        var scope = GdalErrorScope.Begin();
        var err = GdalNative.GDALRasterIO(LevelBand(level, band), GdalNative.GfRead, x, y, width, height, p, width, height, (int)type,
            pixelSpace, lineSpace);
        if (err != GdalNative.CeNone || scope.HasFailure)
        {
            return ReadFailed(scope.FirstFailureMessage);
        }

        return width * height;
    }

    private Failure? CheckLevelWindow(int level, int band, int x, int y, int width, int height, long bufferLength, int spacing)
    {
        ThrowIfDisposed();
        if (band < MaskBand || band > BandCount)
        {
            return Failure.BadRequest(GdalFailureCodes.BandOutOfRange, $"Band {band} does not exist; the raster has {BandCount}.");
        }

        if (level < 0 || level >= LevelCount)
        {
            return Failure.BadRequest(GdalFailureCodes.WindowOutOfRange, $"Level {level} does not exist; the raster has {LevelCount}.");
        }

        var (w, h) = LevelSize(level);
        if (width <= 0 || height <= 0 || x < 0 || y < 0 || (long)x + width > w || (long)y + height > h)
        {
            return Failure.BadRequest(GdalFailureCodes.WindowOutOfRange,
                $"Window x={x} y={y} {width}x{height} is empty or outside the {w}x{h} level {level}.");
        }

        var needed = ((long)width * height - 1) * spacing + 1;
        if (bufferLength < needed)
        {
            return Failure.BadRequest(GdalFailureCodes.BufferTooSmall, $"Buffer holds {bufferLength} samples; the window needs {needed}.");
        }

        return null;
    }

    // Callers hold a Lease. Level 0 is the band itself; the mask is band 1's mask at that level.
    private IntPtr LevelBand(int level, int band)
    {
        var b = BandHandle(band == MaskBand ? 1 : band);
        if (level > 0)
        {
            b = GdalNative.GDALGetOverview(b, level - 1);
            if (b == IntPtr.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(level), level, "No such overview level.");
            }
        }

        return band == MaskBand ? GdalNative.GDALGetMaskBand(b) : b;
    }
}
