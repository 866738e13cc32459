using System.Net;
using System.Threading.RateLimiting;
using Geo.Spatial.Failures;
using Microsoft.AspNetCore.RateLimiting;

namespace Geo.GridService.Host.Http;

/// <summary>
/// Per-client request limits (SECURITY.md A5: floods, cache busting) and a brake on key guessing (Z5). A client is its
/// API key when it presents a known one, otherwise its remote address; each gets a token bucket refilled every 100 ms
/// (<see cref="GeoOptions.KeyRequestsPerSecond"/>, <see cref="GeoOptions.AnonymousRequestsPerSecond"/>, bursts of
/// twice the rate). Over the limit: 429 problem+json with Retry-After. Unknown keys are partitioned by address, so
/// random keys cannot create unbounded state.
/// </summary>
internal static class RateLimits
{
    public static void AddGeoRateLimits(this IServiceCollection services, GeoOptions options, ApiKeyRegistry registry)
    {
        services.AddSingleton(new AuthFailureGuard(options.AuthFailuresPerMinute));
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var presented = ApiKeyAuthenticationHandler.PresentedKey(http.Request);
                var key = presented is { Length: > 0 and <= 256 } ? registry.Find(presented) : null;
                var (partition, perSecond) = key is not null
                    ? ("key:" + key.Id, options.KeyRequestsPerSecond)
                    : ("ip:" + Address(http), options.AnonymousRequestsPerSecond);
                if (perSecond <= 0) return RateLimitPartition.GetNoLimiter(partition);
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, perSecond * 2),
                    TokensPerPeriod = Math.Max(1, perSecond / 10),
                    ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = (ctx, ct) => Reject(ctx.HttpContext, "rate_limited",
                "Too many requests from this client; slow down and retry after the time in Retry-After.");
        });
    }

    /// <summary>Limits first (before the ownership hot path), then the key-guessing brake after authentication.</summary>
    public static void UseGeoRateLimits(this WebApplication app) => app.UseRateLimiter();

    public static void UseAuthFailureGuard(this WebApplication app)
    {
        var guard = app.Services.GetRequiredService<AuthFailureGuard>();
        app.Use(async (http, next) =>
        {
            var presented = ApiKeyAuthenticationHandler.PresentedKey(http.Request);
            if (string.IsNullOrEmpty(presented)) { await next(http); return; }
            var address = Address(http);
            if (guard.IsBlocked(address))
            {
                await Reject(http, "too_many_key_failures",
                    "Too many requests with unknown or revoked API keys from this address; retry after the time in Retry-After.");
                return;
            }
            await next(http);
            if (http.Response.StatusCode == StatusCodes.Status401Unauthorized) guard.RecordFailure(address);
        });
    }

    private static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString();

    private static async ValueTask Reject(HttpContext http, string code, string message)
    {
        http.Response.Headers.RetryAfter = "1";
        await Problems.From(new Failure(code, message, FailureKind.TooManyRequests)).ExecuteAsync(http);
    }
}

/// <summary>Counts failed key checks per remote address in one-minute windows (SECURITY.md Z5).</summary>
internal sealed class AuthFailureGuard(int perMinute)
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        perMinute <= 0
            ? RateLimitPartition.GetNoLimiter(address)
            : RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = perMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

    public bool IsBlocked(string address) => _failures.GetStatistics(address)?.CurrentAvailablePermits == 0;

    public void RecordFailure(string address)
    {
        using var _ = _failures.AttemptAcquire(address);
    }
}
