using System.Globalization;
using System.Net;
using System.Text.Json;
using Geo.GridService.Host.Samples;
using Geo.GridService.Host.Tests.Support;
using Geo.Spatial.Crs;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>OGC API Features at /ogc, read by GDAL's own OAPIF client and checked against the standard's rules for
/// CRS axis order (EPSG:4490 latitude first, EPSG:4547 northing first).</summary>
[Collection(ServiceCollectionDefinition.Name)]
public class OgcFeaturesApiTests(ServiceFixture service)
{
    private static readonly IReadOnlyList<RuzhouSamples.SampleGrid> Grids = RuzhouSamples.Grids();

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Get(string path)
    {
        using var c = service.Client();
        var r = await c.GetAsync(path);
        return (r, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public void GDALs_OAPIF_client_lists_the_grids_with_their_count_and_attributes()
    {
        var url = $"OAPIF:{service.BaseAddress}ogc";
        Assert.Contains("grids", GridsApiTests.Run("ogrinfo", "-ro", "-q", url));
        var summary = GridsApiTests.Run("ogrinfo", "-ro", "-so", url, "grids");
        Assert.Contains("Feature Count: 27", summary);
        var first = GridsApiTests.Run("ogrinfo", "-ro", url, "grids", "-fid", "1");
        Assert.Contains($"code (String) = {Grids[0].Code}", first);
        Assert.Contains($"name (String) = {Grids[0].Name}", first);
        Assert.Contains("subdistrict (String) = 煤山街道", first);
    }

    [Fact]
    public async Task The_census_is_a_collection_GDAL_reads_with_the_standards_fields()
    {
        var url = $"OAPIF:{service.BaseAddress}ogc";
        var (_, first) = await Get("/ogc/collections/components/items?limit=1");
        var matched = first.GetProperty("numberMatched").GetInt32();
        Assert.True(matched >= 20_000, $"{matched} components");
        var code = first.GetProperty("features")[0].GetProperty("id").GetString()!;
        var one = GridsApiTests.Run("ogrinfo", "-ro", url, "components", "-where", $"code = '{code}'");
        Assert.Contains($"code (String) = {code}", one);
        Assert.Contains("class (String) = " + code.Substring(6, 4), one);
        Assert.Contains("status (String) = ", one);
        Assert.Contains("POINT (112.", one);
    }

    [Fact]
    public async Task A_bbox_on_the_census_returns_only_components_inside_it()
    {
        var (_, page) = await Get("/ogc/collections/components/items?bbox=112.814,34.150,112.815,34.151&limit=1000");
        var features = page.GetProperty("features").EnumerateArray().ToList();
        Assert.NotEmpty(features);
        Assert.Equal(page.GetProperty("numberMatched").GetInt32(), features.Count);
        foreach (var f in features.Where(f => f.GetProperty("geometry").GetProperty("type").GetString() == "Point"))
        {
            var c = f.GetProperty("geometry").GetProperty("coordinates");
            Assert.InRange(c[0].GetDouble(), 112.814, 112.815);
            Assert.InRange(c[1].GetDouble(), 34.150, 34.151);
        }
    }

    [Fact]
    public async Task The_landing_page_links_conformance_and_collections()
    {
        var (r, landing) = await Get("/ogc");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var rels = landing.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("rel").GetString()).ToList();
        Assert.Contains("conformance", rels);
        Assert.Contains("data", rels);
        Assert.Contains("service-desc", rels);
        var (_, conformance) = await Get("/ogc/conformance");
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
            conformance.GetProperty("conformsTo").EnumerateArray().Select(c => c.GetString()));
        var (_, collection) = await Get("/ogc/collections/grids");
        Assert.Equal("http://www.opengis.net/def/crs/EPSG/0/4490", collection.GetProperty("storageCrs").GetString());
    }

    [Theory]
    [InlineData("", "http://www.opengis.net/def/crs/OGC/1.3/CRS84")]
    [InlineData("http://www.opengis.net/def/crs/EPSG/0/4490", "http://www.opengis.net/def/crs/EPSG/0/4490")]
    [InlineData("http://www.opengis.net/def/crs/EPSG/0/4547", "http://www.opengis.net/def/crs/EPSG/0/4547")]
    public async Task Coordinates_come_in_the_axis_order_of_the_requested_crs(string crs, string expected)
    {
        var code = Grids[5].Code;
        var (r, feature) = await Get($"/ogc/collections/grids/items/{code}" + (crs == "" ? "" : "?crs=" + Uri.EscapeDataString(crs)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal($"<{expected}>", r.Headers.GetValues("Content-Crs").Single());
        var first = feature.GetProperty("geometry").GetProperty("coordinates")[0][0];
        var (a, b) = (first[0].GetDouble(), first[1].GetDouble());
        var stored = Grids[5].Geometry.Coordinates[0]; // x = longitude, y = latitude
        switch (crs)
        {
            case "":
                Assert.Equal(stored.X, a, 9);
                Assert.Equal(stored.Y, b, 9);
                break;
            case var c when c.EndsWith("4490"):
                Assert.Equal(stored.Y, a, 9); // latitude first
                Assert.Equal(stored.X, b, 9);
                break;
            default:
                var (e, n) = CoordinateConverter.Convert(CrsId.Cgcs2000, CrsId.Cgcs2000GK114, stored.X, stored.Y);
                Assert.Equal(n, a, 3); // northing first
                Assert.Equal(e, b, 3);
                Assert.InRange(e, 380_000, 420_000);
                break;
        }
    }

    [Fact]
    public async Task A_bbox_selects_the_same_grids_whichever_crs_it_is_given_in()
    {
        var c = Grids[13].Geometry.InteriorPoint.Coordinate;
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var (lon0, lat0, lon1, lat1) = (c.X - 0.001, c.Y - 0.001, c.X + 0.001, c.Y + 0.001);
        var (_, crs84) = await Get($"/ogc/collections/grids/items?bbox={F(lon0)},{F(lat0)},{F(lon1)},{F(lat1)}");
        var (_, latLon) = await Get($"/ogc/collections/grids/items?bbox={F(lat0)},{F(lon0)},{F(lat1)},{F(lon1)}&bbox-crs=" +
                                    Uri.EscapeDataString("http://www.opengis.net/def/crs/EPSG/0/4490"));
        var ids = Ids(crs84);
        Assert.Contains(Grids[13].Code, ids);
        Assert.True(ids.Count < 27);
        Assert.Equal(ids, Ids(latLon));
    }

    [Fact]
    public async Task Paging_by_next_links_visits_every_grid_once()
    {
        var seen = new List<string>();
        string? next = "/ogc/collections/grids/items?limit=10";
        while (next is not null)
        {
            var (_, page) = await Get(next);
            Assert.Equal(27, page.GetProperty("numberMatched").GetInt32());
            seen.AddRange(Ids(page));
            next = page.GetProperty("links").EnumerateArray()
                .Where(l => l.GetProperty("rel").GetString() == "next")
                .Select(l => new Uri(l.GetProperty("href").GetString()!).PathAndQuery).FirstOrDefault();
        }
        Assert.Equal(Grids.Select(g => g.Code).Order(StringComparer.Ordinal), seen);
    }

    [Theory]
    [InlineData("/ogc/collections/nothing/items", HttpStatusCode.NotFound, "collection_not_found")]
    [InlineData("/ogc/collections/grids/items/41048299999999", HttpStatusCode.NotFound, "feature_not_found")]
    [InlineData("/ogc/collections/grids/items?sortby=name%3B%20DROP", HttpStatusCode.BadRequest, "unknown_parameter")]
    [InlineData("/ogc/collections/grids/items?bbox=1,2,3", HttpStatusCode.BadRequest, "bbox_invalid")]
    [InlineData("/ogc/collections/grids/items?bbox=113,34,112,35", HttpStatusCode.BadRequest, "bbox_invalid")]
    [InlineData("/ogc/collections/grids/items?bbox=NaN,1,2,3", HttpStatusCode.BadRequest, "bbox_invalid")]
    [InlineData("/ogc/collections/grids/items?crs=EPSG:3857", HttpStatusCode.BadRequest, "crs_unsupported")]
    [InlineData("/ogc/collections/grids/items?limit=0", HttpStatusCode.BadRequest, "limit_invalid")]
    [InlineData("/ogc/collections/grids/items?offset=-1", HttpStatusCode.BadRequest, "offset_invalid")]
    public async Task Bad_requests_are_problems_with_a_reason(string path, HttpStatusCode status, string code)
    {
        var (r, body) = await Get(path);
        Assert.Equal(status, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var codes = body.TryGetProperty("errors", out var errors)
            ? errors.EnumerateArray().Select(e => e.GetProperty("code").GetString()).ToList()
            : [body.GetProperty("code").GetString()];
        Assert.Contains(code, codes);
    }

    private static List<string> Ids(JsonElement page) =>
        page.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
}

/// <summary>The census feeds the components vector tile layer.</summary>
[Collection(ServiceCollectionDefinition.Name)]
public class ComponentTilesTests(ServiceFixture service)
{
    [Fact]
    public async Task A_tile_over_the_sample_street_lamps_carries_the_components_layer_and_GDAL_reads_it()
    {
        var tile = Geo.Spatial.Tiles.TileMath.TileAt(112.81428, 34.15046, 17); // the first sample lamp
        using var c = service.Client();
        var r = await c.GetAsync($"/api/v1/tiles/components/{tile.Z}/{tile.X}/{tile.Y}.mvt");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var path = Path.Combine(service.Dir, $"components-{tile.Z}-{tile.X}-{tile.Y}.mvt");
        await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        var info = GridsApiTests.Run("ogrinfo", "-ro", "-al", "-oo", $"Z={tile.Z}", "-oo", $"X={tile.X}", "-oo", $"Y={tile.Y}", path);
        Assert.Contains("Layer name: components", info);
        Assert.Contains("code (String) = 4104820118000001", info);
    }
}
