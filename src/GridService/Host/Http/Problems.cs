using Geo.GridService;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Http;

/// <summary>
/// The one place where expected failures become HTTP responses: RFC 9457 problem+json with the machine code, every
/// problem with its location (an import reports all of them), and a trace id. No stack traces, SQL or paths.
/// </summary>
public static class Problems
{
    public static int StatusOf(FailureKind kind) => kind switch
    {
        FailureKind.BadRequest => StatusCodes.Status400BadRequest,
        FailureKind.Invalid => StatusCodes.Status422UnprocessableEntity,
        FailureKind.NotFound => StatusCodes.Status404NotFound,
        FailureKind.Conflict => StatusCodes.Status409Conflict,
        FailureKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        FailureKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static IResult From(Failure failure) => From([failure]);

    public static IResult From(IReadOnlyList<Failure> failures)
    {
        var first = failures[0];
        // The most severe kind decides the status when problems of several kinds come together.
        var kind = failures.Select(f => f.Kind).Max();
        var extensions = new Dictionary<string, object?>
        {
            ["code"] = failures.Count == 1 ? first.Code : "multiple_problems",
            ["errors"] = failures.Select(f => new ProblemItem(f.Code, f.Message, f.Location)).ToArray(),
        };
        if (first.Extensions is { } ext)
            foreach (var (k, v) in ext) extensions[k] = v;
        return Results.Problem(
            detail: failures.Count == 1 ? first.Message : $"{failures.Count} problems: {first.Message}",
            statusCode: StatusOf(kind),
            title: Title(failures.Count == 1 ? first.Code : "multiple_problems"),
            type: $"urn:geo:problem:{(failures.Count == 1 ? first.Code : "multiple_problems")}",
            extensions: extensions);
    }

    public sealed record ProblemItem(string Code, string Message, string? Location);

    /// <summary>The ownership 404 (outside every grid) as a typed problem body, written with the source-generated
    /// serializer: it is a frequent answer on the dispatch hot path. Same members as <see cref="From(Failure)"/>.</summary>
    public sealed record OutsideProblem(
        string Type, string Title, int Status, string Detail, string Instance, string Code, ProblemItem[] Errors,
        int? GridVersion, double? Lon, double? Lat, Ownership.OwnershipSnapshot.NearestGrid? NearestGrid, double? DistanceMetres,
        string TraceId);

    public static IResult FromOutside(Failure f, HttpContext http)
    {
        var ext = f.Extensions;
        T? Get<T>(string key) => ext is not null && ext.TryGetValue(key, out var v) && v is T t ? t : default;
        var body = new OutsideProblem($"urn:geo:problem:{f.Code}", Title(f.Code), StatusOf(f.Kind), f.Message, http.Request.Path,
            f.Code, [new ProblemItem(f.Code, f.Message, f.Location)],
            ext is not null && ext.TryGetValue("gridVersion", out var gv) && gv is int g ? g : null,
            ext is not null && ext.TryGetValue("lon", out var lo) && lo is double lon ? lon : null,
            ext is not null && ext.TryGetValue("lat", out var la) && la is double lat ? lat : null,
            Get<Ownership.OwnershipSnapshot.NearestGrid>("nearestGrid"),
            ext is not null && ext.TryGetValue("distanceMetres", out var dm) && dm is double d ? d : null,
            http.TraceIdentifier);
        var json = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        return TypedResults.Json(body, json, "application/problem+json", body.Status);
    }

    private static string Title(string code) => code.Replace('_', ' ');
}
