using System.Net.Http.Json;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Geo.GridService.Host.Samples;
using Geo.GridService.Host.Tests.Support;
using Geo.Spatial.Crs;

namespace Geo.GridService.Host.Tests.Http;

[Collection(ServiceCollectionDefinition.Name)]
public class OwnershipApiTests(ServiceFixture service)
{
    private static readonly IReadOnlyList<RuzhouSamples.SampleGrid> Grids = RuzhouSamples.Grids();

    private static (double Lon, double Lat) Inside(int i)
    {
        var p = Grids[i].Geometry.InteriorPoint.Coordinate;
        return (p.X, p.Y);
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private async Task<(HttpStatusCode Status, JsonElement Body, string? ContentType)> Get(string query, string? role = null)
    {
        using var c = service.Client(role);
        var r = await c.GetAsync("/api/v1/ownership?" + query);
        var body = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, JsonDocument.Parse(body).RootElement, r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_point_inside_a_grid_gets_the_grid_its_department_and_the_deciding_rule()
    {
        var (lon, lat) = Inside(3);
        var (status, body, _) = await Get($"x={F(lon)}&y={F(lat)}&crs=EPSG:4490&class=C0101");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Grids[3].Code, body.GetProperty("grid").GetProperty("code").GetString());
        Assert.Equal(Grids[3].Name, body.GetProperty("grid").GetProperty("name").GetString());
        Assert.Equal("GS", body.GetProperty("department").GetProperty("code").GetString());      // 上水井盖 -> 供水公司
        Assert.Equal("汝州市供水有限公司", body.GetProperty("department").GetProperty("name").GetString());
        Assert.Equal("C0101 in every grid", body.GetProperty("rule").GetProperty("description").GetString());
        Assert.False(body.GetProperty("onBoundary").GetBoolean());
        Assert.Equal("EPSG:4490", body.GetProperty("crs").GetString());
    }

    [Theory]
    [InlineData("EPSG:4326")]
    [InlineData("EPSG:4490")]
    [InlineData("EPSG:4547")]
    [InlineData("EPSG:3857")]
    [InlineData("GCJ02")]
    [InlineData("BD09")]
    public async Task The_same_place_given_in_any_supported_crs_gets_the_same_grid(string crs)
    {
        for (var i = 0; i < Grids.Count; i += 5)
        {
            var (lon, lat) = Inside(i);
            var id = CrsId.Parse(crs).Value;
            var (x, y) = CoordinateConverter.Convert(CrsId.Cgcs2000, id, lon, lat);
            var (status, body, _) = await Get($"x={F(x)}&y={F(y)}&crs={crs}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(Grids[i].Code, body.GetProperty("grid").GetProperty("code").GetString());
            Assert.Equal(crs, body.GetProperty("crs").GetString());
        }
    }

    [Fact]
    public async Task A_grid_specific_rule_beats_the_city_wide_one_for_its_class()
    {
        // South of the river (汝南, subdistrict 005) illegal construction goes to the subdistrict's own team.
        var i = Grids.ToList().FindIndex(g => g.Code.Substring(6, 3) == "005");
        var (lon, lat) = Inside(i);
        var (_, body, _) = await Get($"x={F(lon)}&y={F(lat)}&class=E0101");
        Assert.Equal("RNJD", body.GetProperty("department").GetProperty("code").GetString());
        var other = Grids.ToList().FindIndex(g => g.Code.Substring(6, 3) == "001");
        (lon, lat) = Inside(other);
        (_, body, _) = await Get($"x={F(lon)}&y={F(lat)}&class=E0101");
        Assert.Equal("CGZF", body.GetProperty("department").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_point_outside_every_grid_is_a_404_problem_naming_the_nearest_grid_and_its_distance()
    {
        var (status, body, type) = await Get("x=112.70&y=34.167");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal("outside_all_grids", body.GetProperty("code").GetString());
        Assert.StartsWith("410482", body.GetProperty("nearestGrid").GetProperty("code").GetString());
        Assert.True(body.GetProperty("distanceMetres").GetDouble() > 5_000);
    }

    [Fact]
    public async Task A_point_on_a_boundary_shared_by_two_grids_gets_one_owner_the_lower_code_and_is_flagged()
    {
        var shared = Grids[0].Geometry.Intersection(Grids[1].Geometry);
        Assert.False(shared.IsEmpty);
        var c = shared.Coordinates[0];
        var (status, body, _) = await Get($"x={F(c.X)}&y={F(c.Y)}&crs=EPSG:4490");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Grids[0].Code, body.GetProperty("grid").GetProperty("code").GetString());
        Assert.True(body.GetProperty("onBoundary").GetBoolean());
    }

    [Theory]
    [InlineData("x=abc&y=34.1", "x_invalid")]
    [InlineData("y=34.1", "x_invalid")]
    [InlineData("x=NaN&y=34.1", "x_invalid")]
    [InlineData("x=1e308&y=34.1", "coordinate_out_of_range")]
    [InlineData("x=112.8&y=91", "coordinate_out_of_range")]
    [InlineData("x=112.8&y=34.1&crs=EPSG:9999", "unsupported_crs")]
    [InlineData("x=112.8&y=34.1&crs=4326'%20OR%201=1", "unsupported_crs")]
    [InlineData("x=112.8&y=34.1&class=0101", "class_ambiguous")]
    [InlineData("x=112.8&y=34.1&class=C01;DROP", "class_format")]
    [InlineData("x=112.8&y=34.1&at=yesterday", "at_invalid")]
    public async Task Bad_parameters_are_a_400_problem_with_a_reason(string query, string code)
    {
        var (status, body, type) = await Get(query);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        var codes = body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("code").GetString()).ToList();
        Assert.Contains(code, codes);
    }

    [Fact]
    public async Task Before_the_first_grid_version_there_is_no_answer()
    {
        var (lon, lat) = Inside(0);
        var (status, body, _) = await Get($"x={F(lon)}&y={F(lat)}&at=2020-01-01");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("no_grid_version", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_batch_answers_every_point_in_order_with_per_point_errors()
    {
        var points = Enumerable.Range(0, Grids.Count).Select(i => { var (x, y) = Inside(i); return new { x, y, id = $"p{i}" }; })
            .Append(new { x = 100.0, y = 10.0, id = "far" }).ToArray();
        using var c = service.Client("dispatch");
        var r = await c.PostAsJsonAsync("/api/v1/ownership/batch", new { crs = "EPSG:4490", @class = "E0101", points });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(points.Length, body.GetProperty("count").GetInt32());
        Assert.Equal(1, body.GetProperty("failed").GetInt32());
        var results = body.GetProperty("results").EnumerateArray().ToList();
        for (var i = 0; i < Grids.Count; i++)
        {
            var code = results[i].GetProperty("grid").GetString()!;
            Assert.Equal(Grids[i].Code, code);
            Assert.Equal(Grids[i].Name, body.GetProperty("grids").GetProperty(code).GetProperty("name").GetString());
            var dept = results[i].GetProperty("department").GetString()!;
            Assert.False(string.IsNullOrEmpty(body.GetProperty("departments").GetProperty(dept).GetProperty("name").GetString()));
            Assert.True(body.GetProperty("rules").TryGetProperty(results[i].GetProperty("rule").GetString()!, out _));
        }
        Assert.Equal("outside_all_grids", results[^1].GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(10_000, HttpStatusCode.OK)]
    [InlineData(10_001, HttpStatusCode.RequestEntityTooLarge)]
    public async Task A_batch_holds_at_most_ten_thousand_points(int n, HttpStatusCode expected)
    {
        var (lon, lat) = Inside(0);
        var points = Enumerable.Repeat(new { x = lon, y = lat }, n).ToArray();
        using var c = service.Client();
        var r = await c.PostAsJsonAsync("/api/v1/ownership/batch", new { crs = "EPSG:4490", points });
        Assert.Equal(expected, r.StatusCode);
        if (expected != HttpStatusCode.OK)
            Assert.Equal("batch_too_large", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_malformed_batch_body_is_a_400_problem_not_a_500()
    {
        using var c = service.Client();
        var deep = new string('[', 10_000) + new string(']', 10_000);
        foreach (var body in new[] { "{", "{\"points\": 5}", deep, "{\"points\":[{\"x\":\"NaN\",\"y\":1}]}" })
        {
            var r = await c.PostAsync("/api/v1/ownership/batch", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }
    }
}
