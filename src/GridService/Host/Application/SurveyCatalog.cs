using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;
using Geo.Surveys;
using Geo.Tiles;
using Geo.Tiles.Raster;

namespace Geo.GridService.Host.Application;

/// <summary>
/// Surveys as the service sees them: the store, ingest, the job queue, and the raster tiles of each survey with a
/// bounded cache of encoded tiles. Shared by the HTTP API and the CLI.
/// </summary>
public sealed class SurveyCatalog : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<RasterTileSource>> _sources = new(StringComparer.Ordinal);

    public SurveyCatalog(ISurveyStore store, SurveyOptions options, long tileCacheBytes, RenderGate? renderGate = null,
        ISurveyConverter? converter = null)
    {
        Store = store;
        Ingest = new SurveyIngest(store, options, converter);
        Tiles = new TileCache(tileCacheBytes);
        RenderGate = renderGate ?? new RenderGate(2 * Environment.ProcessorCount, 64, TimeSpan.FromSeconds(2));
    }

    /// <summary>Bounds the renders running at once (cache hits do not pass it).</summary>
    public RenderGate RenderGate { get; }

    public ISurveyStore Store { get; }

    public SurveyIngest Ingest { get; }

    public SurveyJobs Jobs { get; } = new();

    public TileCache Tiles { get; }

    /// <summary>The tile source of a survey (opened lazily, kept for the life of the service).</summary>
    public RasterTileSource SourceOf(Survey survey) => _sources.GetOrAdd(survey.Id.Value, _ => new Lazy<RasterTileSource>(() =>
        new RasterTileSource(Ingest.PathOf(survey), StyleOf(survey),
            new Box(survey.BoundsLonLat.West, survey.BoundsLonLat.South, survey.BoundsLonLat.East, survey.BoundsLonLat.North)))).Value;

    public static RasterStyle StyleOf(Survey s) => s.Kind == SurveyKind.Dsm
        ? new RasterStyle.HeightRamp(s.ValueMin ?? 0, s.ValueMax ?? 1)
        : RasterStyle.Photo;

    /// <summary>Strong validator of a tile: the survey's content hash and the tile address (a survey never changes under its id).</summary>
    public static string ETagOf(Survey s, TileId t, int scale, TileFormat f) =>
        $"\"{s.Sha256[..16]}-{t.Z}-{t.X}-{t.Y}-{scale}-{f.ToString().ToLowerInvariant()}\"";

    /// <summary>
    /// An encoded tile (null = nothing of the survey there), from the cache or rendered through <see cref="RenderGate"/>.
    /// Failure <c>tile_render_busy</c> (Unavailable, 503 + Retry-After) when the gate is full.
    /// </summary>
    public async ValueTask<Result<byte[]?>> TileAsync(Survey survey, TileId tile, int scale, TileFormat format, CancellationToken ct = default)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{survey.Id.Value}/{tile.Z}/{tile.X}/{tile.Y}@{scale}.{format}");
        if (Tiles.TryGet(key, out var cached)) return cached.Length == 0 ? null : cached;
        using var slot = await RenderGate.EnterAsync(ct).ConfigureAwait(false);
        if (slot is null)
        {
            return new Failure(TileRenderBusy, "Too many tiles are being rendered; retry after the time in Retry-After.", FailureKind.Unavailable);
        }

        if (Tiles.TryGet(key, out cached)) return cached.Length == 0 ? null : cached; // rendered while this one waited
        var rendered = SourceOf(survey).Render(tile, scale, format);
        if (rendered.IsOk) Tiles.Set(key, rendered.Value ?? []);
        return rendered;
    }

    /// <summary>The failure code of a refused render.</summary>
    public const string TileRenderBusy = "tile_render_busy";

    /// <summary>Ingests a generated pair (manifest.json of <c>./geo surveys generate</c>) when no survey is stored.</summary>
    public async Task<Result<int>> LoadSamplesIfEmptyAsync(string directory, CancellationToken ct)
    {
        if ((await Store.ListAsync(ct)).Count > 0) return 0;
        var manifestPath = Path.Combine(directory, "manifest.json");
        if (!File.Exists(manifestPath)) return Failure.NotFound("survey_samples_missing", $"No manifest.json in {directory}.");
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath, ct));
        var loaded = 0;
        foreach (var epoch in new[] { "epoch1", "epoch2" })
        {
            var e = manifest.RootElement.GetProperty(epoch);
            var date = DateOnly.ParseExact(e.GetProperty("flightDate").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var name = $"样例航测 synthetic survey {epoch[^1]} ({date:yyyy-MM-dd})";
            var ortho = Path.GetFullPath(Path.Combine(directory, e.GetProperty("ortho").GetString()!));
            var dsm = Path.GetFullPath(Path.Combine(directory, e.GetProperty("dsm").GetString()!));
            var r = await Ingest.IngestPairAsync(new SurveySubmission(ortho, name, date, SourceName: Path.GetFileName(ortho)), dsm, null, ct);
            if (!r.IsOk) return Result<int>.Fail(r.Failures);
            loaded++;
        }

        return loaded;
    }

    public void Dispose()
    {
        RenderGate.Dispose();
        foreach (var s in _sources.Values)
        {
            if (s.IsValueCreated) s.Value.Dispose();
        }
    }
}
