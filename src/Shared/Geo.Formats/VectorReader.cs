using Geo.Formats.GeoJson;
using Geo.Formats.GeoPackage;
using Geo.Formats.Shapefile;
using Geo.Spatial.Failures;

namespace Geo.Formats;

/// <summary>
/// Reads vector feature files (GeoJSON, GeoPackage, zipped Shapefile) from untrusted sources. Every problem with the
/// input comes back as a <see cref="Failure"/> with a stable code and a location (feature index, JSON line/position or
/// zip entry); exceptions mean a bug or an infrastructure fault (I/O error), never bad input. Geometries are returned
/// as stored: validity and CRS transformation are the caller's business.
/// </summary>
public static class VectorReader
{
    /// <summary>Bytes of the file head given to <see cref="Sniff"/> (enough for leading whitespace before a GeoJSON '{').</summary>
    private const int HeadLength = 4096;

    /// <summary>
    /// Sniffs the format from the first bytes: GeoJSON is '{' after optional UTF-8 BOM and whitespace; GeoPackage is an
    /// SQLite file ("SQLite format 3\0"); a zip ("PK\x03\x04", or an empty zip "PK\x05\x06") is taken as a zipped
    /// Shapefile. Anything else is <c>unsupported_format</c>.
    /// </summary>
    public static Result<VectorFormat> Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("SQLite format 3\0"u8))
        {
            return VectorFormat.GeoPackage;
        }

        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8))
        {
            return VectorFormat.ZippedShapefile;
        }

        var text = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
        var first = text.IndexOfAnyExcept(" \t\r\n"u8);
        if (first >= 0 && text[first] == (byte)'{')
        {
            return VectorFormat.GeoJson;
        }

        return Failure.Invalid("unsupported_format",
            "The file is not GeoJSON, GeoPackage or a zipped Shapefile (recognised by its first bytes).", "byte 0");
    }

    /// <summary>
    /// Reads a whole local file, choosing the reader by <see cref="Sniff"/>. <paramref name="layer"/> selects a GeoPackage
    /// feature layer by table name (case-insensitive); without it the first feature layer of gpkg_contents is read. It
    /// is ignored for the other formats (they hold one layer).
    /// </summary>
    public static Result<VectorFeatureSet> ReadFile(string path, VectorReadLimits? limits = null, string? layer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        limits ??= VectorReadLimits.Default;
        limits.Validate();

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return Failure.NotFound("file_not_found", "The file does not exist.", "file");
        }

        if (file.Length > limits.MaxBytes)
        {
            return FormatFailures.TooLarge(limits.MaxBytes);
        }

        using var stream = file.OpenRead();
        Span<byte> head = stackalloc byte[HeadLength];
        var headLength = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var format = Sniff(head[..headLength]);
        if (!format.IsOk)
        {
            return Result<VectorFeatureSet>.Fail(format.Failures);
        }

        stream.Position = 0;
        return format.Value switch
        {
            VectorFormat.GeoJson => GeoJsonFeatureReader.Read(stream, limits),
            VectorFormat.GeoPackage => ReadGeoPackage(stream, file.FullName, limits, layer),
            VectorFormat.ZippedShapefile => ZippedShapefileReader.Read(stream, limits),
            _ => throw new InvalidOperationException($"Unhandled format {format.Value}."),
        };
    }

    /// <summary>Reads GeoJSON from a stream, reading at most <see cref="VectorReadLimits.MaxBytes"/> bytes of it.</summary>
    public static Result<VectorFeatureSet> ReadGeoJson(Stream stream, VectorReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= VectorReadLimits.Default;
        limits.Validate();
        return GeoJsonFeatureReader.Read(stream, limits);
    }

    private static Result<VectorFeatureSet> ReadGeoPackage(Stream stream, string path, VectorReadLimits limits, string? layer)
    {
        // SQLite opens the file itself; release our handle first.
        stream.Dispose();
        return GeoPackageFeatureReader.Read(path, limits, layer);
    }
}
