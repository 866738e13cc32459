using System.Text.Json.Serialization;
using Geo.Spatial.Failures;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Geo.GridService.Host.Http;

/// <summary>
/// The one place where expected failures become HTTP responses: RFC 9457 problem+json with the machine code, every
/// problem with its location (an import reports all of them), the failure's facts as extension members, and a trace
/// id. No stack traces, SQL or paths. Written with the service's source-generated JSON options: the ownership 404 is a
/// frequent answer on the dispatch hot path.
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
        FailureKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static IResult From(Failure failure) => From([failure]);

    public static IResult From(IReadOnlyList<Failure> failures)
    {
        var first = failures[0];
        var code = failures.Count == 1 ? first.Code : "multiple_problems";
        // The most severe kind decides the status when problems of several kinds come together.
        var kind = failures.Select(f => f.Kind).Max();
        Dictionary<string, object?>? extensions = null;
        if (first.Extensions is { Count: > 0 } ext)
        {
            extensions = new Dictionary<string, object?>(ext.Count);
            foreach (var (k, v) in ext) extensions[k] = v;
        }
        var errors = new ProblemItem[failures.Count];
        for (var i = 0; i < errors.Length; i++) errors[i] = new ProblemItem(failures[i].Code, failures[i].Message, failures[i].Location);
        return new ProblemResult(new ProblemBody
        {
            Type = $"urn:geo:problem:{code}",
            Title = code.Replace('_', ' '),
            Status = StatusOf(kind),
            Detail = failures.Count == 1 ? first.Message : $"{failures.Count} problems: {first.Message}",
            Code = code,
            Errors = errors,
            Extensions = extensions,
        });
    }

    public sealed record ProblemItem(string Code, string Message, string? Location);

    /// <summary>The problem+json body; <see cref="Extensions"/> are written as top-level members.</summary>
    public sealed record ProblemBody
    {
        public required string Type { get; init; }
        public required string Title { get; init; }
        public required int Status { get; init; }
        public required string Detail { get; init; }
        public string? Instance { get; init; }
        public required string Code { get; init; }
        public required ProblemItem[] Errors { get; init; }
        public string? TraceId { get; init; }

        [JsonExtensionData]
        public Dictionary<string, object?>? Extensions { get; set; }
    }

    /// <summary>Writes a <see cref="ProblemBody"/> with the request's path and trace id.</summary>
    private sealed class ProblemResult(ProblemBody body) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
    {
        public int? StatusCode => body.Status;

        public string ContentType => "application/problem+json";

        public Task ExecuteAsync(HttpContext http)
        {
            var full = body with { Instance = http.Request.Path, TraceId = http.TraceIdentifier };
            var json = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            http.Response.StatusCode = full.Status;
            return http.Response.WriteAsJsonAsync(full, json.GetTypeInfo(typeof(ProblemBody)), ContentType, http.RequestAborted);
        }
    }
}
