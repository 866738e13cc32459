using NetTopologySuite.Geometries;

namespace Geo.Tiles.Vector;

/// <summary>
/// One census component as the tiles need it: its 16-digit code (county 6 + major class 2 + minor class 2 +
/// sequence 6), its GB/T 30428 class (major 2 digits + minor 2 digits, e.g. "0101"), an optional name and status, and
/// its position in degrees (x = longitude, y = latitude, EPSG:4490). Components drawn as lines or areas in the census
/// are represented here by a point on them.
/// </summary>
public sealed record ComponentTileRecord(string Code, string ClassCode, string? Name, string? Status, double Lon, double Lat);

/// <summary>The minimal contract the component census offers to the tiles: all components at one revision.</summary>
public interface IComponentTileFeed
{
    /// <summary>Changes whenever a component is added, moved, edited or removed.</summary>
    ValueTask<long> GetRevisionAsync(CancellationToken ct = default);

    ValueTask<IReadOnlyList<ComponentTileRecord>> GetComponentsAsync(CancellationToken ct = default);
}

/// <summary>A feed with no components, until the census is wired in.</summary>
public sealed class EmptyComponentFeed : IComponentTileFeed
{
    public ValueTask<long> GetRevisionAsync(CancellationToken ct = default) => ValueTask.FromResult(0L);

    public ValueTask<IReadOnlyList<ComponentTileRecord>> GetComponentsAsync(CancellationToken ct = default) =>
        ValueTask.FromResult<IReadOnlyList<ComponentTileRecord>>([]);
}

/// <summary>
/// The <c>components</c> tile layer: one point per census component with <c>code</c>, <c>class</c> (4 digits),
/// <c>major</c> (2 digits, what the map colours by), <c>name</c> and <c>status</c>.
/// <para>Thinning: from <see cref="FullDetailZoom"/> (16, where a tile is about 600 m across in Ruzhou) every
/// component is served. Below it, each 8 x 8-pixel cell of a 256-pixel tile keeps one component, chosen by major
/// class priority (<see cref="DefaultMajorClassPriority"/>: the classes a field inspector looks for first win), then
/// by the smallest code, so a given zoom always shows the same components and the density on screen stays about
/// constant. Below <see cref="IVectorLayerSource.MinZoom"/> (12) the layer is empty.</para>
/// </summary>
public sealed class ComponentLayerSource(IComponentTileFeed feed) : IVectorLayerSource
{
    public const string LayerName = "components";
    public const int FullDetailZoom = 16;

    /// <summary>Major classes (GB/T 30428.2) in thinning priority: 02 道路交通 (road and traffic), 01 公用设施 (public
    /// utilities: manholes, poles), 06 其他设施, 03 市容环境, 04 园林绿化, 05 房屋土地. Unknown classes come last.</summary>
    public static readonly IReadOnlyList<string> DefaultMajorClassPriority = ["02", "01", "06", "03", "04", "05"];

    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4490);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private PointLayerData? _data;

    public string Name => LayerName;
    public string Title => "城市部件 Components (GB/T 30428)";
    public int MinZoom => 12;
    public int MaxZoom => 18;

    public IReadOnlyList<VectorLayerSchema> Layers { get; } =
    [
        new(LayerName, "城市部件普查点 Census components", new Dictionary<string, VectorFieldType>
        {
            ["code"] = VectorFieldType.String, ["class"] = VectorFieldType.String, ["major"] = VectorFieldType.String,
            ["name"] = VectorFieldType.String, ["status"] = VectorFieldType.String,
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
            var records = await feed.GetComponentsAsync(ct);
            _data = Build(revision, records, MinZoom);
            return _data;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Builds the indexed, thinned layer data from records (also used by benchmarks and tests).</summary>
    public static PointLayerData Build(long revision, IReadOnlyList<ComponentTileRecord> records, int minZoom = 12)
    {
        var points = new PriorityPoint[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var major = r.ClassCode.Length >= 2 ? r.ClassCode[..2] : r.ClassCode;
            var rank = IndexOf(DefaultMajorClassPriority, major);
            var feature = new VectorFeature(Factory.CreatePoint(new Coordinate(r.Lon, r.Lat)),
            [
                new("code", r.Code), new("class", r.ClassCode), new("major", major), new("name", r.Name), new("status", r.Status),
            ]);
            points[i] = new PriorityPoint(feature, r.Lon, r.Lat, rank, r.Code);
        }
        return new PointLayerData(revision, LayerName, points, minZoom, FullDetailZoom);
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return list.Count;
    }
}
