using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Geo.GridService.Host.Samples;
using Geo.GridService.Host.Tests.Support;
using Geo.GridService.Ownership;
using Geo.Spatial.Tiles;
using Geo.Tiles.Tests.Vector;
using Geo.Tiles.Vector;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>Vector tiles over HTTP on the real service with the Ruzhou samples; a grid import changes the store, so
/// this class has a service of its own.</summary>
public class TilesApiTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private static readonly TileId Centre14 = TileMath.TileAt(112.845, 34.167, 14);

    private static string Url(string layer, TileId t, string ext = "mvt") => $"/api/v1/tiles/{layer}/{t.Z}/{t.X}/{t.Y}.{ext}";

    private static int GridsTouching(TileId tile)
    {
        var b = VectorTileService.BufferedLonLat(tile, MvtOptions.Default);
        var box = new GeometryFactory().ToGeometry(new Envelope(b.MinX, b.MaxX, b.MinY, b.MaxY));
        return RuzhouSamples.Grids().Count(g => g.Geometry.Intersects(box));
    }

    [Fact]
    public async Task A_grid_tile_decodes_in_gdal_with_every_grid_it_touches_and_their_code_name_and_subdistrict()
    {
        using var c = service.Client();
        var r = await c.GetAsync(Url("grids", Centre14));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/vnd.mapbox-vector-tile", r.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(r.Headers.ETag);
        var features = OgrMvt.Decode(await r.Content.ReadAsByteArrayAsync(), Centre14);
        var grids = features.Where(f => f.Layer == "grids").ToList();
        Assert.Equal(GridsTouching(Centre14), grids.Count);
        var samples = RuzhouSamples.Grids().ToDictionary(g => g.Code);
        foreach (var f in grids)
        {
            var g = samples[f.Attributes["code"]];
            Assert.Equal(g.Name, f.Attributes["name"]);
            Assert.Equal(g.SubdistrictName, f.Attributes["subdistrict"]);
        }
        // One label point per grid whose label point lies in the tile or its buffer.
        var labels = features.Where(f => f.Layer == "grid_labels").Select(f => f.Attributes["code"]).ToList();
        Assert.NotEmpty(labels);
        Assert.All(labels, code => Assert.Contains(grids, g => g.Attributes["code"] == code));
    }

    [Fact]
    public async Task Every_zoom_15_tile_of_the_city_holds_the_grids_it_touches()
    {
        using var c = service.Client();
        var extent = new Box(112.8158, 34.1475, 112.8742, 34.1865);
        foreach (var tile in TileMath.TilesCovering(extent, 15))
        {
            var r = await c.GetAsync(Url("grids", tile));
            var expected = GridsTouching(tile);
            if (expected == 0) { Assert.Equal(HttpStatusCode.NoContent, r.StatusCode); continue; }
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var grids = OgrMvt.Decode(await r.Content.ReadAsByteArrayAsync(), tile).Where(f => f.Layer == "grids").ToList();
            Assert.Equal(expected, grids.Count);
            Assert.All(grids, f => Assert.True(f.Geometry!.IsValid, $"{tile} {f.Attributes["code"]} {new NetTopologySuite.Operation.Valid.IsValidOp(f.Geometry).ValidationError} {f.Geometry}"));
        }
    }

    [Theory]
    [InlineData("/api/v1/tiles/roads/14/1/1.mvt", HttpStatusCode.NotFound, "tile_layer_not_found")]
    [InlineData("/api/v1/tiles/grids/14/1/1.png", HttpStatusCode.BadRequest, "tile_format_unsupported")]
    [InlineData("/api/v1/tiles/grids/14/1/1", HttpStatusCode.BadRequest, "tile_format_unsupported")]
    [InlineData("/api/v1/tiles/grids/25/0/0.mvt", HttpStatusCode.BadRequest, "tile_zoom_out_of_range")]
    [InlineData("/api/v1/tiles/grids/255/0/0.mvt", HttpStatusCode.BadRequest, "tile_zoom_out_of_range")]
    [InlineData("/api/v1/tiles/grids/2/4/0.mvt", HttpStatusCode.BadRequest, "tile_out_of_range")]
    [InlineData("/api/v1/tiles/grids/2/0/4.mvt", HttpStatusCode.BadRequest, "tile_out_of_range")]
    [InlineData("/api/v1/tiles/grids/2/-1/0.mvt", HttpStatusCode.BadRequest, "tile_coordinates_invalid")]
    [InlineData("/api/v1/tiles/grids/2/0/0x1.mvt", HttpStatusCode.BadRequest, "tile_coordinates_invalid")]
    [InlineData("/api/v1/tiles/grids/99999999999999999999/0/0.mvt", HttpStatusCode.BadRequest, "tile_coordinates_invalid")]
    [InlineData("/api/v1/tiles/nope.json", HttpStatusCode.NotFound, "tile_layer_not_found")]
    [InlineData("/api/v1/tiles/grids.xml", HttpStatusCode.NotFound, "tile_layer_not_found")]
    public async Task Bad_tile_requests_get_a_clear_problem_never_a_500(string path, HttpStatusCode status, string code)
    {
        using var c = service.Client();
        var r = await c.GetAsync(path);
        Assert.Equal(status, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_nul_byte_in_the_path_is_refused_by_the_server_with_400()
    {
        using var c = service.Client();
        Assert.Equal(HttpStatusCode.BadRequest, (await c.GetAsync("/api/v1/tiles/grids/%00/0/0.mvt")).StatusCode);
    }

    [Fact]
    public async Task An_empty_tile_is_204_in_every_layer_and_the_finding_layer_answers_before_its_data_exists()
    {
        using var c = service.Client();
        Assert.Equal(HttpStatusCode.NoContent, (await c.GetAsync("/api/v1/tiles/grids/14/0/0.mvt")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await c.GetAsync("/api/v1/tiles/components/14/0/0.mvt")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await c.GetAsync(Url("findings", Centre14, "pbf"))).StatusCode);
    }

    [Fact]
    public async Task TileJson_describes_the_layers_with_absolute_tile_urls()
    {
        using var c = service.Client();
        var json = JsonNode.Parse(await c.GetStringAsync("/api/v1/tiles/grids.json"))!;
        Assert.Equal("3.0.0", (string?)json["tilejson"]);
        Assert.Equal($"{service.BaseAddress.ToString().TrimEnd('/')}/api/v1/tiles/grids/{{z}}/{{x}}/{{y}}.mvt", (string?)json["tiles"]![0]);
        var ids = json["vector_layers"]!.AsArray().Select(l => (string?)l!["id"]).ToList();
        Assert.Equal(["grids", "grid_labels"], ids);
        Assert.Equal("String", (string?)json["vector_layers"]![0]!["fields"]!["subdistrict"]);
        var bounds = json["bounds"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.InRange(bounds[0], 112.80, 112.83);
        foreach (var layer in new[] { "components", "findings" })
            Assert.Equal(HttpStatusCode.OK, (await c.GetAsync($"/api/v1/tiles/{layer}.json")).StatusCode);
    }

    [Fact]
    public async Task A_revalidation_with_the_etag_is_304()
    {
        using var c = service.Client();
        var first = await c.GetAsync(Url("grids", Centre14));
        var again = new HttpRequestMessage(HttpMethod.Get, Url("grids", Centre14));
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await c.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task Importing_a_new_grid_version_changes_the_affected_tiles_at_once()
    {
        using var c = service.Client();
        var tile = Centre14;
        var before = await c.GetAsync(Url("grids", tile));
        var beforeFeatures = OgrMvt.Decode(await before.Content.ReadAsByteArrayAsync(), tile).Where(f => f.Layer == "grids").ToList();
        var renamed = beforeFeatures[0].Attributes["code"];

        var doc = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(service.SamplesDir, "grids.geojson")))!;
        foreach (var f in doc["features"]!.AsArray())
            if ((string?)f!["properties"]!["code"] == renamed) f["properties"]!["name"] = "新版网格名称";
        var today = OwnershipSnapshot.Today().ToString("yyyy-MM-dd");
        using var gis = service.Client("gis");
        var body = new ByteArrayContent(Encoding.UTF8.GetBytes(doc.ToJsonString()));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/geo+json");
        var import = await gis.PostAsync($"/api/v1/grids/import?validFrom={today}", body);
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);

        var after = await c.GetAsync(Url("grids", tile));
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);
        Assert.NotEqual(before.Headers.GetValues("X-Tile-Revision").Single(), after.Headers.GetValues("X-Tile-Revision").Single());
        var afterFeatures = OgrMvt.Decode(await after.Content.ReadAsByteArrayAsync(), tile).Where(f => f.Layer == "grids").ToList();
        Assert.Equal("新版网格名称", afterFeatures.Single(f => f.Attributes["code"] == renamed).Attributes["name"]);

        // The old ETag no longer matches: a browser revalidating gets the new tile, not a 304.
        var revalidate = new HttpRequestMessage(HttpMethod.Get, Url("grids", tile));
        revalidate.Headers.IfNoneMatch.Add(before.Headers.ETag!);
        Assert.Equal(HttpStatusCode.OK, (await c.SendAsync(revalidate)).StatusCode);
    }

    [Fact]
    public async Task Tiles_are_reads_and_need_no_key()
    {
        using var c = service.Client();
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/tiles/grids.json")).StatusCode);
    }

    [Fact]
    public async Task With_the_vector_tile_cache_off_every_request_renders_and_gets_the_same_tile_and_etag()
    {
        await using var uncached = await TestService.StartAsync(o => o.VectorTileCacheBytes = 0);
        using var c = uncached.Client();
        var first = await c.GetAsync(Url("grids", Centre14));
        var second = await c.GetAsync(Url("grids", Centre14));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
    }
}
