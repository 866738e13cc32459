using Geo.ChangeDetect.Findings;
using Geo.GridService.Census;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Storage.GeoPackage;
using Geo.Surveys;

namespace Geo.Storage;

/// <summary>What a copy moved.</summary>
public sealed record StoreCopyReport(int Versions, int Grids, int Departments, int Rules, int ApiKeys,
    int Classes = 0, long Components = 0, int Imports = 0, long AuditEntries = 0, int Surveys = 0,
    int Runs = 0, long Findings = 0, long Reviews = 0, long OutboxEntries = 0, int Permits = 0);

/// <summary>How <see cref="StoreCopy"/> treats the destination.</summary>
/// <param name="Replace">Copy into a destination that holds data: its grids, census, surveys and findings are deleted
/// in the copy's own transaction (so a failed copy still leaves them as they were). Without it such a destination is
/// refused (<c>store_not_empty</c>) and nothing is written.</param>
public sealed record StoreCopyOptions(bool Replace = false);

/// <summary>
/// Copies everything one store holds into another of either backend (GeoPackage to PostGIS when a city moves to the
/// production store, PostGIS to GeoPackage for an offline copy): grid versions with their numbers, validity dates and
/// import times, grids, departments, the matrix in order, API key hashes; the census (taxonomy with local classes,
/// components with their versions, bulk imports, the audit trail); the survey records (not the COG files, which stay in
/// the survey directory); the change-detection data (runs with their parameters, state and times, findings with their
/// geometry, every attribute and review state, the review history, permits, the dispatch outbox with its sequences, so
/// a dispatch reader's cursor stays valid). Ids and timestamps are kept, so the links between them stay valid.
/// Afterwards the destination is read back and compared with the source; a difference is a failure
/// (<c>store_copy_mismatch</c>).
/// <para>All or nothing: every part is written in <b>one transaction</b> of the destination (PostgreSQL: one
/// transaction holding the revision row lock; GeoPackage: one IMMEDIATE transaction holding the file's write lock),
/// which first checks the destination is empty. A copy that fails, is cancelled or is killed at any point leaves the
/// destination as it was. A destination holding data is refused unless <see cref="StoreCopyOptions.Replace"/>.</para>
/// <para>Volumes: the grid part is read whole (at most tens of thousands of grids); components, audit rows, findings,
/// reviews and outbox entries are streamed from the source into the destination (binary COPY into PostGIS) and compared
/// streaming, so hundreds of thousands of rows do not sit in memory.</para>
/// </summary>
public static class StoreCopy
{
    /// <summary>Progress of a copy: a phase (read, write, census, surveys, findings, verify) and how many of how many.</summary>
    public readonly record struct Step(string Phase, long Done, long Total);

    public static Task<Result<StoreCopyReport>> CopyAsync(IGridStore source, IGridStore destination, IProgress<Step>? progress = null,
        CancellationToken ct = default) => CopyAsync(source, destination, new StoreCopyOptions(), progress, ct);

    public static async Task<Result<StoreCopyReport>> CopyAsync(IGridStore source, IGridStore destination, StoreCopyOptions options,
        IProgress<Step>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);

        await using var sourceCensus = await StoreFactory.OpenCensusAsync(source, ct).ConfigureAwait(false);
        await using var destinationCensus = await StoreFactory.OpenCensusAsync(destination, ct).ConfigureAwait(false);
        await using var sourceSurveys = await StoreFactory.OpenSurveysAsync(source, SurveyPath(source), ct).ConfigureAwait(false);
        await using var destinationSurveys = await StoreFactory.OpenSurveysAsync(destination, SurveyPath(destination), ct).ConfigureAwait(false);
        await using var sourceFindings = await StoreFactory.OpenFindingsAsync(source, ct).ConfigureAwait(false);
        await using var destinationFindings = await StoreFactory.OpenFindingsAsync(destination, ct).ConfigureAwait(false);
        if (sourceCensus is not ICensusRestore censusFrom)
            return Failure.BadRequest("store_copy_unsupported", "The census of the source cannot be read out whole.");
        if (sourceFindings is not IFindingRestore)
            return Failure.BadRequest("store_copy_unsupported", "The findings of the source cannot be read out whole.");

        progress?.Report(new Step("read", 0, 0));
        var content = await StoreContent.ReadAsync(source, null, ct).ConfigureAwait(false);
        var invalid = StoreContentCheck.Validate(content);
        if (invalid.Count > 0) return Result<StoreCopyReport>.Fail(invalid);
        var classes = await sourceCensus.ListClassesAsync(ct).ConfigureAwait(false);
        var imports = await ToListAsync(censusFrom.ReadImportsAsync(ct), ct).ConfigureAwait(false);
        var componentTotal = await sourceCensus.CountAsync(ct).ConfigureAwait(false);
        // Survey records: DSMs before the orthophotos that name them.
        var surveys = (await sourceSurveys.ListAsync(ct).ConfigureAwait(false)).OrderBy(s => s.Kind == SurveyKind.Dsm ? 0 : 1).ToList();
        var total = content.GridCount;

        var written = await CopyTarget.InOneTransactionAsync<(int Grids, long Components, FindingCounts Findings)>(destination, async (to, ct) =>
        {
            var occupied = await to.OccupiedTablesAsync(ct).ConfigureAwait(false);
            if (occupied.Count > 0)
            {
                if (!options.Replace) return StoreContentCheck.NotEmpty(Describe(destination), occupied);
                await to.ClearAsync(ct).ConfigureAwait(false);
            }
            progress?.Report(new Step("write", 0, total));
            var grids = await to.WriteGridsAsync(content, new StepProgress(progress, "write", total), ct).ConfigureAwait(false);
            if (!grids.IsOk) return Result<(int, long, FindingCounts)>.Fail(grids.Failures);

            progress?.Report(new Step("census", 0, componentTotal));
            var census = await to.WriteCensusAsync(classes, imports, censusFrom.ReadAllComponentsAsync(ct), censusFrom.ReadAllAuditAsync(ct),
                new StepProgress(progress, "census", componentTotal), ct).ConfigureAwait(false);
            if (!census.IsOk) return Result<(int, long, FindingCounts)>.Fail(census.Failures);

            progress?.Report(new Step("surveys", 0, surveys.Count));
            var surveysWritten = await to.WriteSurveysAsync(surveys, ct).ConfigureAwait(false);
            if (!surveysWritten.IsOk) return Result<(int, long, FindingCounts)>.Fail(surveysWritten.Failures);

            // Read inside the work: a retried transaction (PostgreSQL, connection lost before COMMIT) streams again from the start.
            var findingContent = await FindingContent.ReadAsync(sourceFindings, ct).ConfigureAwait(false);
            progress?.Report(new Step("findings", 0, findingContent.Runs.Count));
            var findings = await to.WriteFindingsAsync(findingContent, ct).ConfigureAwait(false);
            if (!findings.IsOk) return Result<(int, long, FindingCounts)>.Fail(findings.Failures);
            progress?.Report(new Step("findings", findingContent.Runs.Count, findingContent.Runs.Count));
            return (grids.Value, census.Value, findings.Value);
        }, ct).ConfigureAwait(false);
        if (!written.IsOk) return Result<StoreCopyReport>.Fail(written.Failures);

        progress?.Report(new Step("verify", total, total));
        var back = await StoreContent.ReadAsync(destination, null, ct).ConfigureAwait(false);
        var difference = StoreContentComparer.FirstDifference(content, back)
                         ?? await CensusComparer.FirstDifferenceAsync(sourceCensus, destinationCensus, ct).ConfigureAwait(false)
                         ?? SurveyComparer.FirstDifference(await sourceSurveys.ListAsync(ct).ConfigureAwait(false),
                             await destinationSurveys.ListAsync(ct).ConfigureAwait(false))
                         ?? await FindingComparer.FirstDifferenceAsync(sourceFindings, destinationFindings, ct).ConfigureAwait(false);
        if (difference is not null)
            return Failure.Conflict("store_copy_mismatch",
                $"The copy was written but differs from the source: {difference}. Inspect the destination, then copy again with --replace.");
        long audit = 0;
        await foreach (var _ in censusFrom.ReadAllAuditAsync(ct).ConfigureAwait(false)) audit++;
        var (gridCount, components, f) = written.Value;
        return new StoreCopyReport(content.Versions.Count, gridCount, content.Departments.Count, content.Rules.Count, content.ApiKeys.Count,
            classes.Count, components, imports.Count, audit, surveys.Count, f.Runs, f.Findings, f.Reviews, f.OutboxEntries, f.Permits);
    }

    /// <summary>Where a store keeps its survey records when it is a GeoPackage: the file itself.</summary>
    private static string SurveyPath(IGridStore store) => store is GeoPackageGridStore gp ? gp.FilePath : "";

    private static string Describe(IGridStore store) => store switch
    {
        GeoPackageGridStore gp => gp.FilePath,
        PostGis.PostGisGridStore pg => pg.Display,
        _ => store.GetType().Name,
    };

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items, CancellationToken ct)
    {
        var list = new List<T>();
        await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false)) list.Add(item);
        return list;
    }

    private sealed class StepProgress(IProgress<Step>? inner, string phase, long total) : IProgress<long>
    {
        public void Report(long value) => inner?.Report(new Step(phase, value, total));
    }
}

/// <summary>
/// Value equality of two censuses, as stored: classes, imports, every component (all fields, geometry exactly: same
/// vertices in the same order, SRID 4490, same type) and the audit trail in order. Components and audit are compared
/// streaming, pairwise in code (resp. store) order.
/// </summary>
public static class CensusComparer
{
    /// <summary>Null when equal, else a short description of the first difference found.</summary>
    public static async Task<string?> FirstDifferenceAsync(ICensusStore a, ICensusStore b, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!(await a.ListClassesAsync(ct).ConfigureAwait(false)).SequenceEqual(await b.ListClassesAsync(ct).ConfigureAwait(false))) return "classes";
        if (a is not ICensusRestore ra || b is not ICensusRestore rb) return "census backends without a full read";
        var ia = new List<CensusImportRecord>();
        await foreach (var i in ra.ReadImportsAsync(ct).ConfigureAwait(false)) ia.Add(i);
        var ib = new List<CensusImportRecord>();
        await foreach (var i in rb.ReadImportsAsync(ct).ConfigureAwait(false)) ib.Add(i);
        if (!ia.SequenceEqual(ib)) return "census imports";

        await using (var ea = ra.ReadAllComponentsAsync(ct).GetAsyncEnumerator(ct))
        await using (var eb = rb.ReadAllComponentsAsync(ct).GetAsyncEnumerator(ct))
        {
            while (true)
            {
                var hasA = await ea.MoveNextAsync().ConfigureAwait(false);
                var hasB = await eb.MoveNextAsync().ConfigureAwait(false);
                if (hasA != hasB) return "component count";
                if (!hasA) break;
                if (ComponentDifference(ea.Current, eb.Current) is { } d) return $"component {ea.Current.Component.Code}: {d}";
            }
        }
        await using (var ea = ra.ReadAllAuditAsync(ct).GetAsyncEnumerator(ct))
        await using (var eb = rb.ReadAllAuditAsync(ct).GetAsyncEnumerator(ct))
        {
            long n = 0;
            while (true)
            {
                var hasA = await ea.MoveNextAsync().ConfigureAwait(false);
                var hasB = await eb.MoveNextAsync().ConfigureAwait(false);
                if (hasA != hasB) return "audit entry count";
                if (!hasA) break;
                n++;
                if (ea.Current != eb.Current) return $"audit entry {n} ({ea.Current.Code} {ea.Current.Action})";
            }
        }
        return null;
    }

    /// <summary>Null when the two stored components are equal in every field, else the first field that differs.</summary>
    public static string? ComponentDifference(StoredComponent x, StoredComponent y)
    {
        var a = x.Component;
        var b = y.Component;
        if (a.Code != b.Code) return "code";
        if (x.ImportId != y.ImportId) return "import";
        if (a.Name != b.Name || a.Owner != b.Owner || a.Remarks != b.Remarks || a.AttributesJson != b.AttributesJson) return "text fields";
        if (a.CompetentDepartment != b.CompetentDepartment || a.Maintainer != b.Maintainer) return "departments";
        if (a.Status != b.Status || a.Source != b.Source || a.FirstRecorded != b.FirstRecorded || a.LastChanged != b.LastChanged) return "status, source or dates";
        if (a.Version != b.Version) return "version";
        if (!a.GridCodes.SequenceEqual(b.GridCodes)) return "grids";
        if (!a.Photos.SequenceEqual(b.Photos)) return "photos";
        if (a.Geometry.GeometryType != b.Geometry.GeometryType || b.Geometry.SRID != 4490 || !a.Geometry.EqualsExact(b.Geometry)) return "geometry";
        return null;
    }
}

/// <summary>Value equality of two survey lists (as <see cref="ISurveyStore.ListAsync"/> orders them), footprints exactly.</summary>
public static class SurveyComparer
{
    public static string? FirstDifference(IReadOnlyList<Survey> a, IReadOnlyList<Survey> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) return "survey count";
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] with { Footprint = b[i].Footprint } != b[i]) return $"survey {a[i].Id}";
            if (!a[i].Footprint.EqualsExact(b[i].Footprint) || b[i].Footprint.SRID != 4490) return $"footprint of survey {a[i].Id}";
        }
        return null;
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
