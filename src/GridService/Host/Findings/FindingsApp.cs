using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Geo.ChangeDetect.Findings;
using Geo.Formats;
using Geo.GridService.Host.Application;
using Geo.GridService.Storage;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Geo.Surveys;
using Geo.Tiles;
using Geo.Tiles.Raster;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Findings;

/// <summary>A request to start a run: survey ids, an optional area (grid codes or a GeoJSON Polygon in EPSG:4490,
/// x = longitude), optional parameters (<c>minAreaM2</c>, <c>permitFraction</c>).</summary>
public sealed record ChangeRunRequest(string? Before, string? After, string[]? Grids, JsonElement? Area, JsonElement? Parameters);

/// <summary>The parameters of the findings stage a run records (the detector's own defaults are its business).</summary>
public sealed record RunParameters(double MinAreaM2, double PermitFraction);

/// <summary>
/// The findings use cases shared by the HTTP API and the CLI: starting runs (surveys checked, area resolved, inputs
/// and parameters recorded), image chips of findings, and the dispatch case payload of a confirmed finding.
/// </summary>
public sealed class FindingsApp
{
    /// <summary>Event class of illegal construction (私搭乱建) in the dispatch system's numbering.</summary>
    public const string EventClass = "0101";
    public const string EventClassName = "私搭乱建";
    public const int ChipSize = 256;

    private readonly SurveyCatalog _surveys;
    private readonly IGridStore _grids;
    private readonly OwnershipService _ownership;
    private readonly Func<ISurveyChangeDetector?> _detector;

    public FindingsApp(IFindingStore store, SurveyCatalog surveys, IGridStore grids, OwnershipService ownership, Func<ISurveyChangeDetector?> detector)
    {
        Store = store;
        _surveys = surveys;
        _grids = grids;
        _ownership = ownership;
        _detector = detector;
        Runner = new ChangeRunner(store, ct => ownership.RefreshAsync(false, ct), new PermitRule(), leases: Geo.Storage.RunLeases.For(grids));
    }

    public IFindingStore Store { get; }

    public ChangeRunner Runner { get; }

    /// <summary>Checks the request, records the run and queues it. 503 detector_unavailable when no detector is registered.</summary>
    public async Task<Result<ChangeRun>> StartRunAsync(ChangeRunRequest request, string startedBy, CancellationToken ct)
    {
        var failures = new List<Failure>();
        var before = await SurveyOf(request.Before, "before", failures, ct);
        var after = await SurveyOf(request.After, "after", failures, ct);
        var parameters = ParseParameters(request.Parameters, failures);
        if (failures.Count > 0) return Result<ChangeRun>.Fail(failures);
        if (before!.Id == after!.Id) return Failure.BadRequest("surveys_same", "before and after are the same survey.", "after");
        if (before.FlightDate > after.FlightDate)
            return Failure.BadRequest("surveys_order", $"The before survey was flown {before.FlightDate:yyyy-MM-dd}, after the after survey ({after.FlightDate:yyyy-MM-dd}).", "before");
        var area = await AreaOf(request, ct);
        if (!area.IsOk) return Result<ChangeRun>.Fail(area.Failures);
        if (_detector() is not { } detector)
            return Failure.Unavailable("detector_unavailable", "No change detector is installed in this service; runs cannot start.");

        // DSMs are given to the detector in pairs only (its contract): one side without one means neither is used.
        string? beforeDsm = null, afterDsm = null;
        if (before.PairedDsmId is { } bd && after.PairedDsmId is { } ad &&
            await _surveys.Store.GetAsync(bd, ct) is { } bs && await _surveys.Store.GetAsync(ad, ct) is { } @as)
        {
            beforeDsm = _surveys.Ingest.PathOf(bs);
            afterDsm = _surveys.Ingest.PathOf(@as);
        }
        var run = new ChangeRun(Runner.NewRunId(), before.Id.Value, after.Id.Value, _surveys.Ingest.PathOf(before), _surveys.Ingest.PathOf(after),
            after.FlightDate, area.Value.Limit, ParametersJson(parameters, detector), SoftwareVersion(detector), RunState.Running,
            DateTimeOffset.UtcNow, null, 0, beforeDsm, afterDsm, null, startedBy);
        var input = new SurveyPairInput(run.BeforePath, beforeDsm, run.AfterPath, afterDsm, area.Value.Geometry);
        return await Runner.StartAsync(run, input, new Filtered(detector, parameters.MinAreaM2), ct);
    }

    /// <summary>Applies the run's minimum area (EPSG:4547 m²) to the detector's candidates.</summary>
    private sealed class Filtered(ISurveyChangeDetector inner, double minAreaM2) : ISurveyChangeDetector
    {
        public async Task<Result<IReadOnlyList<ChangeCandidate>>> DetectAsync(SurveyPairInput input, IProgress<DetectionProgress>? progress, CancellationToken ct)
        {
            var r = await inner.DetectAsync(input, progress, ct).ConfigureAwait(false);
            if (!r.IsOk || minAreaM2 <= 0) return r;
            return r.Value.Where(c => CoordinateConverter.Transform(c.Polygon, c.Crs, CrsId.Cgcs2000GK114).Area >= minAreaM2).ToList();
        }
    }

    private async Task<Survey?> SurveyOf(string? id, string field, List<Failure> failures, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            failures.Add(Failure.BadRequest("survey_required", $"{field} is required: a survey id.", field));
            return null;
        }
        var parsed = SurveyId.Parse(id);
        if (!parsed.IsOk)
        {
            failures.Add(Failure.BadRequest(parsed.Failure.Code, parsed.Failure.Message, field));
            return null;
        }
        var s = await _surveys.Store.GetAsync(parsed.Value, ct);
        if (s is null) failures.Add(Failure.NotFound("survey_not_found", $"There is no survey {parsed.Value}.", field));
        else if (s.Kind != SurveyKind.Ortho) failures.Add(Failure.BadRequest("survey_not_ortho", $"Survey {s.Id} is a DSM; name orthophotos (their DSMs are used with them).", field));
        else return s;
        return null;
    }

    private static RunParameters ParseParameters(JsonElement? json, List<Failure> failures)
    {
        var p = new RunParameters(0, 0.5);
        if (json is not { ValueKind: JsonValueKind.Object } o)
        {
            if (json is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) })
                failures.Add(Failure.BadRequest("parameters_invalid", "parameters is an object: {\"minAreaM2\": 20, \"permitFraction\": 0.5}.", "parameters"));
            return p;
        }
        foreach (var prop in o.EnumerateObject())
        {
            var v = double.NaN;
            var ok = prop.Value.ValueKind == JsonValueKind.Number && prop.Value.TryGetDouble(out v) && double.IsFinite(v);
            switch (prop.Name)
            {
                case "minAreaM2" when ok && v is >= 0 and <= 1_000_000: p = p with { MinAreaM2 = v }; break;
                case "permitFraction" when ok && v is > 0 and <= 1: p = p with { PermitFraction = v }; break;
                case "minAreaM2" or "permitFraction":
                    failures.Add(Failure.BadRequest("parameter_invalid", $"{prop.Name} is out of range (minAreaM2 0..1000000 m², permitFraction (0, 1]).", "parameters." + prop.Name));
                    break;
                default:
                    failures.Add(Failure.BadRequest("parameter_unknown", $"Unknown parameter {FindingViews.Printable(prop.Name)}; known: minAreaM2, permitFraction.", "parameters"));
                    break;
            }
        }
        return p;
    }

    private async Task<Result<(AreaLimit? Limit, Geometry? Geometry)>> AreaOf(ChangeRunRequest request, CancellationToken ct)
    {
        var hasGrids = request.Grids is { Length: > 0 };
        var hasArea = request.Area is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) };
        if (hasGrids && hasArea) return Failure.BadRequest("area_ambiguous", "Give grids or area, not both.", "area");
        if (hasGrids)
        {
            if (request.Grids!.Length > 1000) return Failure.TooLarge("too_many_grids", "At most 1,000 grid codes.", "grids");
            var snapshot = await _ownership.RefreshAsync(false, ct);
            if (snapshot.Current is not { } version) return Failure.NotFound("no_grid_version", "No grids have been imported yet.", "grids");
            var byCode = (await _grids.GetGridsAsync(version.Number, ct)).ToDictionary(g => g.Code.Value, StringComparer.Ordinal);
            var failures = new List<Failure>();
            var parts = new List<Geometry>();
            foreach (var code in request.Grids!.Distinct(StringComparer.Ordinal))
            {
                if (code is not null && byCode.TryGetValue(code, out var g)) parts.Add(g.Geometry);
                else failures.Add(Failure.BadRequest("grid_not_found", $"There is no grid {FindingViews.Printable(code ?? "null")} in the current version.", "grids"));
            }
            if (failures.Count > 0) return Result<(AreaLimit?, Geometry?)>.Fail(failures);
            var union = NetTopologySuite.Operation.Union.UnaryUnionOp.Union(parts);
            return (new AreaLimit(request.Grids.Distinct(StringComparer.Ordinal).ToArray(), null), union);
        }
        if (hasArea)
        {
            var text = "{\"type\":\"Feature\",\"properties\":{},\"geometry\":" + request.Area!.Value.GetRawText() + "}";
            var set = VectorReader.ReadGeoJson(new MemoryStream(Encoding.UTF8.GetBytes(text)), new VectorReadLimits(MaxBytes: 4_000_000, MaxFeatures: 1, MaxVerticesPerFeature: 20_000));
            if (!set.IsOk) return Result<(AreaLimit?, Geometry?)>.Fail(set.Failures.Select(f => f with { Kind = FailureKind.BadRequest, Location = "area" }).ToList());
            if (set.Value.Features is not [{ Geometry: Polygon polygon }])
                return Failure.BadRequest("area_invalid", "area is a GeoJSON Polygon in EPSG:4490 (x = longitude, y = latitude).", "area");
            if (!polygon.IsValid || polygon.Coordinates.Any(c => !CoordinateConverter.IsInRange(CrsId.Cgcs2000, c.X, c.Y)))
                return Failure.BadRequest("area_invalid", "area is not a valid polygon in longitude/latitude.", "area");
            polygon.SRID = 4490;
            return (new AreaLimit(null, polygon), polygon);
        }
        return ((AreaLimit?)null, (Geometry?)null);
    }

    private static string ParametersJson(RunParameters p, ISurveyChangeDetector detector) => JsonSerializer.Serialize(new
    {
        minAreaM2 = p.MinAreaM2,
        permitFraction = p.PermitFraction,
        eventClass = "E" + EventClass,
        detector = detector.GetType().FullName,
    });

    /// <summary>This program's version and the detector's, recorded with each run.</summary>
    public static string SoftwareVersion(ISurveyChangeDetector detector)
    {
        static string V(Assembly a) => a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "?";
        var d = detector.GetType();
        return $"geo {V(typeof(FindingsApp).Assembly)}; findings {V(typeof(ChangeRunner).Assembly)}; detector {d.FullName} {V(d.Assembly)}";
    }

    /// <summary>A department's name and phone from the loaded ownership snapshot (null when unknown or not loaded).</summary>
    public Geo.GridService.Ownership.DepartmentRef? DepartmentOf(string? code) =>
        code is not null && _ownership.IsLoaded ? _ownership.Snapshot.Department(code) : null;

    // ---- chips ------------------------------------------------------------------------------------------------------

    /// <summary>The before or after chip of a finding as PNG (256 px square, the outline drawn), from the run's COGs.</summary>
    public async Task<Result<byte[]>> ChipAsync(Finding finding, bool before, CancellationToken ct)
    {
        var run = await Store.GetRunAsync(finding.RunId, ct);
        if (run is null) return Failure.NotFound(FindingCodes.RunNotFound, $"The run of finding {finding.Id} is gone.");
        var path = before ? run.BeforePath : run.AfterPath;
        if (!File.Exists(path)) return Failure.NotFound("survey_file_missing", $"The {(before ? "before" : "after")} survey file of run {run.Id} is no longer stored.");
        return await Task.Run(() => Chip(path, finding.Polygon), ct);
    }

    /// <summary>Renders the chip: a square window around the polygon (its larger side twice over, at least 40 m), Web Mercator.</summary>
    public static Result<byte[]> Chip(string cogPath, Polygon polygon4490)
    {
        var merc = CoordinateConverter.Transform(polygon4490, CrsId.Cgcs2000, CrsId.WebMercator);
        var e = merc.EnvelopeInternal;
        var side = Math.Max(40, Math.Max(e.Width, e.Height) * 2);
        var (cx, cy) = (e.Centre.X, e.Centre.Y);
        var rings = new List<IReadOnlyList<(double, double)>> { ((Polygon)merc).ExteriorRing.Coordinates.Select(c => (c.X, c.Y)).ToList() };
        return ChipRenderer.Render(cogPath, RasterStyle.Photo, cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, ChipSize, rings, TileFormat.Png);
    }

    // ---- dispatch ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// The dispatch case of a confirmed finding: event class 0101 私搭乱建, location (the finding's interior point, EPSG:4490,
    /// the point its grid and department were decided at), grid, department, area, and evidence links under
    /// <paramref name="baseUrl"/> (the finding, both chips, the run's report).
    /// </summary>
    public static (string EventClass, string PayloadJson) CasePayload(Finding f, string baseUrl, Geo.GridService.Ownership.DepartmentRef? department = null)
    {
        var p = f.Polygon.InteriorPoint;
        var id = Uri.EscapeDataString(f.Id);
        var payload = new JsonObject
        {
            ["caseId"] = f.Id,
            ["source"] = "change-detection",
            ["eventClass"] = EventClass,
            ["eventClassName"] = EventClassName,
            ["location"] = new JsonObject { ["crs"] = "EPSG:4490", ["lon"] = Math.Round(p.X, 7), ["lat"] = Math.Round(p.Y, 7) },
            ["grid"] = f.GridCode,
            ["department"] = f.DepartmentCode,
            ["departmentName"] = department?.Name,
            ["departmentPhone"] = department?.Phone,
            ["areaM2"] = f.AreaM2,
            ["kind"] = FindingViews.KindText(f.Kind),
            ["permitted"] = f.Permitted,
            ["confirmedBy"] = f.ReviewerKeyId,
            ["confirmedAt"] = f.ReviewedAt?.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["comment"] = f.ReviewComment,
            ["evidence"] = new JsonObject
            {
                ["finding"] = $"{baseUrl}/api/v1/findings/{id}",
                ["beforeChip"] = $"{baseUrl}/api/v1/findings/{id}/chips/before.png",
                ["afterChip"] = $"{baseUrl}/api/v1/findings/{id}/chips/after.png",
                ["report"] = $"{baseUrl}/api/v1/change-runs/{Uri.EscapeDataString(f.RunId)}/report",
            },
        };
        return (EventClass, payload.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }
}
