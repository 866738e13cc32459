using System.Net.Http.Json;
using System.Net;
using System.Text;
using System.Text.Json;
using Geo.GridService.Host.Tests.Support;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>Departments, the matrix and keys change the store, so this class has a service of its own.</summary>
public class DirectoryApiTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private static StringContent Csv(string s) => new(s, Encoding.UTF8, "text/csv");

    [Fact]
    public async Task The_sample_directory_is_loaded()
    {
        using var c = service.Client();
        Assert.Equal(31, (await c.GetFromJsonAsync<JsonElement>("/api/v1/departments")).GetArrayLength());
        Assert.True((await c.GetFromJsonAsync<JsonElement>("/api/v1/responsibility")).GetArrayLength() > 27);
    }

    [Fact]
    public async Task Departments_are_upserted_by_code_from_json_or_csv()
    {
        using var gis = service.Client("gis");
        var r = await gis.PutAsJsonAsync("/api/v1/departments", new[] { new { code = "TEST1", name = "测试部门", contact = "张三", phone = "0375-1" } });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        r = await gis.PutAsync("/api/v1/departments", Csv("code,name,contact,phone\nTEST1,测试部门（改）,李四,0375-2\n"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var all = await gis.GetFromJsonAsync<JsonElement>("/api/v1/departments");
        var t = all.EnumerateArray().Single(d => d.GetProperty("code").GetString() == "TEST1");
        Assert.Equal("测试部门（改）", t.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await gis.DeleteAsync("/api/v1/departments/TEST1")).StatusCode);
    }

    [Fact]
    public async Task A_department_named_by_a_rule_cannot_be_deleted()
    {
        using var gis = service.Client("gis");
        var r = await gis.DeleteAsync("/api/v1/departments/GS");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        Assert.Equal("department_in_use", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_invalid_matrix_is_rejected_whole_and_the_old_one_keeps_answering()
    {
        using var gis = service.Client("gis");
        var before = (await gis.GetFromJsonAsync<JsonElement>("/api/v1/responsibility")).GetArrayLength();
        var r = await gis.PutAsync("/api/v1/responsibility", Csv("id,grid,class,department,note\nA,*,*,CGJ,\nB,*,C0101,NOPE,\nC,*,0101,GS,\n"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        var codes = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").EnumerateArray()
            .Select(e => e.GetProperty("code").GetString()).ToList();
        Assert.Equal(["rule_department_unknown", "class_ambiguous"], codes);
        Assert.Equal(before, (await gis.GetFromJsonAsync<JsonElement>("/api/v1/responsibility")).GetArrayLength());
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("viewer", HttpStatusCode.Forbidden)]
    [InlineData("dispatch", HttpStatusCode.Forbidden)]
    public async Task Writing_departments_or_the_matrix_needs_the_gis_role(string? role, HttpStatusCode expected)
    {
        using var c = service.Client(role);
        Assert.Equal(expected, (await c.PutAsync("/api/v1/departments", Csv("code,name\nX,Y\n"))).StatusCode);
        Assert.Equal(expected, (await c.PutAsync("/api/v1/responsibility", Csv("grid,class,department\n*,*,CGJ\n"))).StatusCode);
        Assert.Equal(expected, (await c.DeleteAsync("/api/v1/departments/CGJ")).StatusCode);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("gis", HttpStatusCode.Forbidden)]
    public async Task Managing_keys_needs_the_admin_role(string? role, HttpStatusCode expected)
    {
        using var c = service.Client(role);
        Assert.Equal(expected, (await c.GetAsync("/api/v1/keys")).StatusCode);
        Assert.Equal(expected, (await c.PostAsJsonAsync("/api/v1/keys", new { name = "x", role = "admin" })).StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_no_longer_authenticates_and_keys_are_stored_hashed()
    {
        using var admin = service.Client("admin");
        var created = await (await admin.PostAsJsonAsync("/api/v1/keys", new { name = "temp", role = "gis" })).Content.ReadFromJsonAsync<JsonElement>();
        var key = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetString()!;
        var listed = await admin.GetStringAsync("/api/v1/keys");
        Assert.DoesNotContain(key, listed);

        using var temp = new HttpClient { BaseAddress = service.BaseAddress };
        temp.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await temp.PutAsync("/api/v1/departments", Csv("code,name\nTMP,临时\n"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await temp.PutAsync("/api/v1/departments", Csv("code,name\nTMP,临时\n"))).StatusCode);
    }

    [Fact]
    public async Task A_key_in_the_query_string_is_ignored()
    {
        using var c = service.Client();
        var r = await c.PutAsync($"/api/v1/departments?api_key={ServiceFixture.AdminKey}&X-Api-Key={ServiceFixture.AdminKey}", Csv("code,name\nQ,Q\n"));
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }
}
