using Geo.GridService.Census;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;
using Geo.Surveys;

namespace Geo.Storage;

/// <summary>
/// The write side of one <c>geo store copy</c>: every domain (grids, census, surveys, findings) written through one
/// connection and one transaction of the destination, so a copy that fails or is cancelled at any point leaves the
/// destination exactly as it was. Backends: <see cref="PostGisCopyWriter"/>, <see cref="GeoPackageCopyWriter"/>.
/// </summary>
internal interface ICopyWriter
{
    /// <summary>The tables of the destination that hold rows (none: the destination is empty and may take a copy).</summary>
    Task<IReadOnlyList<string>> OccupiedTablesAsync(CancellationToken ct);

    /// <summary>Deletes every row a copy would write (grids to findings, classes included), for <c>--replace</c>.</summary>
    Task ClearAsync(CancellationToken ct);

    Task<Result<int>> WriteGridsAsync(StoreContent content, IProgress<long>? progress, CancellationToken ct);

    Task<Result<long>> WriteCensusAsync(IReadOnlyList<ComponentClass> classes, IReadOnlyList<CensusImportRecord> imports,
        IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit, IProgress<long>? progress, CancellationToken ct);

    /// <summary>Survey records in the given order (DSMs before the orthophotos that name them).</summary>
    Task<Result<int>> WriteSurveysAsync(IReadOnlyList<Survey> surveys, CancellationToken ct);

    Task<Result<FindingCounts>> WriteFindingsAsync(FindingContent content, CancellationToken ct);
}

/// <summary>Runs a whole copy in one transaction of the destination store.</summary>
internal static class CopyTarget
{
    /// <summary>
    /// Every table a copy writes, children before parents (the order <see cref="ICopyWriter.ClearAsync"/> deletes in).
    /// The names are the same in both backends.
    /// </summary>
    public static readonly string[] Tables =
    [
        "dispatch_outbox", "finding_reviews", "findings", "change_runs", "permits", "surveys",
        "component_audit", "components", "census_imports", "component_classes",
        "responsibility_rules", "api_keys", "departments", "grids", "grid_versions",
    ];

    /// <summary>The tables whose rows make a destination "not empty" (classes do not: a fresh store may hold the standard taxonomy).</summary>
    public static IEnumerable<string> DataTables => Tables.Where(t => t is not ("component_classes" or "grids"));

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction of <paramref name="destination"/>: committed (with one revision
    /// bump, and on PostGIS one NOTIFY) when it returns success; rolled back when it fails, throws or is cancelled.
    /// </summary>
    public static Task<Result<T>> InOneTransactionAsync<T>(IGridStore destination, Func<ICopyWriter, CancellationToken, Task<Result<T>>> work,
        CancellationToken ct) => destination switch
    {
        PostGisGridStore pg => pg.WriteAsync<T>((c, tx, ct) => work(new PostGisCopyWriter(pg, c, tx), ct), ct),
        GeoPackageGridStore gp => gp.WriteInOneTransactionAsync<T>(async (c, tx, ct) =>
        {
            try
            {
                return await work(new GeoPackageCopyWriter(c, tx), ct).ConfigureAwait(false);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 19)
            {
                // A constraint of the file refused a row; the caller's transaction is rolled back.
                return Failure.Conflict("store_constraint", $"The copy breaks a constraint of the GeoPackage ({e.Message}); nothing was stored.");
            }
        }, ct),
        _ => Task.FromResult<Result<T>>(Failure.BadRequest("store_copy_unsupported", "The destination store cannot take a copy.")),
    };
}
