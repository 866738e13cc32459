using Geo.Spatial.Failures;

namespace Geo.Surveys;

/// <summary>
/// Where survey records live (the COG files themselves live in the survey data directory). Implemented by the
/// embedded GeoPackage store (table <c>surveys</c>, footprint geometry in EPSG:4490) and by PostGIS; both run
/// the same contract test suite. A record is written in one transaction, after its COG was renamed into place.
/// </summary>
public interface ISurveyStore : IAsyncDisposable
{
    /// <summary>
    /// Stores a new survey. Failures: <c>survey_exists</c> (Conflict) when the id or the SHA-256 of the same kind is
    /// already stored (extension <c>surveyId</c> names the existing one); <c>paired_dsm_missing</c> (Invalid) when
    /// <see cref="Survey.PairedDsmId"/> names no stored DSM.
    /// </summary>
    Task<Result<Survey>> AddAsync(Survey survey, CancellationToken ct = default);

    /// <summary>The survey, or null.</summary>
    Task<Survey?> GetAsync(SurveyId id, CancellationToken ct = default);

    /// <summary>The survey of that kind whose source had this SHA-256 (hex, lowercase), or null.</summary>
    Task<Survey?> FindBySha256Async(string sha256, SurveyKind kind, CancellationToken ct = default);

    /// <summary>Every survey, newest flight first, then by name.</summary>
    Task<IReadOnlyList<Survey>> ListAsync(CancellationToken ct = default);

    /// <summary>Removes a survey record; false when absent. Failure <c>survey_in_use</c> (Conflict) for a DSM an ortho names.</summary>
    Task<Result<bool>> DeleteAsync(SurveyId id, CancellationToken ct = default);
}
