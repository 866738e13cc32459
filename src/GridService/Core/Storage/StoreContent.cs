using Geo.GridService.Access;
using Geo.GridService.Departments;
using Geo.GridService.Grids;
using Geo.GridService.Responsibility;

namespace Geo.GridService.Storage;

/// <summary>
/// Everything a grid store holds, as values: what <c>geo store copy</c> moves from one backend to another. Versions
/// keep their numbers, validity dates and import times; grids are EPSG:4490; rules keep their order; API keys keep
/// their hashes and revocation times (never the keys themselves, which no store has).
/// </summary>
public sealed record StoreContent(
    IReadOnlyList<GridVersion> Versions,
    IReadOnlyDictionary<int, IReadOnlyList<Grid>> Grids,
    IReadOnlyList<Department> Departments,
    IReadOnlyList<ResponsibilityRule> Rules,
    IReadOnlyList<ApiKey> ApiKeys)
{
    /// <summary>Reads the whole content of <paramref name="store"/> through the storage contract.</summary>
    public static async Task<StoreContent> ReadAsync(IGridStore store, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var versions = await store.ListGridVersionsAsync(ct).ConfigureAwait(false);
        var grids = new Dictionary<int, IReadOnlyList<Grid>>();
        foreach (var v in versions)
        {
            progress?.Report($"grid version {v.Number}");
            grids[v.Number] = await store.GetGridsAsync(v.Number, ct).ConfigureAwait(false);
        }
        progress?.Report("departments, matrix, keys");
        return new StoreContent(versions, grids,
            await store.ListDepartmentsAsync(ct).ConfigureAwait(false),
            await store.ListRulesAsync(ct).ConfigureAwait(false),
            await store.ListApiKeysAsync(ct).ConfigureAwait(false));
    }

    /// <summary>How many grids over all versions.</summary>
    public int GridCount => Grids.Values.Sum(g => g.Count);
}

/// <summary>
/// A backend that can take a whole <see cref="StoreContent"/> into an empty store in one transaction (all or nothing),
/// keeping version numbers, dates and import times as they are. Used by <c>geo store copy</c>.
/// </summary>
public interface IStoreRestore
{
    /// <summary>
    /// Writes <paramref name="content"/> into this store, which must be empty (no versions, departments, rules or
    /// keys): Conflict <c>store_not_empty</c> otherwise. Invalid content (a version whose grids are missing, a rule
    /// naming an unknown department, duplicate codes) is a failure and nothing is written. Returns the number of grids
    /// written.
    /// </summary>
    Task<Geo.Spatial.Failures.Result<int>> RestoreAsync(StoreContent content, IProgress<long>? gridsWritten = null,
        CancellationToken ct = default);
}
