using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Geo.Formats.Shapefile;

/// <summary>
/// Chooses the text encoding of a .dbf: the .cpg if it names one we can resolve; else the dBASE language driver byte
/// when it says GBK; else UTF-8 if every record byte is valid UTF-8, otherwise GBK (code page 936), the usual encoding
/// of Chinese shapefiles written by older ArcGIS. Code pages come from the shared framework's
/// <see cref="CodePagesEncodingProvider"/>, used directly so no process-wide registration is needed.
/// </summary>
internal static class DbfEncoding
{
    private static readonly Encoding Utf8NoBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static Encoding Gbk => CodePagesEncodingProvider.Instance.GetEncoding(936)!;

    public static Encoding Choose(string? cpg, ReadOnlySpan<byte> dbf)
    {
        if (cpg is not null && FromCpg(cpg) is { } declared)
        {
            return declared;
        }

        // dBASE header byte 29: ESRI language driver id; 0x4D and 0x7A are the PRC GBK ids.
        if (dbf.Length > 32 && dbf[29] is 0x4D or 0x7A)
        {
            return Gbk;
        }

        var headerLength = dbf.Length >= 10 ? BinaryPrimitives.ReadUInt16LittleEndian(dbf[8..10]) : 0;
        var records = headerLength < dbf.Length ? dbf[headerLength..] : [];
        return Utf8.IsValid(records) ? Utf8NoBom : Gbk;
    }

    private static Encoding? FromCpg(string cpg)
    {
        var name = cpg.Trim().TrimStart('\uFEFF').Trim().ToUpperInvariant();
        if (name is "UTF-8" or "UTF8" or "65001")
        {
            return Utf8NoBom;
        }

        if (name is "GBK" or "GB2312" or "CP936" or "936" or "CP_936" or "ANSI 936")
        {
            return Gbk;
        }

        var digits = name.StartsWith("CP", StringComparison.Ordinal) ? name[2..] : name;
        if (name.StartsWith("88591", StringComparison.Ordinal))
        {
            digits = "28591";
        }

        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var codePage))
        {
            return CodePage(codePage);
        }

        try
        {
            return CodePagesEncodingProvider.Instance.GetEncoding(name) ?? Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null; // unknown name: fall back to detection
        }
    }

    private static Encoding? CodePage(int codePage)
    {
        try
        {
            return CodePagesEncodingProvider.Instance.GetEncoding(codePage) ?? Encoding.GetEncoding(codePage);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return null;
        }
    }
}
