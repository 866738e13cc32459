using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Census;

/// <summary>Nearest-N shared by CLI and HTTP.</summary>
public static class CensusNearest
{
    public const int MaxNearest = 100;

    public static async Task<Result<IReadOnlyList<NearbyView>>> NearestAsync(CensusService service, double x, double y, string? crsText, string? cls,
        string? status, int n, CancellationToken ct)
    {
        var crs = CrsId.Wgs84;
        if (!string.IsNullOrWhiteSpace(crsText))
        {
            var c = CrsId.Parse(crsText);
            if (!c.IsOk) return Result<IReadOnlyList<NearbyView>>.Fail(c.Failures);
            crs = c.Value;
        }
        if (!CoordinateConverter.IsInRange(crs, x, y))
            return Failure.BadRequest("coordinate_out_of_range", $"({x}, {y}) is not a valid coordinate in {crs.Name} (x = easting/longitude).");
        if (n is < 1 or > MaxNearest) return Failure.BadRequest("n_invalid", $"n is 1..{MaxNearest}.");
        ClassCode? classCode = null;
        if (!string.IsNullOrWhiteSpace(cls))
        {
            var k = CensusQueries.ParseClass(cls);
            if (!k.IsOk) return Result<IReadOnlyList<NearbyView>>.Fail(k.Failures);
            classCode = k.Value;
        }
        ComponentStatus? st = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!CensusText.TryParseStatus(status, out var s)) return Failure.BadRequest("status_invalid", "status is one of 完好, 破损, 丢失, 占用.");
            st = s;
        }
        var (lon, lat) = crs.Kind is CrsKind.Cgcs2000 or CrsKind.Wgs84 ? (x, y) : CoordinateConverter.ToCgcs2000(crs, x, y);
        var index = await service.IndexAsync(ct);
        var near = index.Nearest(lon, lat, n, classCode, st);
        var components = await service.Store.GetComponentsAsync(near.Select(h => h.Code).ToArray(), ct);
        var byCode = components.ToDictionary(c => c.Code);
        var taxonomy = new Taxonomy(await service.Store.ListClassesAsync(ct));
        return near.Where(h => byCode.ContainsKey(h.Code)).Select(h => new NearbyView(h.DistanceMetres, ComponentView.From(byCode[h.Code], taxonomy))).ToArray();
    }
}
