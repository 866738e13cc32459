using Geo.Gdal;
using Geo.Spatial.Failures;

namespace Geo.ChangeDetect;

/// <summary>
/// Decodes an image file into an <see cref="RgbImage"/> through GDAL (PNG, JPEG, GeoTIFF). OpenCV never decodes
/// user files (PITFALLS: crafted-image CVEs). Takes 8-bit images with 1 band (grey, replicated), 3 bands (RGB) or
/// 4 bands (RGBA, alpha ignored). Whole images are held in memory: at most <see cref="MaxPixels"/> pixels.
/// </summary>
public static class GdalImageReader
{
    /// <summary>In-memory limit of one image (64 Mpx = 192 MiB of RGB). Larger surveys go through the block-wise pipeline.</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    private static readonly GdalOpenOptions Options = new(["PNG", "JPEG", "GTiff"], AllowSidecarFiles: false);

    /// <summary>Reads <paramref name="path"/>. Failures: image_unreadable, image_unsupported, image_size (all carry the file name as location).</summary>
    public static Result<RgbImage> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path);
        var opened = GdalDataset.Open(path, Options);
        if (!opened.IsOk)
        {
            return Failure.Invalid(ChangeFailureCodes.ImageUnreadable, "Not a readable PNG, JPEG or GeoTIFF image.", name);
        }

        using var ds = opened.Value;
        var bands = ds.BandCount;
        if (bands is not (1 or 3 or 4))
        {
            return Failure.Invalid(ChangeFailureCodes.ImageUnsupported, $"{bands} bands; 1 (grey), 3 (RGB) or 4 (RGBA) are taken.", name);
        }

        for (var b = 1; b <= bands; b++)
        {
            if (ds.BandDataType(b) != GdalDataType.Byte)
            {
                return Failure.Invalid(ChangeFailureCodes.ImageUnsupported, $"Band {b} is {ds.BandDataType(b)}; 8-bit images are taken.", name);
            }
        }

        if ((long)ds.Width * ds.Height > MaxPixels)
        {
            return Failure.TooLarge(ChangeFailureCodes.ImageSize, $"{ds.Width} x {ds.Height} px is above the {MaxPixels / (1024 * 1024)} Mpx in-memory limit.", name);
        }

        var pixels = new byte[(long)ds.Width * ds.Height * 3];
        int[] map = bands == 1 ? [1, 1, 1] : [1, 2, 3];
        var read = ds.ReadInterleaved(map, 0, 0, ds.Width, ds.Height, pixels);
        if (!read.IsOk)
        {
            return Failure.Invalid(ChangeFailureCodes.ImageUnreadable, "The pixels could not be decoded (truncated or corrupt).", name);
        }

        return new RgbImage(ds.Width, ds.Height, pixels);
    }
}
