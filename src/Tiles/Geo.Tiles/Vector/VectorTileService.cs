using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;

namespace Geo.Tiles.Vector;

/// <summary>
/// The vector tile layers of the service: checks a tile request (known layer, .mvt/.pbf extension, zoom 0..24 and
/// x/y inside 2^z), renders it from the layer's current data (clipped, simplified below the layer's max zoom) or takes
/// it from the cache, and describes each layer as TileJSON 3.0 with <c>vector_layers</c>. Knows nothing of HTTP.
/// </summary>
public sealed partial class VectorTileService
{
    private readonly Dictionary<string, IVectorLayerSource> _sources = new(StringComparer.Ordinal);
    private readonly VectorTileCache _cache;
    private readonly MvtOptions _options;

    public VectorTileService(IEnumerable<IVectorLayerSource> sources, VectorTileCache? cache = null, MvtOptions? options = null)
    {
        foreach (var s in sources)
        {
            if (!NamePattern().IsMatch(s.Name)) throw new ArgumentException($"Layer name '{s.Name}' is not a URL-safe name.");
            _sources.Add(s.Name, s);
        }
        _cache = cache ?? new VectorTileCache();
        _options = options ?? MvtOptions.Default;
    }

    public IReadOnlyCollection<string> LayerNames => _sources.Keys;

    public VectorTileCache Cache => _cache;

    [GeneratedRegex("^[a-z0-9_-]{1,32}$")]
    private static partial Regex NamePattern();

    /// <summary>The layer, or NotFound naming the layers there are.</summary>
    public Result<IVectorLayerSource> Layer(string name) =>
        _sources.TryGetValue(name, out var s) ? Result<IVectorLayerSource>.Ok(s)
            : Failure.NotFound("tile_layer_not_found",
                $"No vector tile layer '{(name.Length > 32 ? name[..32] : name)}'; layers: {string.Join(", ", _sources.Keys.Order())}.");

    /// <summary>Parses the URL parts of <c>{layer}/{z}/{x}/{y}.{ext}</c>; z, x and y arrive as text so that
    /// non-numbers and overflows get the same clear answer.</summary>
    public Result<(IVectorLayerSource Source, TileId Tile)> Parse(string layer, string z, string x, string y, string extension)
    {
        var source = Layer(layer);
        if (!source.IsOk) return source.Failure;
        if (TileFormats.FromExtension(extension) != TileFormat.Mvt)
            return Failure.BadRequest("tile_format_unsupported", "Vector tiles are served as .mvt (or .pbf).", $"{z}/{x}/{y}.{Clip(extension)}");
        if (!int.TryParse(z, System.Globalization.NumberStyles.None, null, out var zi) ||
            !int.TryParse(x, System.Globalization.NumberStyles.None, null, out var xi) ||
            !int.TryParse(y, System.Globalization.NumberStyles.None, null, out var yi))
            return Failure.BadRequest("tile_coordinates_invalid", "z, x and y must be non-negative integers.", $"{Clip(z)}/{Clip(x)}/{Clip(y)}");
        var tile = TileId.Create(zi, xi, yi);
        if (!tile.IsOk) return tile.Failure;
        return (source.Value, tile.Value);
    }

    private static string Clip(string s) => s.Length > 12 ? s[..12] + "…" : s;

    /// <summary>The tile, from the cache when the layer's revision has not moved since it was rendered.</summary>
    public async ValueTask<VectorTile> GetTileAsync(IVectorLayerSource source, TileId tile, CancellationToken ct = default)
    {
        var data = await source.GetDataAsync(ct);
        if (_cache.TryGet(source.Name, data.Revision, tile.Z, tile.X, tile.Y, out var cached)) return cached;
        var bytes = Render(source, data, tile, _options);
        var rendered = new VectorTile(source.Name, tile.ToString(), data.Revision, bytes, ETagOf(bytes));
        _cache.Add(tile.Z, tile.X, tile.Y, rendered);
        return rendered;
    }

    /// <summary>Renders without the cache (benchmarks, tests).</summary>
    public static byte[] Render(IVectorLayerSource source, IVectorLayerData data, TileId tile, MvtOptions? options = null, MvtEncoder? encoder = null)
    {
        options ??= MvtOptions.Default;
        encoder ??= new MvtEncoder(options);
        var box = BufferedLonLat(tile, options);
        encoder.Begin(tile, simplify: tile.Z < source.MaxZoom);
        var features = new List<VectorFeature>();
        foreach (var layer in source.Layers)
        {
            features.Clear();
            data.Query(layer.Id, tile, box, features);
            if (features.Count > 0) encoder.AddLayer(layer.Id, features);
        }
        return encoder.Finish();
    }

    /// <summary>The tile's box grown by the encoder's buffer, in degrees (x = longitude, y = latitude).</summary>
    public static Box BufferedLonLat(TileId tile, MvtOptions options) => MvtEncoder.BufferedLonLat(tile, options);

    private static string ETagOf(byte[] bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return "\"" + Convert.ToHexStringLower(hash[..12]) + "\"";
    }

    /// <summary>TileJSON 3.0.0 for a layer; <paramref name="tileUrl"/> is the absolute URL template ({z}/{x}/{y}).</summary>
    public async ValueTask<JsonObject> TileJsonAsync(IVectorLayerSource source, string tileUrl, CancellationToken ct = default)
    {
        var data = await source.GetDataAsync(ct);
        var layers = new JsonArray();
        foreach (var l in source.Layers)
        {
            var fields = new JsonObject();
            foreach (var (name, type) in l.Fields) fields[name] = type.ToString();
            layers.Add(new JsonObject
            {
                ["id"] = l.Id, ["description"] = l.Description, ["minzoom"] = source.MinZoom, ["maxzoom"] = source.MaxZoom, ["fields"] = fields,
            });
        }
        var json = new JsonObject
        {
            ["tilejson"] = "3.0.0",
            ["name"] = source.Name,
            ["description"] = source.Title,
            ["version"] = data.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["scheme"] = "xyz",
            ["tiles"] = new JsonArray(tileUrl),
            ["minzoom"] = source.MinZoom,
            ["maxzoom"] = source.MaxZoom,
            ["vector_layers"] = layers,
        };
        if (data.Bounds is { } b)
        {
            json["bounds"] = new JsonArray(b.MinX, b.MinY, b.MaxX, b.MaxY);
            json["center"] = new JsonArray((b.MinX + b.MaxX) / 2, (b.MinY + b.MaxY) / 2, Math.Max(source.MinZoom, 13));
        }
        return json;
    }
}
