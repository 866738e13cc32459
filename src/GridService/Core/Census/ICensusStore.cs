using Geo.GridService.Codes;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Census;

/// <summary>
/// A filter for <see cref="ICensusStore.QueryAsync"/>; every condition is optional and they combine with AND. Results
/// are ordered by code and paged by keyset: the next page asks for codes after the last one returned (stable while
/// the data changes, unlike offsets).
/// </summary>
/// <param name="Bbox">EPSG:4490 envelope (x = lon, y = lat); components whose envelope intersects it.</param>
/// <param name="Grid">Components touching this grid.</param>
/// <param name="Class">A component major (2 digits) or minor (4 digits) class.</param>
/// <param name="Text">Substring of the name, remarks, owner or code (case-sensitive for CJK, as stored).</param>
/// <param name="After">Keyset cursor: only codes greater than this.</param>
/// <param name="Limit">Page size, 1..<see cref="MaxLimit"/>.</param>
public sealed record ComponentQuery(
    Envelope? Bbox = null,
    GridCode? Grid = null,
    ClassCode? Class = null,
    ComponentStatus? Status = null,
    string? Text = null,
    ComponentCode? After = null,
    int Limit = 100)
{
    public const int MaxLimit = 1000;
}

/// <summary>One page: the items and the cursor of the next page (null on the last page).</summary>
public sealed record ComponentPage(IReadOnlyList<Component> Items, ComponentCode? Next);

/// <summary>
/// The storage contract of the component census. Small on purpose: the embedded GeoPackage and PostGIS implement it
/// and one contract test suite (tests/Shared/Geo.Storage.Tests/CensusStoreContract) runs against both.
/// <para>Geometries go in and come out in EPSG:4490 (x = longitude, y = latitude). Domain validation (code, class,
/// departments, grid derivation) happens before a write, in <see cref="ComponentValidator"/>; the store enforces
/// uniqueness of codes and the version check, reported as Conflict failures. Every write is one transaction and bumps
/// the store's shared revision counter (the same one as the grid store's, which change feeds signal) and the census's
/// own revision.</para>
/// </summary>
public interface ICensusStore : IAsyncDisposable
{
    /// <summary>The census's own revision: grows with every committed census write (components, classes, imports,
    /// restores) and only with those, so views of the census built at one revision stay valid across grid, matrix,
    /// finding and key writes.</summary>
    Task<long> GetRevisionAsync(CancellationToken ct = default);

    /// <summary>All classes of both trees.</summary>
    Task<IReadOnlyList<ComponentClass>> ListClassesAsync(CancellationToken ct = default);

    /// <summary>Inserts or updates classes by (tree, code) in one transaction; returns how many were written.</summary>
    Task<Result<int>> UpsertClassesAsync(IReadOnlyList<ComponentClass> classes, CancellationToken ct = default);

    Task<Component?> GetComponentAsync(ComponentCode code, CancellationToken ct = default);

    /// <summary>The components with these codes, in the order asked; unknown codes are skipped.</summary>
    Task<IReadOnlyList<Component>> GetComponentsAsync(IReadOnlyList<ComponentCode> codes, CancellationToken ct = default);

    Task<ComponentPage> QueryAsync(ComponentQuery query, CancellationToken ct = default);

    /// <summary>How many components are stored.</summary>
    Task<long> CountAsync(CancellationToken ct = default);

    /// <summary>The next free serial of a county and minor class: one more than the highest stored (1 when none).</summary>
    Task<int> NextSerialAsync(CountyCode county, ClassCode minorClass, CancellationToken ct = default);

    /// <summary>Stores a new component with version 1 and an audit entry; Conflict <c>component_code_duplicate</c> when the code exists.</summary>
    Task<Result<Component>> AddComponentAsync(Component component, AuditActor who, CancellationToken ct = default);

    /// <summary>
    /// Replaces a component when its stored version is <paramref name="expectedVersion"/>; the result has version + 1.
    /// Conflict <c>component_version_stale</c> (with the current version) otherwise; NotFound when unknown.
    /// </summary>
    Task<Result<Component>> UpdateComponentAsync(Component component, long expectedVersion, AuditActor who, CancellationToken ct = default);

    /// <summary>Deletes a component at <paramref name="expectedVersion"/> (audit keeps its last state).</summary>
    Task<Result<bool>> DeleteComponentAsync(ComponentCode code, long expectedVersion, AuditActor who, CancellationToken ct = default);

    /// <summary>The audit trail of one component, oldest first (also for a deleted one).</summary>
    Task<IReadOnlyList<AuditEntry>> GetAuditAsync(ComponentCode code, CancellationToken ct = default);

    /// <summary>Count per grid x minor class x status (a component touching several grids counts in each).</summary>
    Task<IReadOnlyList<CensusStatisticsRow>> StatisticsAsync(CancellationToken ct = default);

    /// <summary>Every component's location, for in-memory indexes; streamed.</summary>
    IAsyncEnumerable<ComponentLocation> ScanLocationsAsync(CancellationToken ct = default);

    /// <summary>
    /// Starts a bulk write: one transaction holding the store's write lock until committed or disposed. Disposing
    /// without <see cref="ICensusBulkWriter.CommitAsync"/> rolls everything back (a dry run does exactly that).
    /// </summary>
    Task<ICensusBulkWriter> BeginBulkAsync(AuditActor who, string? source, CancellationToken ct = default);
}

/// <summary>A bulk insert in one transaction (see <see cref="ICensusStore.BeginBulkAsync"/>).</summary>
public interface ICensusBulkWriter : IAsyncDisposable
{
    /// <summary>Rows added so far.</summary>
    int Count { get; }

    /// <summary>Adds one new component (version 1). Conflict <c>component_code_duplicate</c> when the code is stored
    /// or was added earlier in this batch; the batch stays usable.</summary>
    Result<bool> Add(Component component);

    /// <summary>The next free serial of a class, counting the rows added in this batch.</summary>
    int NextSerial(CountyCode county, ClassCode minorClass);

    /// <summary>Commits; the revision is bumped once.</summary>
    Task CommitAsync(CancellationToken ct = default);
}
