using System.Buffers.Binary;
using Geo.Spatial.Failures;

namespace Geo.Formats.Shapefile;

/// <summary>
/// Walks the .shp record headers before any geometry is built: counts records (feature cap) and reads each shape's
/// declared point count (vertex cap), checking it against the record length. A crafted count therefore fails here
/// instead of making the parser allocate for it.
/// </summary>
internal static class ShpPrescan
{
    private const int HeaderLength = 100;

    public static IReadOnlyList<Failure> Check(ReadOnlySpan<byte> shp, VectorReadLimits limits)
    {
        if (shp.Length < HeaderLength || BinaryPrimitives.ReadInt32BigEndian(shp) != 9994)
        {
            return [Failure.Invalid("shapefile_corrupt", "The .shp file has no valid Shapefile header.", "byte 0")];
        }

        var failures = new List<Failure>();
        var offset = HeaderLength;
        for (var index = 0; offset + 8 <= shp.Length && failures.Count < FormatFailures.MaxCollected; index++)
        {
            if (index >= limits.MaxFeatures)
            {
                return [FormatFailures.TooManyFeatures(limits.MaxFeatures)];
            }

            var contentLength = (long)BinaryPrimitives.ReadInt32BigEndian(shp[(offset + 4)..]) * 2;
            if (contentLength < 4 || offset + 8 + contentLength > shp.Length)
            {
                return [FormatFailures.Feature("shapefile_corrupt", $"Record {index} at byte {offset} has an impossible length.", index)];
            }

            var content = shp.Slice(offset + 8, (int)contentLength);
            var points = DeclaredPoints(content, out var minimumLength);
            if (points < 0 || minimumLength > contentLength)
            {
                failures.Add(FormatFailures.Feature("shapefile_corrupt", $"Record {index} at byte {offset} declares more points or parts than it holds.", index));
            }
            else if (points > limits.MaxVerticesPerFeature)
            {
                failures.Add(FormatFailures.TooManyVertices(index, points, limits.MaxVerticesPerFeature));
            }

            offset += 8 + (int)contentLength;
        }

        return failures;
    }

    /// <summary>Point count declared by a record (-1 if negative/unreadable) and the bytes that count needs (XY only).</summary>
    private static long DeclaredPoints(ReadOnlySpan<byte> content, out long minimumLength)
    {
        var shapeType = BinaryPrimitives.ReadInt32LittleEndian(content);
        switch (shapeType)
        {
            case 3 or 5 or 13 or 15 or 23 or 25 or 31: // PolyLine, Polygon, MultiPatch (+Z/M): type, box, numParts, numPoints
                if (content.Length < 44)
                {
                    minimumLength = 44;
                    return 0;
                }

                var parts = BinaryPrimitives.ReadInt32LittleEndian(content[36..]);
                var points = BinaryPrimitives.ReadInt32LittleEndian(content[40..]);
                minimumLength = 44 + 4L * parts + 16L * points;
                return parts < 0 || points < 0 ? -1 : points;
            case 8 or 18 or 28: // MultiPoint (+Z/M): type, box, numPoints
                if (content.Length < 40)
                {
                    minimumLength = 40;
                    return 0;
                }

                var count = BinaryPrimitives.ReadInt32LittleEndian(content[36..]);
                minimumLength = 40 + 16L * count;
                return count < 0 ? -1 : count;
            default: // Null shape, Point(Z/M): at most one vertex
                minimumLength = 4;
                return shapeType == 0 ? 0 : 1;
        }
    }
}
