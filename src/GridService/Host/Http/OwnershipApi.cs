using System.Globalization;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Ownership;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Geo.GridService.Host.Http;

/// <summary>
/// The dispatch system's question: "this point, this class: which grid, which department?".
/// Coordinates are x = easting/longitude, y = northing/latitude in the CRS named by <c>crs</c>
/// (EPSG:4326, EPSG:4490, EPSG:4547, EPSG:3857, GCJ02, BD09; default EPSG:4326).
/// </summary>
public static class OwnershipApi
{
    public static void MapOwnershipApi(this IEndpointRouteBuilder app)
    {
        var opts = app.ServiceProvider.GetRequiredService<IOptions<GeoOptions>>().Value;
        var group = app.MapGroup("/api/v1/ownership").WithTags("Ownership 归属查询").RequireAuthorization(Policies.Read);
        group.MapGet("", Get)
            .Produces<OwnershipAnswer>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetOwnership")
            .WithSummary("Which grid and which department own this point for this class")
            .WithDescription("x/y in the CRS given by crs (x = easting or longitude). class: C + component code or E + event code " +
                             "(C0101, E01); omitted = the grid's default department. at: yyyy-MM-dd, answers from the grid version valid that day. " +
                             "A point on a shared boundary belongs to the grid with the lowest code. Outside every grid: 404 naming the nearest grid.");
        group.MapPost("/batch", Batch)
            .Accepts<BatchRequest>("application/json")
            .Produces<BatchResponse>()
            .WithName("PostOwnershipBatch")
            .WithSummary("Up to MaxBatchPoints (10,000) points in one call")
            .WithMetadata(new RequestSizeLimitMetadata(opts.MaxBatchBytes));
    }

    public static IResult Get(string? x, string? y, string? crs, string? @class, string? at, string? component, OwnershipService service, HttpContext http)
    {
        if (component is not null) return ComponentOwnership.Answer(component, at, service, http);
        var query = ParseQuery(x, y, crs, @class, at);
        if (!query.IsOk) return Problems.From(query.Failures);
        var answer = service.Snapshot.Answer(query.Value);
        if (answer.IsOk) return TypedResults.Ok(answer.Value);
        return Problems.From(answer.Failure);
    }

    /// <summary>A batch: common crs/class/at, points as {x, y, class?, id?} (documents the body; read by <see cref="BatchRequestReader"/>).</summary>
    public sealed record BatchRequest(string? Crs, string? Class, string? At, BatchPoint[]? Points);

    public sealed record BatchPoint(double X, double Y, string? Class, string? Id);

    /// <summary>
    /// One result per point, results[i] answering points[i], compact: codes only, each grid, department and rule described once in
    /// the response's <c>grids</c>, <c>departments</c> and <c>rules</c> maps (10,000 answers stay under 1 MB); null
    /// members and <c>onBoundary: false</c> are omitted.
    /// </summary>
    public sealed record BatchItem(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Grid,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Department,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Rule,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool OnBoundary,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BatchError? Error);

    /// <summary>Why one point of a batch has no answer (its message is in the response's <c>errors</c> map, once per
    /// code); outside every grid, the nearest grid and its distance.</summary>
    public sealed record BatchError(
        string Code,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NearestGrid,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DistanceMetres);

    public sealed record BatchResponse(int Count, int Answered, int Failed, int GridVersion,
        Dictionary<string, GridRef> Grids, Dictionary<string, DepartmentRef> Departments, Dictionary<string, RuleRef> Rules,
        Dictionary<string, string> Errors, BatchItem[] Results);

    private static readonly Dictionary<string, string> BatchMessages = new()
    {
        ["outside_all_grids"] = "The point lies outside every grid; nearestGrid and distanceMetres say where the closest one is.",
        ["coordinate_out_of_range"] = "Not a valid coordinate in the request's CRS (x = easting/longitude, y = northing/latitude).",
        ["no_grid_version"] = "No grid version was valid on that date.",
    };

    public static async Task<IResult> Batch(HttpRequest http, OwnershipService service, IOptions<GeoOptions> options, CancellationToken ct)
    {
        if (!http.HasJsonContentType())
            return Problems.From(Failure.BadRequest("unsupported_media_type", "Send the batch as application/json."));
        using var body = new MemoryStream(http.ContentLength is > 0 and < int.MaxValue ? (int)http.ContentLength.Value : 64 * 1024);
        await http.Body.CopyToAsync(body, ct); // bounded by the endpoint's request size limit
        var read = BatchRequestReader.Read(body.GetBuffer().AsSpan(0, (int)body.Length), options.Value.MaxBatchPoints);
        if (!read.IsOk) return Problems.From(read.Failures);
        var response = Answer(read.Value, service.Snapshot);
        if (!response.IsOk) return Problems.From(response.Failures);
        return new BatchJsonResult(response.Value);
    }

    /// <summary>Writes the batch answer straight into the response pipe with <see cref="BatchResponseWriter"/>.</summary>
    private sealed class BatchJsonResult(BatchResponse response) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/json; charset=utf-8";
            await using (var w = new System.Text.Json.Utf8JsonWriter(http.Response.BodyWriter, BatchResponseWriter.Options))
                BatchResponseWriter.Write(w, response);
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
        }
    }

    internal static Result<BatchResponse> Answer(BatchRequestReader.Batch batch, OwnershipSnapshot snapshot)
    {
        var common = ParseCommon(batch.Crs, batch.Class, batch.At);
        if (!common.IsOk) return Result<BatchResponse>.Fail(common.Failures);
        var (crsId, cls, day) = common.Value;
        var results = new BatchItem[batch.Count];
        var grids = new Dictionary<string, GridRef>(StringComparer.Ordinal);
        var departments = new Dictionary<string, DepartmentRef>(StringComparer.Ordinal);
        var rules = new Dictionary<string, RuleRef>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var failed = 0;
        var version = 0;
        for (var i = 0; i < results.Length; i++)
        {
            var id = batch.Ids?[i];
            var pointClass = cls;
            if (batch.Classes?[i] is { } text)
            {
                var pc = ClassCode.Parse(text);
                if (!pc.IsOk) { results[i] = new BatchItem(id, null, null, null, false, new BatchError(pc.Failure.Code, null, null)); errors.TryAdd(pc.Failure.Code, pc.Failure.Message); failed++; continue; }
                pointClass = pc.Value;
            }
            var a = snapshot.AnswerCompact(new OwnershipQuery(batch.X[i], batch.Y[i], crsId, pointClass, day));
            if (!a.IsOk)
            {
                results[i] = new BatchItem(id, null, null, null, false, new BatchError(a.Error!, a.NearestGrid?.Code, a.DistanceMetres));
                errors.TryAdd(a.Error!, BatchMessages.GetValueOrDefault(a.Error!, a.Error!));
                failed++;
                continue;
            }
            version = a.GridVersion;
            var g = a.Grid!;
            grids.TryAdd(g.Code, g);
            if (a.Department is { } d) departments.TryAdd(d.Code, d);
            if (a.Rule is { } r) rules.TryAdd(r.Id, r);
            results[i] = new BatchItem(id, g.Code, a.Department?.Code, a.Rule?.Id, a.OnBoundary, null);
        }
        return new BatchResponse(results.Length, results.Length - failed, failed, version, grids, departments, rules, errors, results);
    }

    internal static Result<OwnershipQuery> ParseQuery(string? x, string? y, string? crs, string? cls, string? at)
    {
        var failures = new List<Failure>();
        if (!TryNumber(x, out var xv)) failures.Add(Failure.BadRequest("x_invalid", $"x must be a finite number (easting or longitude); got '{Shorten(x)}'."));
        if (!TryNumber(y, out var yv)) failures.Add(Failure.BadRequest("y_invalid", $"y must be a finite number (northing or latitude); got '{Shorten(y)}'."));
        var common = ParseCommon(crs, cls, at);
        if (!common.IsOk) failures.AddRange(common.Failures);
        if (failures.Count > 0) return Result<OwnershipQuery>.Fail(failures);
        var (c, k, d) = common.Value;
        return new OwnershipQuery(xv, yv, c, k, d);
    }

    internal static Result<(CrsId Crs, ClassCode? Class, DateOnly? At)> ParseCommon(string? crs, string? cls, string? at)
    {
        var failures = new List<Failure>();
        var crsId = CrsId.Wgs84;
        if (!string.IsNullOrWhiteSpace(crs))
        {
            var c = CrsId.Parse(crs);
            if (c.IsOk) crsId = c.Value; else failures.Add(c.Failure);
        }
        ClassCode? k = null;
        if (!string.IsNullOrWhiteSpace(cls))
        {
            var r = ClassCode.Parse(cls);
            if (r.IsOk) k = r.Value; else failures.Add(r.Failure);
        }
        var day = DayInput.Parse(at, "at", "at_invalid");
        if (!day.IsOk) failures.Add(day.Failure);
        if (failures.Count > 0) return Result<(CrsId, ClassCode?, DateOnly?)>.Fail(failures);
        return (crsId, k, day.Value);
    }

    private static bool TryNumber(string? s, out double v) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);

    private static string Shorten(string? s) => s is null ? "" : s.Length > 32 ? s[..32] + "…" : s;
}
