using NetTopologySuite.Geometries;

namespace Geo.Formats;

/// <summary>
/// One feature as read from (or to be written to) a vector file: format concerns only, no domain meaning.
/// </summary>
/// <param name="Index">0-based position of the feature in the file (record order), used in failure locations.</param>
/// <param name="Geometry">The geometry exactly as stored (validity is not checked); <c>null</c> for a null geometry.</param>
/// <param name="Attributes">
/// Attribute values normalised to a small set of CLR types: <see cref="string"/>, <see cref="long"/> (every integral
/// number), <see cref="double"/>, <see cref="bool"/>, <see cref="DateTime"/>/<see cref="DateOnly"/> (GeoPackage and
/// Shapefile date columns), <see cref="byte"/>[] (GeoPackage BLOB) or <c>null</c>. Nested GeoJSON objects/arrays are
/// returned as their raw JSON text.
/// </param>
public sealed record VectorFeature(int Index, Geometry? Geometry, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>The features of one layer plus the CRS the file declares.</summary>
/// <param name="CrsHint">
/// The CRS as declared by the file, e.g. <c>EPSG:4490</c>; <c>null</c> when the file declares none (for GeoJSON, RFC 7946
/// then implies WGS 84 lon/lat, but deciding that is the caller's business). An unrecognised Shapefile .prj comes
/// back as <c>WKT:</c> plus its first 60 characters, an unrecognised GeoJSON <c>crs</c> name verbatim.
/// </param>
/// <param name="Features">Features in file order.</param>
public sealed record VectorFeatureSet(string? CrsHint, IReadOnlyList<VectorFeature> Features);

/// <summary>The vector formats this library reads.</summary>
public enum VectorFormat
{
    /// <summary>GeoJSON (RFC 7946, plus the legacy 2008 <c>crs</c> member).</summary>
    GeoJson,
    /// <summary>OGC GeoPackage (an SQLite file with the gpkg_* metadata tables).</summary>
    GeoPackage,
    /// <summary>An ESRI Shapefile (.shp + .dbf, optional .prj/.cpg) inside a zip archive.</summary>
    ZippedShapefile,
}

/// <summary>
/// Caps applied while reading untrusted files (SECURITY.md U3, G3, G4). Exceeding one yields a
/// <see cref="Geo.Spatial.Failures.FailureKind.TooLarge"/> failure (or <c>json_too_deep</c>), never an exception.
/// </summary>
/// <param name="MaxBytes">Maximum bytes read: the file size, and for a zip the total decompressed size of the entries used.</param>
/// <param name="MaxFeatures">Maximum number of features; exactly this many is accepted, one more is rejected.</param>
/// <param name="MaxVerticesPerFeature">Maximum coordinates in one feature's geometry (all parts and rings together).</param>
/// <param name="MaxJsonDepth">Maximum JSON nesting depth (objects and arrays) of a GeoJSON document.</param>
public sealed record VectorReadLimits(
    long MaxBytes = 200_000_000,
    int MaxFeatures = 1_000_000,
    int MaxVerticesPerFeature = 1_000_000,
    int MaxJsonDepth = 64)
{
    /// <summary>The defaults.</summary>
    public static VectorReadLimits Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBytes, nameof(MaxBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFeatures, nameof(MaxFeatures));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxVerticesPerFeature, nameof(MaxVerticesPerFeature));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxJsonDepth, nameof(MaxJsonDepth));
        // System.Text.Json cannot go deeper than 1000 levels; the reader needs one level of headroom.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxJsonDepth, 999, nameof(MaxJsonDepth));
    }
}
