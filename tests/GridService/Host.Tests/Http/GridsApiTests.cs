using System.Net.Http.Json;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Geo.GridService.Host.Samples;
using Geo.GridService.Host.Tests.Support;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>Imports change the store, so this class has a service of its own.</summary>
public class GridsApiTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private string SampleGrids => Path.Combine(service.SamplesDir, "grids.geojson");

    private static ByteArrayContent Body(byte[] bytes, string type = "application/geo+json")
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = new(type);
        return c;
    }

    private async Task<int> VersionCount()
    {
        using var c = service.Client();
        var v = await c.GetFromJsonAsync<JsonElement>("/api/v1/grids/versions");
        return v.GetArrayLength();
    }

    private static string Problem(string json) => JsonDocument.Parse(json).RootElement.GetProperty("code").GetString()!;

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("viewer", HttpStatusCode.Forbidden)]
    [InlineData("dispatch", HttpStatusCode.Forbidden)]
    public async Task Importing_grids_needs_the_gis_or_admin_role(string? role, HttpStatusCode expected)
    {
        using var c = service.Client(role);
        var r = await c.PostAsync("/api/v1/grids/import?dryRun=true", Body(await File.ReadAllBytesAsync(SampleGrids)));
        Assert.Equal(expected, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_dry_run_validates_and_stores_nothing()
    {
        var before = await VersionCount();
        using var c = service.Client("gis");
        var r = await c.PostAsync("/api/v1/grids/import?dryRun=true", Body(await File.ReadAllBytesAsync(SampleGrids)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(before, await VersionCount());
    }

    [Fact]
    public async Task An_invalid_import_reports_every_problem_at_once_and_stores_nothing()
    {
        var before = await VersionCount();
        var doc = JsonNode.Parse(await File.ReadAllTextAsync(SampleGrids))!;
        var features = doc["features"]!.AsArray();
        features[0]!["properties"]!["code"] = "12345";                                  // bad code
        features[2]!["properties"]!["code"] = features[1]!["properties"]!["code"]!.GetValue<string>(); // duplicate
        features[3]!["geometry"] = JsonNode.Parse("""{"type":"Polygon","coordinates":[[[112.84,34.16],[112.85,34.17],[112.85,34.16],[112.84,34.17],[112.84,34.16]]]}"""); // bow-tie
        using var c = service.Client("gis");
        var r = await c.PostAsync("/api/v1/grids/import", Body(Encoding.UTF8.GetBytes(doc.ToJsonString())));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        var codes = body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("code").GetString()).ToHashSet();
        Assert.Contains("grid_code_format", codes);
        Assert.Contains("grid_code_duplicate", codes);
        Assert.Contains("self_intersection", codes);
        Assert.All(body.GetProperty("errors").EnumerateArray(), e => Assert.False(string.IsNullOrEmpty(e.GetProperty("location").GetString())));
        Assert.Equal(before, await VersionCount());
    }

    [Fact]
    public async Task A_new_import_creates_a_version_and_the_old_one_still_answers_for_its_dates()
    {
        var doc = JsonNode.Parse(await File.ReadAllTextAsync(SampleGrids))!;
        var first = doc["features"]!.AsArray()[0]!["properties"]!;
        var code = first["code"]!.GetValue<string>();
        var oldName = first["name"]!.GetValue<string>();
        first["name"] = "更名后的网格";
        using var gis = service.Client("gis");
        var r = await gis.PostAsync("/api/v1/grids/import?validFrom=2025-06-01&note=renamed", Body(Encoding.UTF8.GetBytes(doc.ToJsonString())));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        var point = RuzhouSamples.Grids().Single(g => g.Code == code).Geometry.InteriorPoint.Coordinate;
        string Q(string at) => $"/api/v1/ownership?crs=EPSG:4490&x={point.X.ToString("R", CultureInfo.InvariantCulture)}&y={point.Y.ToString("R", CultureInfo.InvariantCulture)}&at={at}";
        using var c = service.Client();
        var then = await c.GetFromJsonAsync<JsonElement>(Q("2024-06-01"));
        var now = await c.GetFromJsonAsync<JsonElement>(Q("2025-07-01"));
        Assert.Equal(oldName, then.GetProperty("grid").GetProperty("name").GetString());
        Assert.Equal("更名后的网格", now.GetProperty("grid").GetProperty("name").GetString());
        Assert.True(now.GetProperty("gridVersion").GetInt32() > then.GetProperty("gridVersion").GetInt32());

        // An import dated before the current version's start is a conflict.
        var stale = await gis.PostAsync("/api/v1/grids/import?validFrom=2024-03-01", Body(Encoding.UTF8.GetBytes(doc.ToJsonString())));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
    }

    [Fact]
    public async Task A_zipped_shapefile_in_gauss_kruger_is_imported()
    {
        var dir = Path.Combine(service.Dir, "shp-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        Run("ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4547", Path.Combine(dir, "grids.shp"), SampleGrids);
        var zip = Path.Combine(service.Dir, "grids-4547.zip");
        ZipFile.CreateFromDirectory(dir, zip);
        using var c = service.Client("gis");
        var r = await c.PostAsync("/api/v1/grids/import?dryRun=true", Body(await File.ReadAllBytesAsync(zip), "application/zip"));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        var report = JsonDocument.Parse(text).RootElement;
        Assert.Equal(27, report.GetProperty("gridCount").GetInt32());
        Assert.Equal("EPSG:4547", report.GetProperty("crs").GetString());
    }

    [Fact]
    public async Task Export_as_geopackage_opens_in_gdal_with_every_grid()
    {
        using var c = service.Client();
        var bytes = await c.GetByteArrayAsync("/api/v1/grids/export?format=gpkg");
        var path = Path.Combine(service.Dir, "export.gpkg");
        await File.WriteAllBytesAsync(path, bytes);
        var info = Run("ogrinfo", "-so", "-al", path);
        Assert.Contains("Feature Count: 27", info);
        Assert.Contains("4490", info);
    }

    [Fact]
    public async Task Export_as_geojson_round_trips_the_codes()
    {
        using var c = service.Client();
        var doc = await c.GetFromJsonAsync<JsonElement>("/api/v1/grids/export?format=geojson&version=1");
        var codes = doc.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("code").GetString()).ToList();
        Assert.Equal(RuzhouSamples.Grids().Select(g => g.Code), codes);
    }

    [Fact]
    public async Task A_file_that_is_not_a_vector_format_is_rejected()
    {
        using var c = service.Client("gis");
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0 };
        var r = await c.PostAsync("/api/v1/grids/import", Body(png, "application/octet-stream"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Equal("unsupported_format", Problem(await r.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("41048200100101'; DROP TABLE grids; --")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    public async Task Hostile_grid_codes_in_the_path_are_a_404_not_a_500(string code)
    {
        using var c = service.Client();
        var r = await c.GetAsync("/api/v1/grids/" + code);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }

    internal static string Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{exe} failed: {output}");
        return output;
    }
}
