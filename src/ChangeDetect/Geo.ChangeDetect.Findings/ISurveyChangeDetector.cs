using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Findings;

/// <summary>
/// The two surveys a run compares, as files on disk (the stored COGs). DSM paths are both given or both null.
/// <paramref name="Area"/>, when given, limits the run: a polygon in EPSG:4490 (x = longitude, y = latitude), for
/// example the union of the grids named in the request.
/// </summary>
public sealed record SurveyPairInput(
    string BeforeOrthoPath, string? BeforeDsmPath,
    string AfterOrthoPath, string? AfterDsmPath,
    Geometry? Area);

/// <summary>Progress of a detection run: fraction done (0..1) and the stage in words (English, for logs and jobs).</summary>
public readonly record struct DetectionProgress(double Fraction, string Stage);

/// <summary>
/// Change detection over two stored surveys: the streaming pipeline in Geo.ChangeDetect implements it; the findings
/// application (runs, storage, review) depends only on this. Expected failures (no overlap, different CRS, a DSM on one
/// side only, unreadable file) come back as failures; cancellation throws <see cref="OperationCanceledException"/>.
/// Candidates' polygons are in the surveys' CRS (<see cref="ChangeCandidate.Crs"/>).
/// </summary>
public interface ISurveyChangeDetector
{
    /// <summary>Runs detection; reports progress now and then (never more than a few times a second).</summary>
    Task<Result<IReadOnlyList<ChangeCandidate>>> DetectAsync(SurveyPairInput input, IProgress<DetectionProgress>? progress, CancellationToken ct);
}
