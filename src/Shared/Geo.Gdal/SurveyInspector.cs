using Geo.Gdal.Interop;
using Geo.Spatial.Failures;

namespace Geo.Gdal;

/// <summary>
/// The check run on an uploaded survey raster before any pixel is read (SECURITY U4–U9). Checks run in a fixed order
/// and the first rejection is returned, each with its own code (<see cref="GdalFailureCodes"/>), Kind Invalid unless
/// noted:
/// <list type="number">
/// <item><c>path_not_allowed</c>: not an absolute, normalised path, or a GDAL virtual name (<c>/vsi…</c>, <c>MEM:::</c>,
/// <c>&lt;VRTDataset</c>). Checked first, before the file system is touched, so a <c>/vsicurl/</c> name is reported
/// as what it is and never resolved.</item>
/// <item><c>file_missing</c> (NotFound), <c>file_empty</c>.</item>
/// <item><c>not_a_tiff</c>: magic bytes are not <c>II*\0</c>, <c>MM\0*</c>, <c>II+\0</c> or <c>MM\0+</c>.</item>
/// <item><c>open_failed</c>: GDAL, limited to the GTiff driver and no sidecar files, cannot open it; GDAL's message
/// without paths.</item>
/// <item><c>no_bands</c>, <c>too_many_bands</c>, <c>dimensions_too_large</c>, <c>implausible_size</c> (declared raw
/// size / file length above <see cref="RasterLimits.MaxCompressionRatio"/>: Invalid, since the header lies about a
/// small file rather than the upload being too big), <c>block_too_large</c>, <c>file_truncated</c> (a block's bytes
/// end past the end of the file).</item>
/// <item><c>gcps_only</c> / <c>not_georeferenced</c>, <c>rotated_not_supported</c>, <c>south_up_not_supported</c>,
/// <c>mirrored_not_supported</c>, <c>non_square_pixels</c>.</item>
/// <item><c>crs_missing</c>, <c>crs_unsupported</c> (no EPSG code, or not in <see cref="RasterLimits.AllowedEpsgCodes"/>).</item>
/// </list>
/// It does not check that the footprint lies in the city (that needs the boundary): the caller transforms
/// <see cref="RasterFacts.Corners"/>.
/// </summary>
public static class SurveyInspector
{
    private const string VirtualPrefix = "/vsi";

    /// <summary>Inspects the raster at <paramref name="path"/> and closes it again.</summary>
    public static Result<RasterFacts> Inspect(string path, RasterLimits? limits = null)
    {
        var opened = Open(path, limits);
        if (!opened.IsOk)
        {
            return Result<RasterFacts>.Fail(opened.Failures);
        }

        using var raster = opened.Value;
        return raster.Facts;
    }

    /// <summary>
    /// Inspects the raster and, if accepted, keeps it open for reading; the caller disposes the result.
    /// </summary>
    public static Result<InspectedRaster> Open(string path, RasterLimits? limits = null)
    {
        limits ??= RasterLimits.Default;
        if (CheckPath(path) is { } badPath)
        {
            return badPath;
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return Failure.NotFound(GdalFailureCodes.FileMissing, "No file exists at the given location.");
        }

        var fileBytes = file.Length;
        if (fileBytes == 0)
        {
            return Failure.Invalid(GdalFailureCodes.FileEmpty, "The file is empty.");
        }

        if (!HasTiffSignature(path))
        {
            return Failure.Invalid(GdalFailureCodes.NotATiff, "The file is not a TIFF or BigTIFF (wrong signature bytes).");
        }

        GdalRuntime.EnsureInitialized();
        var scope = GdalErrorScope.Begin();
        var opened = GdalDataset.Open(path, GdalOpenOptions.UntrustedGeoTiff);
        var warnings = scope.Warnings.Select(w => GdalMessages.Sanitize(w, path)).Distinct().ToArray();
        if (!opened.IsOk)
        {
            return Result<InspectedRaster>.Fail(opened.Failures);
        }

        var dataset = opened.Value;
        try
        {
            var facts = Check(dataset, limits, fileBytes, warnings);
            if (!facts.IsOk)
            {
                dataset.Dispose();
                return Result<InspectedRaster>.Fail(facts.Failures);
            }

            return new InspectedRaster(dataset, facts.Value);
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    private static Failure? CheckPath(string? path)
    {
        static Failure NotAllowed(string why) => Failure.Invalid(GdalFailureCodes.PathNotAllowed, why);

        if (string.IsNullOrWhiteSpace(path))
        {
            return NotAllowed("The path is empty.");
        }

        if (path.Any(char.IsControl))
        {
            return NotAllowed("The path contains control characters.");
        }

        if (path.StartsWith(VirtualPrefix, StringComparison.OrdinalIgnoreCase) ||
            path.Contains(":::", StringComparison.Ordinal) ||
            path.TrimStart().StartsWith('<') ||
            path.Contains("<VRTDataset", StringComparison.OrdinalIgnoreCase))
        {
            return NotAllowed("GDAL virtual file systems and inline datasets are not accepted; only local server paths.");
        }

        if (!Path.IsPathFullyQualified(path))
        {
            return NotAllowed("The path must be absolute.");
        }

        if (!string.Equals(Path.GetFullPath(path), path, StringComparison.Ordinal))
        {
            return NotAllowed("The path must be normalised (no '.', '..' or repeated separators).");
        }

        return null;
    }

    private static bool HasTiffSignature(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
        {
            return false;
        }

        return (head[0], head[1], head[2], head[3]) switch
        {
            ((byte)'I', (byte)'I', 42, 0) => true, // classic TIFF, little-endian
            ((byte)'M', (byte)'M', 0, 42) => true, // classic TIFF, big-endian
            ((byte)'I', (byte)'I', 43, 0) => true, // BigTIFF, little-endian
            ((byte)'M', (byte)'M', 0, 43) => true, // BigTIFF, big-endian
            _ => false,
        };
    }

    private static Result<RasterFacts> Check(GdalDataset ds, RasterLimits limits, long fileBytes, IReadOnlyList<string> warnings)
    {
        // ---- size limits (U4), from the header only ----
        if (ds.BandCount < 1)
        {
            return Failure.Invalid(GdalFailureCodes.NoBands, "The raster has no bands.");
        }

        if (ds.BandCount > limits.MaxBands)
        {
            return Failure.Invalid(GdalFailureCodes.TooManyBands, $"The raster has {ds.BandCount} bands; at most {limits.MaxBands} are accepted.");
        }

        var pixels = (long)ds.Width * ds.Height;
        if (ds.Width > limits.MaxWidth || ds.Height > limits.MaxHeight || pixels > limits.MaxPixels)
        {
            return Failure.Invalid(GdalFailureCodes.DimensionsTooLarge,
                $"The raster is {ds.Width} x {ds.Height} px; the limits are {limits.MaxWidth} x {limits.MaxHeight} and {limits.MaxPixels} px in all.");
        }

        var types = new GdalDataType[ds.BandCount];
        var noData = new double?[ds.BandCount];
        long bytesPerPixel = 0;
        for (var b = 1; b <= ds.BandCount; b++)
        {
            types[b - 1] = ds.BandDataType(b);
            noData[b - 1] = ds.NoData(b);
            bytesPerPixel += Math.Max(1, types[b - 1].SizeInBytes());
        }

        var rawBytes = pixels * bytesPerPixel;
        var ratio = (double)rawBytes / fileBytes;
        if (ratio > limits.MaxCompressionRatio)
        {
            return Failure.Invalid(GdalFailureCodes.ImplausibleSize,
                $"The header declares {rawBytes} bytes of pixels in a {fileBytes}-byte file ({ratio:0}:1); more than {limits.MaxCompressionRatio:0}:1 is not plausible.");
        }

        var (blockWidth, blockHeight) = ds.BlockSize(1);
        for (var b = 1; b <= ds.BandCount; b++)
        {
            var (bw, bh) = ds.BlockSize(b);
            // All bands of a pixel-interleaved block are decoded together: count them all.
            var blockBytes = (long)bw * bh * bytesPerPixel;
            if (bw <= 0 || bh <= 0 || blockBytes > limits.MaxBlockBytes)
            {
                return Failure.Invalid(GdalFailureCodes.BlockTooLarge,
                    $"Band {b} has {bw} x {bh} px blocks ({blockBytes} bytes decoded); at most {limits.MaxBlockBytes} bytes are accepted.");
            }
        }

        if (FindBlockPastEnd(ds, blockWidth, blockHeight, fileBytes) is { } past)
        {
            return Failure.Invalid(GdalFailureCodes.FileTruncated,
                $"The file is truncated: data of block {past.Block} ends at byte {past.End}, after the end of the {fileBytes}-byte file.",
                $"band {past.Band}, block {past.Block}");
        }

        // ---- georeferencing (U8) ----
        if (ds.GeoTransform is not { } gt)
        {
            return ds.GcpCount > 0
                ? Failure.Invalid(GdalFailureCodes.GcpsOnly, $"The raster has {ds.GcpCount} ground control points but no geotransform; rectify it first.")
                : Failure.Invalid(GdalFailureCodes.NotGeoreferenced, "The raster has no geotransform.");
        }

        if (!gt.IsFinite || gt.PixelSizeX == 0 || gt.PixelSizeY == 0)
        {
            return Failure.Invalid(GdalFailureCodes.NotGeoreferenced, $"The geotransform {gt} is degenerate.");
        }

        if (gt.IsRotated)
        {
            return Failure.Invalid(GdalFailureCodes.RotatedNotSupported, $"The geotransform {gt} is rotated; only north-up rasters are accepted.");
        }

        if (gt.PixelSizeY > 0)
        {
            return Failure.Invalid(GdalFailureCodes.SouthUpNotSupported, $"The geotransform {gt} is south-up (positive pixel height).");
        }

        if (gt.PixelSizeX < 0)
        {
            return Failure.Invalid(GdalFailureCodes.MirroredNotSupported, $"The geotransform {gt} runs east to west (negative pixel width).");
        }

        var aspect = gt.PixelWidth / gt.PixelHeight;
        if (Math.Abs(aspect - 1) > limits.MaxPixelAspectDeviation)
        {
            return Failure.Invalid(GdalFailureCodes.NonSquarePixels,
                $"Pixels are {gt.PixelWidth} x {gt.PixelHeight} CRS units; they must be square within {limits.MaxPixelAspectDeviation:P0}.");
        }

        // ---- CRS (U9; the footprint test is the caller's) ----
        if (ds.Crs is not { Wkt.Length: > 0 } crs)
        {
            return Failure.Invalid(GdalFailureCodes.CrsMissing, "The raster has no coordinate reference system.");
        }

        if (crs.Epsg is not { } epsg)
        {
            return Failure.Invalid(GdalFailureCodes.CrsUnsupported, "The raster's coordinate reference system has no EPSG code.");
        }

        if (!limits.AllowedEpsgCodes.Contains(epsg))
        {
            return Failure.Invalid(GdalFailureCodes.CrsUnsupported, $"EPSG:{epsg} is not a supported coordinate reference system.", $"EPSG:{epsg}");
        }

        var corners = new RasterCorners(
            ToPoint(gt.Apply(0, 0)), ToPoint(gt.Apply(ds.Width, 0)), ToPoint(gt.Apply(ds.Width, ds.Height)), ToPoint(gt.Apply(0, ds.Height)));
        var bounds = new CrsBounds(
            Math.Min(corners.UpperLeft.X, corners.LowerRight.X), Math.Min(corners.UpperLeft.Y, corners.LowerRight.Y),
            Math.Max(corners.UpperLeft.X, corners.LowerRight.X), Math.Max(corners.UpperLeft.Y, corners.LowerRight.Y));
        var (gsdX, gsdY) = GroundSampleDistance(gt, crs, epsg, (bounds.MinY + bounds.MaxY) / 2);

        return new RasterFacts(
            ds.Width, ds.Height, types, noData, gt, epsg, crs.Wkt, gsdX, gsdY, bounds, corners, blockWidth, blockHeight,
            ds.Compression, ds.OverviewCount(1), fileBytes, warnings);

        static CrsPoint ToPoint((double X, double Y) p) => new(p.X, p.Y);
    }

    /// <summary>
    /// First block whose bytes (TIFF offset + byte count, from the "TIFF" metadata domain) end past the end of the
    /// file: a cut upload. Only the IFD's offset arrays are read, no pixel data. Sparse (never written) blocks have
    /// offset 0 and are skipped. Pixel-interleaved files share blocks across bands, so band 1 suffices.
    /// </summary>
    private static (int Band, string Block, long End)? FindBlockPastEnd(GdalDataset ds, int blockWidth, int blockHeight, long fileBytes)
    {
        var separate = ds.BandCount > 1 &&
            string.Equals(ds.GetMetadataItem("INTERLEAVE", "IMAGE_STRUCTURE"), "BAND", StringComparison.OrdinalIgnoreCase);
        var blocksX = (ds.Width + blockWidth - 1) / blockWidth;
        var blocksY = (ds.Height + blockHeight - 1) / blockHeight;
        for (var band = 1; band <= (separate ? ds.BandCount : 1); band++)
        {
            // Last blocks first: files are written in block order, so a cut shows up at once.
            for (var by = blocksY - 1; by >= 0; by--)
            {
                for (var bx = blocksX - 1; bx >= 0; bx--)
                {
                    var offset = ParseLong(ds.GetBandMetadataItem(band, $"BLOCK_OFFSET_{bx}_{by}", "TIFF"));
                    if (offset <= 0)
                    {
                        continue;
                    }

                    var end = offset + Math.Max(0, ParseLong(ds.GetBandMetadataItem(band, $"BLOCK_SIZE_{bx}_{by}", "TIFF")));
                    if (end > fileBytes)
                    {
                        return (band, $"{bx},{by}", end);
                    }
                }
            }
        }

        return null;

        static long ParseLong(string? s) => long.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
    }

    /// <summary>
    /// Pixel size on the ground in metres at the raster centre. Geographic: degrees → metres with the ellipsoid's
    /// prime-vertical (east-west) and meridional (north-south) radii. Web Mercator: scale by cos φ. Other projected
    /// CRSs (Gauss-Krüger zones, scale ≤ 1.0005 within a 3° zone): pixel size × linear unit.
    /// </summary>
    internal static (double X, double Y) GroundSampleDistance(GeoTransform gt, GdalCrs crs, int epsg, double centreY)
    {
        if (crs.IsGeographic)
        {
            var a = crs.SemiMajorMetres > 0 ? crs.SemiMajorMetres : 6378137.0;
            var f = crs.InverseFlattening > 0 ? 1 / crs.InverseFlattening : 0;
            var e2 = f * (2 - f);
            var unit = double.IsFinite(crs.AngularUnitRadians) && crs.AngularUnitRadians > 0 ? crs.AngularUnitRadians : Math.PI / 180;
            var phi = centreY * unit;
            var sin2 = Math.Sin(phi) * Math.Sin(phi);
            var w = Math.Sqrt(1 - e2 * sin2);
            var primeVertical = a / w;
            var meridional = a * (1 - e2) / (w * w * w);
            return (gt.PixelWidth * unit * primeVertical * Math.Cos(phi), gt.PixelHeight * unit * meridional);
        }

        var metres = double.IsFinite(crs.LinearUnitMetres) && crs.LinearUnitMetres > 0 ? crs.LinearUnitMetres : 1;
        var scale = 1.0;
        if (epsg == 3857)
        {
            var latitude = Math.Atan(Math.Sinh(centreY * metres / 6378137.0));
            scale = Math.Cos(latitude);
        }

        return (gt.PixelWidth * metres * scale, gt.PixelHeight * metres * scale);
    }
}

/// <summary>An accepted upload, still open: its facts and the dataset to read pixels from. Dispose it.</summary>
public sealed class InspectedRaster : IDisposable
{
    internal InspectedRaster(GdalDataset dataset, RasterFacts facts)
    {
        Dataset = dataset;
        Facts = facts;
    }

    /// <summary>The open dataset (GTiff driver, no sidecars).</summary>
    public GdalDataset Dataset { get; }

    /// <summary>What the inspection found.</summary>
    public RasterFacts Facts { get; }

    /// <summary>Closes the dataset.</summary>
    public void Dispose() => Dataset.Dispose();
}
