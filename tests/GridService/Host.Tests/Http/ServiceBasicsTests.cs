using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Geo.GridService.Host.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Geo.GridService.Host.Tests.Http;

[Collection(ServiceCollectionDefinition.Name)]
public class ServiceBasicsTests(ServiceFixture service)
{
    [Fact]
    public async Task Health_reports_the_current_grid_version()
    {
        using var c = service.Client();
        var h = await c.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("ok", h.GetProperty("status").GetString());
        Assert.Equal(27, h.GetProperty("grids").GetInt32());
    }

    [Fact]
    public async Task The_openapi_document_describes_every_api_route()
    {
        using var c = service.Client();
        var doc = await c.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var p in new[] { "/api/v1/ownership", "/api/v1/ownership/batch", "/api/v1/grids", "/api/v1/grids/import", "/api/v1/departments", "/api/v1/responsibility", "/api/v1/keys" })
            Assert.Contains(p, paths);
    }

    [Fact]
    public async Task The_landing_page_and_the_api_reference_are_served_in_chinese_first()
    {
        using var c = service.Client();
        var index = await c.GetStringAsync("/");
        Assert.Contains("lang=\"zh-CN\"", index);
        Assert.Contains("地理信息一张图", index); // the web map
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/docs/index.html")).StatusCode);
        // MapLibre is served by the service itself (copied from npm by scripts/web-deps.sh), as a JavaScript module.
        var lib = await c.GetAsync("/vendor/maplibre-gl.mjs");
        Assert.Equal(HttpStatusCode.OK, lib.StatusCode);
        Assert.Equal("text/javascript", lib.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_routes_are_problem_json()
    {
        using var c = service.Client();
        var r = await c.GetAsync("/api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode); // the fallback policy closes what is not declared
        using var viewer = service.Client("viewer");
        r = await viewer.PostAsync("/api/v1/ownership", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void Every_endpoint_that_writes_requires_a_role_and_sets_a_body_limit()
    {
        var endpoints = service.App.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);
        foreach (var e in endpoints)
        {
            var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            if (methods.All(m => m is "GET" or "HEAD")) continue;
            var auth = e.Metadata.GetOrderedMetadata<IAuthorizeData>();
            Assert.True(auth.Any(a => a.Policy is not null), $"{e.RoutePattern.RawText} has no authorization policy");
            if (methods.Any(m => m is "POST" or "PUT"))
                Assert.True(e.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is not null, $"{e.RoutePattern.RawText} has no body limit");
            Assert.Null(e.Metadata.GetMetadata<IAllowAnonymous>());
        }
    }
}
