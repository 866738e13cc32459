namespace Geo.Tiles;

/// <summary>The encodings a tile can be served in, with their media types and URL extensions.</summary>
public enum TileFormat
{
    Png,
    Jpeg,
    Webp,
    Mvt,
}

public static class TileFormats
{
    /// <summary>Parses a URL extension (png, jpg, jpeg, webp, mvt, pbf); null when unknown.</summary>
    public static TileFormat? FromExtension(string extension) => extension.ToLowerInvariant() switch
    {
        "png" => TileFormat.Png,
        "jpg" or "jpeg" => TileFormat.Jpeg,
        "webp" => TileFormat.Webp,
        "mvt" or "pbf" => TileFormat.Mvt,
        _ => null,
    };

    public static string MediaType(this TileFormat f) => f switch
    {
        TileFormat.Png => "image/png",
        TileFormat.Jpeg => "image/jpeg",
        TileFormat.Webp => "image/webp",
        TileFormat.Mvt => "application/vnd.mapbox-vector-tile",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };
}
