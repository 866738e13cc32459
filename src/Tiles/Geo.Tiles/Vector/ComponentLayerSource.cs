using Geo.Spatial.Tiles;
using NetTopologySuite.Geometries;

namespace Geo.Tiles.Vector;

/// <summary>
/// One census component as the tiles need it: its 16-digit code (county 6 + major class 2 + minor class 2 +
/// sequence 6), its GB/T 30428 class (major 2 digits + minor 2 digits, e.g. "0101"), an optional name and status, and
/// its position in degrees (x = longitude, y = latitude, EPSG:4490). For a component recorded as a line or an area
/// (a fence, a green patch), <paramref name="Shape"/> holds that geometry (EPSG:4490, x = longitude) and the position
/// is a representative point of it.
/// </summary>
public sealed record ComponentTileRecord(string Code, string ClassCode, string? Name, string? Status, double Lon, double Lat,
    Geometry? Shape = null);

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
/// <para>Lines and areas: below full detail a line or area takes part in the thinning as its representative point;
/// from full detail on it is drawn as itself (clipped by the encoder like any geometry), so a fence is a line and a
/// green patch an area where the map is close enough to tell.</para>
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
    private ComponentLayerData? _data;

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
    public static ComponentLayerData Build(long revision, IReadOnlyList<ComponentTileRecord> records, int minZoom = 12)
    {
        var all = new PriorityPoint[records.Count];
        var points = new List<PriorityPoint>(records.Count);
        var shapes = new List<VectorFeature>();
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var major = r.ClassCode.Length >= 2 ? r.ClassCode[..2] : r.ClassCode;
            var rank = IndexOf(DefaultMajorClassPriority, major);
            KeyValuePair<string, object?>[] attributes =
            [
                new("code", r.Code), new("class", r.ClassCode), new("major", major), new("name", r.Name), new("status", r.Status),
            ];
            var feature = new VectorFeature(Factory.CreatePoint(new Coordinate(r.Lon, r.Lat)), attributes);
            all[i] = new PriorityPoint(feature, r.Lon, r.Lat, rank, r.Code);
            if (r.Shape is { IsEmpty: false } shape and not Point) shapes.Add(new VectorFeature(shape, attributes));
            else points.Add(all[i]);
        }
        // Below full detail: every component as a point, thinned. From full detail: points as points, shapes as shapes.
        var thinned = new PointLayerData(revision, LayerName, all, minZoom, FullDetailZoom);
        var full = new PointLayerData(revision, LayerName, points, FullDetailZoom, FullDetailZoom);
        var shaped = new GeometryLayerData(revision, new Dictionary<string, IReadOnlyList<VectorFeature>> { [LayerName] = shapes });
        return new ComponentLayerData(revision, thinned, full, shaped, shapes.Count);
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return list.Count;
    }
}

/// <summary>The components layer at one revision: thinned points below full detail, points and shapes from it on.</summary>
public sealed class ComponentLayerData : IVectorLayerData
{
    private readonly PointLayerData _thinned;
    private readonly PointLayerData _points;
    private readonly GeometryLayerData _shapes;
    private readonly int _shapeCount;

    internal ComponentLayerData(long revision, PointLayerData thinned, PointLayerData points, GeometryLayerData shapes, int shapeCount)
    {
        Revision = revision;
        _thinned = thinned;
        _points = points;
        _shapes = shapes;
        _shapeCount = shapeCount;
    }

    public long Revision { get; }

    /// <summary>Extent of the components' representative points (x = longitude, y = latitude).</summary>
    public Box? Bounds => _thinned.Bounds;

    /// <summary>How many features a zoom serves in total (every component from full detail on).</summary>
    public int CountAt(int zoom) => zoom < _thinned.FullDetailZoom ? _thinned.CountAt(zoom) : _points.CountAt(zoom) + _shapeCount;

    public void Query(string layer, TileId tile, Box lonLat, List<VectorFeature> into)
    {
        if (tile.Z < _thinned.FullDetailZoom)
        {
            _thinned.Query(layer, tile, lonLat, into);
            return;
        }
        _points.Query(layer, tile, lonLat, into);
        _shapes.Query(layer, tile, lonLat, into);
    }
}
