using System.Buffers.Binary;
using System.Text;

namespace Geo.Tiles.Vector;

/// <summary>A minimal protocol-buffers writer over a growable byte array (varints, length-delimited fields, packed
/// uint32 arrays, fixed64 doubles): all that the Mapbox Vector Tile schema needs.</summary>
internal sealed class ProtoWriter(int capacity = 1024)
{
    private byte[] _buffer = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    private Span<byte> Reserve(int count)
    {
        if (Length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        return _buffer.AsSpan(Length, count);
    }

    public void Varint(ulong value)
    {
        var span = Reserve(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        Length += i;
    }

    public void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    public void VarintField(int field, ulong value)
    {
        Tag(field, 0);
        Varint(value);
    }

    public void Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        Tag(field, 2);
        Varint((ulong)bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length));
        Length += bytes.Length;
    }

    public void String(int field, string value)
    {
        Tag(field, 2);
        var count = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
        Length += count;
    }

    public void Double(int field, double value)
    {
        Tag(field, 1);
        BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);
        Length += 8;
    }

    public void PackedUInt32(int field, ReadOnlySpan<uint> values)
    {
        if (values.IsEmpty) return;
        var size = 0;
        foreach (var v in values) size += VarintSize(v);
        Tag(field, 2);
        Varint((ulong)size);
        foreach (var v in values) Varint(v);
    }

    private static int VarintSize(uint v) => v < 1u << 7 ? 1 : v < 1u << 14 ? 2 : v < 1u << 21 ? 3 : v < 1u << 28 ? 4 : 5;

    /// <summary>Appends already-encoded fields.</summary>
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        Length += bytes.Length;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();
}
