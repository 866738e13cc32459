using System.Buffers.Binary;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// GeoPackage geometry blobs of components: any of point, line, polygon and their multi forms, SRID 4490. Points —
/// most of a census — are written and read directly (29 bytes: 8-byte 'GP' header without envelope, then
/// little-endian WKB), which keeps bulk imports and index scans free of per-row parser allocations; everything else
/// goes through NetTopologySuite.IO.GeoPackage (with the header envelope).
/// </summary>
internal static class ComponentBlob
{
    private const int HeaderLength = 8;
    internal const int PointBlobLength = HeaderLength + 21;

    public static byte[] Write(Geometry geometry)
    {
        if (geometry is Point p) return WritePoint(p.X, p.Y);
        var g = geometry.SRID == GeoPackageSchema.Srid ? geometry : GeoPackageBlob.Factory.CreateGeometry(geometry);
        return new GeoPackageGeoWriter { HandleOrdinates = Ordinates.XY }.Write(g);
    }

    public static byte[] WritePoint(double x, double y)
    {
        var b = new byte[PointBlobLength];
        WritePoint(b, x, y);
        return b;
    }

    /// <summary>Writes a point blob into <paramref name="b"/> (29 bytes), e.g. a reused parameter buffer.</summary>
    public static void WritePoint(Span<byte> b, double x, double y)
    {
        b[0] = (byte)'G';
        b[1] = (byte)'P';
        b[2] = 0;         // version 1
        b[3] = 0x01;      // little-endian header, no envelope, standard binary
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], GeoPackageSchema.Srid);
        b[8] = 0x01;      // WKB little-endian
        BinaryPrimitives.WriteUInt32LittleEndian(b[9..], 1); // wkbPoint
        BinaryPrimitives.WriteDoubleLittleEndian(b[13..], x);
        BinaryPrimitives.WriteDoubleLittleEndian(b[21..], y);
    }

    /// <summary>Reads x and y of a 2D point blob without an envelope; false for anything else.</summary>
    public static bool TryReadPoint(ReadOnlySpan<byte> blob, out double x, out double y)
    {
        x = y = 0;
        if (blob.Length != PointBlobLength || blob[0] != (byte)'G' || blob[1] != (byte)'P' || ((blob[3] >> 1) & 0x07) != 0) return false;
        var wkb = blob[HeaderLength..];
        var little = wkb[0] == 1;
        var type = little ? BinaryPrimitives.ReadUInt32LittleEndian(wkb[1..]) : BinaryPrimitives.ReadUInt32BigEndian(wkb[1..]);
        if (type != 1) return false;
        x = little ? BinaryPrimitives.ReadDoubleLittleEndian(wkb[5..]) : BinaryPrimitives.ReadDoubleBigEndian(wkb[5..]);
        y = little ? BinaryPrimitives.ReadDoubleLittleEndian(wkb[13..]) : BinaryPrimitives.ReadDoubleBigEndian(wkb[13..]);
        return true;
    }

    public static Geometry Read(byte[] blob)
    {
        if (TryReadPoint(blob, out var x, out var y)) return GeoPackageBlob.Factory.CreatePoint(new Coordinate(x, y));
        var g = new GeoPackageGeoReader { HandleSRID = true }.Read(blob);
        return g.SRID == GeoPackageSchema.Srid ? g : GeoPackageBlob.Factory.CreateGeometry(g);
    }
}
