using Geo.GridService.Census;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Surveys;
using Npgsql;

namespace Geo.Storage.PostGis;

/// <summary>
/// <see cref="ICopyWriter"/> on one PostgreSQL transaction (opened by the grid store's write path, which took the
/// revision row lock first, so no writer of any instance interleaves with the copy).
/// </summary>
internal sealed class PostGisCopyWriter(PostGisGridStore db, NpgsqlConnection c, NpgsqlTransaction tx) : ICopyWriter
{
    public async Task<IReadOnlyList<string>> OccupiedTablesAsync(CancellationToken ct)
    {
        // Table names are constants of this program, never input.
        var sql = string.Join(" UNION ALL ", CopyTarget.DataTables.Select(t => $"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})"));
        await using var command = new NpgsqlCommand(sql + ";", c, tx);
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    public async Task ClearAsync(CancellationToken ct)
    {
        foreach (var table in CopyTarget.Tables)
        {
            await using var delete = new NpgsqlCommand($"DELETE FROM {table};", c, tx);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    public Task<Result<int>> WriteGridsAsync(StoreContent content, IProgress<long>? progress, CancellationToken ct) =>
        db.RestoreRowsAsync(c, tx, content, progress, ct);

    public async Task<Result<long>> WriteCensusAsync(IReadOnlyList<ComponentClass> classes, IReadOnlyList<CensusImportRecord> imports,
        IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit, IProgress<long>? progress, CancellationToken ct)
    {
        await using var census = PostGisCensusStore.On(db);
        return await census.RestoreRowsAsync(c, tx, classes, imports, components, audit, progress, ct).ConfigureAwait(false);
    }

    public async Task<Result<int>> WriteSurveysAsync(IReadOnlyList<Survey> surveys, CancellationToken ct)
    {
        foreach (var s in surveys)
        {
            var added = await PostGisSurveyStore.InsertRowAsync(c, tx, s with { CreatedAt = PostGisGridStore.TruncateToMilliseconds(s.CreatedAt) }, ct)
                .ConfigureAwait(false);
            if (!added.IsOk) return Result<int>.Fail(added.Failures);
        }
        return surveys.Count;
    }

    public async Task<Result<FindingCounts>> WriteFindingsAsync(FindingContent content, CancellationToken ct) =>
        await PostGisFindingStore.RestoreRowsAsync(c, tx, content, ct).ConfigureAwait(false);
}
