using System.Globalization;
using System.Text.Json;
using Geo.ChangeDetect.Findings;
using Geo.Formats;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Findings;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Http;

/// <summary>
/// Change runs, findings, their review, permits and the dispatch outbox over HTTP. Reads follow the read policy
/// (viewer and up); starting/cancelling runs, importing permits and reviewing need gis or admin; the outbox needs the
/// dispatch (or admin) role. Geometries are GeoJSON in EPSG:4490 (x = longitude, y = latitude); errors problem+json.
/// </summary>
public static class FindingsApi
{
    /// <summary>The review body: <c>decision</c> confirm|dismiss, optional <c>comment</c> (at most 2,000 characters).</summary>
    public sealed record ReviewBody(string? Decision, string? Comment);

    public static void MapFindingsApi(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<FindingsApp>() is null) return;
        var opts = app.ServiceProvider.GetRequiredService<IOptions<GeoOptions>>().Value;

        var runs = app.MapGroup("/api/v1/change-runs").WithTags("Change detection 变化检测");
        runs.MapPost("", StartRun).RequireAuthorization(Policies.Gis).WithName("StartChangeRun")
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024 * 1024))
            .WithSummary("Start a change-detection run between two orthophoto surveys; 202 with the run to poll")
            .WithDescription("Body: {before, after (survey ids), grids: [codes] | area: GeoJSON Polygon (EPSG:4490), parameters: {minAreaM2, permitFraction}}. " +
                             "The run's findings are stored in one transaction when it succeeds: a cancelled, failed or killed run leaves none. 503 detector_unavailable when no detector is installed.");
        runs.MapGet("", ListRuns).RequireAuthorization(Policies.Read).WithName("ListChangeRuns").WithSummary("Every run, newest first");
        runs.MapGet("/{id}", GetRun).RequireAuthorization(Policies.Read).WithName("GetChangeRun")
            .WithSummary("One run: state (running|succeeded|failed|cancelled), percent while running, inputs, parameters, software version");
        runs.MapPost("/{id}/cancel", CancelRun).RequireAuthorization(Policies.Gis).WithName("CancelChangeRun")
            .WithMetadata(new RequestSizeLimitMetadata(1024)) // no body expected
            .WithSummary("Cancel a running run (202); 409 when it has ended; its findings are never stored");
        runs.MapGet("/{id}/findings.geojson", ExportGeoJson).RequireAuthorization(Policies.Read).WithName("ExportRunGeoJson")
            .WithSummary("The run's findings as GeoJSON (EPSG:4490, legacy crs member)");
        runs.MapGet("/{id}/findings.gpkg", ExportGeoPackage).RequireAuthorization(Policies.Read).WithName("ExportRunGeoPackage")
            .WithSummary("The run's findings as a GeoPackage (layer findings, EPSG:4490)");
        runs.MapGet("/{id}/report", Report).RequireAuthorization(Policies.Read).WithName("ChangeRunReport")
            .WithSummary("Printable HTML review report (Chinese first) with before/after image chips per finding");

        var findings = app.MapGroup("/api/v1/findings").WithTags("Change detection 变化检测");
        findings.MapGet("", ListFindings).RequireAuthorization(Policies.Read).WithName("ListFindings")
            .WithSummary("Findings filtered by run, grid, department, kind, review, permitted, bbox; ordered by id, paged with after")
            .WithDescription("kind: new_structure|extension|demolition|other; review: pending|confirmed|dismissed; permitted: true|false; " +
                             "bbox=minLon,minLat,maxLon,maxLat (EPSG:4490); limit 1..1000 (default 100); after = next of the previous page.");
        findings.MapGet("/{id}", GetFinding).RequireAuthorization(Policies.Read).WithName("GetFinding")
            .WithSummary("One finding with its review history");
        findings.MapGet("/{id}/chips/{file}", Chip).RequireAuthorization(Policies.Read).WithName("FindingChip")
            .WithSummary("Image chip of a finding: before.png or after.png (256 px, outline drawn)");
        findings.MapPost("/{id}/review", Review).RequireAuthorization(Policies.Gis).WithName("ReviewFinding")
            .WithMetadata(new RequestSizeLimitMetadata(64 * 1024))
            .WithSummary("Confirm or dismiss a finding: {decision: confirm|dismiss, comment}")
            .WithDescription("Rules: pending -> confirmed|dismissed; dismissed -> confirmed (a second look overrides a dismissal); confirmed is final (409 finding_already_confirmed); " +
                             "dismissing twice is 409 finding_already_reviewed. Who (key) and when are recorded; a confirmation writes the dispatch case to the outbox in the same transaction.");

        var permits = app.MapGroup("/api/v1/permits").WithTags("Change detection 变化检测");
        permits.MapGet("", ListPermits).RequireAuthorization(Policies.Read).WithName("ListPermits").WithSummary("Approved-construction permits (EPSG:4490)");
        permits.MapPost("/import", ImportPermits).RequireAuthorization(Policies.Gis).WithName("ImportPermits")
            .WithMetadata(new RequestSizeLimitMetadata(opts.MaxImportBytes))
            .WithSummary("Import permits: GeoJSON, GeoPackage or zipped Shapefile as the raw body; ?crs= when the file declares none")
            .WithDescription("All or nothing: 422 listing every bad feature. Columns number/许可证号, holder/建设单位, valid_from/起始日期, valid_to/截止日期. A permit whose number exists is replaced.");

        app.MapGet("/api/v1/outbox", Outbox).RequireAuthorization(Policies.Dispatch).WithTags("Change detection 变化检测").WithName("DispatchOutbox")
            .WithSummary("Dispatch cases of confirmed findings after a cursor: ?after=SEQUENCE&limit=N (1..1000, default 100)")
            .WithDescription("At-least-once: remember next only after processing the page; after a crash the same entries come again, so use findingId (caseId) as the idempotency key. " +
                             "Entries appear in commit order and are never changed or removed.");
    }

    // ---- runs ----

    private static async Task<IResult> StartRun(HttpRequest request, HttpContext http, FindingsApp app, CancellationToken ct)
    {
        var body = await ReadJson<ChangeRunRequest>(request, ct);
        if (!body.IsOk) return Problems.From(body.Failures);
        var started = await app.StartRunAsync(body.Value, Actor(http), ct);
        if (!started.IsOk) return Problems.From(started.Failures);
        return Results.Accepted($"/api/v1/change-runs/{started.Value.Id}", FindingViews.View(started.Value, app.Runner.ProgressOf(started.Value.Id)));
    }

    private static async Task<IResult> ListRuns(FindingsApp app, CancellationToken ct) =>
        Results.Ok((await app.Store.ListRunsAsync(ct)).Select(r => FindingViews.View(r, app.Runner.ProgressOf(r.Id))));

    private static async Task<IResult> GetRun(string id, FindingsApp app, CancellationToken ct)
    {
        var run = await FindRun(id, app, ct);
        return run.IsOk ? Results.Ok(FindingViews.View(run.Value, app.Runner.ProgressOf(run.Value.Id))) : Problems.From(run.Failures);
    }

    private static async Task<IResult> CancelRun(string id, FindingsApp app, CancellationToken ct)
    {
        var run = await FindRun(id, app, ct);
        if (!run.IsOk) return Problems.From(run.Failures);
        if (run.Value.State != RunState.Running)
            return Problems.From(Failure.Conflict(FindingCodes.RunNotRunning, $"Run {run.Value.Id} has ended ({FindingViews.StateText(run.Value.State)}); nothing to cancel."));
        if (!app.Runner.Cancel(run.Value.Id))
            return Problems.From(Failure.Conflict("run_not_here", $"Run {run.Value.Id} is not running in this service instance."));
        return Results.Accepted($"/api/v1/change-runs/{run.Value.Id}", FindingViews.View(run.Value, app.Runner.ProgressOf(run.Value.Id)));
    }

    private static async Task<IResult> ExportGeoJson(string id, FindingsApp app, HttpContext http, CancellationToken ct)
    {
        var run = await FindRun(id, app, ct);
        if (!run.IsOk) return Problems.From(run.Failures);
        var list = await RunFindings(app, run.Value.Id, ct);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"findings-{run.Value.Id}.geojson\"";
        // The writer is synchronous (Kestrel forbids synchronous body writes): buffer, then send.
        using var buffer = new MemoryStream();
        FindingViews.WriteGeoJson(buffer, list);
        return Results.Bytes(buffer.ToArray(), "application/geo+json");
    }

    private static async Task<IResult> ExportGeoPackage(string id, FindingsApp app, HttpContext http, CancellationToken ct)
    {
        var run = await FindRun(id, app, ct);
        if (!run.IsOk) return Problems.From(run.Failures);
        var list = await RunFindings(app, run.Value.Id, ct);
        var path = Path.Combine(Path.GetTempPath(), $"geo-findings-{Guid.NewGuid():N}.gpkg");
        try
        {
            FindingViews.WriteGeoPackage(path, list);
            var bytes = await File.ReadAllBytesAsync(path, ct);
            return Results.File(bytes, "application/geopackage+sqlite3", $"findings-{run.Value.Id}.gpkg");
        }
        finally
        {
            GridFiles.DeleteQuietly(path);
        }
    }

    private static async Task<IResult> Report(string id, FindingsApp app, CancellationToken ct)
    {
        var run = await FindRun(id, app, ct);
        if (!run.IsOk) return Problems.From(run.Failures);
        var html = await FindingReport.BuildAsync(app, run.Value, await RunFindings(app, run.Value.Id, ct), ct);
        return Results.Text(html, "text/html; charset=utf-8");
    }

    // ---- findings ----

    private static async Task<IResult> ListFindings(string? run, string? grid, string? department, string? kind, string? review, string? permitted,
        string? bbox, string? after, string? limit, FindingsApp app, CancellationToken ct)
    {
        var q = ParseQuery(run, grid, department, kind, review, permitted, bbox, after, limit);
        if (!q.IsOk) return Problems.From(q.Failures);
        var page = await app.Store.QueryFindingsAsync(q.Value, ct);
        return Results.Ok(new FindingPageView(page.Items.Select(FindingViews.View).ToList(), page.Next, page.Items.Count));
    }

    /// <summary>Parses the list filters; every bad one reported (400).</summary>
    internal static Result<FindingQuery> ParseQuery(string? run, string? grid, string? department, string? kind, string? review, string? permitted,
        string? bbox, string? after, string? limit)
    {
        var failures = new List<Failure>();
        ChangeKind? k = null;
        ReviewState? r = null;
        bool? p = null;
        Envelope? box = null;
        var n = FindingQuery.DefaultLimit;
        foreach (var (name, value) in new[] { ("run", run), ("grid", grid), ("department", department), ("after", after) })
            if (value is { Length: > 100 }) failures.Add(Failure.BadRequest("parameter_too_long", $"{name} is at most 100 characters.", name));
        if (!string.IsNullOrEmpty(kind))
        {
            if (FindingViews.TryKind(kind, out var kk)) k = kk;
            else failures.Add(Failure.BadRequest("kind_invalid", "kind is new_structure, extension, demolition or other.", "kind"));
        }
        if (!string.IsNullOrEmpty(review))
        {
            if (FindingViews.TryReview(review, out var rr)) r = rr;
            else failures.Add(Failure.BadRequest("review_invalid", "review is pending, confirmed or dismissed.", "review"));
        }
        if (!string.IsNullOrEmpty(permitted))
        {
            if (bool.TryParse(permitted, out var pp)) p = pp;
            else failures.Add(Failure.BadRequest("permitted_invalid", "permitted is true or false.", "permitted"));
        }
        if (!string.IsNullOrEmpty(bbox))
        {
            var parts = bbox.Split(',');
            var v = new double[4];
            if (parts.Length == 4 && parts.Select((s, i) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) && double.IsFinite(v[i])).All(ok => ok)
                && v[0] <= v[2] && v[1] <= v[3] && CoordinateConverter.IsInRange(CrsId.Cgcs2000, v[0], v[1]) && CoordinateConverter.IsInRange(CrsId.Cgcs2000, v[2], v[3]))
                box = new Envelope(v[0], v[2], v[1], v[3]);
            else failures.Add(Failure.BadRequest("bbox_invalid", "bbox is minLon,minLat,maxLon,maxLat in EPSG:4490.", "bbox"));
        }
        if (!string.IsNullOrEmpty(limit))
        {
            if (int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l is >= 1 and <= FindingQuery.MaxLimit) n = l;
            else failures.Add(Failure.BadRequest("limit_invalid", $"limit is 1..{FindingQuery.MaxLimit}.", "limit"));
        }
        if (failures.Count > 0) return Result<FindingQuery>.Fail(failures);
        return new FindingQuery(Empty(run), Empty(grid), Empty(department), k, r, p, box, Empty(after), n);

        static string? Empty(string? s) => string.IsNullOrEmpty(s) ? null : s;
    }

    private static async Task<IResult> GetFinding(string id, FindingsApp app, CancellationToken ct)
    {
        var f = await FindFinding(id, app, ct);
        if (!f.IsOk) return Problems.From(f.Failures);
        var reviews = await app.Store.GetReviewsAsync(f.Value.Id, ct);
        return Results.Ok(new
        {
            finding = FindingViews.View(f.Value),
            department = app.DepartmentOf(f.Value.DepartmentCode),
            reviews = reviews.Select(r => new { decision = r.Decision == ReviewDecision.Confirm ? "confirm" : "dismiss", reviewer = r.Reviewer, comment = r.Comment, at = r.At }),
        });
    }

    private static async Task<IResult> Chip(string id, string file, FindingsApp app, HttpContext http, CancellationToken ct)
    {
        if (file is not ("before.png" or "after.png"))
            return Problems.From(Failure.NotFound("chip_not_found", "Chips are before.png and after.png."));
        var f = await FindFinding(id, app, ct);
        if (!f.IsOk) return Problems.From(f.Failures);
        var chip = await app.ChipAsync(f.Value, file == "before.png", ct);
        if (!chip.IsOk) return Problems.From(chip.Failures);
        http.Response.Headers.CacheControl = "public, max-age=3600";
        return Results.Bytes(chip.Value, "image/png");
    }

    private static async Task<IResult> Review(string id, HttpRequest request, HttpContext http, FindingsApp app, CancellationToken ct)
    {
        var body = await ReadJson<ReviewBody>(request, ct);
        if (!body.IsOk) return Problems.From(body.Failures);
        ReviewDecision decision;
        if (body.Value.Decision == "confirm") decision = ReviewDecision.Confirm;
        else if (body.Value.Decision == "dismiss") decision = ReviewDecision.Dismiss;
        else return Problems.From(Failure.BadRequest("decision_invalid", "decision is confirm or dismiss.", "decision"));
        var comment = body.Value.Comment?.Trim();
        if (comment is { Length: > 2000 }) return Problems.From(Failure.BadRequest("comment_too_long", "comment is at most 2,000 characters.", "comment"));
        if (id.Length > 100) return Problems.From(Failure.NotFound(FindingCodes.FindingNotFound, "There is no such finding."));
        var baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}";
        var reviewed = await app.Store.ReviewAsync(new FindingReview(id, decision, Actor(http), string.IsNullOrEmpty(comment) ? null : comment, DateTimeOffset.UtcNow),
            f => FindingsApp.CasePayload(f, baseUrl, app.DepartmentOf(f.DepartmentCode)), ct);
        return reviewed.IsOk ? Results.Ok(FindingViews.View(reviewed.Value)) : Problems.From(reviewed.Failures);
    }

    // ---- permits ----

    private static async Task<IResult> ListPermits(FindingsApp app, CancellationToken ct) =>
        Results.Ok((await app.Store.ListPermitsAsync(ct)).Select(FindingViews.View));

    private static async Task<IResult> ImportPermits(HttpRequest request, string? crs, FindingsApp app, IOptions<GeoOptions> options, CancellationToken ct)
    {
        CrsId? crsId = null;
        if (!string.IsNullOrWhiteSpace(crs))
        {
            var c = CrsId.Parse(crs);
            if (!c.IsOk) return Problems.From(c.Failure);
            crsId = c.Value;
        }
        var path = Path.Combine(Path.GetTempPath(), $"geo-permits-{Guid.NewGuid():N}.upload");
        try
        {
            var saved = await GridFiles.SaveBodyAsync(request.Body, path, options.Value.MaxImportBytes, ct);
            if (!saved.IsOk) return Problems.From(saved.Failure);
            var set = VectorReader.ReadFile(path);
            if (!set.IsOk) return Problems.From(set.Failures);
            var permits = PermitImport.Parse(set.Value, crsId);
            if (!permits.IsOk) return Problems.From(permits.Failures);
            var name = request.Headers["X-File-Name"].ToString();
            var stored = await app.Store.ImportPermitsAsync(permits.Value, string.IsNullOrWhiteSpace(name) ? "upload" : GridFiles.SafeLabel(name), ct);
            return stored.IsOk ? Results.Created("/api/v1/permits", new { imported = stored.Value }) : Problems.From(stored.Failures);
        }
        finally
        {
            GridFiles.DeleteQuietly(path);
        }
    }

    // ---- outbox ----

    private static async Task<IResult> Outbox(string? after, string? limit, FindingsApp app, CancellationToken ct)
    {
        long cursor = 0;
        var n = 100;
        if (!string.IsNullOrEmpty(after) && !(long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out cursor)))
            return Problems.From(Failure.BadRequest("cursor_invalid", "after is the sequence of the last entry processed (0 = from the start).", "after"));
        if (!string.IsNullOrEmpty(limit) && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out n) && n is >= 1 and <= 1000))
            return Problems.From(Failure.BadRequest("limit_invalid", "limit is 1..1000.", "limit"));
        var page = await app.Store.ReadOutboxAsync(cursor, n, ct);
        return Results.Ok(new OutboxPageView(page.Items.Select(FindingViews.View).ToList(), page.Next));
    }

    // ---- plumbing ----

    private static async Task<List<Finding>> RunFindings(FindingsApp app, string runId, CancellationToken ct)
    {
        var list = new List<Finding>();
        await foreach (var f in app.Store.ScanFindingsAsync(runId, ct)) list.Add(f);
        return list;
    }

    private static async Task<Result<ChangeRun>> FindRun(string id, FindingsApp app, CancellationToken ct)
    {
        if (id.Length > 100) return Failure.NotFound(FindingCodes.RunNotFound, "There is no such run.");
        return await app.Store.GetRunAsync(id, ct) is { } r ? r : Failure.NotFound(FindingCodes.RunNotFound, $"There is no run {FindingViews.Printable(id)}.");
    }

    private static async Task<Result<Finding>> FindFinding(string id, FindingsApp app, CancellationToken ct)
    {
        if (id.Length > 100) return Failure.NotFound(FindingCodes.FindingNotFound, "There is no such finding.");
        return await app.Store.GetFindingAsync(id, ct) is { } f ? f : Failure.NotFound(FindingCodes.FindingNotFound, $"There is no finding {FindingViews.Printable(id)}.");
    }

    private static string Actor(HttpContext http) =>
        "key:" + (http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? "anonymous");

    private static async Task<Result<T>> ReadJson<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (!request.HasJsonContentType()) return Failure.BadRequest("unsupported_media_type", "Send application/json.");
        try
        {
            var b = await request.ReadFromJsonAsync<T>(ct);
            return b is null ? Failure.BadRequest("body_empty", "The body is empty.") : b;
        }
        catch (JsonException e)
        {
            return Failure.BadRequest("json_malformed", $"The JSON body is malformed at line {e.LineNumber + 1}, position {e.BytePositionInLine}.");
        }
    }
}
