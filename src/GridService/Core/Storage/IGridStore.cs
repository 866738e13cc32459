using Geo.GridService.Access;
using Geo.GridService.Departments;
using Geo.GridService.Grids;
using Geo.GridService.Responsibility;
using Geo.Spatial.Failures;

namespace Geo.GridService.Storage;

/// <summary>
/// The storage contract of the grid service. Small on purpose: two backends implement it (the embedded GeoPackage
/// and, later, PostGIS) and one contract test suite runs against both.
/// <para>Every write is one transaction: it is stored whole or not at all. Geometries go in and come out in
/// EPSG:4490 (x = longitude, y = latitude). Domain validation (topology, code patterns) happens before a write, in
/// the core; the store enforces only what it must (uniqueness, referential integrity) and reports it as a
/// <see cref="Failure"/> of kind Conflict.</para>
/// </summary>
public interface IGridStore : IAsyncDisposable
{
    /// <summary>A number that grows with every committed write; caches compare it to know they are stale.</summary>
    Task<long> GetRevisionAsync(CancellationToken ct = default);

    /// <summary>All grid versions, oldest first.</summary>
    Task<IReadOnlyList<GridVersion>> ListGridVersionsAsync(CancellationToken ct = default);

    /// <summary>The grids of one version, ordered by code; empty when the version does not exist.</summary>
    Task<IReadOnlyList<Grid>> GetGridsAsync(int version, CancellationToken ct = default);

    /// <summary>
    /// Stores a new grid version valid from <paramref name="validFrom"/> and closes the current one on that date.
    /// Conflict when <paramref name="validFrom"/> is not after the current version's start.
    /// </summary>
    Task<Result<GridVersion>> AddGridVersionAsync(DateOnly validFrom, IReadOnlyList<Grid> grids, string? source, string? note,
        CancellationToken ct = default);

    Task<IReadOnlyList<Department>> ListDepartmentsAsync(CancellationToken ct = default);

    /// <summary>Inserts or updates departments by code, in one transaction.</summary>
    Task<Result<int>> UpsertDepartmentsAsync(IReadOnlyList<Department> departments, CancellationToken ct = default);

    /// <summary>Deletes a department; Conflict while a responsibility rule names it, NotFound when unknown.</summary>
    Task<Result<bool>> DeleteDepartmentAsync(Codes.DepartmentCode code, CancellationToken ct = default);

    Task<IReadOnlyList<ResponsibilityRule>> ListRulesAsync(CancellationToken ct = default);

    /// <summary>Replaces the whole matrix in one transaction; Conflict when a rule names an unknown department.</summary>
    Task<Result<int>> ReplaceRulesAsync(IReadOnlyList<ResponsibilityRule> rules, CancellationToken ct = default);

    Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct = default);

    Task<Result<ApiKey>> AddApiKeyAsync(ApiKey key, CancellationToken ct = default);

    /// <summary>Marks a key revoked; NotFound when unknown.</summary>
    Task<Result<ApiKey>> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken ct = default);
}
