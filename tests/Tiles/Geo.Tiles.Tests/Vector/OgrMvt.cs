using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Geo.Spatial.Tiles;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Tiles.Tests.Vector;

/// <summary>A feature as GDAL's MVT driver decoded it: its layer, attributes as printed, geometry in EPSG:3857.</summary>
public sealed record OgrFeature(string Layer, Dictionary<string, string> Attributes, Geometry? Geometry);

/// <summary>Decodes a tile with GDAL's own MVT driver (`ogrinfo`, an independent reader) and parses what it prints.</summary>
public static partial class OgrMvt
{
    public static List<OgrFeature> Decode(byte[] tile, TileId id)
    {
        var path = Path.Combine(Path.GetTempPath(), $"geo-mvt-{Guid.NewGuid():N}.mvt");
        File.WriteAllBytes(path, tile);
        try
        {
            var psi = new ProcessStartInfo("ogrinfo")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "-ro", "-al", "-q", "-oo", "CLIP=NO", "-oo", $"Z={id.Z}", "-oo", $"X={id.X}", "-oo", $"Y={id.Y}", "MVT:" + path })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("ogrinfo failed: " + stderr.Result);
            return Parse(stdout.Result);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<OgrFeature> Parse(string text)
    {
        var result = new List<OgrFeature>();
        var reader = new WKTReader();
        string layer = "";
        Dictionary<string, string>? attrs = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("Layer name: ", StringComparison.Ordinal)) { layer = line[12..].Trim(); continue; }
            if (line.StartsWith("OGRFeature(", StringComparison.Ordinal)) { attrs = new Dictionary<string, string>(); continue; }
            if (attrs is null) continue;
            var m = AttributeLine().Match(line);
            if (m.Success) { attrs[m.Groups[1].Value] = m.Groups[2].Value; continue; }
            var t = line.Trim();
            if (t.Length > 0 && char.IsUpper(t[0]) && (t.Contains('(') || t.EndsWith("EMPTY")))
            {
                result.Add(new OgrFeature(layer, attrs, reader.Read(t)));
                attrs = null;
            }
        }
        return result;
    }

    [GeneratedRegex(@"^  (\w+) \([A-Za-z0-9()]+\) = (.*)$")]
    private static partial Regex AttributeLine();

    public static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
