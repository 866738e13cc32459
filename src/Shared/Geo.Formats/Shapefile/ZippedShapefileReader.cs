using System.IO.Compression;
using System.Text;
using Geo.Spatial.Failures;
using NetTopologySuite.IO.Esri.Shapefiles.Readers;

namespace Geo.Formats.Shapefile;

/// <summary>
/// Reads the one Shapefile inside a zip without ever touching the file system: entries are read into memory, counting
/// decompressed bytes against <see cref="VectorReadLimits.MaxBytes"/> (SECURITY.md U3). Any unsafe entry name aborts the
/// whole read (U2): archives are judged as a whole, not "skip and continue".
/// </summary>
internal static class ZippedShapefileReader
{
    /// <summary>A shapefile needs at most 7 or 8 sidecar files; a few hundred entries is already not a shapefile upload.</summary>
    public const int MaxEntries = 1000;

    private const int MaxSidecarBytes = 1 << 16; // .prj and .cpg are a few hundred bytes

    public static Result<VectorFeatureSet> Read(Stream zipStream, VectorReadLimits limits)
    {
        // ZipArchive materialises the whole central directory; refuse a huge one before it does.
        if (DeclaredEntryCount(zipStream) is > MaxEntries and var declared)
        {
            return Failure.TooLarge("zip_too_many_entries", $"The archive declares {declared} entries; at most {MaxEntries} are accepted.", "file");
        }

        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zipStream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException)
        {
            return Failure.Invalid("zip_corrupt", "The file starts like a zip archive but its directory cannot be read.", "file");
        }

        using (archive)
        {
            try
            {
                return ReadArchive(archive, limits);
            }
            catch (InvalidDataException)
            {
                return Failure.Invalid("zip_corrupt", "An entry of the zip archive is damaged or uses an unsupported compression.", "file");
            }
        }
    }

    /// <summary>
    /// Total entries from the End Of Central Directory record (0xFFFF, the Zip64 marker, counts as "too many": a Zip64
    /// archive is far beyond any sane upload here). <c>null</c> when the stream cannot seek or has no EOCD.
    /// </summary>
    private static int? DeclaredEntryCount(Stream stream)
    {
        if (!stream.CanSeek)
        {
            return null;
        }

        const int eocdLength = 22;
        var tailLength = (int)Math.Min(stream.Length, eocdLength + ushort.MaxValue);
        var tail = new byte[tailLength];
        stream.Seek(-tailLength, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Position = 0;
        for (var i = tailLength - eocdLength; i >= 0; i--)
        {
            if (tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06)
            {
                return System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 10));
            }
        }

        return null;
    }

    private static Result<VectorFeatureSet> ReadArchive(ZipArchive archive, VectorReadLimits limits)
    {
        if (archive.Entries.Count > MaxEntries)
        {
            return Failure.TooLarge("zip_too_many_entries", $"The archive has {archive.Entries.Count} entries; at most {MaxEntries} are accepted.", "file");
        }

        var files = new List<ZipArchiveEntry>();
        foreach (var entry in archive.Entries)
        {
            if (Unsafe(entry) is { } reason)
            {
                return FormatFailures.Entry("zip_entry_unsafe", $"The archive entry {reason}; the whole archive is rejected.", entry.FullName);
            }

            var name = entry.FullName.Replace('\\', '/');
            var baseName = name[(name.LastIndexOf('/') + 1)..];
            // Directories and macOS resource forks ("__MACOSX/", "._x.shp") are not data.
            if (baseName.Length == 0 || baseName.StartsWith("._", StringComparison.Ordinal)
                || name.StartsWith("__MACOSX/", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            files.Add(entry);
        }

        var shps = files.Where(e => HasExtension(e, ".shp")).ToList();
        if (shps.Count == 0)
        {
            return Failure.Invalid("zip_no_shapefile", "The archive contains no .shp file.", "file");
        }

        if (shps.Count > 1)
        {
            return FormatFailures.Entry("zip_multiple_shapefiles",
                $"The archive contains {shps.Count} .shp files; upload one shapefile per archive.", shps[1].FullName);
        }

        var shp = shps[0];
        var stem = shp.FullName[..^4];
        ZipArchiveEntry? Sibling(string extension) =>
            files.FirstOrDefault(e => e.FullName.Length == stem.Length + extension.Length
                                      && e.FullName.StartsWith(stem, StringComparison.Ordinal) && HasExtension(e, extension));

        var dbfEntry = Sibling(".dbf");
        if (dbfEntry is null)
        {
            return FormatFailures.Entry("shapefile_incomplete", "The shapefile has no .dbf attribute file beside it.", shp.FullName);
        }

        var budget = new Budget(limits.MaxBytes);
        var shpBytes = budget.Read(shp);
        var dbfBytes = shpBytes is null ? null : budget.Read(dbfEntry);
        if (shpBytes is null || dbfBytes is null)
        {
            return FormatFailures.TooLarge(limits.MaxBytes, $"zip entry '{FormatFailures.Printable(shpBytes is null ? shp.FullName : dbfEntry.FullName)}'");
        }

        var prj = ReadText(Sibling(".prj"), budget, Encoding.UTF8, out var prjTooLarge);
        var cpg = ReadText(Sibling(".cpg"), budget, Encoding.ASCII, out var cpgTooLarge);
        if (prjTooLarge || cpgTooLarge)
        {
            return FormatFailures.TooLarge(limits.MaxBytes, $"zip entry '{FormatFailures.Printable(stem)}{(prjTooLarge ? ".prj" : ".cpg")}'");
        }

        var prescan = ShpPrescan.Check(shpBytes, limits);
        if (prescan.Count > 0)
        {
            return Result<VectorFeatureSet>.Fail(prescan);
        }

        var crs = prj is null ? null : PrjCrs.Recognise(prj);
        var encoding = DbfEncoding.Choose(cpg, dbfBytes);
        return ReadFeatures(shpBytes, dbfBytes, encoding, crs, shp.FullName);
    }

    private static Result<VectorFeatureSet> ReadFeatures(byte[] shp, byte[] dbf, Encoding encoding, string? crs, string entryName)
    {
        var features = new List<VectorFeature>();
        var index = 0;
        try
        {
            using var reader = NetTopologySuite.IO.Esri.Shapefile.OpenRead(new MemoryStream(shp, writable: false), new MemoryStream(dbf, writable: false),
                new ShapefileReaderOptions { Encoding = encoding });
            for (; reader.Read(out var deleted); index++)
            {
                if (deleted)
                {
                    continue; // a dBASE "deleted" record is not a feature; positions keep counting
                }

                var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var field in reader.Fields)
                {
                    attributes[field.Name] = Normalise(field.Value);
                }

                // A Shapefile "null shape" is its only way to say "no geometry"; it comes back as null, like in GeoJSON.
                var geometry = reader.Geometry is { IsEmpty: false } g ? g : null;
                features.Add(new VectorFeature(index, geometry, attributes));
            }
        }
        catch (Exception ex) when (FormatFailures.IsParserFault(ex))
        {
            return FormatFailures.Feature("shapefile_corrupt", $"The shapefile could not be parsed at record {index} ({ex.GetType().Name}).", index);
        }

        return new VectorFeatureSet(crs, features);
    }

    /// <summary>Integral numbers as long and fractional ones as double, like the other readers.</summary>
    private static object? Normalise(object? value) => value switch
    {
        int or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        float f => (double)f,
        decimal m => (double)m,
        string s => s.TrimEnd(),
        _ => value,
    };

    private static string? Unsafe(ZipArchiveEntry entry)
    {
        var name = entry.FullName;
        if (name.Length == 0)
        {
            return "has an empty name";
        }

        if (name.Any(c => char.IsControl(c) || c is '\u202E' or '\u202D'))
        {
            return "name contains control characters";
        }

        var normalised = name.Replace('\\', '/');
        if (normalised.StartsWith('/') || (normalised.Length >= 2 && normalised[1] == ':') || normalised.StartsWith("//", StringComparison.Ordinal))
        {
            return "has an absolute path";
        }

        if (normalised.Split('/').Any(segment => segment is ".." ))
        {
            return "escapes the archive with '..'";
        }

        // Unix mode in the upper 16 bits of the external attributes (zip "version made by" = Unix): S_IFLNK.
        var unixMode = (entry.ExternalAttributes >> 16) & 0xF000;
        if (unixMode == 0xA000)
        {
            return "is a symbolic link";
        }

        return null;
    }

    private static bool HasExtension(ZipArchiveEntry entry, string extension) =>
        entry.FullName.EndsWith(extension, StringComparison.OrdinalIgnoreCase);

    private static string? ReadText(ZipArchiveEntry? entry, Budget budget, Encoding encoding, out bool tooLarge)
    {
        tooLarge = false;
        if (entry is null)
        {
            return null;
        }

        var bytes = budget.Read(entry, MaxSidecarBytes);
        tooLarge = bytes is null;
        return bytes is null ? null : encoding.GetString(bytes);
    }

    /// <summary>Decompressed bytes left; counted on the bytes actually inflated, not the sizes the archive declares.</summary>
    private sealed class Budget(long maxBytes)
    {
        private long _remaining = maxBytes;

        public byte[]? Read(ZipArchiveEntry entry, long cap = long.MaxValue)
        {
            var limit = Math.Min(_remaining, cap);
            using var stream = entry.Open();
            var bytes = BoundedRead.ReadAll(stream, limit);
            if (bytes is not null)
            {
                _remaining -= bytes.Length;
            }

            return bytes;
        }
    }
}
