using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Geo.GridService.Access;
using Geo.GridService.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Geo.GridService.Host.Http;

/// <summary>
/// The keys this process accepts: the stored ones (by SHA-256 of the key) and the bootstrap admin key.
/// Refreshed from the store after key writes and when the store's revision moves.
/// </summary>
public sealed class ApiKeyRegistry
{
    private readonly ConcurrentDictionary<string, ApiKey> _byHash = new(StringComparer.Ordinal);
    private ApiKey? _bootstrap;

    public void SetBootstrap(string? key)
    {
        if (string.IsNullOrEmpty(key)) { _bootstrap = null; return; }
        if (key.Length < 24) throw new InvalidOperationException("The bootstrap admin key must have at least 24 characters.");
        _bootstrap = new ApiKey("bootstrap", "bootstrap admin", Role.Admin, key[..8], Hash(key), DateTimeOffset.UnixEpoch, null);
    }

    public async Task ReloadAsync(IGridStore store, CancellationToken ct = default)
    {
        var keys = await store.ListApiKeysAsync(ct);
        var live = keys.Where(k => k.RevokedAt is null).ToDictionary(k => k.Sha256Hex, StringComparer.Ordinal);
        foreach (var hash in _byHash.Keys)
            if (!live.ContainsKey(hash)) _byHash.TryRemove(hash, out _);
        foreach (var (hash, key) in live) _byHash[hash] = key;
    }

    /// <summary>Finds the key; the comparison of hashes is constant-time (SECURITY.md Z4).</summary>
    public ApiKey? Find(string presented)
    {
        var hash = Hash(presented);
        if (_bootstrap is { } b && FixedTimeEquals(b.Sha256Hex, hash)) return b;
        return _byHash.TryGetValue(hash, out var k) && FixedTimeEquals(k.Sha256Hex, hash) ? k : null;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new random key: 32 bytes, URL-safe base64 with a recognisable prefix.</summary>
    public static string NewKey() => "geo_" + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private static string Base64UrlEncode(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}

/// <summary>
/// Authenticates requests by API key, read from the <c>X-Api-Key</c> header or <c>Authorization: ApiKey …</c>;
/// never from the query string (proxies log URLs). Roles come from the key store, never from the request.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRegistry registry)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    /// <summary>The key a request presents: the X-Api-Key header, else <c>Authorization: ApiKey ...</c>; null when none.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        string? presented = request.Headers[HeaderName];
        if (!string.IsNullOrEmpty(presented)) return presented;
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey(Request);
        if (string.IsNullOrEmpty(presented)) return Task.FromResult(AuthenticateResult.NoResult());
        if (presented.Length > 256) return Task.FromResult(AuthenticateResult.Fail("API key too long."));
        var key = registry.Find(presented);
        if (key is null)
        {
            Logger.LogWarning("Rejected an unknown API key from {Remote}", Context.Connection.RemoteIpAddress);
            return Task.FromResult(AuthenticateResult.Fail("Unknown or revoked API key."));
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, key.Id),
            new Claim(ClaimTypes.Name, key.Name),
            new Claim(ClaimTypes.Role, RoleName(key.Role)),
        ], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    public static string RoleName(Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Gis => "gis",
        Role.Dispatch => "dispatch",
        _ => "viewer",
    };
}

/// <summary>Authorization policies: <c>read</c> (anyone when anonymous reads are on, else any key), <c>gis</c>
/// (gis or admin), <c>admin</c>, <c>dispatch</c> (dispatch or admin). The fallback policy requires a key, so an endpoint that forgets to name a policy is
/// closed (SECURITY.md Z1).</summary>
public static class Policies
{
    public const string Read = "read";
    public const string Gis = "gis";
    public const string Admin = "admin";
    public const string Dispatch = "dispatch";

    public static void Configure(AuthorizationBuilder auth, bool anonymousRead)
    {
        // The API key scheme is the default scheme, so UseAuthentication has already run it once per request; the
        // policies do not name it again (that would authenticate twice on the hot ownership path).
        auth.SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        auth.AddPolicy(Read, p =>
        {
            if (anonymousRead) p.RequireAssertion(static _ => true);
            else p.RequireAuthenticatedUser();
        });
        auth.AddPolicy(Gis, p => p.RequireRole("gis", "admin"));
        auth.AddPolicy(Admin, p => p.RequireRole("admin"));
        auth.AddPolicy(Dispatch, p => p.RequireRole("dispatch", "admin")); // the dispatch system polling the findings outbox
    }
}
