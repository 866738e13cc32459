using Geo.Formats;
using Geo.GridService.Codes;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Application;

/// <summary>Loads a sample directory (grids.geojson, departments.csv, responsibility.csv) into an empty store.</summary>
public static class SampleLoader
{
    /// <summary>The first day the sample grids answer for, so that "at" queries have history to go back to.</summary>
    public static readonly DateOnly SampleValidFrom = new(2024, 1, 1);

    public static async Task<Result<bool>> LoadIfEmptyAsync(IGridStore store, OwnershipService ownership, string dir, CountyCode county, CancellationToken ct = default)
    {
        if ((await store.ListGridVersionsAsync(ct)).Count > 0) return false;
        return await LoadAsync(store, ownership, dir, county, ct);
    }

    public static async Task<Result<bool>> LoadAsync(IGridStore store, OwnershipService ownership, string dir, CountyCode county, CancellationToken ct = default)
    {
        string Need(string name) => Path.Combine(dir, name);
        foreach (var f in new[] { "grids.geojson", "departments.csv", "responsibility.csv" })
            if (!File.Exists(Need(f)))
                return Failure.NotFound("sample_missing", $"{Need(f)} is missing; run ./geo samples generate first.");

        var set = VectorReader.ReadFile(Need("grids.geojson"));
        if (!set.IsOk) return Result<bool>.Fail(set.Failures);
        var import = new GridImport(store, county);
        var grids = await import.ImportAsync(set.Value, new GridImportRequest(null, SampleValidFrom, "data-samples", "synthetic sample grids", false), ct);
        if (!grids.IsOk) return Result<bool>.Fail(grids.Failures);

        await using (var s = File.OpenRead(Need("departments.csv")))
        {
            var parsed = DepartmentInput.FromCsv(s);
            if (!parsed.IsOk) return Result<bool>.Fail(parsed.Failures);
            var valid = DepartmentInput.Validate(parsed.Value);
            if (!valid.IsOk) return Result<bool>.Fail(valid.Failures);
            var stored = await store.UpsertDepartmentsAsync(valid.Value, ct);
            if (!stored.IsOk) return Result<bool>.Fail(stored.Failures);
        }
        await using (var s = File.OpenRead(Need("responsibility.csv")))
        {
            var parsed = MatrixInput.FromCsv(s);
            if (!parsed.IsOk) return Result<bool>.Fail(parsed.Failures);
            var replaced = await MatrixInput.ReplaceAsync(parsed.Value, store, ownership, county, ct);
            if (!replaced.IsOk) return Result<bool>.Fail(replaced.Failures);
        }
        return true;
    }

    /// <summary>
    /// Loads the sample census (components.csv) into a store with no components, through the same import as
    /// <c>./geo components import</c> (all or nothing). False when there is nothing to load or the census is not empty.
    /// </summary>
    public static async Task<Result<bool>> LoadCensusIfEmptyAsync(Census.CensusService census, string dir, CancellationToken ct = default)
    {
        var path = Path.Combine(dir, "components.csv");
        if (!File.Exists(path) || await census.Store.CountAsync(ct) > 0) return false;
        var seeded = await Census.TaxonomyFile.EnsureSeededAsync(census.Store, ct);
        if (!seeded.IsOk) return Result<bool>.Fail(seeded.Failures);
        await using var stream = File.OpenRead(path);
        var report = await new Census.CensusImport(census).ImportCsvAsync(stream,
            new Census.CensusImportOptions(Geo.Spatial.Crs.CrsId.Cgcs2000, Actor: new GridService.Census.AuditActor("samples"), Source: "data-samples"), null, ct);
        return report.IsOk ? true : Result<bool>.Fail(report.Failures);
    }
}
