using System.Net;
using System.Net.Http.Json;
using System.Text;
using Geo.GridService.Host.Http;
using Geo.GridService.Host.Tests.Support;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>
/// SECURITY.md's "garden test": every endpoint the service maps (found at run time, so new ones are covered without
/// editing this file) × hostile route values × {no key, viewer, admin} × {no body, empty, null, {}, [], malformed,
/// wrong media type}. Whatever the answer, it is never a 5xx, and every error is problem+json. Runs on a private
/// instance because some of these writes succeed and change its data.
/// </summary>
public sealed class EndpointGardenTests : IAsyncLifetime
{
    private TestService _service = null!;
    private string _viewerKey = null!;

    public async Task InitializeAsync()
    {
        _service = await TestService.StartAsync(o =>
        {
            o.AnonymousRequestsPerSecond = 0; // the garden sends thousands of requests from one address
            o.KeyRequestsPerSecond = 0;
            o.AuthFailuresPerMinute = 0;
        });
        using var admin = _service.Client(TestService.AdminKey);
        var r = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "garden viewer", role = "viewer" });
        r.EnsureSuccessStatusCode();
        _viewerKey = (await r.Content.ReadFromJsonAsync<DirectoryApi.NewKeyResponse>())!.Key;
    }

    public async Task DisposeAsync() => await _service.DisposeAsync();

    private static readonly string[] RouteValues =
        ["0", "-1", "99999999999999999999", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "'%20OR%201%3D1--", new string('9', 300), "%E4%B8%AD%E6%96%87", "%00"];

    private static readonly (string Name, string? Body, string? MediaType)[] Bodies =
    [
        ("none", null, null),
        ("empty", "", "application/json"),
        ("null", "null", "application/json"),
        ("object", "{}", "application/json"),
        ("array", "[]", "application/json"),
        ("malformed", "{\"points\":[{\"x\":", "application/json"),
        ("deep", new string('[', 2000) + new string(']', 2000), "application/json"),
        ("xml", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>", "application/xml"),
        ("form", "a=b", "application/x-www-form-urlencoded"),
    ];

    [Fact]
    public async Task No_endpoint_answers_any_garden_request_with_a_5xx_and_every_error_is_problem_json()
    {
        var endpoints = _service.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Pattern: e.RoutePattern, Methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(e => e.Pattern.RawText is { } raw && !raw.StartsWith("/docs", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(endpoints);
        var failures = new List<string>();
        var requests = 0;
        foreach (var (pattern, methods) in endpoints)
        foreach (var path in Paths(pattern))
        foreach (var method in methods)
        foreach (var key in new[] { null, _viewerKey, TestService.AdminKey })
        foreach (var (name, body, media) in method is "GET" or "HEAD" or "DELETE" ? Bodies[..1] : Bodies)
        {
            using var client = _service.Client(key);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, media!);
            using var response = await client.SendAsync(request);
            requests++;
            var status = (int)response.StatusCode;
            var what = $"{method} {path} key={(key is null ? "none" : key == _viewerKey ? "viewer" : "admin")} body={name}";
            if (status >= 500) failures.Add($"{what}: {status} {Clip(await response.Content.ReadAsStringAsync())}");
            // Kestrel itself rejects a NUL in the path with a bare 400 before any application code runs.
            else if (status >= 400 && method != "HEAD" && !path.Contains("%00") && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{what}: {status} with {response.Content.Headers.ContentType?.MediaType ?? "no"} content type");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} garden requests misbehaved:\n" + string.Join("\n", failures.Take(40)));
    }

    /// <summary>The route with each parameter filled by each hostile value (or the literal route when it has none).</summary>
    private static IEnumerable<string> Paths(Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern)
    {
        var raw = pattern.RawText!;
        if (pattern.Parameters.Count == 0) { yield return raw; yield break; }
        foreach (var value in RouteValues)
        {
            var path = raw;
            foreach (var p in pattern.Parameters)
            {
                var start = path.IndexOf('{');
                var end = path.IndexOf('}', start);
                path = path[..start] + value + path[(end + 1)..];
            }
            yield return path;
        }
    }

    private static string Clip(string s) => s.Length > 300 ? s[..300] + "…" : s;
}
