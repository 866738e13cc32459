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

    private static string Title(string code) => code.Replace('_', ' ');
}
