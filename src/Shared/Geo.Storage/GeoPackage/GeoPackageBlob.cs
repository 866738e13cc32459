using System.Buffers.Binary;
using Microsoft.Data.Sqlite;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// GeoPackage geometry blobs (GeoPackage 1.3, 2.1.3: a 'GP' header with SRS id and optional envelope, then WKB).
/// Writing and reading go through NetTopologySuite.IO.GeoPackage; the header is parsed here only for the SQL
/// functions the R*Tree triggers call.
/// </summary>
internal static class GeoPackageBlob
{
    private const byte FlagLittleEndian = 0x01;
    private const byte FlagEmpty = 0x10;

    /// <summary>Factory for grid geometries: SRID 4490, floating precision.</summary>
    public static readonly GeometryFactory Factory =
        NtsGeometryServices.Instance.CreateGeometryFactory(GeoPackageSchema.Srid);

    /// <summary>
    /// A grid geometry as stored: always a MultiPolygon (the column type), SRID 4490. A Polygon becomes a one-part
    /// MultiPolygon; <see cref="ToGridGeometry"/> undoes that on the way out.
    /// </summary>
    public static byte[] WriteGrid(Geometry geometry)
    {
        MultiPolygon multi = geometry switch
        {
            Polygon p => Factory.CreateMultiPolygon([p]),
            MultiPolygon m when m.SRID == GeoPackageSchema.Srid => m,
            MultiPolygon m => Factory.CreateMultiPolygon(Polygons(m)),
            _ => throw new ArgumentException($"A grid geometry is a Polygon or MultiPolygon, not {geometry.GeometryType}.",
                nameof(geometry)),
        };
        // The writer is cheap and not documented as thread-safe: one per call.
        return new GeoPackageGeoWriter { HandleOrdinates = Ordinates.XY }.Write(multi);
    }

    /// <summary>
    /// Reads a stored grid geometry: a one-part MultiPolygon comes back as its Polygon (the common case, and what an
    /// import of single polygons put in), a real MultiPolygon as itself; SRID 4490 on the result either way.
    /// </summary>
    public static Geometry ToGridGeometry(byte[] blob)
    {
        var geometry = new GeoPackageGeoReader { HandleSRID = true }.Read(blob);
        return geometry switch
        {
            MultiPolygon { NumGeometries: 1 } m => Factory.CreatePolygon((LinearRing)((Polygon)m.GetGeometryN(0)).ExteriorRing,
                ((Polygon)m.GetGeometryN(0)).InteriorRings.Cast<LinearRing>().ToArray()),
            MultiPolygon m => Factory.CreateMultiPolygon(Polygons(m)),
            Polygon p => Factory.CreatePolygon((LinearRing)p.ExteriorRing, p.InteriorRings.Cast<LinearRing>().ToArray()),
            _ => geometry,
        };
    }

    private static Polygon[] Polygons(MultiPolygon m)
    {
        var result = new Polygon[m.NumGeometries];
        for (var i = 0; i < result.Length; i++) result[i] = (Polygon)m.GetGeometryN(i);
        return result;
    }

    /// <summary>
    /// Registers ST_IsEmpty, ST_MinX, ST_MaxX, ST_MinY and ST_MaxY (SQL/MM names, as GDAL defines them) on a
    /// connection; the standard R*Tree triggers call them. Must be called on every connection that writes grids.
    /// </summary>
    public static void RegisterFunctions(SqliteConnection connection)
    {
        connection.CreateFunction<byte[]?, long?>("ST_IsEmpty", static b => b is null ? null : IsEmpty(b) ? 1 : 0, isDeterministic: true);
        connection.CreateFunction<byte[]?, double?>("ST_MinX", static b => Bound(b, 0), isDeterministic: true);
        connection.CreateFunction<byte[]?, double?>("ST_MaxX", static b => Bound(b, 1), isDeterministic: true);
        connection.CreateFunction<byte[]?, double?>("ST_MinY", static b => Bound(b, 2), isDeterministic: true);
        connection.CreateFunction<byte[]?, double?>("ST_MaxY", static b => Bound(b, 3), isDeterministic: true);
    }

    private static bool IsEmpty(byte[] blob)
    {
        if (!HasHeader(blob)) return true;
        if ((blob[3] & FlagEmpty) != 0) return true;
        return Envelope(blob) is null;
    }

    /// <param name="index">0 minx, 1 maxx, 2 miny, 3 maxy: the order of the header envelope.</param>
    private static double? Bound(byte[]? blob, int index)
    {
        if (blob is null || !HasHeader(blob)) return null;
        if (Envelope(blob) is not { } e) return null;
        return index switch { 0 => e.MinX, 1 => e.MaxX, 2 => e.MinY, _ => e.MaxY };
    }

    private static bool HasHeader(byte[] blob) => blob.Length >= 8 && blob[0] == (byte)'G' && blob[1] == (byte)'P';

    /// <summary>The envelope from the header when it has one (fast path), else computed from the geometry.</summary>
    private static Envelope? Envelope(byte[] blob)
    {
        var flags = blob[3];
        var envelopeKind = (flags >> 1) & 0x07;
        if (envelopeKind != 0 && blob.Length >= 8 + 32)
        {
            var littleEndian = (flags & FlagLittleEndian) != 0;
            double Read(int i)
            {
                var bytes = blob.AsSpan(8 + i * 8, 8);
                return littleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(bytes) : BinaryPrimitives.ReadDoubleBigEndian(bytes);
            }
            double minX = Read(0), maxX = Read(1), minY = Read(2), maxY = Read(3);
            if (double.IsNaN(minX) || double.IsNaN(minY)) return null;
            return new Envelope(minX, maxX, minY, maxY);
        }

        var geometry = new GeoPackageGeoReader().Read(blob);
        return geometry.IsEmpty ? null : geometry.EnvelopeInternal;
    }
}
