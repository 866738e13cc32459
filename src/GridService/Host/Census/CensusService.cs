using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Census;

/// <summary>
/// The census use cases' shared state: builds the validator from the store's current taxonomy, departments and grid
/// version (grids derived from geometry use the current version's <see cref="Ownership.GridIndex"/>), and keeps the
/// in-memory <see cref="CensusIndex"/> for nearest-N and bbox queries, rebuilt when the store's revision moves.
/// </summary>
public sealed class CensusService(ICensusStore census, IGridStore grids, OwnershipService ownership, CountyCode county)
{
    private readonly SemaphoreSlim _indexLock = new(1, 1);
    private volatile CensusIndex? _index;

    public ICensusStore Store => census;

    public CountyCode County => county;

    /// <summary>A validator for the current state; NotFound when no grid version exists yet (nothing can be located).</summary>
    public async Task<Result<ComponentValidator>> ValidatorAsync(CancellationToken ct = default)
    {
        var snapshot = await ownership.RefreshAsync(ct: ct);
        if (snapshot.Current is not { } version)
            return Failure.NotFound("no_grid_version", "No grids have been imported yet: components cannot be placed in grids.");
        var taxonomy = new Taxonomy(await census.ListClassesAsync(ct));
        var departments = (await grids.ListDepartmentsAsync(ct)).Select(d => d.Code.Value).ToHashSet(StringComparer.Ordinal);
        return new ComponentValidator(county, taxonomy, departments, new GridLocator(snapshot.Index(version.Number)));
    }

    /// <summary>The in-memory index at the store's current revision (rebuilt when stale).</summary>
    public async Task<CensusIndex> IndexAsync(CancellationToken ct = default)
    {
        var revision = await census.GetRevisionAsync(ct);
        if (_index is { } current && current.Revision == revision) return current;
        await _indexLock.WaitAsync(ct);
        try
        {
            if (_index is { } again && again.Revision == revision) return again;
            var builder = new CensusIndex.Builder();
            await foreach (var location in census.ScanLocationsAsync(ct)) builder.Add(location);
            var built = builder.Build(revision);
            _index = built;
            return built;
        }
        finally
        {
            _indexLock.Release();
        }
    }

    /// <summary>The next free code of a class (for a new component without one).</summary>
    public async Task<Result<ComponentCode>> NextCodeAsync(ClassCode minorClass, CancellationToken ct = default)
    {
        var serial = await census.NextSerialAsync(county, minorClass, ct);
        if (serial > ComponentCode.MaxSerial)
            return Failure.Conflict("serial_exhausted", $"Class {minorClass.Digits} has no free serial left in county {county}.");
        return ComponentCode.Create(county, minorClass, serial);
    }
}
