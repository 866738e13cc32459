using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Npgsql;

namespace Geo.Storage.PostGis;

public sealed partial class PostGisGridStore
{
    /// <summary>
    /// Writes a whole store's content into this empty database in one transaction (see <see cref="IStoreRestore"/>):
    /// versions with their numbers, dates and import times, every version's grids through binary COPY, departments,
    /// the matrix in its order, API keys. One revision bump and one NOTIFY for all of it.
    /// </summary>
    public async Task<Result<int>> RestoreAsync(StoreContent content, IProgress<long>? gridsWritten = null, CancellationToken ct = default)
    {
        var invalid = StoreContentCheck.Validate(content);
        if (invalid.Count > 0) return Result<int>.Fail(invalid);

        return await WriteAsync<int>(async (c, tx, ct) =>
        {
            await using (var empty = new NpgsqlCommand("""
                             SELECT NOT EXISTS (SELECT 1 FROM grid_versions) AND NOT EXISTS (SELECT 1 FROM departments)
                                AND NOT EXISTS (SELECT 1 FROM responsibility_rules) AND NOT EXISTS (SELECT 1 FROM api_keys);
                             """, c, tx))
            {
                if (!(bool)(await empty.ExecuteScalarAsync(ct).ConfigureAwait(false))!) return StoreContentCheck.NotEmpty(Display);
            }
            return await RestoreRowsAsync(c, tx, content, gridsWritten, ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The rows of <paramref name="content"/> (checked already, into tables the caller found empty), inside the caller's transaction.</summary>
    internal async Task<Result<int>> RestoreRowsAsync(NpgsqlConnection c, NpgsqlTransaction tx, StoreContent content, IProgress<long>? gridsWritten,
        CancellationToken ct)
    {
        long written = 0;
        foreach (var version in content.Versions)
        {
            await InsertVersionAsync(c, tx, version with { ImportedAt = TruncateToMilliseconds(version.ImportedAt) }, ct).ConfigureAwait(false);
            var before = written;
            var progress = gridsWritten is null ? null : new OffsetProgress(gridsWritten, before);
            written += (long)await CopyGridsAsync(c, version.Number, content.Grids[version.Number], progress, ct).ConfigureAwait(false);
        }
        if (content.Departments.Count > 0) await UpsertDepartmentRowsAsync(c, tx, content.Departments, ct).ConfigureAwait(false);
        var rules = await WriteRulesAsync(c, tx, content.Rules, ct).ConfigureAwait(false);
        if (!rules.IsOk) return Result<int>.Fail(rules.Failures);
        await InsertApiKeysAsync(c, tx, content.ApiKeys.Select(k => k with
        {
            CreatedAt = TruncateToMilliseconds(k.CreatedAt),
            RevokedAt = k.RevokedAt is { } r ? TruncateToMilliseconds(r) : null,
        }).ToList(), ct).ConfigureAwait(false);
        gridsWritten?.Report(written);
        return (int)written;
    }

    /// <summary>Reports a running count offset by what earlier versions wrote, synchronously (no context hop).</summary>
    private sealed class OffsetProgress(IProgress<long> inner, long offset) : IProgress<long>
    {
        public void Report(long value) => inner.Report(offset + value);
    }
}
