using System.Runtime.InteropServices;
using Geo.Gdal.Interop;
using Geo.Spatial.Failures;

namespace Geo.Gdal;

/// <summary>
/// An open GDAL raster dataset, read-only. Owns its native handle (closed on <see cref="Dispose"/>, or by the
/// finalizer of the handle as a last resort). Not thread-safe: GDAL datasets must not be used from two threads at
/// once; open one per worker. Band numbers are 1-based, as in GDAL; the band accessors (<see cref="BandDataType"/>,
/// <see cref="BlockSize"/>…) throw <see cref="ArgumentOutOfRangeException"/> for a band that does not exist (a bug),
/// while the read methods return <c>band_out_of_range</c>. Windows are pixel/line offsets and sizes at full resolution.
/// GDAL errors raised on GDAL's own worker threads (multi-threaded decoding) are not attributed to the caller's
/// message; the read still fails through its CPLErr return.
/// </summary>
public sealed partial class GdalDataset : IDisposable
{
    private readonly GdalDatasetHandle _handle;
    private GdalCrs? _crs;
    private bool _crsRead;

    private GdalDataset(GdalDatasetHandle handle, string description)
    {
        _handle = handle;
        Description = description;
        Width = GdalNative.GDALGetRasterXSize(handle);
        Height = GdalNative.GDALGetRasterYSize(handle);
        BandCount = GdalNative.GDALGetRasterCount(handle);
    }

    /// <summary>Datasets opened through this assembly and not yet closed, all threads. For leak tests.</summary>
    public static long OpenCount => GdalDatasetHandle.OpenCount;

    /// <summary>Raster width in pixels.</summary>
    public int Width { get; }

    /// <summary>Raster height in pixels (lines).</summary>
    public int Height { get; }

    /// <summary>Number of bands.</summary>
    public int BandCount { get; }

    /// <summary>The path or name it was opened/created with (server-side; do not show it to clients).</summary>
    public string Description { get; }

    internal GdalDatasetHandle Handle => _handle;

    /// <summary>
    /// Opens <paramref name="path"/> read-only as a raster. Failure <c>open_failed</c> (Invalid) carries GDAL's
    /// message with paths removed.
    /// </summary>
    public static Result<GdalDataset> Open(string path, GdalOpenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        GdalRuntime.EnsureInitialized();
        options ??= GdalOpenOptions.Trusted;

        using var allowed = Utf8StringList.Create(options.AllowedDrivers);
        using var openOptions = Utf8StringList.Create(options.DriverOpenOptions);
        // GDAL copies the sibling list with CSLDuplicate, which turns an empty list into NULL = "probe the directory";
        // a list holding only the file's own name is what really means "nothing else is there".
        using var siblings = Utf8StringList.Create(options.AllowSidecarFiles ? null : [Path.GetFileName(path)]);
        var scope = GdalErrorScope.Begin();
        var raw = GdalNative.GDALOpenEx(
            path, GdalNative.OfRaster | GdalNative.OfReadOnly | GdalNative.OfVerboseError,
            allowed.Pointer, openOptions.Pointer, siblings.Pointer);
        if (raw == IntPtr.Zero)
        {
            return Failure.Invalid(GdalFailureCodes.OpenFailed, "The file could not be opened as a raster: " +
                GdalMessages.Sanitize(scope.FirstFailureMessage ?? "format not recognised or not allowed.", path));
        }

        return Wrap(raw, path);
    }

    internal static GdalDataset Wrap(IntPtr raw, string description)
    {
        var handle = GdalDatasetHandle.Own(raw);
        try
        {
            return new GdalDataset(handle, description);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Short name of the driver that opened it, e.g. <c>GTiff</c>.</summary>
    public unsafe string DriverShortName
    {
        get
        {
            ThrowIfDisposed();
            var driver = GdalNative.GDALGetDatasetDriver(_handle);
            return driver == IntPtr.Zero ? string.Empty : GdalNative.Str(GdalNative.GDALGetDriverShortName(driver)) ?? string.Empty;
        }
    }

    /// <summary>
    /// The geotransform, or null when GDAL has none (it then reports the identity (0,1,0,0,0,1); this returns null
    /// for that too, because it never means real georeferencing).
    /// </summary>
    public unsafe GeoTransform? GeoTransform
    {
        get
        {
            ThrowIfDisposed();
            var gt = stackalloc double[6];
            _ = GdalErrorScope.Begin(); // a missing geotransform is not an error worth keeping
            if (GdalNative.GDALGetGeoTransform(_handle, gt) != GdalNative.CeNone)
            {
                return null;
            }

            var value = new GeoTransform(gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]);
            return value == Gdal.GeoTransform.Identity ? null : value;
        }
    }

    /// <summary>Number of ground control points (a GCP-only file has these but no geotransform).</summary>
    public int GcpCount
    {
        get
        {
            ThrowIfDisposed();
            return GdalNative.GDALGetGCPCount(_handle);
        }
    }

    /// <summary>The CRS, or null when the file has none.</summary>
    public GdalCrs? Crs
    {
        get
        {
            ThrowIfDisposed();
            if (!_crsRead)
            {
                _crs = ReadCrs();
                _crsRead = true;
            }

            return _crs;
        }
    }

    /// <summary>
    /// Compression as GDAL reports it in the <c>IMAGE_STRUCTURE</c> domain (<c>DEFLATE</c>, <c>LZW</c>,
    /// <c>JPEG</c>, <c>YCbCr JPEG</c>…), or null for uncompressed.
    /// </summary>
    public unsafe string? Compression
    {
        get
        {
            ThrowIfDisposed();
            using var lease = new Lease(_handle);
            return GdalNative.Str(GdalNative.GDALGetMetadataItem(lease.Raw, "COMPRESSION", "IMAGE_STRUCTURE"));
        }
    }

    /// <summary>A metadata item of the dataset, or null.</summary>
    public unsafe string? GetMetadataItem(string name, string? domain = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfDisposed();
        using var lease = new Lease(_handle);
        return GdalNative.Str(GdalNative.GDALGetMetadataItem(lease.Raw, name, domain));
    }

    /// <summary>A metadata item of band <paramref name="band"/> (1-based), or null.</summary>
    public unsafe string? GetBandMetadataItem(int band, string name, string? domain = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var lease = new Lease(_handle);
        return GdalNative.Str(GdalNative.GDALGetMetadataItem(BandHandle(band), name, domain));
    }

    /// <summary>Pixel type of band <paramref name="band"/> (1-based).</summary>
    public GdalDataType BandDataType(int band)
    {
        using var lease = new Lease(_handle);
        return (GdalDataType)GdalNative.GDALGetRasterDataType(BandHandle(band));
    }

    /// <summary>Natural block (tile or strip) size of a band, in pixels.</summary>
    public unsafe (int Width, int Height) BlockSize(int band)
    {
        using var lease = new Lease(_handle);
        int w, h;
        GdalNative.GDALGetBlockSize(BandHandle(band), &w, &h);
        return (w, h);
    }

    /// <summary>The band's nodata value, or null if it has none.</summary>
    public unsafe double? NoData(int band)
    {
        using var lease = new Lease(_handle);
        int ok;
        var value = GdalNative.GDALGetRasterNoDataValue(BandHandle(band), &ok);
        return ok != 0 ? value : null;
    }

    /// <summary>Number of overview levels of a band (internal overviews only; sidecars are never read for uploads).</summary>
    public int OverviewCount(int band)
    {
        using var lease = new Lease(_handle);
        return GdalNative.GDALGetOverviewCount(BandHandle(band));
    }

    /// <summary>
    /// Reads a window of a <see cref="GdalDataType.Byte"/> band into <paramref name="buffer"/>, row-major,
    /// <paramref name="width"/> samples per row. Returns the number of samples written.
    /// Failures: <c>band_out_of_range</c>, <c>window_out_of_range</c>, <c>buffer_too_small</c>,
    /// <c>band_type_mismatch</c> (BadRequest: caller mistakes), <c>read_failed</c> (Invalid: corrupt data).
    /// </summary>
    public unsafe Result<int> ReadBlock(int band, int x, int y, int width, int height, Span<byte> buffer)
    {
        if (CheckWindow(band, x, y, width, height, buffer.Length) is { } bad)
        {
            return bad;
        }

        if (BandDataType(band) != GdalDataType.Byte)
        {
            return Failure.BadRequest(GdalFailureCodes.BandTypeMismatch,
                $"Band {band} is {BandDataType(band)}, not Byte; read it with the Float32 overload.");
        }

        fixed (byte* p = buffer)
        {
            return RasterIo(band, x, y, width, height, p, GdalDataType.Byte);
        }
    }

    /// <summary>
    /// Reads a window of any band converted to 32-bit floats (GDAL converts; Float64/Int32 data may lose
    /// precision). Same contract and failures as the Byte overload, without <c>band_type_mismatch</c>.
    /// </summary>
    public unsafe Result<int> ReadBlock(int band, int x, int y, int width, int height, Span<float> buffer)
    {
        if (CheckWindow(band, x, y, width, height, buffer.Length) is { } bad)
        {
            return bad;
        }

        fixed (float* p = buffer)
        {
            return RasterIo(band, x, y, width, height, p, GdalDataType.Float32);
        }
    }

    /// <summary>
    /// Reads a window of several Byte bands pixel-interleaved (e.g. bands 1,2,3 → RGBRGB…), row-major, in one
    /// <c>GDALDatasetRasterIO</c> call. Buffer length must be at least width × height × bands.Length.
    /// Returns the number of bytes written. Failures as for <see cref="ReadBlock(int,int,int,int,int,Span{byte})"/>.
    /// </summary>
    public unsafe Result<int> ReadInterleaved(ReadOnlySpan<int> bands, int x, int y, int width, int height, Span<byte> buffer)
    {
        ThrowIfDisposed();
        if (bands.IsEmpty)
        {
            return Failure.BadRequest(GdalFailureCodes.BandOutOfRange, "At least one band is needed.");
        }

        foreach (var b in bands)
        {
            if (CheckWindow(b, x, y, width, height, long.MaxValue) is { } bad)
            {
                return bad;
            }

            if (BandDataType(b) != GdalDataType.Byte)
            {
                return Failure.BadRequest(GdalFailureCodes.BandTypeMismatch, $"Band {b} is {BandDataType(b)}, not Byte.");
            }
        }

        var needed = (long)width * height * bands.Length;
        if (buffer.Length < needed)
        {
            return Failure.BadRequest(GdalFailureCodes.BufferTooSmall, $"Buffer holds {buffer.Length} bytes; the window needs {needed}.");
        }

        var n = bands.Length;
        fixed (int* map = bands)
        fixed (byte* p = buffer)
        {
            var scope = GdalErrorScope.Begin();
            var err = GdalNative.GDALDatasetRasterIO(
                _handle, GdalNative.GfRead, x, y, width, height, p, width, height, (int)GdalDataType.Byte,
                n, map, pixelSpace: n, lineSpace: width * n, bandSpace: 1);
            if (err != GdalNative.CeNone || scope.HasFailure)
            {
                return ReadFailed(scope.FirstFailureMessage);
            }
        }

        return (int)needed;
    }

    /// <summary>Closes the dataset (GDALClose). Safe to call twice.</summary>
    public void Dispose() => _handle.Dispose();

    private unsafe Result<int> RasterIo(int band, int x, int y, int width, int height, void* p, GdalDataType type)
    {
        using var lease = new Lease(_handle);
        var scope = GdalErrorScope.Begin();
        var err = GdalNative.GDALRasterIO(BandHandle(band), GdalNative.GfRead, x, y, width, height, p, width, height, (int)type, 0, 0);
        if (err != GdalNative.CeNone || scope.HasFailure)
        {
            return ReadFailed(scope.FirstFailureMessage);
        }

        return width * height;
    }

    private Failure ReadFailed(string? message) =>
        Failure.Invalid(GdalFailureCodes.ReadFailed, "The raster data could not be decoded: " + GdalMessages.Sanitize(message, Description));

    private Failure? CheckWindow(int band, int x, int y, int width, int height, long bufferLength)
    {
        ThrowIfDisposed();
        if (band < 1 || band > BandCount)
        {
            return Failure.BadRequest(GdalFailureCodes.BandOutOfRange, $"Band {band} does not exist; the raster has {BandCount}.");
        }

        if (width <= 0 || height <= 0 || x < 0 || y < 0 || (long)x + width > Width || (long)y + height > Height)
        {
            return Failure.BadRequest(GdalFailureCodes.WindowOutOfRange,
                $"Window x={x} y={y} {width}x{height} is empty or outside the {Width}x{Height} raster.");
        }

        var needed = (long)width * height;
        if (bufferLength < needed)
        {
            return Failure.BadRequest(GdalFailureCodes.BufferTooSmall, $"Buffer holds {bufferLength} samples; the window needs {needed}.");
        }

        return null;
    }

    // Callers hold a Lease for as long as they use the returned band pointer.
    private IntPtr BandHandle(int band)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(band, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(band, BandCount);
        return GdalNative.GDALGetRasterBand(_handle, band);
    }

    private unsafe GdalCrs? ReadCrs()
    {
        using var lease = new Lease(_handle);
        var srs = GdalNative.GDALGetSpatialRef(_handle);
        if (srs == IntPtr.Zero)
        {
            return null;
        }

        var wkt = GdalNative.Str(GdalNative.GDALGetProjectionRef(_handle));
        if (string.IsNullOrEmpty(wkt))
        {
            byte* exported = null;
            if (GdalNative.OSRExportToWkt(srs, &exported) == 0 && exported is not null)
            {
                wkt = GdalNative.Str(exported);
            }

            GdalNative.VSIFree(exported);
        }

        var isGeographic = GdalNative.OSRIsGeographic(srs) != 0;
        var isProjected = GdalNative.OSRIsProjected(srs) != 0;
        int err;
        var semiMajor = GdalNative.OSRGetSemiMajor(srs, &err);
        var invFlattening = GdalNative.OSRGetInvFlattening(srs, &err);
        return new GdalCrs(
            wkt ?? string.Empty,
            IdentifyEpsg(srs),
            isGeographic,
            isProjected,
            isProjected ? GdalNative.OSRGetLinearUnits(srs, null) : double.NaN,
            isGeographic ? GdalNative.OSRGetAngularUnits(srs, null) : double.NaN,
            semiMajor,
            invFlattening);
    }

    // The dataset's SRS is borrowed; identification mutates, so it runs on a clone that is destroyed here.
    private static unsafe int? IdentifyEpsg(IntPtr srs)
    {
        var clone = GdalNative.OSRClone(srs);
        if (clone == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            if (ReadEpsg(clone) is { } direct)
            {
                return direct;
            }

            // Fails quietly (OGRERR_UNSUPPORTED_SRS) when nothing matches; that is the "no EPSG code" answer.
            _ = GdalErrorScope.Begin();
            _ = GdalNative.OSRAutoIdentifyEPSG(clone);
            return ReadEpsg(clone);
        }
        finally
        {
            GdalNative.OSRDestroySpatialReference(clone);
        }

        static int? ReadEpsg(IntPtr h)
        {
            var name = GdalNative.Str(GdalNative.OSRGetAuthorityName(h, null));
            var code = GdalNative.Str(GdalNative.OSRGetAuthorityCode(h, null));
            return string.Equals(name, "EPSG", StringComparison.OrdinalIgnoreCase) && int.TryParse(code, out var c) ? c : null;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);

    /// <summary>Keeps the dataset handle alive (AddRef) while a borrowed band/driver pointer is in use.</summary>
    private readonly ref struct Lease
    {
        private readonly SafeHandle _owner;

        public Lease(SafeHandle owner)
        {
            var added = false;
            owner.DangerousAddRef(ref added);
            _owner = owner;
            Raw = owner.DangerousGetHandle();
        }

        public IntPtr Raw { get; }

        public void Dispose() => _owner.DangerousRelease();
    }
}
