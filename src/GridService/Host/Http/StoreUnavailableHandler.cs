using Geo.GridService.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Geo.GridService.Host.Http;

/// <summary>
/// A read that met an unreachable store (database restarting, network down) is an expected, transient condition:
/// 503 problem+json with code <c>store_unavailable</c> so the caller retries, and one warning line in the log instead
/// of an error with a stack trace. Ownership answers never get here: they come from memory.
/// </summary>
internal sealed class StoreUnavailableHandler(IProblemDetailsService problems, ILogger<StoreUnavailableHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not StoreUnavailableException unavailable) return false;
        log.LogWarning("{Method} {Path}: store unavailable ({Reason}); answered 503", http.Request.Method, http.Request.Path, unavailable.Message);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "store unavailable",
                Detail = "The database is not reachable at the moment; retry shortly.",
                Extensions = { ["code"] = "store_unavailable" },
            },
        });
    }
}
