using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using Geo.GridService.Host.Http;
using Geo.GridService.Host.Samples;
using Geo.GridService.Host.Tests.Support;
using Geo.GridService.Ownership;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>The hot path serves plain 200 ownership answers ahead of routing; it must be indistinguishable from the
/// routed endpoint (ASP.NET routes match paths case-insensitively, the hot path only the exact path, so an upper-case
/// path reaches the routed endpoint).</summary>
[Collection(ServiceCollectionDefinition.Name)]
public class OwnershipFastPathTests(ServiceFixture service)
{
    private static readonly IReadOnlyList<RuzhouSamples.SampleGrid> Grids = RuzhouSamples.Grids();

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static TheoryData<string> Queries()
    {
        var inside = Grids[4].Geometry.InteriorPoint.Coordinate;
        var corner = Grids[0].Geometry.Coordinates[1];
        return new TheoryData<string>
        {
            $"x={F(inside.X)}&y={F(inside.Y)}&crs=EPSG:4490&class=C0101",
            $"X={F(inside.X)}&Y={F(inside.Y)}&CRS=EPSG%3A4490&at=2025-06-01",
            $"x={F(corner.X)}&y={F(corner.Y)}&crs=EPSG:4490&class=E0101",           // on a boundary
            $"x={F(inside.X)}&y={F(inside.Y)}&crs=EPSG:4490&class=E0101&extra=1",   // unknown parameter ignored
            "x=112.845&y=34.167",                                                       // default CRS EPSG:4326
            "x=1&y=2&crs=EPSG:4490",                                                    // outside: 404 either way
            "x=abc&y=34.1",                                                             // bad x: 400 either way
            "x=112.84&x=112.85&y=34.16",                                                // repeated: routed decides
        };
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task The_hot_path_and_the_routed_endpoint_answer_with_the_same_bytes(string query)
    {
        using var c = service.Client();
        var fast = await c.GetAsync("/api/v1/ownership?" + query);
        var routed = await c.GetAsync("/API/V1/Ownership?" + query);
        Assert.Equal(routed.StatusCode, fast.StatusCode);
        Assert.Equal(routed.Content.Headers.ContentType?.ToString(), fast.Content.Headers.ContentType?.ToString());
        var fastBody = await fast.Content.ReadAsStringAsync();
        var routedBody = await routed.Content.ReadAsStringAsync();
        if (fast.StatusCode == HttpStatusCode.OK) Assert.Equal(routedBody, fastBody);
        else Assert.Equal(Without(routedBody, "traceId", "instance"), Without(fastBody, "traceId", "instance"));
    }

    [Theory]
    [InlineData("?x=1&y=2&crs=EPSG%3A4547&class=C0101&at=2025-01-01", "1", "2", "EPSG:4547", "C0101", "2025-01-01")]
    [InlineData("?Y=34.1&X=112.8", "112.8", "34.1", null, null, null)]
    [InlineData("x=1+2&y=", "1 2", "", null, null, null)]
    [InlineData("&&x=1&y=2&", "1", "2", null, null, null)]
    public void Query_strings_are_read_as_model_binding_reads_them(string qs, string? x, string? y, string? crs, string? cls, string? at)
    {
        Assert.True(OwnershipQueryString.TryRead(qs, out var p));
        Assert.Equal(new OwnershipQueryString.Parameters(x, y, crs, cls, at), p);
    }

    [Fact]
    public void A_repeated_parameter_is_left_to_the_routed_endpoint() =>
        Assert.False(OwnershipQueryString.TryRead("?x=1&y=2&X=3", out _));

    [Theory]
    [InlineData("?x=1&y=2&component=4104820101000001")]
    [InlineData("?x=1&y=2&extra=1")]
    public void Any_other_parameter_is_left_to_the_routed_endpoint(string qs) =>
        Assert.False(OwnershipQueryString.TryRead(qs, out _));

    private static string Without(string json, params string[] names)
    {
        var o = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
        foreach (var n in names) o.Remove(n);
        return JsonSerializer.Serialize(o);
    }
}

/// <summary>When reads are closed (Geo:AnonymousRead=false) the hot path asks for a key exactly as the Read policy does.</summary>
public sealed class OwnershipFastPathClosedReadTests : IAsyncLifetime
{
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(o => o.AnonymousRead = false);

    public async Task DisposeAsync() => await _service.DisposeAsync();

    private async Task<HttpResponseMessage> Get(string? key, string path = "/api/v1/ownership")
    {
        using var c = _service.Client(key);
        return await c.GetAsync(path + "?x=112.845&y=34.167&class=E0101");
    }

    [Fact]
    public async Task Without_a_key_the_answer_is_a_401_problem()
    {
        var r = await Get(null);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    [Fact]
    public async Task An_unknown_key_is_a_401_problem()
    {
        var r = await Get("not-a-key-of-this-service-000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    [Fact]
    public async Task A_known_key_of_a_reading_role_gets_the_same_answer_as_the_routed_endpoint()
    {
        using var admin = _service.Client(TestService.AdminKey);
        var created = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "dispatch desk", role = "dispatch" });
        created.EnsureSuccessStatusCode();
        var key = (await created.Content.ReadFromJsonAsync<DirectoryApi.NewKeyResponse>())!.Key;
        var fast = await Get(key);
        var routed = await Get(key, "/API/v1/ownership");
        Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
        Assert.Equal(await routed.Content.ReadAsStringAsync(), await fast.Content.ReadAsStringAsync());
    }
}

public class BatchResponseWriterTests
{
    [Fact]
    public void Writes_the_bytes_the_serializer_writes_for_the_record()
    {
        var grid = new GridRef("41048200100101", "钟楼街道 01 网格", "410482001", "钟楼街道", "410482001001", null);
        var dept = new DepartmentRef("CG", "汝州市城市管理局", "张三 \"值班\"", null);
        var rule = new RuleRef("R-12", null, "E0101", "E0101 in every grid");
        var response = new OwnershipApi.BatchResponse(4, 2, 2, 3,
            new() { [grid.Code] = grid }, new() { [dept.Code] = dept }, new() { [rule.Id] = rule },
            new() { ["outside_all_grids"] = "The point lies outside every grid; <nearestGrid> says where." },
            [
                new OwnershipApi.BatchItem("a-1", grid.Code, dept.Code, rule.Id, false, null),
                new OwnershipApi.BatchItem(null, grid.Code, null, null, true, null),
                new OwnershipApi.BatchItem("点3", null, null, null, false, new OwnershipApi.BatchError("outside_all_grids", grid.Code, 12.5)),
                new OwnershipApi.BatchItem(null, null, null, null, false, new OwnershipApi.BatchError("class_invalid", null, null)),
            ]);
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        };
        options.TypeInfoResolverChain.Insert(0, GeoJsonContext.Default);
        var expected = JsonSerializer.SerializeToUtf8Bytes(response, options);

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, BatchResponseWriter.Options)) BatchResponseWriter.Write(w, response);

        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
