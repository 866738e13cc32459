using System.Buffers.Binary;
using System.IO.Compression;

namespace Geo.Tiles.Raster;

/// <summary>
/// A minimal PNG encoder for tiles: 8-bit RGBA (colour type 6), no interlace, one IDAT, each row filtered with
/// Paeth (the filter that suits photographs best on its own; libpng's per-row trial of all five filters costs more
/// than it saves here), compressed by .NET's zlib at the fastest level. About five times faster than OpenCV's PNG
/// encoder at compression 3 on orthophoto tiles, for files about 10 % larger. Decoded by any PNG reader (tests
/// decode it with GDAL).
/// </summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes <paramref name="rgba"/> (row-major, straight alpha, width·height·4 bytes).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgba, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var stride = width * 4;
        if (rgba.Length < stride * height) throw new ArgumentException("Too few pixels.", nameof(rgba));

        var filtered = new byte[(stride + 1) * height];
        for (var y = 0; y < height; y++)
        {
            var row = rgba.Slice(y * stride, stride);
            var o = y * (stride + 1);
            if (y == 0)
            {
                filtered[o] = 1; // Sub: no row above
                var dst = filtered.AsSpan(o + 1, stride);
                row[..4].CopyTo(dst);
                for (var i = 4; i < stride; i++) dst[i] = (byte)(row[i] - row[i - 4]);
                continue;
            }

            filtered[o] = 4; // Paeth
            Paeth(row, rgba.Slice((y - 1) * stride, stride), filtered.AsSpan(o + 1, stride));
        }

        using var ms = new MemoryStream(filtered.Length / 2 + 1024);
        ms.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        ihdr[10] = ihdr[11] = ihdr[12] = 0;
        WriteChunk(ms, "IHDR"u8, ihdr);

        using var idat = new MemoryStream(filtered.Length / 2 + 64);
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true)) z.Write(filtered);
        WriteChunk(ms, "IDAT"u8, idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(ms, "IEND"u8, []);
        return ms.ToArray();
    }

    private static void Paeth(ReadOnlySpan<byte> row, ReadOnlySpan<byte> up, Span<byte> dst)
    {
        for (var i = 0; i < 4; i++) dst[i] = (byte)(row[i] - up[i]); // left and upper-left are 0: Paeth picks up
        for (var i = 4; i < row.Length; i++)
        {
            int a = row[i - 4], b = up[i], c = up[i - 4];
            var p = a + b - c;
            var pa = Math.Abs(p - a);
            var pb = Math.Abs(p - b);
            var pc = Math.Abs(p - c);
            var pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            dst[i] = (byte)(row[i] - pred);
        }
    }

    private static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        type.CopyTo(header[4..]);
        s.Write(header);
        s.Write(data);
        var crc = Crc(Crc(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        var table = CrcTable;
        foreach (var b in data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }

        return t;
    }
}
