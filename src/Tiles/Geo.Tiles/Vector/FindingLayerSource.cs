using NetTopologySuite.Geometries;

namespace Geo.Tiles.Vector;

/// <summary>
/// One change-detection finding as the tiles need it: an id, its kind (new building, rooftop addition, enclosure,
/// demolition, ...), its review status, a confidence 0..1, the two surveys compared, and its footprint polygon in
/// degrees (x = longitude, y = latitude, EPSG:4490).
/// </summary>
public sealed record FindingTileRecord(string Id, string Kind, string Status, double Confidence, string? BeforeSurvey, string? AfterSurvey,
    Geometry Footprint);

/// <summary>The minimal contract change detection offers to the tiles: all findings at one revision.</summary>
public interface IFindingTileFeed
{
    ValueTask<long> GetRevisionAsync(CancellationToken ct = default);

    ValueTask<IReadOnlyList<FindingTileRecord>> GetFindingsAsync(CancellationToken ct = default);
}

/// <summary>A feed with no findings, until change detection is wired in.</summary>
public sealed class EmptyFindingFeed : IFindingTileFeed
{
    public ValueTask<long> GetRevisionAsync(CancellationToken ct = default) => ValueTask.FromResult(0L);

    public ValueTask<IReadOnlyList<FindingTileRecord>> GetFindingsAsync(CancellationToken ct = default) =>
        ValueTask.FromResult<IReadOnlyList<FindingTileRecord>>([]);
}

/// <summary>The <c>findings</c> tile layer: one polygon per finding with <c>id</c>, <c>kind</c>, <c>status</c>,
/// <c>confidence</c>, <c>before</c> and <c>after</c> (survey ids). Findings are few and small: no thinning, geometry
/// simplified per zoom by the encoder.</summary>
public sealed class FindingLayerSource(IFindingTileFeed feed) : IVectorLayerSource
{
    public const string LayerName = "findings";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private GeometryLayerData? _data;

    public string Name => LayerName;
    public string Title => "变化发现 Change findings";
    public int MinZoom => 10;
    public int MaxZoom => 18;

    public IReadOnlyList<VectorLayerSchema> Layers { get; } =
    [
        new(LayerName, "无人机影像变化发现 Changes found between two drone surveys", new Dictionary<string, VectorFieldType>
        {
            ["id"] = VectorFieldType.String, ["kind"] = VectorFieldType.String, ["status"] = VectorFieldType.String,
            ["confidence"] = VectorFieldType.Number, ["before"] = VectorFieldType.String, ["after"] = VectorFieldType.String,
        }),
    ];

    public async ValueTask<IVectorLayerData> GetDataAsync(CancellationToken ct = default)
    {
        var revision = await feed.GetRevisionAsync(ct);
        if (_data is { } d && d.Revision == revision) return d;
        await _lock.WaitAsync(ct);
        try
        {
            revision = await feed.GetRevisionAsync(ct);
            if (_data is { } again && again.Revision == revision) return again;
            var records = await feed.GetFindingsAsync(ct);
            var features = records.Select(static r => new VectorFeature(r.Footprint,
            [
                new("id", r.Id), new("kind", r.Kind), new("status", r.Status), new("confidence", Math.Round(r.Confidence, 3)),
                new("before", r.BeforeSurvey), new("after", r.AfterSurvey),
            ])).ToList();
            _data = new GeometryLayerData(revision, new Dictionary<string, IReadOnlyList<VectorFeature>> { [LayerName] = features });
            return _data;
        }
        finally
        {
            _lock.Release();
        }
    }
}
