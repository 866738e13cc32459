using NetTopologySuite.Geometries;

namespace Geo.Tiles.Vector;

/// <summary>
/// One feature of a vector layer, as a source hands it to the tile encoder.
/// <see cref="Geometry"/> is in degrees, x = longitude, y = latitude (EPSG:4490 / EPSG:4326: the same to centimetres,
/// as everywhere in this product); Point, LineString, Polygon and their Multi* forms are encoded, anything else is
/// skipped. <see cref="Attributes"/> values are <see cref="string"/>, <see cref="long"/>/<see cref="int"/>,
/// <see cref="double"/> or <see cref="bool"/>; null values are left out of the tile.
/// </summary>
public sealed record VectorFeature(Geometry Geometry, IReadOnlyList<KeyValuePair<string, object?>> Attributes, ulong? Id = null);

/// <summary>How an attribute is typed in TileJSON's <c>vector_layers[].fields</c>.</summary>
public enum VectorFieldType
{
    String,
    Number,
    Boolean,
}

/// <summary>The description of one layer inside a tile (a TileJSON <c>vector_layers</c> entry).</summary>
public sealed record VectorLayerSchema(string Id, string Description, IReadOnlyDictionary<string, VectorFieldType> Fields);
