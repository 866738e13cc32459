using Geo.GridService.Census;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Surveys;
using Microsoft.Data.Sqlite;

using static Geo.Storage.GeoPackage.GeoPackageFile;
namespace Geo.Storage.GeoPackage;

/// <summary>
/// <see cref="ICopyWriter"/> on one IMMEDIATE SQLite transaction of the GeoPackage file (which holds the file's write
/// lock for the whole copy, so no other process writes in between).
/// </summary>
internal sealed class GeoPackageCopyWriter(SqliteConnection c, SqliteTransaction tx) : ICopyWriter
{
    public Task<IReadOnlyList<string>> OccupiedTablesAsync(CancellationToken ct)
    {
        // Table names are constants of this program, never input.
        var sql = string.Join(" UNION ALL ", CopyTarget.DataTables.Select(t => $"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})"));
        using var command = Command(c, tx, sql + ";");
        using var r = command.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return Task.FromResult<IReadOnlyList<string>>(list);
    }

    public Task ClearAsync(CancellationToken ct)
    {
        foreach (var table in CopyTarget.Tables)
        {
            // component_grids (the GeoPackage's grid index of components) goes with its components.
            if (table == "components") Execute("DELETE FROM component_grids;");
            Execute($"DELETE FROM {table};");
        }
        return Task.CompletedTask;
    }

    public Task<Result<int>> WriteGridsAsync(StoreContent content, IProgress<long>? progress, CancellationToken ct) =>
        Task.FromResult(GeoPackageGridStore.RestoreRows(c, tx, content, progress, ct));

    public Task<Result<long>> WriteCensusAsync(IReadOnlyList<ComponentClass> classes, IReadOnlyList<CensusImportRecord> imports,
        IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit, IProgress<long>? progress, CancellationToken ct) =>
        GeoPackageCensusStore.RestoreRowsAsync(c, tx, classes, imports, components, audit, progress, ct);

    public Task<Result<int>> WriteSurveysAsync(IReadOnlyList<Survey> surveys, CancellationToken ct)
    {
        foreach (var s in surveys)
        {
            var added = GeoPackageSurveyStore.InsertRow(c, tx, s);
            if (!added.IsOk) return Task.FromResult(Result<int>.Fail(added.Failures));
        }
        return Task.FromResult<Result<int>>(surveys.Count);
    }

    public async Task<Result<FindingCounts>> WriteFindingsAsync(FindingContent content, CancellationToken ct) =>
        await GeoPackageFindingStore.RestoreRowsAsync(c, tx, content, ct).ConfigureAwait(false);

    private void Execute(string sql)
    {
        using var command = Command(c, tx, sql);
        command.ExecuteNonQuery();
    }
}
