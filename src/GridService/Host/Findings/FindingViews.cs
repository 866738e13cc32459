using System.Globalization;
using System.Text.Json;
using Geo.ChangeDetect.Findings;
using Geo.Formats;
using Geo.GridService.Host.Census;
using Geo.Tiles.Vector;
using VectorFeature = Geo.Formats.VectorFeature;

namespace Geo.GridService.Host.Findings;

/// <summary>A finding as the API shows it: geometry GeoJSON in EPSG:4490 (x = longitude, y = latitude), area in m²
/// (EPSG:4547), heights in metres.</summary>
public sealed record FindingView(
    string Id, string RunId, string Kind, double AreaM2, double? MeanDhM, double? MaxDhM, double Confidence, string? Grid, string? Department,
    bool Permitted, string? Permit, string Review, string? Reviewer, string? ReviewComment, DateTimeOffset? ReviewedAt, double[] Location,
    JsonElement Geometry);

/// <summary>A page of findings; <c>next</c> is the <c>after</c> of the next page.</summary>
public sealed record FindingPageView(IReadOnlyList<FindingView> Items, string? Next, int Count);

/// <summary>A run as the API shows it; <c>percent</c> is live while it runs in this process; <c>dsm</c> says whether both
/// surveys' DSMs were given to the detector (server file paths are not shown).</summary>
public sealed record ChangeRunView(
    string Id, string State, int? Percent, string? Stage, string Before, string After, bool Dsm, string AfterDate,
    string[]? Grids, JsonElement? Area, JsonElement Parameters, string SoftwareVersion, DateTimeOffset Started, DateTimeOffset? Finished,
    int FindingCount, string? Problem, string? StartedBy);

/// <summary>An outbox entry: <c>sequence</c> is the cursor; <c>payload</c> the case JSON.</summary>
public sealed record OutboxEntryView(long Sequence, string FindingId, string EventClass, DateTimeOffset CreatedAt, JsonElement Payload);

/// <summary>A page of the outbox: pass <c>next</c> as <c>after</c> to continue.</summary>
public sealed record OutboxPageView(IReadOnlyList<OutboxEntryView> Items, long Next);

/// <summary>A stored permit.</summary>
public sealed record PermitView(string Number, string Holder, string ValidFrom, string? ValidTo, string? Source, DateTimeOffset ImportedAt, JsonElement Geometry);

/// <summary>Text forms and views shared by the API, the CLI and the exports.</summary>
public static class FindingViews
{
    /// <summary>A client-supplied value made safe to quote in a message: control characters dropped, at most 60 characters.</summary>
    public static string Printable(string s)
    {
        var clean = new string(s.Where(c => !char.IsControl(c) && c is not ('\u202E' or '\u202D' or '\u200F' or '\u200E')).ToArray());
        return clean.Length > 60 ? clean[..60] + "…" : clean;
    }

    public static string KindText(ChangeKind k) => FindingText.Kind(k);

    public static string KindLabelZh(ChangeKind k) => k switch
    {
        ChangeKind.NewStructure => "新建构筑物",
        ChangeKind.Extension => "扩建/加层",
        ChangeKind.Demolition => "拆除",
        _ => "其他变化",
    };

    public static string ReviewText(ReviewState s) => FindingText.Review(s);

    public static string ReviewLabelZh(ReviewState s) => s switch { ReviewState.Confirmed => "已确认", ReviewState.Dismissed => "已排除", _ => "待核查" };

    public static string StateText(RunState s) => FindingText.State(s);

    public static bool TryKind(string s, out ChangeKind kind)
    {
        kind = ChangeKind.Other;
        switch (s)
        {
            case "new_structure": kind = ChangeKind.NewStructure; return true;
            case "extension": kind = ChangeKind.Extension; return true;
            case "demolition": kind = ChangeKind.Demolition; return true;
            case "other": return true;
            default: return false;
        }
    }

    public static bool TryReview(string s, out ReviewState state)
    {
        state = ReviewState.Pending;
        switch (s)
        {
            case "pending": return true;
            case "confirmed": state = ReviewState.Confirmed; return true;
            case "dismissed": state = ReviewState.Dismissed; return true;
            default: return false;
        }
    }

    public static FindingView View(Finding f)
    {
        var p = f.Polygon.InteriorPoint;
        return new FindingView(f.Id, f.RunId, KindText(f.Kind), f.AreaM2, f.MeanDh, f.MaxDh, f.Confidence, f.GridCode, f.DepartmentCode, f.Permitted,
            f.PermitId, ReviewText(f.Review), f.ReviewerKeyId, f.ReviewComment, f.ReviewedAt, [Math.Round(p.X, 7), Math.Round(p.Y, 7)],
            GeoJsonGeometry.ToElement(f.Polygon));
    }

    public static ChangeRunView View(ChangeRun r, RunProgress? live) => new(
        r.Id, StateText(r.State), r.State == RunState.Succeeded ? 100 : live?.Percent, r.State == RunState.Running ? live?.Stage ?? "unknown" : null,
        r.BeforeSurveyId, r.AfterSurveyId, r.BeforeDsmPath is not null && r.AfterDsmPath is not null,
        r.AfterSurveyDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.Area?.GridCodes?.ToArray(),
        r.Area?.Polygon is { } poly ? GeoJsonGeometry.ToElement(poly) : null, JsonDocument.Parse(r.ParametersJson).RootElement.Clone(),
        r.SoftwareVersion, r.Started, r.Finished, r.FindingCount, r.Problem, r.StartedBy);

    public static OutboxEntryView View(OutboxEntry e) =>
        new(e.Sequence, e.FindingId, e.EventClass, e.CreatedAt, JsonDocument.Parse(e.PayloadJson).RootElement.Clone());

    public static PermitView View(StoredPermit p) => new(p.Permit.Number, p.Permit.Holder,
        p.Permit.ValidFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), p.Permit.ValidTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        p.Source, p.ImportedAt, GeoJsonGeometry.ToElement(p.Permit.Geometry));

    /// <summary>Findings as features for GeoJSON and GeoPackage exports (EPSG:4490).</summary>
    public static IEnumerable<VectorFeature> Features(IEnumerable<Finding> findings) => findings.Select((f, i) => new VectorFeature(i, f.Polygon,
        new Dictionary<string, object?>
        {
            ["id"] = f.Id, ["run_id"] = f.RunId, ["kind"] = KindText(f.Kind), ["area_m2"] = f.AreaM2, ["mean_dh_m"] = f.MeanDh, ["max_dh_m"] = f.MaxDh,
            ["confidence"] = f.Confidence, ["grid"] = f.GridCode, ["department"] = f.DepartmentCode, ["permitted"] = f.Permitted,
            ["permit"] = f.PermitId, ["review"] = ReviewText(f.Review), ["reviewer"] = f.ReviewerKeyId, ["review_comment"] = f.ReviewComment,
            ["reviewed_at"] = f.ReviewedAt?.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        }));

    public static readonly IReadOnlyList<(string Name, Type Type)> ExportColumns =
    [
        ("id", typeof(string)), ("run_id", typeof(string)), ("kind", typeof(string)), ("area_m2", typeof(double)), ("mean_dh_m", typeof(double)),
        ("max_dh_m", typeof(double)), ("confidence", typeof(double)), ("grid", typeof(string)), ("department", typeof(string)),
        ("permitted", typeof(bool)), ("permit", typeof(string)), ("review", typeof(string)), ("reviewer", typeof(string)),
        ("review_comment", typeof(string)), ("reviewed_at", typeof(string)),
    ];

    /// <summary>Writes a run's findings as GeoJSON (EPSG:4490, legacy crs member) to <paramref name="stream"/>.</summary>
    public static void WriteGeoJson(Stream stream, IReadOnlyList<Finding> findings) => VectorWriter.WriteGeoJson(stream, Features(findings), "EPSG:4490");

    /// <summary>Writes a run's findings as a one-layer GeoPackage (<c>findings</c>, EPSG:4490, R*Tree).</summary>
    public static void WriteGeoPackage(string path, IReadOnlyList<Finding> findings) =>
        VectorWriter.WriteGeoPackage(path, "findings", Features(findings), 4490, Application.GridFiles.Cgcs2000Wkt, ExportColumns);
}

/// <summary>The <c>findings</c> vector tile layer fed from the finding store (status = review state), refreshed when the
/// store's revision moves.</summary>
public sealed class FindingTileFeed(IFindingStore store) : IFindingTileFeed
{
    private volatile Snapshot? _last;

    private sealed record Snapshot(long Revision, IReadOnlyList<FindingTileRecord> Records);

    public async ValueTask<long> GetRevisionAsync(CancellationToken ct = default) => await store.GetRevisionAsync(ct);

    public async ValueTask<IReadOnlyList<FindingTileRecord>> GetFindingsAsync(CancellationToken ct = default)
    {
        var revision = await store.GetRevisionAsync(ct);
        if (_last is { } s && s.Revision == revision) return s.Records;
        var runs = (await store.ListRunsAsync(ct)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var records = new List<FindingTileRecord>();
        await foreach (var f in store.ScanFindingsAsync(null, ct))
        {
            runs.TryGetValue(f.RunId, out var run);
            records.Add(new FindingTileRecord(f.Id, FindingViews.KindText(f.Kind), FindingViews.ReviewText(f.Review), f.Confidence,
                run?.BeforeSurveyId, run?.AfterSurveyId, f.Polygon));
        }
        _last = new Snapshot(revision, records);
        return records;
    }
}
