using System.Globalization;
using System.Text;
using System.Text.Json;
using Geo.Formats;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Census;
using Geo.GridService.Storage;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Http;

/// <summary>
/// The component census over HTTP: <c>/api/v1/components</c> (query, nearest, one, audit, create, edit with
/// optimistic concurrency, delete, bulk import), <c>/api/v1/classes</c> and <c>/api/v1/census/statistics</c>.
/// Reads follow the read policy; writes need the gis or admin role. Geometries are GeoJSON in EPSG:4490
/// (x = lon, y = lat); edits carry the version in <c>If-Match</c> (the ETag <c>"N"</c>): a stale one gets 409.
/// </summary>
public static class CensusApi
{
    /// <summary>Registers the census store (on the grid store's backend: the same GeoPackage file or PostgreSQL database) and its services.</summary>
    public static void AddCensus(IServiceCollection services, IGridStore store, CountyCode county)
    {
        services.AddSingleton<ICensusStore>(_ => Geo.Storage.StoreFactory.OpenCensusAsync(store).GetAwaiter().GetResult());
        services.AddSingleton(sp => new CensusService(sp.GetRequiredService<ICensusStore>(), store, sp.GetRequiredService<OwnershipService>(), county));
        services.AddSingleton(sp => new CensusImport(sp.GetRequiredService<CensusService>()));
        // Published: the components vector tile layer and the OGC API Features collection.
        services.AddSingleton<Geo.Tiles.Vector.IComponentTileFeed>(sp => new CensusTileFeed(sp.GetRequiredService<CensusService>()));
        services.AddSingleton<Application.Features.IFeatureCollectionSource>(sp => new ComponentFeatureSource(sp.GetRequiredService<CensusService>()));
    }

    /// <summary>Loads the shipped taxonomy into an empty store before the first request.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken ct = default)
    {
        if (app.Services.GetService<CensusService>() is null) return;
        var seeded = await TaxonomyFile.EnsureSeededAsync(app.Services.GetRequiredService<ICensusStore>(), ct);
        if (!seeded.IsOk) throw new InvalidOperationException("Loading the taxonomy failed: " + string.Join("; ", seeded.Failures));
        if (app.Services.GetRequiredService<IOptions<GeoOptions>>().Value.LoadSamples is { Length: > 0 } samples)
        {
            var loaded = await SampleLoader.LoadCensusIfEmptyAsync(app.Services.GetRequiredService<CensusService>(), samples, ct);
            if (!loaded.IsOk) throw new InvalidOperationException("Loading the sample census failed: " + string.Join("; ", loaded.Failures.Take(5)));
        }
    }

    public static void MapCensusApi(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<CensusService>() is null) return;
        var opts = app.ServiceProvider.GetRequiredService<IOptions<GeoOptions>>().Value;
        var read = app.MapGroup("/api/v1/components").WithTags("Components 部件").RequireAuthorization(Policies.Read);
        read.MapGet("", List).WithName("ListComponents")
            .WithSummary("Components by bbox, grid, class, status and text; ordered by code, keyset-paged (after=last code)")
            .WithDescription("bbox=minX,minY,maxX,maxY in bboxCrs (default EPSG:4490; x = easting/longitude). class: 0101 (minor) or 01 (major). status: 完好|破损|丢失|占用. limit 1..1000.");
        read.MapGet("/nearest", Nearest).WithName("NearestComponents")
            .WithSummary("The n nearest components (of a class) to x,y in crs (default EPSG:4326), distances in metres");
        read.MapGet("/{code}", GetOne).WithName("GetComponent").WithSummary("One component; ETag = its version");
        read.MapGet("/{code}/audit", Audit).WithName("ComponentAudit").WithSummary("The audit trail of a component (who, when, before, after)");

        var write = app.MapGroup("/api/v1/components").WithTags("Components 部件").RequireAuthorization(Policies.Gis);
        write.MapPost("", Create).WithName("CreateComponent").WithMetadata(new RequestSizeLimitMetadata(256 * 1024))
            .WithSummary("Create a component (code optional: the next free serial of its class)");
        write.MapPut("/{code}", Update).WithName("UpdateComponent").WithMetadata(new RequestSizeLimitMetadata(256 * 1024))
            .WithSummary("Replace a component; If-Match: \"version\" required, 409 when stale");
        write.MapDelete("/{code}", Delete).WithName("DeleteComponent").WithSummary("Delete a component; If-Match required");
        write.MapPost("/import", Import).WithName("ImportComponents").WithMetadata(new RequestSizeLimitMetadata(opts.MaxImportBytes))
            .WithSummary("Bulk import: CSV (x,y or wkt columns), GeoJSON, GeoPackage or zipped Shapefile as the raw body")
            .WithDescription("Query: crs, dryRun=true (report every bad row, store nothing), keepValid=true (store the valid rows, report the rejects). Otherwise all or nothing: 422 listing the bad rows.");

        var classes = app.MapGroup("/api/v1/classes").WithTags("Classes 分类");
        classes.MapGet("", ListClasses).RequireAuthorization(Policies.Read).WithName("ListClasses").WithSummary("The taxonomy (standard and local classes)");
        classes.MapPost("", AddClasses).RequireAuthorization(Policies.Gis).WithName("AddClasses").WithMetadata(new RequestSizeLimitMetadata(1024 * 1024))
            .WithSummary("Add or update local extension classes: JSON [{tree, majorCode, majorName, code, name}] or the taxonomy CSV");

        app.MapGet("/api/v1/census/statistics", Statistics).RequireAuthorization(Policies.Read).WithTags("Components 部件")
            .WithName("CensusStatistics").WithSummary("Count per grid x class x status, as JSON or CSV (format=csv)");
    }

    private static async Task<IResult> List(string? bbox, string? bboxCrs, string? grid, string? @class, string? status, string? text, string? after,
        int? limit, CensusService census, CancellationToken ct)
    {
        var q = CensusQueries.Parse(bbox, bboxCrs, grid, @class, status, text, after, limit, census.County);
        if (!q.IsOk) return Problems.From(q.Failures);
        var query = q.Value;
        var taxonomy = new Taxonomy(await census.Store.ListClassesAsync(ct));
        if (query.Bbox is { } box && query.Grid is null && query.Text is null)
        {
            // Map windows: the in-memory index gives the page's codes, the store the records.
            var index = await census.IndexAsync(ct);
            var (codes, next) = index.InBox(box, query.Limit, query.After, query.Class, query.Status);
            var items = await census.Store.GetComponentsAsync(codes, ct);
            return Results.Ok(new ComponentPageView(items.Select(c => ComponentView.From(c, taxonomy)).ToArray(), next?.Value, items.Count));
        }
        var page = await census.Store.QueryAsync(query, ct);
        return Results.Ok(new ComponentPageView(page.Items.Select(c => ComponentView.From(c, taxonomy)).ToArray(), page.Next?.Value, page.Items.Count));
    }

    private static async Task<IResult> Nearest(double? x, double? y, string? crs, string? @class, string? status, int? n, CensusService census, CancellationToken ct)
    {
        if (x is null || y is null) return Problems.From(Failure.BadRequest("coordinate_missing", "x and y are required (x = easting/longitude, y = northing/latitude)."));
        var r = await CensusNearest.NearestAsync(census, x.Value, y.Value, crs, @class, status, n ?? 5, ct);
        return r.IsOk ? Results.Ok(r.Value) : Problems.From(r.Failures);
    }

    private static async Task<IResult> GetOne(string code, CensusService census, HttpContext http, CancellationToken ct)
    {
        var c = ComponentCode.Parse(code);
        if (!c.IsOk) return Problems.From(Failure.BadRequest(c.Failure.Code, c.Failure.Message));
        var k = await census.Store.GetComponentAsync(c.Value, ct);
        if (k is null) return Problems.From(Failure.NotFound("component_not_found", $"There is no component {c.Value}."));
        http.Response.Headers.ETag = ETag(k.Version);
        return Results.Ok(ComponentView.From(k, new Taxonomy(await census.Store.ListClassesAsync(ct))));
    }

    private static async Task<IResult> Audit(string code, CensusService census, CancellationToken ct)
    {
        var c = ComponentCode.Parse(code);
        if (!c.IsOk) return Problems.From(Failure.BadRequest(c.Failure.Code, c.Failure.Message));
        var entries = await census.Store.GetAuditAsync(c.Value, ct);
        if (entries.Count == 0) return Problems.From(Failure.NotFound("component_not_found", $"There is no component {c.Value} and no record of one."));
        return Results.Ok(entries.Select(e => new
        {
            code = e.Code.Value, action = e.Action, actor = e.Actor, at = e.At, version = e.Version,
            before = e.BeforeJson is { } b ? JsonDocument.Parse(b).RootElement.Clone() : (JsonElement?)null,
            after = e.AfterJson is { } a ? JsonDocument.Parse(a).RootElement.Clone() : (JsonElement?)null,
        }));
    }

    /// <summary>The JSON body of a create or update. Geometry: GeoJSON (in crs, default EPSG:4490), or x/y, or WKT.</summary>
    public sealed record ComponentBody(
        string? Code, string? Class, string? Name, JsonElement? Geometry, double? X, double? Y, string? Wkt, string? Crs,
        string? CompetentDepartment, string? Owner, string? Maintainer, string? Status, string? FirstRecorded, string? LastChanged,
        string? DataSource, string[]? Photos, string? Remarks, JsonElement? Attributes);

    private static async Task<IResult> Create(HttpRequest request, CensusService census, HttpContext http, CancellationToken ct)
    {
        var body = await ReadBody(request, ct);
        if (!body.IsOk) return Problems.From(body.Failures);
        var b = body.Value;
        var code = b.Code;
        if (string.IsNullOrWhiteSpace(code) && b.Class is { } cls && ComponentValidator.ParseComponentClass(cls) is { } k)
        {
            var next = await census.NextCodeAsync(k, ct);
            if (!next.IsOk) return Problems.From(next.Failures);
            code = next.Value.Value;
        }
        var built = await Build(b with { Code = code }, census, 0, ct);
        if (!built.IsOk) return Problems.From(built.Failures);
        var stored = await census.Store.AddComponentAsync(built.Value, Actor(http), ct);
        if (!stored.IsOk) return Problems.From(stored.Failures);
        http.Response.Headers.ETag = ETag(stored.Value.Version);
        return Results.Created($"/api/v1/components/{stored.Value.Code}", ComponentView.From(stored.Value));
    }

    private static async Task<IResult> Update(string code, HttpRequest request, CensusService census, HttpContext http, CancellationToken ct)
    {
        var c = ComponentCode.Parse(code);
        if (!c.IsOk) return Problems.From(Failure.BadRequest(c.Failure.Code, c.Failure.Message));
        var expected = IfMatch(request);
        if (!expected.IsOk) return Problems.From(expected.Failures);
        var body = await ReadBody(request, ct);
        if (!body.IsOk) return Problems.From(body.Failures);
        if (body.Value.Code is { } bodyCode && bodyCode != c.Value.Value)
            return Problems.From(Failure.BadRequest("code_mismatch", "The body's code differs from the URL's; a component's code cannot change."));
        var built = await Build(body.Value with { Code = c.Value.Value }, census, expected.Value, ct);
        if (!built.IsOk) return Problems.From(built.Failures);
        var stored = await census.Store.UpdateComponentAsync(built.Value, expected.Value, Actor(http), ct);
        if (!stored.IsOk) return Problems.From(stored.Failures);
        http.Response.Headers.ETag = ETag(stored.Value.Version);
        return Results.Ok(ComponentView.From(stored.Value));
    }

    private static async Task<IResult> Delete(string code, HttpRequest request, CensusService census, HttpContext http, CancellationToken ct)
    {
        var c = ComponentCode.Parse(code);
        if (!c.IsOk) return Problems.From(Failure.BadRequest(c.Failure.Code, c.Failure.Message));
        var expected = IfMatch(request);
        if (!expected.IsOk) return Problems.From(expected.Failures);
        var r = await census.Store.DeleteComponentAsync(c.Value, expected.Value, Actor(http), ct);
        return r.IsOk ? Results.NoContent() : Problems.From(r.Failures);
    }

    private static async Task<IResult> Import(HttpRequest request, string? crs, bool? dryRun, bool? keepValid, CensusImport import,
        IOptions<GeoOptions> options, HttpContext http, CancellationToken ct)
    {
        CrsId? crsId = null;
        if (!string.IsNullOrWhiteSpace(crs))
        {
            var c = CrsId.Parse(crs);
            if (!c.IsOk) return Problems.From(c.Failure);
            crsId = c.Value;
        }
        // Stream the body to a server-named temp file, bounded by the endpoint limit; rows are then streamed from it.
        var path = Path.Combine(Path.GetTempPath(), $"geo-census-{Guid.NewGuid():N}.upload");
        try
        {
            var saved = await GridFiles.SaveBodyAsync(request.Body, path, options.Value.MaxImportBytes, ct);
            if (!saved.IsOk) return Problems.From(saved.Failure);
            var importOptions = new CensusImportOptions(crsId, dryRun ?? false, keepValid ?? false, null, Actor(http), "upload");
            Result<CensusImportReport> report;
            var head = new byte[4096];
            int headLength;
            await using (var probe = File.OpenRead(path)) headLength = await probe.ReadAtLeastAsync(head, head.Length, false, ct);
            var format = VectorReader.Sniff(head.AsSpan(0, headLength));
            if (format.IsOk)
            {
                var set = VectorReader.ReadFile(path);
                if (!set.IsOk) return Problems.From(set.Failures);
                report = await import.ImportFeaturesAsync(set.Value, importOptions, null, ct);
            }
            else
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                report = await import.ImportCsvAsync(stream, importOptions, null, ct);
            }
            if (!report.IsOk) return Problems.From(report.Failures);
            return report.Value.Committed ? Results.Created("/api/v1/components", report.Value) : Results.Ok(report.Value);
        }
        finally
        {
            GridFiles.DeleteQuietly(path);
        }
    }

    private static async Task<IResult> ListClasses(string? tree, ICensusStore store, CancellationToken ct)
    {
        var all = await store.ListClassesAsync(ct);
        return Results.Ok(all.Where(c => tree is null || string.Equals(tree, c.Code.Tree == ClassTree.Event ? "event" : "component", StringComparison.OrdinalIgnoreCase))
            .Select(c => new
            {
                tree = c.Code.Tree == ClassTree.Event ? "event" : "component", code = c.Code.Digits, id = c.Code.ToString(),
                majorCode = c.Code.Major.Digits, majorName = c.MajorName, name = c.Name, extension = c.IsExtension, source = c.Source,
            }));
    }

    /// <summary>One class in the JSON body of POST /api/v1/classes.</summary>
    public sealed record ClassBody(string? Tree, string? MajorCode, string? MajorName, string? Code, string? Name);

    private static async Task<IResult> AddClasses(HttpRequest request, ICensusStore store, HttpContext http, CancellationToken ct)
    {
        Result<IReadOnlyList<ComponentClass>> classes;
        var who = Actor(http).ToString();
        if (request.ContentType is { } t && t.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            using var ms = new MemoryStream();
            await request.Body.CopyToAsync(ms, ct);
            ms.Position = 0;
            classes = TaxonomyFile.Read(ms, isExtension: true, who);
        }
        else
        {
            if (!request.HasJsonContentType()) return Problems.From(Failure.BadRequest("unsupported_media_type", "Send application/json or text/csv."));
            ClassBody[]? items;
            try { items = await request.ReadFromJsonAsync<ClassBody[]>(ct); }
            catch (JsonException) { return Problems.From(Failure.BadRequest("json_malformed", "The JSON body is malformed.")); }
            if (items is null || items.Length == 0) return Problems.From(Failure.BadRequest("body_empty", "Send a non-empty array of classes."));
            if (items.Length > 1000) return Problems.From(Failure.TooLarge("too_many_classes", "At most 1000 classes per request."));
            var list = new List<ComponentClass>();
            var failures = new List<Failure>();
            for (var i = 0; i < items.Length; i++)
            {
                var r = TaxonomyFile.Create(items[i].Tree, items[i].MajorCode, items[i].MajorName, items[i].Code, items[i].Name, who, true, $"item {i}");
                if (r.IsOk) list.Add(r.Value);
                else failures.AddRange(r.Failures);
            }
            classes = failures.Count > 0 ? Result<IReadOnlyList<ComponentClass>>.Fail(failures) : list;
        }
        if (!classes.IsOk) return Problems.From(classes.Failures);
        var stored = await store.UpsertClassesAsync(classes.Value, ct);
        return stored.IsOk ? Results.Ok(new { stored = stored.Value }) : Problems.From(stored.Failures);
    }

    private static async Task<IResult> Statistics(string? format, ICensusStore store, CancellationToken ct)
    {
        var rows = await store.StatisticsAsync(ct);
        var taxonomy = new Taxonomy(await store.ListClassesAsync(ct));
        return (format ?? "json").ToLowerInvariant() switch
        {
            "json" => Results.Ok(CensusQueries.StatisticsRows(rows, taxonomy)),
            "csv" => Results.File(new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(CensusQueries.StatisticsCsv(rows, taxonomy))).ToArray(),
                "text/csv; charset=utf-8", "census-statistics.csv"),
            _ => Problems.From(Failure.BadRequest("format_unsupported", "format is json or csv.")),
        };
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    private static Result<long> IfMatch(HttpRequest request)
    {
        var h = request.Headers.IfMatch.ToString().Trim();
        if (h.Length == 0)
            return new Failure("if_match_required", "Send If-Match with the component's ETag (its version) to edit it.", FailureKind.BadRequest);
        if (h.StartsWith("W/", StringComparison.Ordinal)) h = h[2..];
        h = h.Trim('"');
        return long.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= 1
            ? v : Failure.BadRequest("if_match_invalid", "If-Match is the component's ETag, e.g. \"3\".");
    }

    private static AuditActor Actor(HttpContext http)
    {
        var id = http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? "anonymous";
        return new AuditActor("key:" + id, http.User.Identity?.Name);
    }

    private static async Task<Result<ComponentBody>> ReadBody(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasJsonContentType()) return Failure.BadRequest("unsupported_media_type", "Send application/json.");
        try
        {
            var b = await request.ReadFromJsonAsync<ComponentBody>(ct);
            return b is null ? Failure.BadRequest("body_empty", "The body is empty.") : b;
        }
        catch (JsonException e)
        {
            return Failure.BadRequest("json_malformed", $"The JSON body is malformed at line {e.LineNumber + 1}, position {e.BytePositionInLine}.");
        }
    }

    private static async Task<Result<Component>> Build(ComponentBody b, CensusService census, long version, CancellationToken ct)
    {
        var crs = CrsId.Cgcs2000;
        if (!string.IsNullOrWhiteSpace(b.Crs))
        {
            var c = CrsId.Parse(b.Crs);
            if (!c.IsOk) return Result<Component>.Fail(c.Failures);
            crs = c.Value;
        }
        var geometry = ParseGeometry(b, crs);
        if (!geometry.IsOk) return Result<Component>.Fail(geometry.Failures);
        var validator = await census.ValidatorAsync(ct);
        if (!validator.IsOk) return Result<Component>.Fail(validator.Failures);
        if (b.Photos is { Length: > 100 }) return Failure.TooLarge("too_many_photos", "At most 100 photo references.");
        var input = new ComponentInput(1, b.Code, b.Class, b.Name, geometry.Value, b.CompetentDepartment, b.Owner, b.Maintainer, b.Status,
            b.FirstRecorded, b.LastChanged, b.DataSource, b.Photos is null ? null : string.Join(';', b.Photos), b.Remarks,
            b.Attributes is { ValueKind: not JsonValueKind.Null } a ? a.GetRawText() : null);
        var valid = validator.Value.Validate(input, Ownership.OwnershipSnapshot.Today(), version);
        if (!valid.IsOk)
            return Result<Component>.Fail(valid.Failures.Select(f => f with { Location = f.Extensions?.GetValueOrDefault("field") is string field ? field : f.Location }).ToList());
        return valid.Value;
    }

    private static Result<Geometry> ParseGeometry(ComponentBody b, CrsId crs)
    {
        Geometry g;
        if (b.Geometry is { ValueKind: JsonValueKind.Object } json)
        {
            var feature = "{\"type\":\"Feature\",\"properties\":{},\"geometry\":" + json.GetRawText() + "}";
            var set = VectorReader.ReadGeoJson(new MemoryStream(Encoding.UTF8.GetBytes(feature)), new VectorReadLimits(MaxBytes: 8_000_000, MaxFeatures: 1, MaxVerticesPerFeature: 20_000));
            if (!set.IsOk) return Result<Geometry>.Fail(set.Failures);
            if (set.Value.Features.Count != 1 || set.Value.Features[0].Geometry is not { } parsed)
                return Failure.Invalid(CensusCodes.InvalidGeometry, "The geometry is missing.", "geometry");
            g = parsed;
        }
        else if (b.X is { } x && b.Y is { } y)
        {
            if (!double.IsFinite(x) || !double.IsFinite(y) || !CoordinateConverter.IsInRange(crs, x, y))
                return Failure.Invalid(CensusCodes.InvalidGeometry, $"({x}, {y}) is not a coordinate in {crs.Name} (x = easting/longitude).", "geometry");
            g = new Point(x, y);
        }
        else if (!string.IsNullOrWhiteSpace(b.Wkt))
        {
            if (b.Wkt.Length > 2_000_000) return Failure.TooLarge("wkt_too_long", "The WKT is too long.", "geometry");
            try { g = new NetTopologySuite.IO.WKTReader().Read(b.Wkt); }
            catch (Exception e) when (e is NetTopologySuite.IO.ParseException or ArgumentException or FormatException)
            {
                return Failure.Invalid(CensusCodes.InvalidGeometry, "The WKT could not be parsed.", "geometry");
            }
        }
        else return Failure.Invalid(CensusCodes.InvalidGeometry, "Give a GeoJSON geometry, x and y, or wkt.", "geometry");
        try
        {
            var t = crs.Kind is CrsKind.Cgcs2000 or CrsKind.Wgs84 ? g : CoordinateConverter.Transform(g, crs, CrsId.Cgcs2000);
            return NtsGeometryServicesHolder.Factory.CreateGeometry(t);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Failure.Invalid(CensusCodes.InvalidGeometry, "The geometry could not be transformed to EPSG:4490.", "geometry");
        }
    }
}
