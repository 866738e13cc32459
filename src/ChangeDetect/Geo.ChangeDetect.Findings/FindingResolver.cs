using Geo.GridService.Codes;
using Geo.GridService.Ownership;
using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings;

/// <summary>Turns detector candidates into findings: CRS to EPSG:4490, area in EPSG:4547, grid and department for
/// event class E0101 (私搭乱建) at the polygon's interior point, permit marking. Pure: no storage.</summary>
public sealed class FindingResolver(OwnershipSnapshot ownership, PermitRule permitRule)
{
    public const string IllegalConstructionClass = "E0101";

    public Finding Resolve(string runId, ChangeCandidate c, IReadOnlyList<Permit> permits, DateOnly afterSurveyDate)
    {
        var g4490 = c.Crs == CrsId.Cgcs2000 ? (Polygon)c.Polygon.Copy() : (Polygon)CoordinateConverter.Transform(c.Polygon, c.Crs, CrsId.Cgcs2000);
        var area = CoordinateConverter.Transform(g4490, CrsId.Cgcs2000, CrsId.Cgcs2000GK114).Area;
        var p = g4490.InteriorPoint;
        string? grid = null, dept = null;
        var cls = ClassCode.Parse(IllegalConstructionClass);
        var answer = ownership.Answer(new OwnershipQuery(p.X, p.Y, CrsId.Cgcs2000, cls.IsOk ? cls.Value : null, afterSurveyDate));
        if (answer.IsOk) { grid = answer.Value.Grid.Code; dept = answer.Value.Department?.Code; }
        var (permitted, permitId) = permitRule.Evaluate(g4490, permits, afterSurveyDate);
        return new Finding(Guid.NewGuid().ToString("N"), runId, g4490, Math.Round(area, 2), c.Kind, c.MeanDh, c.MaxDh,
            Math.Clamp(c.Confidence, 0, 1), grid, dept, permitted, permitId, ReviewState.Pending, null, null, null);
    }
}
