using System.Globalization;
using System.Security.Cryptography;
using Geo.Gdal;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.Surveys;

/// <summary>What the user asks to register.</summary>
/// <param name="SourcePath">Absolute, normalised server path of the GeoTIFF (an upload's own directory, or a CLI file).</param>
/// <param name="Name">Display name.</param>
/// <param name="FlightDate">Day of the flight.</param>
/// <param name="ExpectedKind">When set, a raster of the other kind is rejected (<c>band_layout_unsupported</c>).</param>
/// <param name="PairedDsmId">For an ortho: the stored DSM flown with it.</param>
/// <param name="SourceName">The client's file name, metadata only.</param>
public sealed record SurveySubmission(
    string SourcePath,
    string Name,
    DateOnly FlightDate,
    SurveyKind? ExpectedKind = null,
    SurveyId? PairedDsmId = null,
    string? SourceName = null);

/// <summary>
/// Registers a survey: checks the file with <see cref="SurveyInspector"/> before any pixel is read (GTiff only,
/// georeferenced, north-up, square pixels, sane size, supported CRS) and that its extent lies inside the city, hashes
/// it (SHA-256: the same file twice is recognised, <c>survey_exists</c>), converts it to a Cloud-Optimized GeoTIFF
/// with overviews through GDAL in process (orthophoto: JPEG in YCbCr, alpha as a mask; DSM: Float32, DEFLATE with
/// the floating-point predictor), traces the valid-data footprint from the mask at an overview, and stores the record.
/// <para>Crash safety: the COG is written as <c>.partial-{id}.tif</c>, renamed into place, then the record is
/// committed in one transaction. A survey is visible only through its record, so a kill at any point leaves no half
/// survey; <see cref="SurveyFiles.Sweep"/> removes the leftovers (partials, orphans) at the next start.</para>
/// <para>Progress: 0-0.9 conversion (GDAL's own callback; the SHA-256 runs beside it on another core), then footprint and store.</para>
/// </summary>
public sealed class SurveyIngest(ISurveyStore store, SurveyOptions options)
{
    /// <summary>CRSs the product transforms (Geo.Spatial's CoordinateConverter), the subset of the inspector's list accepted here.</summary>
    public static IReadOnlySet<int> SupportedEpsg { get; } = new HashSet<int> { 4326, 4490, 4547, 3857 };

    /// <summary>The options in force.</summary>
    public SurveyOptions Options => options;

    /// <summary>Full path of the data directory.</summary>
    public string DataDirectory => Path.GetFullPath(options.DataDirectory);

    /// <summary>
    /// Registers an orthophoto and, when <paramref name="dsmPath"/> is given, its DSM first (progress 0-0.4 for the
    /// DSM). All or nothing: when the ortho fails, a DSM registered by this call is removed again. A DSM that was
    /// already registered (same SHA-256) is reused.
    /// </summary>
    public async Task<Result<Survey>> IngestPairAsync(SurveySubmission ortho, string? dsmPath, IProgress<double>? progress = null,
        CancellationToken ct = default)
    {
        if (dsmPath is null)
        {
            return await IngestAsync(ortho with { ExpectedKind = SurveyKind.Ortho }, progress, ct).ConfigureAwait(false);
        }

        var dsm = await IngestAsync(new SurveySubmission(dsmPath, ortho.Name + " DSM", ortho.FlightDate, SurveyKind.Dsm, null,
            Path.GetFileName(dsmPath)), Scaled(progress, 0, 0.4), ct).ConfigureAwait(false);
        var created = dsm.IsOk;
        SurveyId dsmId;
        if (dsm.IsOk) dsmId = dsm.Value.Id;
        else if (dsm.Failure.Code == SurveyFailureCodes.SurveyExists && dsm.Failure.Extensions?["surveyId"] is string existing)
            dsmId = SurveyId.Parse(existing).Value;
        else return dsm;

        var result = await IngestAsync(ortho with { ExpectedKind = SurveyKind.Ortho, PairedDsmId = dsmId }, Scaled(progress, 0.4, 1), ct)
            .ConfigureAwait(false);
        if (!result.IsOk && created)
        {
            await RemoveAsync(dsmId, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Registers one raster. See the class remarks.</summary>
    public async Task<Result<Survey>> IngestAsync(SurveySubmission submission, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var name = submission.Name.Trim();
        if (name.Length is 0 or > 200 || name.Any(char.IsControl))
        {
            return Failure.BadRequest(SurveyFailureCodes.NameInvalid, "The survey name is required: 1-200 characters without control characters.");
        }

        var limits = RasterLimits.Default;
        InspectedRaster inspected;
        {
            // Both cores decode the source (GeoTIFF multi-threaded decoding is set up at open) and compute the
            // overviews (read during the conversion): GDAL_NUM_THREADS on this thread only, for this call.
            Result<InspectedRaster> opened;
            using (GdalRuntime.ThreadConfig("GDAL_NUM_THREADS", "ALL_CPUS")) opened = SurveyInspector.Open(submission.SourcePath, limits);
            if (!opened.IsOk) return Result<Survey>.Fail(opened.Failures);
            inspected = opened.Value;
        }

        using var source = inspected;
        RasterFacts facts;
        SurveyKind kind;
        CrsId crs;
        LonLatBounds bounds;
        {
            facts = inspected.Facts;
            var checkedKind = KindOf(facts, submission.ExpectedKind);
            if (!checkedKind.IsOk) return Result<Survey>.Fail(checkedKind.Failures);
            kind = checkedKind.Value;
            if (!SupportedEpsg.Contains(facts.Epsg))
            {
                return Failure.Invalid(SurveyFailureCodes.CrsNotSupported,
                    $"EPSG:{facts.Epsg} is valid but not supported here; use EPSG:4547, 4490, 4326 or 3857.");
            }

            crs = CrsId.Parse("EPSG:" + facts.Epsg.ToString(CultureInfo.InvariantCulture)).Value;
            var inCity = ExtentInCity(facts, crs, options.CityArea);
            if (!inCity.IsOk) return Result<Survey>.Fail(inCity.Failures);
            bounds = inCity.Value;
        }

        if (submission.PairedDsmId is { } dsmId && await store.GetAsync(dsmId, ct).ConfigureAwait(false) is not { Kind: SurveyKind.Dsm })
        {
            return Failure.Invalid(SurveyFailureCodes.PairedDsmMissing, $"No DSM survey {dsmId} is stored.");
        }

        var directory = DataDirectory;
        Directory.CreateDirectory(directory);
        var id = SurveyId.New();
        var partial = Path.Combine(directory, SurveyFiles.PartialPrefix + id.Value + ".tif");
        var final = Path.Combine(directory, id.Value + ".tif");
        var committed = false;
        // The SHA-256 pass runs on another core while GDAL converts (the file is read twice, but at the same time and
        // mostly from the page cache); a duplicate found by it cancels the conversion.
        using var duplicateFound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashing = Task.Run(async () =>
        {
            var digest = await Sha256Async(submission.SourcePath, null, ct).ConfigureAwait(false);
            var existing = await store.FindBySha256Async(digest, kind, ct).ConfigureAwait(false);
            if (existing is not null) await duplicateFound.CancelAsync().ConfigureAwait(false);
            return (digest, existing);
        }, ct);
        string sha;
        try
        {
            {
                Result<GdalDataset>? attempt = null;
                try
                {
                    using (GdalRuntime.ThreadConfig("GDAL_NUM_THREADS", "ALL_CPUS"))
                    using (GdalRuntime.ThreadConfig("COG_TMP_COMPRESSION", TempOverviewsFitUncompressed(facts, directory) ? "NONE" : null))
                    {
                        attempt = GdalApps.Translate(source.Dataset, partial, CogArguments(kind, facts),
                            new GdalProgress(Scaled(progress, 0, 0.9) is { } p ? f => p.Report(f) : null, duplicateFound.Token));
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested && duplicateFound.IsCancellationRequested)
                {
                    // the hash found a duplicate: answered below
                }

                var (digest, existing) = await hashing.ConfigureAwait(false);
                if (existing is not null)
                {
                    if (attempt is { IsOk: true } done) done.Value.Dispose();
                    return Exists(existing);
                }

                sha = digest;
                var converted = attempt ?? throw new InvalidOperationException("The conversion was cancelled without a duplicate.");
                if (!converted.IsOk)
                {
                    return Failure.Invalid(SurveyFailureCodes.ConversionFailed, "Converting the survey failed: " + converted.Failure.Message);
                }

                converted.Value.Dispose(); // flushes and closes the COG
            }

            ct.ThrowIfCancellationRequested();
            var footprint = ReadFootprint(partial, crs, out var valueMin, out var valueMax);
            if (!footprint.IsOk) return Result<Survey>.Fail(footprint.Failures);
            progress?.Report(0.97);

            File.Move(partial, final);
            var survey = new Survey(id, name, submission.FlightDate, kind, kind == SurveyKind.Ortho ? submission.PairedDsmId : null, bounds,
                Math.Round(facts.GsdMetres, 6), facts.Width, facts.Height, facts.Epsg, sha, DateTimeOffset.UtcNow,
                Clean(submission.SourceName), new FileInfo(final).Length, valueMin, valueMax, footprint.Value);
            var stored = await store.AddAsync(survey, CancellationToken.None).ConfigureAwait(false);
            if (!stored.IsOk) return stored;
            committed = true;
            progress?.Report(1);
            return stored.Value;
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            return new Failure(SurveyFailureCodes.DiskFull, "The survey disk is full; nothing was stored.", FailureKind.Unavailable);
        }
        finally
        {
            if (!committed)
            {
                SurveyFiles.DeletePartial(partial);
                SurveyFiles.TryDelete(final);
            }
        }
    }

    /// <summary>Deletes a survey's record and then its COG.</summary>
    public async Task<Result<bool>> RemoveAsync(SurveyId id, CancellationToken ct = default)
    {
        var deleted = await store.DeleteAsync(id, ct).ConfigureAwait(false);
        if (deleted.IsOk && deleted.Value) SurveyFiles.TryDelete(Path.Combine(DataDirectory, id.Value + ".tif"));
        return deleted;
    }

    /// <summary>The COG path of a stored survey.</summary>
    public string PathOf(Survey survey) => Path.Combine(DataDirectory, survey.FileName);

    internal static Failure Exists(Survey existing) => new(SurveyFailureCodes.SurveyExists,
        $"This file is already registered as survey {existing.Id} ({existing.Name}).", FailureKind.Conflict, null,
        new Dictionary<string, object?> { ["surveyId"] = existing.Id.Value });

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
    private bool TempOverviewsFitUncompressed(RasterFacts facts, string directory)
    {
        if (options.UncompressedTempShare <= 0) return false;
        // Overviews of every band (Float32 for a DSM, bytes otherwise) and of the mask: a third of the raster each.
        var bytesPerPixel = facts.BandCount == 1 ? 4 : 3 + 1;
        var overviewBytes = (double)facts.Width * facts.Height * bytesPerPixel / 3;
        try
        {
            return overviewBytes <= new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace * options.UncompressedTempShare;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private List<string> CogArguments(SurveyKind kind, RasterFacts facts)
    {
        var args = new List<string> { "-of", "COG", "-co", "BLOCKSIZE=512", "-co", "NUM_THREADS=ALL_CPUS", "-co", "BIGTIFF=IF_SAFER" };
        if (kind == SurveyKind.Ortho)
        {
            args.AddRange(["-b", "1", "-b", "2", "-b", "3"]);
            if (facts.BandCount == 4) args.AddRange(["-mask", "4"]);
            args.AddRange(["-co", "COMPRESS=JPEG", "-co", "QUALITY=" + options.JpegQuality.ToString(CultureInfo.InvariantCulture),
                "-co", "OVERVIEW_RESAMPLING=AVERAGE"]);
        }
        else
        {
            args.AddRange(["-ot", "Float32", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=YES", "-co", "OVERVIEW_RESAMPLING=AVERAGE"]);
        }

        return args;
    }

    private Result<Geometry> ReadFootprint(string cogPath, CrsId crs, out double? valueMin, out double? valueMax)
    {
        valueMin = valueMax = null;
        var opened = GdalDataset.Open(cogPath);
        if (!opened.IsOk) return Result<Geometry>.Fail(opened.Failures);
        using var cog = opened.Value;
        var scale = Math.Min(1.0, options.FootprintMaskSize / (double)Math.Max(cog.Width, cog.Height));
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

    private static async Task<string> Sha256Async(string path, IProgress<double>? progress, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var buffer = new byte[1 << 20];
        long done = 0;
        var length = Math.Max(1, stream.Length);
        int n;
        while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            done += n;
            progress?.Report((double)done / length);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static IProgress<double>? Scaled(IProgress<double>? p, double from, double to) =>
        p is null ? null : new ScaledProgress(p, from, to);

    private static string? Clean(string? sourceName)
    {
        if (string.IsNullOrWhiteSpace(sourceName)) return null;
        var cleaned = new string(sourceName.Where(static c => !char.IsControl(c) && c is not ('\u202E' or '\u202D' or '\u2066' or '\u2067' or '\u2068')).ToArray());
        return cleaned.Length > 200 ? cleaned[..200] : cleaned;
    }

    private static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private sealed class ScaledProgress(IProgress<double> inner, double from, double to) : IProgress<double>
    {
        public void Report(double value) => inner.Report(from + (to - from) * Math.Clamp(value, 0, 1));
    }
}
