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

    /// <summary>
    /// Refreshes when the store's revision differs from the snapshot's (or always when forced): a new snapshot when
    /// versions, departments or rules changed (grids re-read only when the versions changed), else the same snapshot
    /// at the new revision, indexes kept.
    /// </summary>
    public async Task<OwnershipSnapshot> RefreshAsync(bool force = false, CancellationToken ct = default)
    {
        await _refreshLock.WaitAsync(ct);
        try
        {
            var revision = await store.GetRevisionAsync(ct);
            if (!force && _snapshot is { } s && s.Revision == revision) return s;
            var versions = await store.ListGridVersionsAsync(ct);
            var departments = await store.ListDepartmentsAsync(ct);
            var rules = await store.ListRulesAsync(ct);
            // The revision is shared by every domain of the store: a census edit, a survey, a finding review or an API key
            // moves it too. Versions, departments and rules are small; only when they changed is anything rebuilt, and the
            // grids (the large part) are read again only when the versions changed.
            if (!force && _snapshot is { } same && same.Holds(versions, departments, rules))
                return _snapshot = same.AtRevision(revision);
            IReadOnlyDictionary<int, IReadOnlyList<Grids.Grid>> grids;
            if (!force && _snapshot is { } previous && previous.HoldsVersions(versions))
                grids = previous.GridsByVersion;
            else
            {
                var read = new Dictionary<int, IReadOnlyList<Grids.Grid>>();
                foreach (var v in versions) read[v.Number] = await store.GetGridsAsync(v.Number, ct);
                grids = read;
            }
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
