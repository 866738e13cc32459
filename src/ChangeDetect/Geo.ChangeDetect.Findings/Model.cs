using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings;

public enum ChangeKind { NewStructure, Extension, Demolition, Other }

public enum RunState { Running, Succeeded, Failed, Cancelled }

public enum ReviewState { Pending, Confirmed, Dismissed }

/// <summary>What the detector hands over: one changed object. Polygon coordinates are x = easting/longitude,
/// y = northing/latitude in <paramref name="Crs"/>; heights in metres, positive = gain.</summary>
public sealed record ChangeCandidate(Polygon Polygon, CrsId Crs, ChangeKind Kind, double? MeanDh, double? MaxDh, double Confidence);

/// <summary>The area a run was limited to: grid codes or a polygon in EPSG:4490 (or nothing: the whole overlap).</summary>
public sealed record AreaLimit(IReadOnlyList<string>? GridCodes, Polygon? Polygon);

/// <summary>
/// One detection run and its record: the inputs (survey ids and the files read), the area limit, the parameters as
/// JSON, the software that produced it, its state and times. <see cref="FindingCount"/> is set when it succeeded (its
/// findings are stored in the same transaction); <see cref="Problem"/> says why it failed or was cancelled.
/// </summary>
public sealed record ChangeRun(
    string Id,
    string BeforeSurveyId, string AfterSurveyId,
    string BeforePath, string AfterPath,
    DateOnly AfterSurveyDate,
    AreaLimit? Area,
    string ParametersJson,
    string SoftwareVersion,
    RunState State,
    DateTimeOffset Started,
    DateTimeOffset? Finished,
    int FindingCount,
    string? BeforeDsmPath = null,
    string? AfterDsmPath = null,
    string? Problem = null,
    string? StartedBy = null);

/// <summary>One reviewed-or-pending change. Polygon in EPSG:4490 (lon, lat); area in m² computed in EPSG:4547.</summary>
public sealed record Finding(
    string Id,
    string RunId,
    Polygon Polygon,
    double AreaM2,
    ChangeKind Kind,
    double? MeanDh, double? MaxDh,
    double Confidence,
    string? GridCode,
    string? DepartmentCode,
    bool Permitted,
    string? PermitId,
    ReviewState Review,
    string? ReviewerKeyId,
    string? ReviewComment,
    DateTimeOffset? ReviewedAt);

/// <summary>An approved-construction permit. Geometry in EPSG:4490; valid on days ValidFrom..ValidTo inclusive.</summary>
public sealed record Permit(string Number, string Holder, DateOnly ValidFrom, DateOnly? ValidTo, Geometry Geometry)
{
    public bool IsValidOn(DateOnly day) => ValidFrom <= day && (ValidTo is null || day <= ValidTo.Value);
}
