using Geo.GridService.Host.Application;
using Geo.Tiles.Vector;
using Microsoft.Net.Http.Headers;

namespace Geo.GridService.Host.Http;

/// <summary>
/// Vector tiles (Mapbox Vector Tile 2.1, Web Mercator XYZ, extent 4096, buffer 64) of grids, components and findings,
/// and their TileJSON. Reads, like every read: anonymous unless the service is configured otherwise.
/// A tile carries a strong ETag (hash of its bytes) and <c>Cache-Control: no-cache</c>, so a client revalidates and
/// a changed tile shows at once; an empty tile is 204.
/// </summary>
public static class TilesApi
{
    /// <summary>
    /// Maps the tile endpoints over one <see cref="VectorTileService"/> with the layers grids (now), components and
    /// findings: those two read <see cref="IComponentTileFeed"/> and <see cref="IFindingTileFeed"/> when the census and
    /// change detection register them as services, and are empty otherwise.
    /// </summary>
    public static void MapTilesApi(this IEndpointRouteBuilder app)
    {
        var sp = app.ServiceProvider;
        var tiles = new VectorTileService(
        [
            new GridTileSource(sp.GetRequiredService<OwnershipService>(), sp.GetRequiredService<Geo.GridService.Storage.IGridStore>()),
            new ComponentLayerSource(sp.GetService<IComponentTileFeed>() ?? new EmptyComponentFeed()),
            new FindingLayerSource(sp.GetService<IFindingTileFeed>() ?? new EmptyFindingFeed()),
        ], new VectorTileCache(Math.Max(0, sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<GeoOptions>>().Value.VectorTileCacheBytes)));
        var group = app.MapGroup("/api/v1/tiles").WithTags("Tiles 瓦片").RequireAuthorization(Policies.Read);
        group.MapGet("/{layer}/{z}/{x}/{file}", (string layer, string z, string x, string file, HttpContext http, CancellationToken ct) =>
                GetTile(tiles, layer, z, x, file, http, ct)).WithName("GetVectorTile")
            .Produces(StatusCodes.Status200OK, contentType: "application/vnd.mapbox-vector-tile")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A vector tile (MVT) of grids, components or findings: {layer}/{z}/{x}/{y}.mvt")
            .WithDescription("Web Mercator XYZ (EPSG:3857, y counted from the north), z 0..24, x and y in 0..2^z-1. " +
                             "Geometry clipped to the tile with a 64-unit buffer (extent 4096) and simplified below the layer's max zoom. " +
                             "204 when the tile has no feature. ETag changes when the tile's content changes.");
        group.MapGet("/{file}", (string file, HttpContext http, CancellationToken ct) => GetTileJson(tiles, file, http, ct)).WithName("GetVectorTileJson")
            .WithSummary("TileJSON 3.0 of a vector layer, with vector_layers: {layer}.json");
    }

    private static readonly System.Text.Json.JsonSerializerOptions JsonOut =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static async Task<IResult> GetTile(VectorTileService tiles, string layer, string z, string x, string file, HttpContext http, CancellationToken ct)
    {
        var dot = file.IndexOf('.');
        var (y, ext) = dot < 0 ? (file, "") : (file[..dot], file[(dot + 1)..]);
        var parsed = tiles.Parse(layer, z, x, y, ext);
        if (!parsed.IsOk) return Problems.From(parsed.Failure);
        var tile = await tiles.GetTileAsync(parsed.Value.Source, parsed.Value.Tile, ct);
        var headers = http.Response.Headers;
        headers.ETag = tile.ETag;
        headers.CacheControl = "no-cache";
        headers["X-Tile-Revision"] = tile.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ifNoneMatch = http.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0 && EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags) &&
            tags.Any(t => t.Tag == tile.ETag || t.Equals(EntityTagHeaderValue.Any)))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        if (tile.Bytes.Length == 0) return Results.NoContent();
        return Results.Bytes(tile.Bytes, "application/vnd.mapbox-vector-tile");
    }

    private static async Task<IResult> GetTileJson(VectorTileService tiles, string file, HttpContext http, CancellationToken ct)
    {
        if (!file.EndsWith(".json", StringComparison.Ordinal))
            return Problems.From(Geo.Spatial.Failures.Failure.NotFound("tile_layer_not_found", "TileJSON is served at /api/v1/tiles/{layer}.json."));
        var source = tiles.Layer(file[..^5]);
        if (!source.IsOk) return Problems.From(source.Failure);
        var request = http.Request;
        var url = $"{request.Scheme}://{request.Host}{request.PathBase}/api/v1/tiles/{source.Value.Name}/{{z}}/{{x}}/{{y}}.mvt";
        var json = await tiles.TileJsonAsync(source.Value, url, ct);
        http.Response.Headers.CacheControl = "no-cache";
        return Results.Text(json.ToJsonString(JsonOut), "application/json; charset=utf-8");
    }
}
