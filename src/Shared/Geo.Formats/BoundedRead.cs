namespace Geo.Formats;

/// <summary>Reads a stream into memory, counting actual bytes (a declared length can lie, SECURITY.md U3/U13).</summary>
internal static class BoundedRead
{
    /// <summary>Returns the bytes, or <c>null</c> when the stream holds more than <paramref name="maxBytes"/>.</summary>
    public static byte[]? ReadAll(Stream stream, long maxBytes)
    {
        if (stream.CanSeek && stream.Length - stream.Position > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
