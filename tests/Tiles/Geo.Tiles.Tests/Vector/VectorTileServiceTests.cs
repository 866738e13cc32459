using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;
using Geo.Tiles.Vector;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Tiles.Tests.Vector;

/// <summary>Request checks (SECURITY.md A4), the revision-keyed cache, and the component and finding layers over
/// in-memory feeds.</summary>
public class VectorTileServiceTests
{
    private sealed class Components : IComponentTileFeed
    {
        public long Revision = 1;
        public List<ComponentTileRecord> Items = [];
        public ValueTask<long> GetRevisionAsync(CancellationToken ct = default) => ValueTask.FromResult(Revision);
        public ValueTask<IReadOnlyList<ComponentTileRecord>> GetComponentsAsync(CancellationToken ct = default) =>
            ValueTask.FromResult<IReadOnlyList<ComponentTileRecord>>([.. Items]);
    }

    private sealed class Findings : IFindingTileFeed
    {
        public List<FindingTileRecord> Items = [];
        public ValueTask<long> GetRevisionAsync(CancellationToken ct = default) => ValueTask.FromResult(7L);
        public ValueTask<IReadOnlyList<FindingTileRecord>> GetFindingsAsync(CancellationToken ct = default) =>
            ValueTask.FromResult<IReadOnlyList<FindingTileRecord>>(Items);
    }

    private static readonly TileId Z16 = TileMath.TileAt(112.845, 34.167, 16);

    private static (VectorTileService Service, Components Feed) Service()
    {
        var feed = new Components();
        feed.Items.Add(new("4104820101000001", "0101", "上水井盖", "完好", 112.845, 34.167));
        return (new VectorTileService([new ComponentLayerSource(feed), new FindingLayerSource(new EmptyFindingFeed())]), feed);
    }

    [Theory]
    [InlineData("roads", "16", "1", "1", "mvt", FailureKind.NotFound, "tile_layer_not_found")]
    [InlineData("components", "16", "1", "1", "png", FailureKind.BadRequest, "tile_format_unsupported")]
    [InlineData("components", "16", "1", "1", "", FailureKind.BadRequest, "tile_format_unsupported")]
    [InlineData("components", "25", "0", "0", "mvt", FailureKind.BadRequest, "tile_zoom_out_of_range")]
    [InlineData("components", "255", "0", "0", "mvt", FailureKind.BadRequest, "tile_zoom_out_of_range")]
    [InlineData("components", "3", "8", "0", "mvt", FailureKind.BadRequest, "tile_out_of_range")]
    [InlineData("components", "3", "0", "8", "pbf", FailureKind.BadRequest, "tile_out_of_range")]
    [InlineData("components", "3", "-1", "0", "mvt", FailureKind.BadRequest, "tile_coordinates_invalid")]
    [InlineData("components", "3", "1.5", "0", "mvt", FailureKind.BadRequest, "tile_coordinates_invalid")]
    [InlineData("components", "99999999999", "0", "0", "mvt", FailureKind.BadRequest, "tile_coordinates_invalid")]
    [InlineData("components", "z", "0", "0", "mvt", FailureKind.BadRequest, "tile_coordinates_invalid")]
    public void Bad_tile_requests_are_typed_failures(string layer, string z, string x, string y, string ext, FailureKind kind, string code)
    {
        var r = Service().Service.Parse(layer, z, x, y, ext);
        Assert.False(r.IsOk);
        Assert.Equal(kind, r.Failure.Kind);
        Assert.Equal(code, r.Failure.Code);
    }

    [Fact]
    public void The_deepest_valid_tile_parses()
    {
        var r = Service().Service.Parse("components", "24", "16777215", "16777215", "mvt");
        Assert.True(r.IsOk);
        Assert.Equal(new TileId(24, 16777215, 16777215), r.Value.Tile);
    }

    [Fact]
    public async Task The_cache_serves_a_tile_until_the_revision_moves_then_the_new_data_at_once()
    {
        var (service, feed) = Service();
        var source = service.Layer("components").Value;
        var first = await service.GetTileAsync(source, Z16);
        Assert.Same(first, await service.GetTileAsync(source, Z16));

        feed.Items.Add(new("4104820201000002", "0201", "路灯", null, 112.8451, 34.1671));
        feed.Revision = 2;
        var second = await service.GetTileAsync(source, Z16);
        Assert.Equal(2, second.Revision);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(2, OgrMvt.Decode(second.Bytes, Z16).Count);
    }

    [Fact]
    public async Task An_unchanged_tile_keeps_its_etag_across_revisions()
    {
        var (service, feed) = Service();
        var source = service.Layer("components").Value;
        var far = TileMath.TileAt(112.80, 34.12, 16);
        var before = await service.GetTileAsync(source, Z16);
        feed.Items.Add(new("4104820201000003", "0201", null, null, 112.80, 34.12)); // in another tile
        feed.Revision = 3;
        var after = await service.GetTileAsync(source, Z16);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Single(OgrMvt.Decode((await service.GetTileAsync(source, far)).Bytes, far));
    }

    [Fact]
    public async Task Component_tiles_carry_code_class_major_name_and_status()
    {
        var (service, _) = Service();
        var tile = await service.GetTileAsync(service.Layer("components").Value, Z16);
        var f = Assert.Single(OgrMvt.Decode(tile.Bytes, Z16));
        Assert.Equal("components", f.Layer);
        Assert.Equal("4104820101000001", f.Attributes["code"]);
        Assert.Equal("0101", f.Attributes["class"]);
        Assert.Equal("01", f.Attributes["major"]);
        Assert.Equal("上水井盖", f.Attributes["name"]);
        Assert.Equal("完好", f.Attributes["status"]);
    }

    [Fact]
    public async Task Finding_tiles_carry_the_footprint_and_its_facts()
    {
        var feed = new Findings();
        var footprint = new WKTReader().Read("POLYGON ((112.8449 34.1669, 112.8452 34.1669, 112.8452 34.1672, 112.8449 34.1672, 112.8449 34.1669))");
        feed.Items.Add(new("f-1", "new_building", "unreviewed", 0.91, "s1", "s2", footprint));
        var service = new VectorTileService([new FindingLayerSource(feed)]);
        var tile = await service.GetTileAsync(service.Layer("findings").Value, Z16);
        var f = Assert.Single(OgrMvt.Decode(tile.Bytes, Z16));
        Assert.IsType<Polygon>(f.Geometry);
        Assert.Equal("new_building", f.Attributes["kind"]);
        Assert.Equal(0.91, OgrMvt.Number(f.Attributes["confidence"]));
        Assert.Equal("s2", f.Attributes["after"]);
    }

    [Fact]
    public async Task TileJson_lists_the_vector_layers_and_their_fields()
    {
        var (service, _) = Service();
        var json = await service.TileJsonAsync(service.Layer("components").Value, "http://h/api/v1/tiles/components/{z}/{x}/{y}.mvt");
        Assert.Equal("3.0.0", (string?)json["tilejson"]);
        var layer = json["vector_layers"]![0]!;
        Assert.Equal("components", (string?)layer["id"]);
        Assert.Equal("String", (string?)layer["fields"]!["major"]);
        Assert.Equal(112.845, (double)json["bounds"]![0]!, 6);
    }

    [Fact]
    public void The_cache_stays_within_its_byte_budget_and_drops_stale_revisions_first()
    {
        var cache = new VectorTileCache(maxBytes: 100_000);
        var bytes = new byte[1_000];
        for (var i = 0; i < 50; i++) cache.Add(16, i, 0, new VectorTile("l", $"16/{i}/0", 1, bytes, "\"a\""));
        for (var i = 0; i < 80; i++) cache.Add(16, i, 0, new VectorTile("l", $"16/{i}/0", 2, bytes, "\"b\""));
        Assert.True(cache.Bytes <= cache.MaxBytes);
        Assert.False(cache.TryGet("l", 1, 16, 0, 0, out _));
        Assert.True(cache.TryGet("l", 2, 16, 79, 0, out _));
    }
}
