using System.Buffers.Binary;
using Microsoft.Data.Sqlite;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using SQLitePCL;

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
    /// <para>Registered through SQLitePCLRaw rather than <c>SqliteConnection.CreateFunction</c>: the triggers call five
    /// functions per inserted row, and reading the blob as a span without a copy halves the CPU time of an import.</para>
    /// </summary>
    public static void RegisterFunctions(SqliteConnection connection)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Register(db, "ST_IsEmpty", -1);
        Register(db, "ST_MinX", 0);
        Register(db, "ST_MaxX", 1);
        Register(db, "ST_MinY", 2);
        Register(db, "ST_MaxY", 3);
    }

    private const int SqliteUtf8 = 1;
    private const int SqliteDeterministic = 0x800;

    /// <param name="bound">-1 for ST_IsEmpty; else 0 minx, 1 maxx, 2 miny, 3 maxy (the order of the header envelope).</param>
    private static void Register(sqlite3 db, string name, int bound)
    {
        var rc = raw.sqlite3_create_function(db, name, 1, SqliteUtf8 | SqliteDeterministic, bound, Evaluate);
        if (rc != raw.SQLITE_OK)
            throw new InvalidOperationException($"Could not register SQL function {name}: {raw.sqlite3_errstr(rc).utf8_to_string()}");
    }

    private static void Evaluate(sqlite3_context context, object userData, sqlite3_value[] args)
    {
        var bound = (int)userData;
        if (raw.sqlite3_value_type(args[0]) != raw.SQLITE_BLOB)
        {
            raw.sqlite3_result_null(context);
            return;
        }
        try
        {
            var envelope = Envelope(raw.sqlite3_value_blob(args[0]));
            if (bound < 0) raw.sqlite3_result_int(context, envelope is null ? 1 : 0);
            else if (envelope is not { } e) raw.sqlite3_result_null(context);
            else raw.sqlite3_result_double(context, bound switch { 0 => e.MinX, 1 => e.MaxX, 2 => e.MinY, _ => e.MaxY });
        }
        catch (Exception e) when (e is ParseException or ArgumentException or IndexOutOfRangeException)
        {
            // An unreadable blob: report it as an SQL error, so the statement (and its transaction) fails.
            raw.sqlite3_result_error(context, $"{(bound < 0 ? "ST_IsEmpty" : "ST_MinX/MaxX/MinY/MaxY")}: not a GeoPackage geometry blob");
        }
    }

    /// <summary>The envelope from the header when it has one (fast path), else computed from the geometry; null when empty.</summary>
    private static Envelope? Envelope(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8 || blob[0] != (byte)'G' || blob[1] != (byte)'P')
            throw new ArgumentException("Not a GeoPackage geometry blob.", nameof(blob));
        var flags = blob[3];
        if ((flags & FlagEmpty) != 0) return null;
        var envelopeKind = (flags >> 1) & 0x07;
        if (envelopeKind != 0 && blob.Length >= 8 + 32)
        {
            var littleEndian = (flags & FlagLittleEndian) != 0;
            var header = blob.Slice(8, 32);
            var minX = ReadDouble(header, 0, littleEndian);
            var maxX = ReadDouble(header, 1, littleEndian);
            var minY = ReadDouble(header, 2, littleEndian);
            var maxY = ReadDouble(header, 3, littleEndian);
            if (double.IsNaN(minX) || double.IsNaN(minY)) return null;
            return new Envelope(minX, maxX, minY, maxY);
        }

        // A point without a header envelope (the usual form, and what the census writes): read x and y from the WKB.
        if (envelopeKind == 0 && ComponentBlob.TryReadPoint(blob, out var px, out var py))
            return double.IsNaN(px) ? null : new Envelope(px, px, py, py);

        var geometry = new GeoPackageGeoReader().Read(blob.ToArray());
        return geometry.IsEmpty ? null : geometry.EnvelopeInternal;
    }

    private static double ReadDouble(ReadOnlySpan<byte> envelope, int index, bool littleEndian)
    {
        var bytes = envelope.Slice(index * 8, 8);
        return littleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(bytes) : BinaryPrimitives.ReadDoubleBigEndian(bytes);
    }
}
