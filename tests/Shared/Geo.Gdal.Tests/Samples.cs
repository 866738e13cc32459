using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;

namespace Geo.Gdal.Tests;

/// <summary>
/// Real files generated once per test run into a temp directory, with the GDAL command-line tools (an oracle
/// independent of the code under test) and raw bytes written here. Nothing binary is committed.
/// Coordinates: EPSG:4547 (CGCS2000 / 3-degree GK CM 114E) around Ruzhou, 128 m x 128 m at 0.5 m.
/// </summary>
public sealed class Samples : IDisposable
{
    public const int Size = 256;
    private static readonly string[] Ullr4547 = ["393200", "3782000", "393328", "3781872"];

    public Samples()
    {
        Root = Directory.CreateTempSubdirectory("geo-gdal-tests-").FullName;
        var gradient = WriteEnvi("gradient", Size, Size, 3, GradientValue);
        var blocky = WriteEnvi("blocky", Size, Size, 3, BlockyValue);

        Valid = Translate(gradient, "valid.tif", ["-a_srs", "EPSG:4547", "-a_ullr", .. Ullr4547,
            "-co", "TILED=YES", "-co", "BLOCKXSIZE=64", "-co", "BLOCKYSIZE=64", "-co", "COMPRESS=DEFLATE"]);
        Plain = Translate(gradient, "plain.tif", ["-a_srs", "EPSG:4547", "-a_ullr", .. Ullr4547,
            "-co", "TILED=YES", "-co", "BLOCKXSIZE=64", "-co", "BLOCKYSIZE=64"]);
        Jpeg = Translate(blocky, "jpeg.tif", ["-a_srs", "EPSG:4547", "-a_ullr", .. Ullr4547,
            "-co", "TILED=YES", "-co", "COMPRESS=JPEG", "-co", "PHOTOMETRIC=YCBCR"]);
        BigTiff = Translate(Valid, "bigtiff.tif", "-co", "BIGTIFF=YES", "-co", "TILED=YES");
        WithOverviews = Translate(gradient, "overviews.tif", ["-a_srs", "EPSG:4547", "-a_ullr", .. Ullr4547, "-co", "TILED=YES"]);
        Cli.Run("gdaladdo", "-q", "-r", "average", WithOverviews, "2", "4");

        NotGeoreferenced = Translate(gradient, "nogeo.tif");
        GcpsOnly = Translate(gradient, "gcps.tif", "-a_srs", "EPSG:4547",
            "-gcp", "0", "0", "393200", "3782000", "-gcp", "256", "0", "393328", "3782000", "-gcp", "0", "256", "393200", "3781872");
        RotatedVrt = WriteText("rotated.vrt", RotatedVrtXml("valid.tif"));
        Rotated = Translate(RotatedVrt, "rotated.tif");
        SouthUp = Translate(gradient, "southup.tif", "-a_srs", "EPSG:4547", "-a_ullr", "393200", "3781872", "393328", "3782000");
        NonSquare = Translate(gradient, "nonsquare.tif", "-a_srs", "EPSG:4547", "-a_ullr", "393200", "3782000", "393328", "3781800");
        NoCrs = Translate(gradient, "nocrs.tif", ["-a_ullr", .. Ullr4547]);
        Utm = Translate(gradient, "utm.tif", "-a_srs", "EPSG:32650", "-a_ullr", "300000", "3782000", "300128", "3781872");
        Geographic = Translate(gradient, "geographic.tif", "-a_srs", "EPSG:4326", "-a_ullr", "112.84", "34.17", "112.841", "34.169");
        NineBands = Path.Combine(Root, "nine.tif");
        Cli.Run("gdal_create", "-of", "GTiff", "-outsize", "16", "16", "-bands", "9", "-ot", "Byte",
            "-a_srs", "EPSG:4547", "-a_ullr", "393200", "3782000", "393208", "3781992", NineBands);

        var jpegFile = Translate(blocky, "photo.jpg", "-of", "JPEG");
        JpegRenamed = Copy(jpegFile, "photo-renamed.tif");
        var pngFile = Translate(gradient, "image.png", "-of", "PNG");
        PngRenamed = Copy(pngFile, "image-renamed.tif");
        VrtRenamed = Copy(RotatedVrt, "vrt-renamed.tif");
        Empty = WriteBytes("empty.tif", []);
        HugeHeader = WriteBytes("huge-header.tif", TiffCrafter.SingleTile(1_000_000, 1_000_000));

        var plainBytes = File.ReadAllBytes(Plain);
        var truncated = new Dictionary<int, string>();
        Truncated = truncated;
        foreach (var percent in new[] { 1, 50, 99 })
        {
            truncated[percent] = WriteBytes($"truncated-{percent}.tif", plainBytes.AsSpan(0, plainBytes.Length * percent / 100).ToArray());
        }

        CutInHeader = WriteBytes("cut-in-header.tif", plainBytes.AsSpan(0, 100).ToArray());
        byte[] badIfd = [.. "II*\0"u8, 0x00, 0x00, 0x00, 0x10, .. new byte[64]];
        IfdOffsetPastEnd = WriteBytes("ifd-offset-past-end.tif", badIfd);

        // Sidecars that, if GDAL read them, would georeference an otherwise bare TIFF (U7).
        var sidecarDir = Directory.CreateDirectory(Path.Combine(Root, "sidecars")).FullName;
        WithSidecars = Copy(NotGeoreferenced, Path.Combine("sidecars", "survey.tif"));
        File.WriteAllText(Path.Combine(sidecarDir, "survey.tfw"), "0.5\n0\n0\n-0.5\n393200.25\n3781999.75\n");
        File.WriteAllText(Path.Combine(sidecarDir, "survey.prj"), Cli.Run("gdalsrsinfo", "-o", "wkt1", "EPSG:4547").Trim());
    }

    public string Root { get; }
    public string Valid { get; }
    public string Plain { get; }
    public string Jpeg { get; }
    public string BigTiff { get; }
    public string WithOverviews { get; }
    public string NotGeoreferenced { get; }
    public string GcpsOnly { get; }
    public string RotatedVrt { get; }
    public string Rotated { get; }
    public string SouthUp { get; }
    public string NonSquare { get; }
    public string NoCrs { get; }
    public string Utm { get; }
    public string Geographic { get; }
    public string NineBands { get; }
    public string JpegRenamed { get; }
    public string PngRenamed { get; }
    public string VrtRenamed { get; }
    public string Empty { get; }
    public string HugeHeader { get; }
    public IReadOnlyDictionary<int, string> Truncated { get; }
    public string WithSidecars { get; }
    public string CutInHeader { get; }
    public string IfdOffsetPastEnd { get; }

    /// <summary>Value of band <paramref name="band"/> (1-based) at (x, y) in valid/plain/overviews.tif: varies per pixel.</summary>
    public static byte GradientValue(int band, int x, int y) => (byte)((x + 3 * y + 85 * (band - 1)) & 0xFF);

    /// <summary>Value in jpeg.tif's source: constant over 32 x 32 px squares, aligned with JPEG's 16 px MCUs.</summary>
    public static byte BlockyValue(int band, int x, int y) => (byte)(40 + ((x / 32) * 17 + (y / 32) * 11 + 60 * (band - 1)) % 170);

    public string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    public static string RotatedVrtXml(string source) => $"""
        <VRTDataset rasterXSize="{Size}" rasterYSize="{Size}">
          <SRS>EPSG:4547</SRS>
          <GeoTransform>393200, 0.5, 0.05, 3782000, 0.05, -0.5</GeoTransform>
          <VRTRasterBand dataType="Byte" band="1">
            <SimpleSource><SourceFilename relativeToVRT="1">{source}</SourceFilename><SourceBand>1</SourceBand></SimpleSource>
          </VRTRasterBand>
        </VRTDataset>
        """;

    private string Translate(string source, string name, params string[] args)
    {
        var dest = PathOf(name);
        Cli.Run("gdal_translate", ["-q", .. args, source, dest]);
        return dest;
    }

    private string Copy(string source, string name)
    {
        var dest = PathOf(name);
        File.Copy(source, dest, overwrite: true);
        return dest;
    }

    private string WriteText(string name, string text)
    {
        var dest = PathOf(name);
        File.WriteAllText(dest, text);
        return dest;
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        var dest = PathOf(name);
        File.WriteAllBytes(dest, bytes);
        return dest;
    }

    /// <summary>Band-sequential raw Byte data plus an ENVI header, which GDAL reads without georeferencing.</summary>
    private string WriteEnvi(string name, int width, int height, int bands, Func<int, int, int, byte> value)
    {
        var data = new byte[width * height * bands];
        for (var b = 1; b <= bands; b++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    data[((b - 1) * height + y) * width + x] = value(b, x, y);
                }
            }
        }

        var bin = WriteBytes(name + ".bin", data);
        WriteText(name + ".hdr", string.Create(CultureInfo.InvariantCulture, $"""
            ENVI
            samples = {width}
            lines = {height}
            bands = {bands}
            header offset = 0
            file type = ENVI Standard
            data type = 1
            interleave = bsq
            byte order = 0

            """));
        return bin;
    }
}

/// <summary>Runs a GDAL command-line tool and returns its standard output; throws if it fails.</summary>
public static class Cli
{
    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start.");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        }

        return stdout.Result;
    }
}

/// <summary>Hand-made classic little-endian TIFFs whose headers lie (SECURITY U4).</summary>
public static class TiffCrafter
{
    /// <summary>
    /// A ~200-byte 8-bit grey TIFF declaring <paramref name="width"/> x <paramref name="height"/> px as one tile of
    /// that size whose data is 64 zero bytes.
    /// </summary>
    public static byte[] SingleTile(uint width, uint height)
    {
        // (tag, type, value); type 3 = SHORT, 4 = LONG. Entries must be sorted by tag.
        const int entryCount = 11;
        const uint dataOffset = 8 + 2 + entryCount * 12 + 4;
        (ushort Tag, ushort Type, uint Value)[] entries =
        [
            (256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (277, 3, 1), (284, 3, 1),
            (322, 4, width), (323, 4, height), (324, 4, dataOffset), (325, 4, 64),
        ];
        var bytes = new byte[dataOffset + 64];
        var span = bytes.AsSpan();
        "II*\0"u8.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 8);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], entryCount);
        var at = 10;
        foreach (var (tag, type, value) in entries)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], tag);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 2)..], type);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 4)..], 1);
            if (type == 3)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 8)..], (ushort)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 8)..], value);
            }

            at += 12;
        }

        // Next-IFD offset 0 (already zero), then the 64 data bytes (zero).
        return bytes;
    }
}
