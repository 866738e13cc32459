using Geo.GridService.Storage;
using Geo.Spatial.Failures;

namespace Geo.Storage;

/// <summary>What a copy moved.</summary>
public sealed record StoreCopyReport(int Versions, int Grids, int Departments, int Rules, int ApiKeys);

/// <summary>
/// Copies everything one store holds into another, empty one, of either backend (GeoPackage to PostGIS when a city
/// moves to the production store, PostGIS to GeoPackage for an offline copy): grid versions with their numbers,
/// validity dates and import times, grids, departments, the matrix in order, API key hashes. The destination is
/// written in one transaction: all or nothing. Afterwards the destination is read back and compared with what was
/// read from the source; a difference is a failure (<c>store_copy_mismatch</c>).
/// </summary>
public static class StoreCopy
{
    /// <summary>Progress of a copy: a phase and, while grids are written, how many of how many.</summary>
    public readonly record struct Step(string Phase, long Done, long Total);

    public static async Task<Result<StoreCopyReport>> CopyAsync(IGridStore source, IGridStore destination, IProgress<Step>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination is not IStoreRestore restore)
            return Failure.BadRequest("store_copy_unsupported", "The destination store cannot take a copy.");

        progress?.Report(new Step("read", 0, 0));
        var content = await StoreContent.ReadAsync(source, null, ct).ConfigureAwait(false);
        var total = content.GridCount;
        progress?.Report(new Step("write", 0, total));
        var written = await restore.RestoreAsync(content, new StepProgress(progress, total), ct).ConfigureAwait(false);
        if (!written.IsOk) return Result<StoreCopyReport>.Fail(written.Failures);

        progress?.Report(new Step("verify", total, total));
        var back = await StoreContent.ReadAsync(destination, null, ct).ConfigureAwait(false);
        var difference = StoreContentComparer.FirstDifference(content, back);
        if (difference is not null)
            return Failure.Conflict("store_copy_mismatch", $"The copy differs from the source: {difference}.");
        return new StoreCopyReport(content.Versions.Count, total, content.Departments.Count, content.Rules.Count, content.ApiKeys.Count);
    }

    private sealed class StepProgress(IProgress<Step>? inner, long total) : IProgress<long>
    {
        public void Report(long value) => inner?.Report(new Step("write", value, total));
    }
}

/// <summary>Value equality of two <see cref="StoreContent"/>s, geometry compared exactly (same vertices, same order).</summary>
public static class StoreContentComparer
{
    /// <summary>Null when equal, else a short description of the first difference found.</summary>
    public static string? FirstDifference(StoreContent a, StoreContent b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Versions.SequenceEqual(b.Versions)) return "grid versions";
        foreach (var v in a.Versions)
        {
            var ga = a.Grids[v.Number];
            if (!b.Grids.TryGetValue(v.Number, out var gb) || ga.Count != gb.Count) return $"grid count of version {v.Number}";
            for (var i = 0; i < ga.Count; i++)
            {
                var x = ga[i];
                var y = gb[i];
                if (x.Code != y.Code || x.Name != y.Name || x.SubdistrictName != y.SubdistrictName || x.CommunityName != y.CommunityName)
                    return $"attributes of grid {x.Code} in version {v.Number}";
                if (x.Geometry.GeometryType != y.Geometry.GeometryType || !x.Geometry.EqualsExact(y.Geometry) || y.Geometry.SRID != 4490)
                    return $"geometry of grid {x.Code} in version {v.Number}";
            }
        }
        if (!a.Departments.SequenceEqual(b.Departments)) return "departments";
        if (!a.Rules.SequenceEqual(b.Rules)) return "responsibility rules";
        if (!a.ApiKeys.OrderBy(k => k.Id, StringComparer.Ordinal).SequenceEqual(b.ApiKeys.OrderBy(k => k.Id, StringComparer.Ordinal)))
            return "API keys";
        return null;
    }
}
