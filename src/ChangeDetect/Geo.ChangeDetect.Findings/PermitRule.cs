using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings;

/// <summary>
/// The permit rule: a finding is permitted when at least <see cref="MinInsideFraction"/> (default 0.5) of its area,
/// measured in EPSG:4547, lies inside the union of the permits valid on the later survey's date. The permit reported
/// is the valid one covering the largest part of the finding.
/// </summary>
public sealed class PermitRule(double minInsideFraction = 0.5)
{
    public double MinInsideFraction { get; } = minInsideFraction is > 0 and <= 1
        ? minInsideFraction : throw new ArgumentOutOfRangeException(nameof(minInsideFraction));

    public (bool Permitted, string? PermitId) Evaluate(Polygon finding4490, IReadOnlyList<Permit> permits, DateOnly afterSurveyDate)
    {
        var f = CoordinateConverter.Transform(finding4490, CrsId.Cgcs2000, CrsId.Cgcs2000GK114);
        var area = f.Area;
        if (area <= 0) return (false, null);
        var valid = permits.Where(p => p.IsValidOn(afterSurveyDate) && p.Geometry.EnvelopeInternal.Intersects(finding4490.EnvelopeInternal)).ToList();
        if (valid.Count == 0) return (false, null);
        var projected = valid.Select(p => (p.Number, G: CoordinateConverter.Transform(p.Geometry, CrsId.Cgcs2000, CrsId.Cgcs2000GK114))).ToList();
        var union = NetTopologySuite.Operation.Union.UnaryUnionOp.Union(projected.Select(p => p.G).ToList());
        var inside = f.Intersection(union).Area / area;
        if (inside + 1e-9 < MinInsideFraction) return (false, null);
        var best = projected.OrderByDescending(p => f.Intersection(p.G).Area).First();
        return (true, best.Number);
    }
}
