using System.Globalization;
using Geo.Gdal;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.Surveys;

/// <summary>The GDAL part of one survey ingest: what to convert, where to, and the checks that apply.</summary>
/// <param name="SourcePath">The uploaded or given GeoTIFF (absolute path).</param>
/// <param name="OutputPath">Where the COG is written (a <c>.partial-*</c> name in the survey directory).</param>
/// <param name="ExpectedKind">When set, a raster of the other kind is rejected.</param>
/// <param name="JpegQuality">JPEG quality of orthophoto COGs.</param>
/// <param name="UncompressedTempShare">See <see cref="SurveyOptions.UncompressedTempShare"/>.</param>
/// <param name="FootprintMaskSize">See <see cref="SurveyOptions.FootprintMaskSize"/>.</param>
/// <param name="CityArea">The city's area (EPSG:4326 lon/lat); extents outside it are rejected.</param>
public sealed record ConversionJob(
    string SourcePath,
    string OutputPath,
    SurveyKind? ExpectedKind,
    int JpegQuality,
    double UncompressedTempShare,
    int FootprintMaskSize,
    LonLatBounds CityArea)
{
    /// <summary>The job for <paramref name="submission"/> under <paramref name="options"/>.</summary>
    public static ConversionJob For(SurveySubmission submission, string outputPath, SurveyOptions options) =>
        new(submission.SourcePath, outputPath, submission.ExpectedKind, options.JpegQuality, options.UncompressedTempShare,
            options.FootprintMaskSize, options.CityArea);
}

/// <summary>What a conversion found and made: the COG at the job's output path, and the facts the record needs.</summary>
/// <param name="Footprint">Outline of the valid pixels, EPSG:4490 (x = longitude).</param>
/// <param name="Bounds">The raster's extent in EPSG:4326 (lon/lat).</param>
/// <param name="ValueMin">DSM only: the lowest height (from a reduced read).</param>
public sealed record ConvertedRaster(
    SurveyKind Kind,
    int Width,
    int Height,
    int Epsg,
    double GsdMetres,
    LonLatBounds Bounds,
    Geometry Footprint,
    double? ValueMin,
    double? ValueMax);

/// <summary>
/// Runs a <see cref="ConversionJob"/>: in this process (<see cref="SurveyConversion.InProcess"/>, the CLI's choice: the
/// CLI is its own process already) or in a worker process (<see cref="WorkerProcessConverter"/>, the service's
/// choice: a decoder crash on a crafted file then ends the worker, not the service; SECURITY O3).
/// </summary>
public interface ISurveyConverter
{
    /// <summary>Converts; reports progress 0..1; cancelling stops the work and leaves the output to the caller to delete.</summary>
    Task<Result<ConvertedRaster>> ConvertAsync(ConversionJob job, IProgress<double>? progress, CancellationToken ct);
}

/// <summary>
/// The conversion itself, GDAL through the project's P/Invoke layer: checks the file with
/// <see cref="SurveyInspector"/> before any pixel is read (GTiff only, georeferenced, north-up, square pixels, sane
/// size, supported CRS), checks the band layout and that the extent lies in the city, converts to a Cloud-Optimized
/// GeoTIFF with overviews (orthophoto: JPEG in YCbCr, alpha as a mask; DSM: Float32, DEFLATE with the floating-point
/// predictor), and traces the valid-data footprint from the mask at a reduced size.
/// </summary>
public static class SurveyConversion
{
    /// <summary>CRSs the product transforms (Geo.Spatial's CoordinateConverter), the subset of the inspector's list accepted here.</summary>
    public static IReadOnlySet<int> SupportedEpsg { get; } = new HashSet<int> { 4326, 4490, 4547, 3857 };

    /// <summary>Converts in this process, on a thread-pool thread.</summary>
    public static ISurveyConverter InProcess { get; } = new InProcessConverter();

    private sealed class InProcessConverter : ISurveyConverter
    {
        public Task<Result<ConvertedRaster>> ConvertAsync(ConversionJob job, IProgress<double>? progress, CancellationToken ct) =>
            Task.Run(() => Run(job, progress, ct), ct);
    }

    /// <summary>Runs the job on the calling thread. Throws <see cref="OperationCanceledException"/> when cancelled.</summary>
    public static Result<ConvertedRaster> Run(ConversionJob job, IProgress<double>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        Result<InspectedRaster> opened;
        // Both cores decode the source (GeoTIFF multi-threaded decoding is set up at open) and compute the overviews
        // (read during the conversion): GDAL_NUM_THREADS on this thread only, for this call.
        using (GdalRuntime.ThreadConfig("GDAL_NUM_THREADS", "ALL_CPUS")) opened = SurveyInspector.Open(job.SourcePath, RasterLimits.Default);
        if (!opened.IsOk) return Result<ConvertedRaster>.Fail(opened.Failures);
        using var source = opened.Value;
        var facts = source.Facts;
        var kind = KindOf(facts, job.ExpectedKind);
        if (!kind.IsOk) return Result<ConvertedRaster>.Fail(kind.Failures);
        if (!SupportedEpsg.Contains(facts.Epsg))
        {
            return Failure.Invalid(SurveyFailureCodes.CrsNotSupported,
                $"EPSG:{facts.Epsg} is valid but not supported here; use EPSG:4547, 4490, 4326 or 3857.");
        }

        var crs = CrsId.Parse("EPSG:" + facts.Epsg.ToString(CultureInfo.InvariantCulture)).Value;
        var bounds = ExtentInCity(facts, crs, job.CityArea);
        if (!bounds.IsOk) return Result<ConvertedRaster>.Fail(bounds.Failures);
        ct.ThrowIfCancellationRequested();

        Result<GdalDataset> converted;
        var directory = Path.GetDirectoryName(Path.GetFullPath(job.OutputPath)) ?? ".";
        using (GdalRuntime.ThreadConfig("GDAL_NUM_THREADS", "ALL_CPUS"))
        using (GdalRuntime.ThreadConfig("COG_TMP_COMPRESSION", TempOverviewsFitUncompressed(facts, directory, job.UncompressedTempShare) ? "NONE" : null))
        {
            converted = GdalApps.Translate(source.Dataset, job.OutputPath, CogArguments(kind.Value, facts, job.JpegQuality),
                new GdalProgress(progress is null ? null : f => progress.Report(f * 0.95), ct));
        }

        if (!converted.IsOk)
        {
            return Failure.Invalid(SurveyFailureCodes.ConversionFailed, "Converting the survey failed: " + converted.Failure.Message);
        }

        converted.Value.Dispose(); // flushes and closes the COG
        ct.ThrowIfCancellationRequested();
        var footprint = ReadFootprint(job.OutputPath, crs, job.FootprintMaskSize, out var valueMin, out var valueMax);
        if (!footprint.IsOk) return Result<ConvertedRaster>.Fail(footprint.Failures);
        progress?.Report(1);
        return new ConvertedRaster(kind.Value, facts.Width, facts.Height, facts.Epsg, Math.Round(facts.GsdMetres, 6), bounds.Value,
            footprint.Value, valueMin, valueMax);
    }

    private static Result<SurveyKind> KindOf(RasterFacts facts, SurveyKind? expected)
    {
        SurveyKind? kind = facts switch
        {
            { BandCount: 3 or 4 } when facts.BandTypes.All(static t => t == GdalDataType.Byte) => SurveyKind.Ortho,
            { BandCount: 1 } when facts.BandTypes[0] is not (GdalDataType.Unknown or >= GdalDataType.CInt16 and <= GdalDataType.CFloat64) => SurveyKind.Dsm,
            _ => null,
        };
        if (kind is null)
        {
            return Failure.Invalid(SurveyFailureCodes.BandLayoutUnsupported,
                $"A survey is an orthophoto (3 Byte bands RGB, or 4 with alpha) or a DSM (1 band of heights); this raster has {facts.BandCount} bands of {string.Join(", ", facts.BandTypes.Distinct())}.");
        }

        if (expected is { } e && e != kind)
        {
            return Failure.Invalid(SurveyFailureCodes.BandLayoutUnsupported,
                $"Expected {(e == SurveyKind.Ortho ? "an orthophoto (3 or 4 Byte bands)" : "a DSM (1 band)")}, got {facts.BandCount} band(s).");
        }

        return kind.Value;
    }

    private static Result<LonLatBounds> ExtentInCity(RasterFacts facts, CrsId crs, LonLatBounds city)
    {
        var c = facts.Corners;
        Span<double> xs = [c.UpperLeft.X, c.UpperRight.X, c.LowerRight.X, c.LowerLeft.X];
        Span<double> ys = [c.UpperLeft.Y, c.UpperRight.Y, c.LowerRight.Y, c.LowerLeft.Y];
        for (var i = 0; i < 4; i++)
        {
            if (!CoordinateConverter.IsInRange(crs, xs[i], ys[i]))
            {
                return Failure.Invalid(SurveyFailureCodes.OutsideCity, $"The raster's corners are outside the valid range of {crs}.");
            }
        }

        CoordinateConverter.Convert(crs, CrsId.Wgs84, xs, ys);
        var box = new LonLatBounds(Min(xs), Min(ys), Max(xs), Max(ys));
        if (!city.Contains(box))
        {
            return Failure.Invalid(SurveyFailureCodes.OutsideCity,
                $"The survey extent {box} (EPSG:4326, lon/lat) is not inside the city's area {city}. Check the CRS and the axis order.");
        }

        return box;

        static double Min(Span<double> v) { var m = v[0]; foreach (var d in v) m = Math.Min(m, d); return m; }
        static double Max(Span<double> v) { var m = v[0]; foreach (var d in v) m = Math.Max(m, d); return m; }
    }

    /// <summary>Whether the COG driver's temporary overviews fit uncompressed (see <see cref="SurveyOptions.UncompressedTempShare"/>).</summary>
    private static bool TempOverviewsFitUncompressed(RasterFacts facts, string directory, double share)
    {
        if (share <= 0) return false;
        // Overviews of every band (Float32 for a DSM, bytes otherwise) and of the mask: a third of the raster each.
        var bytesPerPixel = facts.BandCount == 1 ? 4 : 3 + 1;
        var overviewBytes = (double)facts.Width * facts.Height * bytesPerPixel / 3;
        try
        {
            return overviewBytes <= new DriveInfo(directory).AvailableFreeSpace * share;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private static List<string> CogArguments(SurveyKind kind, RasterFacts facts, int jpegQuality)
    {
        var args = new List<string> { "-of", "COG", "-co", "BLOCKSIZE=512", "-co", "NUM_THREADS=ALL_CPUS", "-co", "BIGTIFF=IF_SAFER" };
        if (kind == SurveyKind.Ortho)
        {
            args.AddRange(["-b", "1", "-b", "2", "-b", "3"]);
            if (facts.BandCount == 4) args.AddRange(["-mask", "4"]);
            args.AddRange(["-co", "COMPRESS=JPEG", "-co", "QUALITY=" + jpegQuality.ToString(CultureInfo.InvariantCulture),
                "-co", "OVERVIEW_RESAMPLING=AVERAGE"]);
        }
        else
        {
            args.AddRange(["-ot", "Float32", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=YES", "-co", "OVERVIEW_RESAMPLING=AVERAGE"]);
        }

        return args;
    }

    private static Result<Geometry> ReadFootprint(string cogPath, CrsId crs, int maskSize, out double? valueMin, out double? valueMax)
    {
        valueMin = valueMax = null;
        var opened = GdalDataset.Open(cogPath);
        if (!opened.IsOk) return Result<Geometry>.Fail(opened.Failures);
        using var cog = opened.Value;
        var scale = Math.Min(1.0, maskSize / (double)Math.Max(cog.Width, cog.Height));
        var w = Math.Max(1, (int)Math.Round(cog.Width * scale));
        var h = Math.Max(1, (int)Math.Round(cog.Height * scale));
        var size = new[] { "-outsize", w.ToString(CultureInfo.InvariantCulture), h.ToString(CultureInfo.InvariantCulture) };
        var maskRead = GdalApps.Translate(cog, "", ["-of", "MEM", "-b", "mask", .. size]);
        if (!maskRead.IsOk) return Result<Geometry>.Fail(maskRead.Failures);
        var mask = new byte[w * h];
        GeoTransform maskTransform;
        using (var m = maskRead.Value)
        {
            var read = m.ReadBlock(1, 0, 0, w, h, mask);
            if (!read.IsOk) return Result<Geometry>.Fail(read.Failures);
            maskTransform = m.GeoTransform ?? throw new InvalidOperationException("The reduced mask lost its geotransform.");
        }

        if (cog.BandCount == 1)
        {
            var valuesRead = GdalApps.Translate(cog, "", ["-of", "MEM", "-b", "1", .. size]);
            if (!valuesRead.IsOk) return Result<Geometry>.Fail(valuesRead.Failures);
            using var v = valuesRead.Value;
            var values = new float[w * h];
            var read = v.ReadBlock(1, 0, 0, w, h, values);
            if (!read.IsOk) return Result<Geometry>.Fail(read.Failures);
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (var i = 0; i < values.Length; i++)
            {
                if (mask[i] == 0 || !float.IsFinite(values[i])) continue;
                lo = Math.Min(lo, values[i]);
                hi = Math.Max(hi, values[i]);
            }

            if (lo <= hi)
            {
                valueMin = Math.Round(lo, 3);
                valueMax = Math.Round(hi, 3);
            }
        }

        var footprint = FootprintTracer.Trace(mask, w, h, maskTransform, crs);
        if (footprint.IsEmpty)
        {
            return Failure.Invalid(SurveyFailureCodes.NoValidData, "The raster holds no valid pixel (everything is masked or nodata).");
        }

        return footprint;
    }
}
