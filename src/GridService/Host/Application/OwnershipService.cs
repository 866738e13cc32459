using Geo.GridService.Ownership;
using Geo.GridService.Storage;

namespace Geo.GridService.Host.Application;

/// <summary>
/// Holds the current <see cref="OwnershipSnapshot"/> and replaces it when the store's revision moves (after a write
/// through this process at once; after a write by another process within the poll interval). Lookups read one
/// volatile reference and never wait for a refresh.
/// </summary>
public sealed class OwnershipService(IGridStore store, double boundaryToleranceMetres = 0.5)
{
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private volatile OwnershipSnapshot? _snapshot;

    public OwnershipSnapshot Snapshot => _snapshot ?? throw new InvalidOperationException("The ownership snapshot has not been loaded yet.");

    public bool IsLoaded => _snapshot is not null;

    /// <summary>Reloads when the store's revision differs from the snapshot's (or always when forced).</summary>
    public async Task<OwnershipSnapshot> RefreshAsync(bool force = false, CancellationToken ct = default)
    {
        await _refreshLock.WaitAsync(ct);
        try
        {
            var revision = await store.GetRevisionAsync(ct);
            if (!force && _snapshot is { } s && s.Revision == revision) return s;
            var versions = await store.ListGridVersionsAsync(ct);
            var grids = new Dictionary<int, IReadOnlyList<Grids.Grid>>();
            foreach (var v in versions) grids[v.Number] = await store.GetGridsAsync(v.Number, ct);
            var departments = await store.ListDepartmentsAsync(ct);
            var rules = await store.ListRulesAsync(ct);
            var snapshot = new OwnershipSnapshot(revision, versions, grids, departments, rules, boundaryToleranceMetres);
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _refreshLock.Release();
        }
    }
}
