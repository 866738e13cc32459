using System.Globalization;
using Geo.Formats;
using Geo.GridService.Census;
using Geo.GridService.Host.Application.Features;
using Geo.Tiles.Vector;
using VectorFeature = Geo.Formats.VectorFeature;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Census;

/// <summary>
/// The census as the map sees it, at the store's revision, for the <c>components</c> vector tile layer: points as
/// points; lines and areas with their geometry and a point on them (NTS's interior point). Rebuilt when the revision
/// moves, so an edit shows in the next tile. The scan reads locations only (code, box, status); the few components
/// whose box is not a point are then read whole, in batches.
/// </summary>
public sealed class CensusTileFeed(CensusService census) : IComponentTileFeed
{
    private volatile Snapshot? _last;

    private sealed record Snapshot(long Revision, IReadOnlyList<ComponentTileRecord> Records);

    public async ValueTask<long> GetRevisionAsync(CancellationToken ct = default) => await census.Store.GetRevisionAsync(ct);

    public async ValueTask<IReadOnlyList<ComponentTileRecord>> GetComponentsAsync(CancellationToken ct = default)
    {
        var revision = await census.Store.GetRevisionAsync(ct);
        if (_last is { } s && s.Revision == revision) return s.Records;
        var records = new List<ComponentTileRecord>();
        var shaped = new List<int>();
        await foreach (var l in census.Store.ScanLocationsAsync(ct))
        {
            var code = l.Code.ToString("D16", CultureInfo.InvariantCulture);
            if (l.MinX != l.MaxX || l.MinY != l.MaxY) shaped.Add(records.Count);
            records.Add(new ComponentTileRecord(code, code.Substring(6, 4), null, CensusText.Label(l.Status),
                (l.MinX + l.MaxX) / 2, (l.MinY + l.MaxY) / 2));
        }
        foreach (var batch in shaped.Chunk(500))
        {
            var codes = batch.Select(i => ComponentCode.FromTrusted(records[i].Code)).ToList();
            var byCode = (await census.Store.GetComponentsAsync(codes, ct)).ToDictionary(c => c.Code.Value, StringComparer.Ordinal);
            foreach (var i in batch)
            {
                if (!byCode.TryGetValue(records[i].Code, out var component) || component.Geometry is Point || component.Geometry.IsEmpty) continue;
                var at = component.Geometry.InteriorPoint;
                records[i] = records[i] with { Lon = at.X, Lat = at.Y, Shape = component.Geometry };
            }
        }
        _last = new Snapshot(revision, records);
        return records;
    }
}

/// <summary>The census as an OGC API Features collection (<c>components</c>): the standard's fields as properties,
/// <c>id</c> = the 16-digit code, in code order; bbox through the in-memory census index.</summary>
public sealed class ComponentFeatureSource(CensusService census) : IFeatureCollectionSource
{
    private static readonly Envelope Everywhere = new(-180, 180, -90, 90);

    public string Id => "components";
    public string Title => "城市部件 Components (GB/T 30428)";
    public string Description => "The coded component census: code, class, name, status, grid, departments, dates, data source.";

    public async Task<LonLatBox?> ExtentAsync(CancellationToken ct)
    {
        var index = await census.IndexAsync(ct);
        if (index.Count == 0) return null;
        var e = new Envelope();
        await foreach (var l in census.Store.ScanLocationsAsync(ct)) e.ExpandToInclude(new Envelope(l.MinX, l.MaxX, l.MinY, l.MaxY));
        return new LonLatBox(e.MinX, e.MinY, e.MaxX, e.MaxY);
    }

    public async Task<FeaturePage> QueryAsync(LonLatBox? bbox, int offset, int limit, CancellationToken ct)
    {
        var index = await census.IndexAsync(ct);
        var (codes, _) = index.InBox(bbox?.ToEnvelope() ?? Everywhere, Math.Max(1, index.Count)); // every match: numberMatched
        var page = codes.Skip(offset).Take(limit).ToList();
        var components = await census.Store.GetComponentsAsync(page, ct);
        return new FeaturePage(components.Select(ToFeature).ToList(), codes.Count);
    }

    public async Task<VectorFeature?> GetAsync(string id, CancellationToken ct)
    {
        var code = ComponentCode.Parse(id);
        if (!code.IsOk) return null;
        var c = await census.Store.GetComponentAsync(code.Value, ct);
        return c is null ? null : ToFeature(c, 0);
    }

    private static VectorFeature ToFeature(Component c, int index) => new(index, c.Geometry, new Dictionary<string, object?>
    {
        ["id"] = c.Code.Value,
        ["code"] = c.Code.Value,
        ["name"] = c.Name,
        ["class"] = c.Class.Digits,
        ["status"] = CensusText.Label(c.Status),
        ["grid"] = c.Grid?.Value,
        ["competent_department"] = c.CompetentDepartment?.Value,
        ["owner"] = c.Owner,
        ["maintainer"] = c.Maintainer?.Value,
        ["first_recorded"] = c.FirstRecorded,
        ["last_changed"] = c.LastChanged,
        ["source"] = CensusText.Label(c.Source),
        ["remarks"] = c.Remarks,
    });
}
