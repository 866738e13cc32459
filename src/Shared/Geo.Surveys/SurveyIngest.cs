using System.Security.Cryptography;
using Geo.Spatial.Failures;

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
/// Registers a survey: the <see cref="ISurveyConverter"/> checks the file before any pixel is read, converts it to a
/// Cloud-Optimized GeoTIFF with overviews and traces its footprint (<see cref="SurveyConversion"/>: in this process, or
/// in a worker process so that a decoder crash cannot end the service); meanwhile this class hashes the file
/// (SHA-256: the same file twice is recognised, <c>survey_exists</c>, and the conversion is stopped), then stores the
/// record.
/// <para>Crash safety: the COG is written as <c>.partial-{id}.tif</c>, renamed into place, then the record is
/// committed in one transaction. A survey is visible only through its record, so a kill at any point leaves no half
/// survey; <see cref="SurveyFiles.Sweep"/> removes the leftovers (partials, orphans) at the next start.</para>
/// <para>Progress: 0-0.95 conversion (GDAL's own callback; the SHA-256 runs beside it on another core), then footprint and store.</para>
/// </summary>
public sealed class SurveyIngest(ISurveyStore store, SurveyOptions options, ISurveyConverter? converter = null)
{
    private readonly ISurveyConverter _converter = converter ?? SurveyConversion.InProcess;

    /// <summary>CRSs the product transforms (Geo.Spatial's CoordinateConverter), the subset of the inspector's list accepted here.</summary>
    public static IReadOnlySet<int> SupportedEpsg => SurveyConversion.SupportedEpsg;

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
        // The SHA-256 pass runs on another core while the conversion runs (the file is read twice, but at the same time
        // and mostly from the page cache); a duplicate found by it stops the conversion.
        using var stopConversion = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopHashing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashing = Task.Run(async () =>
        {
            var digest = await Sha256Async(submission.SourcePath, null, stopHashing.Token).ConfigureAwait(false);
            // A file's band layout decides its kind, so the same bytes are stored under one kind at most.
            var existing = submission.ExpectedKind is { } kind
                ? await store.FindBySha256Async(digest, kind, stopHashing.Token).ConfigureAwait(false)
                : await store.FindBySha256Async(digest, SurveyKind.Ortho, stopHashing.Token).ConfigureAwait(false)
                  ?? await store.FindBySha256Async(digest, SurveyKind.Dsm, stopHashing.Token).ConfigureAwait(false);
            if (existing is not null) await stopConversion.CancelAsync().ConfigureAwait(false);
            return (digest, existing);
        }, stopHashing.Token);
        try
        {
            Result<ConvertedRaster>? converted = null;
            try
            {
                converted = await _converter.ConvertAsync(ConversionJob.For(submission, partial, options), Scaled(progress, 0, 0.95),
                    stopConversion.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && stopConversion.IsCancellationRequested)
            {
                // the hash found a duplicate: answered below
            }

            if (converted is { IsOk: false } failed)
            {
                // Not a survey: the file's own problem decides the answer, whatever the hash would say.
                await stopHashing.CancelAsync().ConfigureAwait(false);
                // The hash of a file that is not a survey does not matter, nor whether it could be read at all (a
                // relative or missing path fails both ways; the conversion's answer is the one with the reason).
                try { await hashing.ConfigureAwait(false); }
                catch (Exception e) when (e is OperationCanceledException or IOException or UnauthorizedAccessException) { }
                return Result<Survey>.Fail(failed.Failures);
            }

            var (digest, existing) = await hashing.ConfigureAwait(false);
            if (existing is not null) return Exists(existing);
            var done = converted ?? throw new InvalidOperationException("The conversion was cancelled without a duplicate.");

            ct.ThrowIfCancellationRequested();
            var r = done.Value;
            File.Move(partial, final);
            var survey = new Survey(id, name, submission.FlightDate, r.Kind, r.Kind == SurveyKind.Ortho ? submission.PairedDsmId : null, r.Bounds,
                r.GsdMetres, r.Width, r.Height, r.Epsg, digest, DateTimeOffset.UtcNow,
                Clean(submission.SourceName), new FileInfo(final).Length, r.ValueMin, r.ValueMax, r.Footprint);
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
                await stopHashing.CancelAsync().ConfigureAwait(false);
                try { await hashing.ConfigureAwait(false); }
                catch (Exception e) when (e is OperationCanceledException or IOException or UnauthorizedAccessException) { }
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
