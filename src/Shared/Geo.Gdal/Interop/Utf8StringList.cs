using System.Runtime.InteropServices;
using System.Text;

namespace Geo.Gdal.Interop;

/// <summary>
/// A NULL-terminated <c>char**</c> of UTF-8 strings (GDAL's "CSL" string list) in native memory that this struct
/// owns; <see cref="Dispose"/> frees it, so use it with <c>using</c>. GDAL only reads these lists (the
/// <c>*OptionsNew</c> functions and <c>GDALOpenEx</c> copy what they keep). Beware: GDAL copies lists with
/// <c>CSLDuplicate</c>, which returns NULL for an empty list, so an empty list usually means the same as NULL.
/// </summary>
internal unsafe struct Utf8StringList : IDisposable
{
    private byte** _items;
    private int _count;

    private Utf8StringList(byte** items, int count)
    {
        _items = items;
        _count = count;
    }

    /// <summary>The <c>char**</c> to pass to GDAL; valid until <see cref="Dispose"/>.</summary>
    public readonly IntPtr Pointer => (IntPtr)_items;

    /// <summary>Copies the strings; null means "pass NULL" (<see cref="Pointer"/> is zero).</summary>
    public static Utf8StringList Create(IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return default;
        }

        var items = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(byte*));
        var list = new Utf8StringList(items, values.Count);
        try
        {
            for (var i = 0; i < values.Count; i++)
            {
                var value = values[i] ?? throw new ArgumentException("Null entry in a GDAL string list.", nameof(values));
                if (value.Contains('\0'))
                {
                    throw new ArgumentException("NUL character in a GDAL string list entry.", nameof(values));
                }

                var byteCount = Encoding.UTF8.GetByteCount(value);
                var bytes = (byte*)NativeMemory.Alloc((nuint)byteCount + 1);
                items[i] = bytes;
                Encoding.UTF8.GetBytes(value, new Span<byte>(bytes, byteCount));
                bytes[byteCount] = 0;
            }

            return list;
        }
        catch
        {
            list.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_items is null)
        {
            return;
        }

        for (var i = 0; i < _count; i++)
        {
            NativeMemory.Free(_items[i]);
        }

        NativeMemory.Free(_items);
        _items = null;
        _count = 0;
    }
}
