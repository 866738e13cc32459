using Geo.Gdal.Interop;
using Geo.Spatial.Failures;

namespace Geo.Gdal;

/// <summary>How a band's valid-data mask is defined (GDAL's <c>GDALGetMaskFlags</c>).</summary>
/// <param name="AllValid">No mask: every pixel is valid.</param>
/// <param name="IsAlpha">The mask is an alpha band of the dataset (read it with the colour bands in one call).</param>
/// <param name="IsNoData">The mask comes from the band's nodata value.</param>
public readonly record struct GdalMaskKind(bool AllValid, bool IsAlpha, bool IsNoData);

// Reads at a reduced size (GDAL picks the best overview, or decimates), mask bands, colour interpretation.
public sealed partial class GdalDataset
{
    /// <summary>Colour interpretation of band <paramref name="band"/> (1-based).</summary>
    public GdalColorInterpretation BandColorInterpretation(int band)
    {
        using var lease = new Lease(_handle);
        return (GdalColorInterpretation)GdalNative.GDALGetRasterColorInterpretation(BandHandle(band));
    }

    /// <summary>What defines the valid-data mask of band <paramref name="band"/>.</summary>
    public GdalMaskKind MaskKind(int band)
    {
        using var lease = new Lease(_handle);
        var flags = GdalNative.GDALGetMaskFlags(BandHandle(band));
        return new GdalMaskKind((flags & GdalNative.GmfAllValid) != 0, (flags & GdalNative.GmfAlpha) != 0, (flags & GdalNative.GmfNoData) != 0);
    }

    /// <summary>
    /// Reads the window (<paramref name="x"/>, <paramref name="y"/>, <paramref name="width"/>, <paramref name="height"/>,
    /// full-resolution pixels) of several Byte bands pixel-interleaved into a buffer of
    /// <paramref name="bufWidth"/> x <paramref name="bufHeight"/> pixels. A smaller buffer makes GDAL read the best
    /// overview (nearest-neighbour from it, or decimation when there is none). Failures as for
    /// <see cref="ReadInterleaved(ReadOnlySpan{int}, int, int, int, int, Span{byte})"/>.
    /// </summary>
    public unsafe Result<int> ReadInterleaved(ReadOnlySpan<int> bands, int x, int y, int width, int height, int bufWidth, int bufHeight, Span<byte> buffer)
    {
        ThrowIfDisposed();
        foreach (var b in bands)
        {
            if (CheckWindow(b, x, y, width, height, long.MaxValue) is { } bad) return bad;
            if (BandDataType(b) != GdalDataType.Byte)
                return Failure.BadRequest(GdalFailureCodes.BandTypeMismatch, $"Band {b} is {BandDataType(b)}, not Byte.");
        }

        var n = bands.Length;
        var needed = (long)bufWidth * bufHeight * n;
        if (n == 0 || bufWidth <= 0 || bufHeight <= 0 || buffer.Length < needed)
            return Failure.BadRequest(GdalFailureCodes.BufferTooSmall, $"Buffer holds {buffer.Length} bytes; {needed} are needed.");
        fixed (int* map = bands)
        fixed (byte* p = buffer)
        {
            var scope = GdalErrorScope.Begin();
            var err = GdalNative.GDALDatasetRasterIO(_handle, GdalNative.GfRead, x, y, width, height, p, bufWidth, bufHeight,
                (int)GdalDataType.Byte, n, map, pixelSpace: n, lineSpace: bufWidth * n, bandSpace: 1);
            if (err != GdalNative.CeNone || scope.HasFailure) return ReadFailed(scope.FirstFailureMessage);
        }

        return (int)needed;
    }

    /// <summary>Reads a window of band <paramref name="band"/> as floats into a buffer of
    /// <paramref name="bufWidth"/> x <paramref name="bufHeight"/> (reduced sizes read an overview).</summary>
    public unsafe Result<int> ReadBlock(int band, int x, int y, int width, int height, int bufWidth, int bufHeight, Span<float> buffer)
    {
        if (CheckWindow(band, x, y, width, height, long.MaxValue) is { } bad) return bad;
        if (bufWidth <= 0 || bufHeight <= 0 || buffer.Length < (long)bufWidth * bufHeight)
            return Failure.BadRequest(GdalFailureCodes.BufferTooSmall, $"Buffer holds {buffer.Length} samples; {(long)bufWidth * bufHeight} are needed.");
        fixed (float* p = buffer)
        {
            using var lease = new Lease(_handle);
            var scope = GdalErrorScope.Begin();
            var err = GdalNative.GDALRasterIO(BandHandle(band), GdalNative.GfRead, x, y, width, height, p, bufWidth, bufHeight, (int)GdalDataType.Float32, 0, 0);
            if (err != GdalNative.CeNone || scope.HasFailure) return ReadFailed(scope.FirstFailureMessage);
        }

        return bufWidth * bufHeight;
    }

    /// <summary>
    /// Reads the valid-data mask of band <paramref name="band"/> (0 = no data, 255 = valid) for a window into a buffer
    /// of <paramref name="bufWidth"/> x <paramref name="bufHeight"/> bytes. Works for every <see cref="MaskKind"/>
    /// (an all-valid band reads as 255 everywhere).
    /// </summary>
    public unsafe Result<int> ReadMask(int band, int x, int y, int width, int height, int bufWidth, int bufHeight, Span<byte> buffer)
    {
        if (CheckWindow(band, x, y, width, height, long.MaxValue) is { } bad) return bad;
        if (bufWidth <= 0 || bufHeight <= 0 || buffer.Length < (long)bufWidth * bufHeight)
            return Failure.BadRequest(GdalFailureCodes.BufferTooSmall, $"Buffer holds {buffer.Length} bytes; {(long)bufWidth * bufHeight} are needed.");
        fixed (byte* p = buffer)
        {
            using var lease = new Lease(_handle);
            var scope = GdalErrorScope.Begin();
            var mask = GdalNative.GDALGetMaskBand(BandHandle(band));
            var err = GdalNative.GDALRasterIO(mask, GdalNative.GfRead, x, y, width, height, p, bufWidth, bufHeight, (int)GdalDataType.Byte, 0, 0);
            if (err != GdalNative.CeNone || scope.HasFailure) return ReadFailed(scope.FirstFailureMessage);
        }

        return bufWidth * bufHeight;
    }
}
