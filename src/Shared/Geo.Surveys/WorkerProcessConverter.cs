using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Surveys;

/// <summary>How the service starts its conversion worker process and what the worker may use.</summary>
/// <param name="FileName">The executable (e.g. the <c>dotnet</c> host).</param>
/// <param name="Arguments">Its arguments up to and including the worker verb (e.g. <c>geo.dll surveys convert-worker</c>).</param>
/// <param name="AddressSpaceBytes">RLIMIT_AS of the worker (native decoders included): a crafted file that makes a
/// decoder allocate without bound fails there, not in the service. 0 = no limit.</param>
/// <param name="CpuSeconds">RLIMIT_CPU of the worker. 0 = no limit.</param>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments, long AddressSpaceBytes = 8L << 30, int CpuSeconds = 0)
{
    /// <summary>The limits applied through util-linux <c>prlimit</c> when it is installed (Debian: always, util-linux is essential).</summary>
    internal ProcessStartInfo StartInfo()
    {
        var prlimit = File.Exists("/usr/bin/prlimit") ? "/usr/bin/prlimit" : null;
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (prlimit is not null)
        {
            info.FileName = prlimit;
            info.ArgumentList.Add("--core=0");
            if (AddressSpaceBytes > 0) info.ArgumentList.Add("--as=" + AddressSpaceBytes.ToString(CultureInfo.InvariantCulture));
            if (CpuSeconds > 0) info.ArgumentList.Add("--cpu=" + CpuSeconds.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(FileName);
        }
        else
        {
            info.FileName = FileName;
        }

        foreach (var a in Arguments) info.ArgumentList.Add(a);
        // The managed heap of the worker stays small (its work is native); a hard limit also keeps the GC's address
        // space reservation within RLIMIT_AS. GDAL's block cache is bounded too.
        info.Environment["DOTNET_GCHeapHardLimit"] = "0x20000000";
        info.Environment["GDAL_CACHEMAX"] = "512";
        return info;
    }
}

/// <summary>
/// Runs conversions in a child process (SECURITY O3): the job goes to the worker's stdin as one JSON line; the worker
/// answers with <c>progress F</c> lines and one <c>result {json}</c> line on stdout (<see cref="SurveyConversionWorker"/>).
/// A worker that ends without a result (a native crash, a resource limit, a kill) is a <c>conversion_crashed</c>
/// failure of that one survey; the service keeps running. Cancelling kills the worker.
/// </summary>
public sealed class WorkerProcessConverter(WorkerCommand command) : ISurveyConverter
{
    /// <summary>Last lines of the worker's stderr kept for the failure message.</summary>
    private const int StderrLines = 5;

    public async Task<Result<ConvertedRaster>> ConvertAsync(ConversionJob job, IProgress<double>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var process = new Process { StartInfo = command.StartInfo() };
        process.Start();
        var stderr = new Queue<string>();
        var readingErrors = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (stderr)
                {
                    stderr.Enqueue(line);
                    if (stderr.Count > StderrLines) stderr.Dequeue();
                }
            }
        }, CancellationToken.None);
        await using var killOnCancel = ct.Register(() =>
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { /* already gone */ }
        });
        WorkerResult? result = null;
        try
        {
            await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(WorkerJob.From(job), WorkerJson.Options)).ConfigureAwait(false);
            process.StandardInput.Close();
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("progress ", StringComparison.Ordinal) &&
                    double.TryParse(line.AsSpan(9), NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
                    progress?.Report(f);
                else if (line.StartsWith("result ", StringComparison.Ordinal))
                    result = JsonSerializer.Deserialize<WorkerResult>(line.AsSpan(7), WorkerJson.Options);
            }
        }
        catch (IOException)
        {
            // the worker died while we wrote or read: reported below
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await readingErrors.ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (result is not null) return result.ToResult();
        string tail;
        lock (stderr) tail = string.Join(" | ", stderr);
        return Failure.Invalid(SurveyFailureCodes.ConversionCrashed,
            $"The file could not be converted: the conversion process ended abnormally ({Describe(process.ExitCode)}); nothing was stored." +
            (tail.Length > 0 ? " Last messages: " + (tail.Length > 300 ? tail[..300] + "…" : tail) : ""));
    }

    private static string Describe(int exitCode) => exitCode > 128 && exitCode < 128 + 65
        ? $"signal {exitCode - 128}{(exitCode - 128) switch { 6 => " SIGABRT", 9 => " SIGKILL", 11 => " SIGSEGV", 24 => " SIGXCPU", _ => "" }}"
        : $"exit code {exitCode}";
}

/// <summary>The worker's side of <see cref="WorkerProcessConverter"/>.</summary>
public static class SurveyConversionWorker
{
    /// <summary>What the worker answers (and the CLI prints) when its input is not a job.</summary>
    public const string JobInvalidMessage =
        "The conversion worker reads one job as a JSON line on stdin (sourcePath, outputPath, cityArea [w, s, e, n], ...).";

    /// <summary>Reads one job from <paramref name="input"/>, converts it in this process, writes progress and the
    /// result to <paramref name="output"/>. Returns 0 when the job was run (its result says whether it succeeded), 2
    /// when the input is not a job (the result line then says so too).</summary>
    public static async Task<int> RunAsync(TextReader input, TextWriter output, CancellationToken ct)
    {
        var line = await input.ReadLineAsync(ct).ConfigureAwait(false);
        WorkerJob? job = null;
        try
        {
            if (line is not null) job = JsonSerializer.Deserialize<WorkerJob>(line, WorkerJson.Options);
        }
        catch (JsonException)
        {
            // answered below
        }

        if (job is not { SourcePath.Length: > 0, OutputPath.Length: > 0, CityArea.Length: 4 })
        {
            await output.WriteLineAsync("result " + JsonSerializer.Serialize(WorkerResult.From(
                Failure.BadRequest("worker_job_invalid", JobInvalidMessage)), WorkerJson.Options)).ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
            return 2;
        }

        var lastReported = -1.0;
        var progress = new InlineProgress(f =>
        {
            if (f - lastReported < 0.01 && f < 1) return;
            lastReported = f;
            lock (output) output.WriteLine("progress " + f.ToString("0.###", CultureInfo.InvariantCulture));
            output.Flush();
        });
        var result = SurveyConversion.Run(job.ToJob(), progress, ct);
        lock (output) output.WriteLine("result " + JsonSerializer.Serialize(WorkerResult.From(result), WorkerJson.Options));
        await output.FlushAsync(ct).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class InlineProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}

internal static class WorkerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

internal sealed record WorkerJob(string SourcePath, string OutputPath, SurveyKind? ExpectedKind, int JpegQuality, double UncompressedTempShare,
    int FootprintMaskSize, double[] CityArea)
{
    public static WorkerJob From(ConversionJob j) => new(j.SourcePath, j.OutputPath, j.ExpectedKind, j.JpegQuality, j.UncompressedTempShare,
        j.FootprintMaskSize, [j.CityArea.West, j.CityArea.South, j.CityArea.East, j.CityArea.North]);

    public ConversionJob ToJob() => new(SourcePath, OutputPath, ExpectedKind, JpegQuality, UncompressedTempShare, FootprintMaskSize,
        new LonLatBounds(CityArea[0], CityArea[1], CityArea[2], CityArea[3]));
}

internal sealed record WorkerFailure(string Code, string Message, FailureKind Kind, string? Location);

/// <summary>A conversion's answer on the wire; the footprint as WKB (EPSG:4490, x = longitude), base64.</summary>
internal sealed record WorkerResult(
    IReadOnlyList<WorkerFailure>? Failures,
    SurveyKind? Kind = null,
    int Width = 0,
    int Height = 0,
    int Epsg = 0,
    double GsdMetres = 0,
    double[]? Bounds = null,
    string? FootprintWkb = null,
    int FootprintSrid = 0,
    double? ValueMin = null,
    double? ValueMax = null)
{
    public static WorkerResult From(Result<ConvertedRaster> r) => r.IsOk
        ? new(null, r.Value.Kind, r.Value.Width, r.Value.Height, r.Value.Epsg, r.Value.GsdMetres,
            [r.Value.Bounds.West, r.Value.Bounds.South, r.Value.Bounds.East, r.Value.Bounds.North],
            Convert.ToBase64String(new WKBWriter().Write(r.Value.Footprint)), r.Value.Footprint.SRID, r.Value.ValueMin, r.Value.ValueMax)
        : new(r.Failures.Select(f => new WorkerFailure(f.Code, f.Message, f.Kind, f.Location)).ToList());

    public static WorkerResult From(Failure f) => new([new WorkerFailure(f.Code, f.Message, f.Kind, f.Location)]);

    public Result<ConvertedRaster> ToResult()
    {
        if (Failures is { Count: > 0 } failures)
            return Result<ConvertedRaster>.Fail(failures.Select(f => new Failure(f.Code, f.Message, f.Kind, f.Location)).ToList());
        var footprint = new WKBReader().Read(Convert.FromBase64String(FootprintWkb ?? ""));
        footprint.SRID = FootprintSrid;
        var b = Bounds ?? [0, 0, 0, 0];
        return new ConvertedRaster(Kind ?? SurveyKind.Ortho, Width, Height, Epsg, GsdMetres, new LonLatBounds(b[0], b[1], b[2], b[3]),
            footprint, ValueMin, ValueMax);
    }
}
