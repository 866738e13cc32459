using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Geo.GridService.Host.Tests.Support;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>The census over HTTP on the GeoPackage service (imports and edits change it: a service of its own).</summary>
public sealed class CensusApiTests(ServiceFixture service) : CensusApiContract(service), IClassFixture<ServiceFixture>;

/// <summary>The same census HTTP suite on a service whose store is PostgreSQL/PostGIS.</summary>
[Trait("Category", "PostGis")]
public sealed class PostGisCensusApiTests(PostGisServiceFixture service) : CensusApiContract(service), IClassFixture<PostGisServiceFixture>;

/// <summary>The census over HTTP on a real service and store, whichever backend the fixture runs on.</summary>
public abstract class CensusApiContract(ServiceFixture service)
{
    private static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");

    private static string Code(string json) => JsonDocument.Parse(json).RootElement.GetProperty("code").GetString()!;

    private async Task<int> CountInBox()
    {
        using var c = service.Client();
        var page = await c.GetFromJsonAsync<JsonElement>("/api/v1/components?bbox=112.80,34.13,112.90,34.20&limit=1000");
        return page.GetProperty("count").GetInt32();
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("viewer", HttpStatusCode.Forbidden)]
    [InlineData("dispatch", HttpStatusCode.Forbidden)]
    public async Task Writes_need_the_gis_or_admin_role(string? role, HttpStatusCode expected)
    {
        using var c = service.Client(role);
        Assert.Equal(expected, (await c.PostAsync("/api/v1/components/import", Csv("code,x,y\n"))).StatusCode);
        Assert.Equal(expected, (await c.PostAsJsonAsync("/api/v1/components", new { @class = "0101", x = 112.845, y = 34.167 })).StatusCode);
        Assert.Equal(expected, (await c.PostAsJsonAsync("/api/v1/classes", new[] { new { code = "2101", majorName = "扩展", name = "x" } })).StatusCode);
    }

    [Fact]
    public async Task DryRun_lists_every_bad_row_with_its_reason_and_stores_nothing()
    {
        var before = await CountInBox();
        using var c = service.Client("gis");
        var csv = """
            code,class,name,x,y,status,maintainer,data_source
            4104820108000101,0108,ok,112.845,34.167,完好,SZ,实测
            41048201080001,0108,bad code,112.845,34.167,完好,SZ,实测
            4104820108000103,0118,mismatch,112.845,34.167,完好,SZ,实测
            4104820108000101,0108,duplicate,112.845,34.167,完好,SZ,实测
            4104820108000105,0108,far away,113.5,34.5,完好,SZ,实测
            4104820108000106,0108,nan,NaN,34.167,完好,SZ,实测
            4104820108000107,0108,dept,112.845,34.167,完好,NOPE,实测
            4104820108000108,0108,status,112.845,34.167,坏了,SZ,实测
            """;
        var r = await c.PostAsync("/api/v1/components/import?crs=EPSG:4490&dryRun=true", Csv(csv));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var report = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(8, report.GetProperty("rows").GetInt32());
        Assert.Equal(7, report.GetProperty("rejected").GetInt32());
        Assert.False(report.GetProperty("committed").GetBoolean());
        var rejects = report.GetProperty("rejects").EnumerateArray()
            .Select(x => (x.GetProperty("row").GetInt32(), x.GetProperty("field").GetString(), x.GetProperty("code").GetString())).ToArray();
        Assert.Equal(new (int, string?, string?)[]
        {
            (2, "code", "component_code_format"),
            (3, "class", "class_mismatch"),
            (4, "code", "component_code_duplicate"),
            (5, "geometry", "outside_city"),
            (6, "geometry", "invalid_geometry"),
            (7, "maintainer", "department_unknown"),
            (8, "status", "status_invalid"),
        }, rejects);
        Assert.Equal(before, await CountInBox());
    }

    [Fact]
    public async Task A_bad_row_at_the_end_leaves_the_store_unchanged()
    {
        var before = await CountInBox();
        var sb = new StringBuilder("code,x,y\n");
        for (var i = 1; i <= 2000; i++) sb.Append($"4104820109{i:D6},{112.83 + i * 0.00001:F6},34.16\n");
        sb.Append("4104820109009999,200,34.16\n");
        using var c = service.Client("gis");
        var r = await c.PostAsync("/api/v1/components/import?crs=EPSG:4490", Csv(sb.ToString()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var body = await r.Content.ReadAsStringAsync();
        Assert.Contains("import_rejected", body);
        Assert.Contains("row 2001", body);
        Assert.Equal(before, await CountInBox());
        using var anon = service.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await anon.GetAsync("/api/v1/components/4104820109000001")).StatusCode);
    }

    [Fact]
    public async Task KeepValid_stores_the_good_rows_and_reports_the_rejects()
    {
        using var c = service.Client("gis");
        var r = await c.PostAsync("/api/v1/components/import?crs=EPSG:4490&keepValid=true",
            Csv("code,x,y,status\n4104820110000001,112.846,34.168,破损\n4104820110000002,0,0,完好\n4104820110000003,112.847,34.169,完好\n"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var report = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, report.GetProperty("stored").GetInt32());
        Assert.Equal(1, report.GetProperty("rejected").GetInt32());
        using var anon = service.Client();
        var one = await anon.GetFromJsonAsync<JsonElement>("/api/v1/components/4104820110000001");
        Assert.Equal("破损", one.GetProperty("status").GetString());
        Assert.Equal("Point", one.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Single(one.GetProperty("grids").EnumerateArray());
    }

    [Fact]
    public async Task A_GBK_encoded_csv_is_rejected_not_stored_as_mojibake()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var gbk = Encoding.GetEncoding("GB18030").GetBytes("code,name,x,y\n4104820104000001,雨水箅子,112.845,34.167\n");
        using var c = service.Client("gis");
        var content = new ByteArrayContent(gbk);
        content.Headers.ContentType = new("text/csv");
        var r = await c.PostAsync("/api/v1/components/import?crs=EPSG:4490", content);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Equal("csv_encoding", Code(await r.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task GeoJson_import_places_a_fence_line_in_every_grid_it_crosses()
    {
        var geojson = """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"code":"4104820603000001","name":"人民路护栏","status":"完好"},
              "geometry":{"type":"LineString","coordinates":[[112.825,34.160],[112.865,34.160]]}}]}
            """;
        using var c = service.Client("gis");
        var content = new StringContent(geojson, Encoding.UTF8, "application/geo+json");
        var r = await c.PostAsync("/api/v1/components/import", content);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var anon = service.Client();
        var fence = await anon.GetFromJsonAsync<JsonElement>("/api/v1/components/4104820603000001");
        Assert.True(fence.GetProperty("grids").GetArrayLength() >= 5);
        Assert.Equal("LineString", fence.GetProperty("geometry").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Concurrent_edits_the_second_with_a_stale_version_gets_409_and_the_audit_trail_records_who()
    {
        using var gis = service.Client("gis");
        var created = await gis.PostAsJsonAsync("/api/v1/components", new { @class = "0111", x = 112.8455, y = 34.1675, maintainer = "GD" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var code = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString()!;
        Assert.Equal("4104820111000001", code); // the next free serial of 0111 (a class the samples do not use)
        var etag = created.Headers.ETag!.Tag;
        Assert.Equal("\"1\"", etag);

        async Task<HttpResponseMessage> Edit(HttpClient client, string status, string? ifMatch)
        {
            var req = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/components/{code}")
            {
                Content = JsonContent.Create(new { x = 112.8455, y = 34.1675, maintainer = "GD", status }),
            };
            if (ifMatch is not null) req.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            return await client.SendAsync(req);
        }

        using var admin = service.Client("admin");
        var first = await Edit(gis, "破损", etag);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"2\"", first.Headers.ETag!.Tag);
        var second = await Edit(admin, "丢失", etag);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal("component_version_stale", Code(await second.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, (await Edit(admin, "丢失", null)).StatusCode);

        using var anon = service.Client();
        Assert.Equal("破损", (await anon.GetFromJsonAsync<JsonElement>($"/api/v1/components/{code}")).GetProperty("status").GetString());
        var audit = (await anon.GetFromJsonAsync<JsonElement>($"/api/v1/components/{code}/audit")).EnumerateArray().ToArray();
        Assert.Equal(["created", "updated"], audit.Select(a => a.GetProperty("action").GetString()));
        Assert.StartsWith("key:", audit[1].GetProperty("actor").GetString());
        Assert.Equal("完好", audit[1].GetProperty("before").GetProperty("status").GetString());
        Assert.Equal("破损", audit[1].GetProperty("after").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Nearest_answers_in_metres_closest_first()
    {
        using var gis = service.Client("gis");
        var r = await gis.PostAsync("/api/v1/components/import?crs=EPSG:4490",
            Csv("code,x,y\n4104820106000001,112.8400,34.1600\n4104820106000002,112.8401,34.1600\n4104820106000003,112.8420,34.1600\n"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var anon = service.Client();
        var near = (await anon.GetFromJsonAsync<JsonElement>("/api/v1/components/nearest?x=112.8400&y=34.1600&crs=EPSG:4490&class=0106&n=2"))
            .EnumerateArray().ToArray();
        Assert.Equal(["4104820106000001", "4104820106000002"], near.Select(n => n.GetProperty("component").GetProperty("code").GetString()));
        Assert.Equal(0, near[0].GetProperty("distanceMetres").GetDouble());
        Assert.InRange(near[1].GetProperty("distanceMetres").GetDouble(), 9.1, 9.3); // 0.0001 degree of longitude at 34.16 N
        Assert.Equal(HttpStatusCode.BadRequest, (await anon.GetAsync("/api/v1/components/nearest?x=112.84&y=34.16&n=100000")).StatusCode);
    }

    [Fact]
    public async Task A_local_class_added_through_the_api_is_usable_at_once_and_csv_exports_defuse_formulas()
    {
        using var gis = service.Client("gis");
        var added = await gis.PostAsJsonAsync("/api/v1/classes", new[] { new { code = "2199", majorName = "扩展部件", name = "=HYPERLINK(\"x\")" } });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var r = await gis.PostAsync("/api/v1/components/import?crs=EPSG:4490", Csv("code,x,y\n4104822199000001,112.845,34.167\n"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var anon = service.Client();
        var csv = await anon.GetStringAsync("/api/v1/census/statistics?format=csv");
        Assert.Contains(",2199,\"'=HYPERLINK(\"\"x\"\")\",完好,1", csv);
        Assert.DoesNotContain(",=HYPERLINK", csv);
        var json = await anon.GetFromJsonAsync<JsonElement>("/api/v1/census/statistics");
        Assert.Contains(json.EnumerateArray(), row => row.GetProperty("class").GetString() == "2199" && row.GetProperty("count").GetInt64() == 1);
    }

    [Fact]
    public async Task Ownership_with_a_component_is_decided_by_its_maintainer_and_says_so()
    {
        using var gis = service.Client("gis");
        var r = await gis.PostAsync("/api/v1/components/import?crs=EPSG:4490",
            Csv("code,x,y,maintainer\n4104820112000001,112.8452,34.1672,LT\n4104820112000002,112.8452,34.1672,\n"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var anon = service.Client();
        var byMaintainer = await anon.GetFromJsonAsync<JsonElement>("/api/v1/ownership?component=4104820112000001");
        Assert.Equal("component_maintainer", byMaintainer.GetProperty("decidedBy").GetString());
        Assert.Equal("LT", byMaintainer.GetProperty("answer").GetProperty("department").GetProperty("code").GetString());
        Assert.Equal("4104820112000001", byMaintainer.GetProperty("component").GetString());

        var plain = await anon.GetFromJsonAsync<JsonElement>("/api/v1/ownership?x=112.8452&y=34.1672&crs=EPSG:4490&class=C0112");
        var byMatrix = await anon.GetFromJsonAsync<JsonElement>("/api/v1/ownership?component=4104820112000002");
        Assert.Equal("matrix", byMatrix.GetProperty("decidedBy").GetString());
        Assert.Equal(plain.GetProperty("department").GetProperty("code").GetString(),
            byMatrix.GetProperty("answer").GetProperty("department").GetProperty("code").GetString());
        Assert.Equal(plain.GetProperty("grid").GetProperty("code").GetString(), byMaintainer.GetProperty("answer").GetProperty("grid").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await anon.GetAsync("/api/v1/ownership?component=4104820112000099")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await anon.GetAsync("/api/v1/ownership?component=12345")).StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/components?bbox=1,2,3")]
    [InlineData("/api/v1/components?class=E0101")]
    [InlineData("/api/v1/components?limit=100000")]
    [InlineData("/api/v1/components?status=';DROP TABLE components;--")]
    [InlineData("/api/v1/components?after=1%20OR%201=1")]
    [InlineData("/api/v1/components/not-a-code")]
    public async Task Bad_query_parameters_are_400_problems(string url)
    {
        using var anon = service.Client();
        var r = await anon.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }
}
