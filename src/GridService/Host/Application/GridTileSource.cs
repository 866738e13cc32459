using Geo.GridService.Storage;
using Geo.Tiles.Vector;
using NetTopologySuite.Algorithm;

namespace Geo.GridService.Host.Application;

/// <summary>
/// The <c>grids</c> vector tile layer: the grid version valid today, as polygons (<c>grids</c>: code, name,
/// subdistrict, subdistrict_code, community) and one label point per grid inside it (<c>grid_labels</c>: code,
/// name), so that a label is drawn once per grid and not once per tile. The revision is the current version number:
/// grid versions are immutable, so a new import (or the day a future version takes effect) changes every tile at
/// once, while writes that do not touch grids (keys, departments) leave the tile cache alone.
/// </summary>
public sealed class GridTileSource(OwnershipService ownership, IGridStore store) : IVectorLayerSource
{
    public const string LayerName = "grids";
    public const string LabelLayer = "grid_labels";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private GeometryLayerData? _data;
    private static readonly GeometryLayerData Empty = new(0, new Dictionary<string, IReadOnlyList<VectorFeature>>());

    public string Name => LayerName;
    public string Title => "责任网格 Responsibility grids";
    public int MinZoom => 8;
    public int MaxZoom => 16;

    public IReadOnlyList<VectorLayerSchema> Layers { get; } =
    [
        new(LayerName, "单元网格 Unit grids of the current version", new Dictionary<string, VectorFieldType>
        {
            ["code"] = VectorFieldType.String, ["name"] = VectorFieldType.String, ["subdistrict"] = VectorFieldType.String,
            ["subdistrict_code"] = VectorFieldType.String, ["community"] = VectorFieldType.String, ["version"] = VectorFieldType.Number,
        }),
        new(LabelLayer, "网格标注点 One label point inside each grid", new Dictionary<string, VectorFieldType>
        {
            ["code"] = VectorFieldType.String, ["name"] = VectorFieldType.String,
        }),
    ];

    public async ValueTask<IVectorLayerData> GetDataAsync(CancellationToken ct = default)
    {
        if (!ownership.IsLoaded) await ownership.RefreshAsync(ct: ct);
        var current = ownership.Snapshot.Current;
        if (current is null) return Empty;
        if (_data is { } d && d.Revision == current.Number) return d;
        await _lock.WaitAsync(ct);
        try
        {
            if (_data is { } again && again.Revision == current.Number) return again;
            var grids = await store.GetGridsAsync(current.Number, ct);
            var polygons = new List<VectorFeature>(grids.Count);
            var labels = new List<VectorFeature>(grids.Count);
            foreach (var g in grids)
            {
                polygons.Add(new VectorFeature(g.Geometry,
                [
                    new("code", g.Code.Value), new("name", g.Name), new("subdistrict", g.SubdistrictName),
                    new("subdistrict_code", g.SubdistrictCode), new("community", g.CommunityName), new("version", current.Number),
                ]));
                var anchor = g.Geometry.Factory.CreatePoint(InteriorPoint.GetInteriorCoord(g.Geometry));
                labels.Add(new VectorFeature(anchor, [new("code", g.Code.Value), new("name", g.Name)]));
            }
            _data = new GeometryLayerData(current.Number, new Dictionary<string, IReadOnlyList<VectorFeature>>
            {
                [LayerName] = polygons, [LabelLayer] = labels,
            });
            return _data;
        }
        finally
        {
            _lock.Release();
        }
    }
}
