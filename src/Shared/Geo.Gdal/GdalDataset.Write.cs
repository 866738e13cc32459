using System.Text;
using Geo.Gdal.Interop;
using Geo.Spatial.Failures;

namespace Geo.Gdal;

/// <summary>Colour interpretation of a band (values of GDAL's <c>GDALColorInterp</c>).</summary>
public enum GdalColorInterpretation
{
    /// <summary>Undefined.</summary>
    Undefined = 0,
    /// <summary>Greyscale.</summary>
    Gray = 1,
    /// <summary>Red.</summary>
    Red = 3,
    /// <summary>Green.</summary>
    Green = 4,
    /// <summary>Blue.</summary>
    Blue = 5,
    /// <summary>Alpha (0 transparent, 255 opaque).</summary>
    Alpha = 6,
}

// Writable in-memory datasets: the server's own rasters (synthetic surveys, rendered tiles), never uploads.
public sealed partial class GdalDataset
{
    /// <summary>
    /// Creates an empty in-memory raster (GDAL's MEM driver) of <paramref name="bands"/> bands of
    /// <paramref name="type"/>, initialised to zero. Write pixels with <see cref="WriteBand(int, ReadOnlySpan{byte})"/>,
    /// georeference it, then copy it to a file with <see cref="GdalApps.Translate"/>.
    /// </summary>
    public static unsafe GdalDataset CreateInMemory(int width, int height, int bands, GdalDataType type)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bands, 1);
        GdalRuntime.EnsureInitialized();
        var driver = GdalNative.GDALGetDriverByName("MEM");
        if (driver == IntPtr.Zero)
        {
            throw new InvalidOperationException("GDAL's MEM driver is not registered.");
        }

        var scope = GdalErrorScope.Begin();
        byte empty = 0;
        var raw = GdalNative.GDALCreate(driver, &empty, width, height, bands, (int)type, IntPtr.Zero);
        if (raw == IntPtr.Zero)
        {
            throw new InvalidOperationException("GDAL could not create an in-memory raster: " + scope.FirstFailureMessage);
        }

        return Wrap(raw, "MEM");
    }

    /// <summary>Sets the geotransform (x = easting/longitude, y = northing/latitude).</summary>
    public unsafe void SetGeoTransform(GeoTransform transform)
    {
        ThrowIfDisposed();
        var gt = stackalloc double[6];
        var a = transform.ToArray();
        for (var i = 0; i < 6; i++)
        {
            gt[i] = a[i];
        }

        if (GdalNative.GDALSetGeoTransform(_handle, gt) != GdalNative.CeNone)
        {
            throw new InvalidOperationException("GDAL refused the geotransform.");
        }
    }

    /// <summary>Sets the CRS from an EPSG code (GDAL's traditional GIS axis order is kept by the file formats).</summary>
    public unsafe void SetEpsg(int epsg)
    {
        ThrowIfDisposed();
        var srs = GdalNative.OSRNewSpatialReference(IntPtr.Zero);
        try
        {
            if (GdalNative.OSRImportFromEPSG(srs, epsg) != 0)
            {
                throw new ArgumentException($"EPSG:{epsg} is unknown to GDAL.", nameof(epsg));
            }

            byte* wkt = null;
            try
            {
                if (GdalNative.OSRExportToWkt(srs, &wkt) != 0 || wkt is null)
                {
                    throw new InvalidOperationException($"EPSG:{epsg} could not be exported as WKT.");
                }

                if (GdalNative.GDALSetProjection(_handle, GdalNative.Str(wkt)!) != GdalNative.CeNone)
                {
                    throw new InvalidOperationException("GDAL refused the projection.");
                }
            }
            finally
            {
                GdalNative.VSIFree(wkt);
            }
        }
        finally
        {
            GdalNative.OSRDestroySpatialReference(srs);
        }

        _crsRead = false;
    }

    /// <summary>Sets a band's nodata value.</summary>
    public void SetNoData(int band, double value)
    {
        using var lease = new Lease(_handle);
        GdalNative.GDALSetRasterNoDataValue(BandHandle(band), value);
    }

    /// <summary>Sets a band's colour interpretation.</summary>
    public void SetColorInterpretation(int band, GdalColorInterpretation interpretation)
    {
        using var lease = new Lease(_handle);
        GdalNative.GDALSetRasterColorInterpretation(BandHandle(band), (int)interpretation);
    }

    /// <summary>Writes a whole Byte band (row-major, <see cref="Width"/> samples per row).</summary>
    public unsafe void WriteBand(int band, ReadOnlySpan<byte> pixels)
    {
        CheckWhole(pixels.Length);
        fixed (byte* p = pixels)
        {
            WriteIo(band, p, GdalDataType.Byte);
        }
    }

    /// <summary>Writes a whole band from 32-bit floats (row-major).</summary>
    public unsafe void WriteBand(int band, ReadOnlySpan<float> pixels)
    {
        CheckWhole(pixels.Length);
        fixed (float* p = pixels)
        {
            WriteIo(band, p, GdalDataType.Float32);
        }
    }

    private void CheckWhole(int length)
    {
        ThrowIfDisposed();
        if (length < (long)Width * Height)
        {
            throw new ArgumentException($"A whole band needs {(long)Width * Height} samples; got {length}.");
        }
    }

    private unsafe void WriteIo(int band, void* p, GdalDataType type)
    {
        using var lease = new Lease(_handle);
        var scope = GdalErrorScope.Begin();
        var err = GdalNative.GDALRasterIO(BandHandle(band), GdalNative.GfWrite, 0, 0, Width, Height, p, Width, Height, (int)type, 0, 0);
        if (err != GdalNative.CeNone)
        {
            throw new InvalidOperationException("Writing pixels failed: " + scope.FirstFailureMessage);
        }
    }
}
