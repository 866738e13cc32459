using Geo.GridService.Census;
using Geo.Spatial.Failures;

namespace Geo.Storage;

/// <summary>One committed bulk import as stored (the source of the "imported" audit entries of its components).</summary>
public sealed record CensusImportRecord(long Id, DateTimeOffset ImportedAt, string Actor, string? Source, int RowCount);

/// <summary>A component as stored, with the bulk import that created it (null when created singly).</summary>
public sealed record StoredComponent(Component Component, long? ImportId);

/// <summary>One row of the audit trail as stored, in the store's order.</summary>
public sealed record AuditRecord(string Code, string Action, string Actor, DateTimeOffset At, long? Version, string? Before, string? After);

/// <summary>
/// What <c>geo store copy</c> needs of a census backend beyond <see cref="ICensusStore"/>: everything read out as stored
/// (versions, import links and the audit trail kept, not re-created), streamed in a stable order (components by code,
/// imports and audit rows oldest first), and written back whole into an empty census in one transaction.
/// Timestamps are kept to the millisecond by both backends.
/// </summary>
public interface ICensusRestore
{
    /// <summary>True when the census holds no component, audit row or import (classes may exist: a copy upserts them).</summary>
    Task<bool> IsCensusEmptyAsync(CancellationToken ct = default);

    IAsyncEnumerable<CensusImportRecord> ReadImportsAsync(CancellationToken ct = default);

    IAsyncEnumerable<StoredComponent> ReadAllComponentsAsync(CancellationToken ct = default);

    IAsyncEnumerable<AuditRecord> ReadAllAuditAsync(CancellationToken ct = default);

    /// <summary>
    /// Writes the classes, imports (with their ids), components (streamed; versions kept) and audit rows into this
    /// census, which must hold no component, audit row or import (<c>store_not_empty</c> otherwise), in one transaction.
    /// Returns the number of components written; <paramref name="componentsWritten"/> gets the running count.
    /// </summary>
    Task<Result<long>> RestoreCensusAsync(IReadOnlyList<ComponentClass> classes, IReadOnlyList<CensusImportRecord> imports,
        IAsyncEnumerable<StoredComponent> components, IAsyncEnumerable<AuditRecord> audit, IProgress<long>? componentsWritten = null,
        CancellationToken ct = default);
}
