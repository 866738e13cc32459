using System.Globalization;
using System.Text;
using System.Text.Json;
using Geo.Gdal;
using Geo.Spatial.Crs;
using OpenCvSharp;

namespace Geo.Surveys.Synthetic;

/// <summary>What to generate.</summary>
/// <param name="SizePx">Orthophoto width and height in pixels (square). The DSM is a quarter of that a side.</param>
/// <param name="Seed">Everything (layout, noise) follows from it: the same seed and size give the same files.</param>
/// <param name="GsdMetres">Orthophoto ground sample distance; the DSM's is four times larger.</param>
/// <param name="CentreLon">Scene centre, EPSG:4326 longitude (default: inside the synthetic Ruzhou sample grids).</param>
/// <param name="CentreLat">Scene centre, latitude.</param>
/// <param name="Plain">true: plain tiled DEFLATE GeoTIFFs with an alpha band (ingest inputs for benchmarks); false:
/// COGs (orthophoto JPEG YCbCr with a mask, DSM DEFLATE), small enough to commit.</param>
public sealed record SyntheticOptions(
    int SizePx = 2048,
    int Seed = 1,
    double GsdMetres = 0.1,
    double CentreLon = 112.838,
    double CentreLat = 34.165,
    bool Plain = false);

/// <summary>The files written, all in EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger CM 114E; x = easting).</summary>
public sealed record SyntheticPair(string Epoch1, string Epoch1Dsm, string Epoch2, string Epoch2Dsm, string TruthGeoJson, string TruthMask,
    string Manifest, int ChangeCount);

/// <summary>
/// Generates a two-epoch drone survey of a synthetic town (roads with markings, roofs with shadows, street and yard
/// trees) over part of the sample city. The second epoch has planted changes — new buildings, a rooftop addition, a
/// walled enclosure — and nuisances that are not changes: another sun (light level, tint, shadow length and
/// direction), trees in autumn, and a misregistration of (+3, +2) pixels (east, south). Each epoch has a DSM
/// (heights in metres, nodata -9999 outside the flight). The truth is written beside it: <c>truth.geojson</c>
/// (RFC 7946, EPSG:4326 lon/lat polygons with <c>kind</c>) and <c>truth_mask.tif</c> (epoch-1 pixel grid; 0 none,
/// 1 new building, 2 rooftop addition, 3 enclosure). Deterministic for a given seed and size.
/// </summary>
public static class SyntheticSurveys
{
    /// <summary>Misregistration of epoch 2, in orthophoto pixels (east, south).</summary>
    public static (int Dx, int Dy) Misregistration => (3, 2);

    /// <summary>Generates into <paramref name="outDirectory"/>, reporting progress 0..1.</summary>
    public static SyntheticPair Generate(string outDirectory, SyntheticOptions options, IProgress<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SizePx, 256);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.SizePx, 65536);
        Directory.CreateDirectory(outDirectory);
        var size = options.SizePx;
        var gsd = options.GsdMetres;
        var sizeM = size * gsd;
        var (ec, nc) = CoordinateConverter.Convert(CrsId.Wgs84, CrsId.Cgcs2000GK114, options.CentreLon, options.CentreLat);
        var west = Math.Round(ec - sizeM / 2);
        var north = Math.Round(nc + sizeM / 2);
        var plan = TownPlan.Create(sizeM, options.Seed);

        var files = new List<string>();
        var (mdx, mdy) = Misregistration;
        for (var epoch = 1; epoch <= 2; epoch++)
        {
            var scene = new Scene(plan, size, gsd, epoch, options.Seed, epoch == 1 ? (0, 0) : (mdx * gsd, -mdy * gsd));
            using var ortho = scene.RenderOrtho();
            using var alpha = scene.FlightMask(size);
            progress?.Report(epoch == 1 ? 0.2 : 0.6);
            var name = $"epoch{epoch}";
            files.Add(WriteOrtho(Path.Combine(outDirectory, name + ".tif"), ortho, alpha, west, north, gsd, options.Plain));
            using var dsm = scene.RenderDsm(size / 4);
            files.Add(WriteDsm(Path.Combine(outDirectory, name + "_dsm.tif"), dsm, west, north, gsd * 4, options.Plain));
            progress?.Report(epoch == 1 ? 0.4 : 0.85);
        }

        var truthMask = Path.Combine(outDirectory, "truth_mask.tif");
        using (var mask = new Mat(size, size, MatType.CV_8UC1, Scalar.All(0)))
        {
            foreach (var c in plan.Changes)
            {
                Cv2.FillConvexPoly(mask, Scene.Corners(c.Area, (0, 0), sizeM, gsd), Scalar.All((int)c.Kind));
            }

            WriteSingle(truthMask, mask, west, north, gsd, ["-of", "GTiff", "-co", "COMPRESS=DEFLATE", "-co", "TILED=YES"]);
        }

        var truth = Path.Combine(outDirectory, "truth.geojson");
        File.WriteAllText(truth, TruthGeoJson(plan, west, north, sizeM), new UTF8Encoding(false));
        var manifest = Path.Combine(outDirectory, "manifest.json");
        File.WriteAllText(manifest, JsonSerializer.Serialize(new
        {
            generator = "./geo surveys generate",
            synthetic = true,
            seed = options.Seed,
            sizePx = size,
            gsdMetres = gsd,
            dsmGsdMetres = gsd * 4,
            crs = "EPSG:4547",
            westEasting = west,
            northNorthing = north,
            epoch1 = new { ortho = "epoch1.tif", dsm = "epoch1_dsm.tif", flightDate = "2026-04-12" },
            epoch2 = new { ortho = "epoch2.tif", dsm = "epoch2_dsm.tif", flightDate = "2026-10-20" },
            misregistrationPx = new { east = mdx, south = mdy },
            nuisances = new[] { "lighting (lower, warmer sun; longer shadows in another direction)", "trees in autumn colours, smaller crowns", "misregistration" },
            changes = plan.Changes.Select(c => new { c.Id, kind = KindName(c.Kind) }),
            truth = new { geojson = "truth.geojson", mask = "truth_mask.tif", maskValues = new { none = 0, new_building = 1, rooftop_addition = 2, enclosure = 3 } },
        }, new JsonSerializerOptions { WriteIndented = true }), new UTF8Encoding(false));
        progress?.Report(1);
        return new SyntheticPair(files[0], files[1], files[2], files[3], truth, truthMask, manifest, plan.Changes.Count);
    }

    /// <summary>snake_case name of a change kind as written in the truth.</summary>
    public static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.NewBuilding => "new_building",
        ChangeKind.RooftopAddition => "rooftop_addition",
        ChangeKind.Enclosure => "enclosure",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static unsafe string WriteOrtho(string path, Mat bgr, Mat alpha, double west, double north, double gsd, bool plain)
    {
        var size = bgr.Rows;
        using var ds = GdalDataset.CreateInMemory(size, size, 4, GdalDataType.Byte);
        Cv2.Split(bgr, out var channels);
        try
        {
            // OpenCV is BGR: band 1 red = channel 2.
            for (var b = 0; b < 3; b++)
            {
                ds.WriteBand(b + 1, new ReadOnlySpan<byte>((void*)channels[2 - b].Data, size * size));
            }

            ds.WriteBand(4, new ReadOnlySpan<byte>((void*)alpha.Data, size * size));
        }
        finally
        {
            foreach (var c in channels) c.Dispose();
        }

        ds.SetColorInterpretation(1, GdalColorInterpretation.Red);
        ds.SetColorInterpretation(2, GdalColorInterpretation.Green);
        ds.SetColorInterpretation(3, GdalColorInterpretation.Blue);
        ds.SetColorInterpretation(4, GdalColorInterpretation.Alpha);
        Georeference(ds, west, north, gsd);
        List<string> args = plain
            ? ["-of", "GTiff", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2", "-co", "BIGTIFF=IF_SAFER", "-co", "NUM_THREADS=ALL_CPUS"]
            : ["-of", "COG", "-b", "1", "-b", "2", "-b", "3", "-mask", "4", "-co", "COMPRESS=JPEG", "-co", "QUALITY=80", "-co", "NUM_THREADS=ALL_CPUS"];
        Translate(ds, path, args);
        return path;
    }

    private static unsafe string WriteDsm(string path, Mat heights, double west, double north, double gsd, bool plain)
    {
        var size = heights.Rows;
        using var ds = GdalDataset.CreateInMemory(size, size, 1, GdalDataType.Float32);
        ds.WriteBand(1, new ReadOnlySpan<float>((void*)heights.Data, size * size));
        ds.SetNoData(1, Scene.NoData);
        Georeference(ds, west, north, gsd);
        List<string> args = plain
            ? ["-of", "GTiff", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3"]
            : ["-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=YES"];
        Translate(ds, path, args);
        return path;
    }

    private static unsafe void WriteSingle(string path, Mat mask, double west, double north, double gsd, List<string> args)
    {
        using var ds = GdalDataset.CreateInMemory(mask.Cols, mask.Rows, 1, GdalDataType.Byte);
        ds.WriteBand(1, new ReadOnlySpan<byte>((void*)mask.Data, mask.Cols * mask.Rows));
        Georeference(ds, west, north, gsd);
        Translate(ds, path, args);
    }

    private static void Georeference(GdalDataset ds, double west, double north, double gsd)
    {
        ds.SetGeoTransform(new GeoTransform(west, gsd, 0, north, 0, -gsd));
        ds.SetEpsg(4547);
    }

    private static void Translate(GdalDataset ds, string path, List<string> args)
    {
        var written = GdalApps.Translate(ds, path, args);
        if (!written.IsOk) throw new InvalidOperationException($"Writing {Path.GetFileName(path)} failed: {written.Failure}");
        written.Value.Dispose();
    }

    private static string TruthGeoJson(TownPlan plan, double west, double north, double sizeM)
    {
        var south = north - sizeM;
        var sb = new StringBuilder();
        sb.Append("{\"type\":\"FeatureCollection\",\"name\":\"planted_changes\",\"features\":[");
        var first = true;
        foreach (var c in plan.Changes)
        {
            if (!first) sb.Append(',');
            first = false;
            var r = c.Area;
            Span<double> xs = [west + r.X0, west + r.X1, west + r.X1, west + r.X0, west + r.X0];
            Span<double> ys = [south + r.Y0, south + r.Y0, south + r.Y1, south + r.Y1, south + r.Y0];
            CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Wgs84, xs, ys);
            sb.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"Feature\",\"properties\":{{\"id\":{c.Id},\"kind\":\"{KindName(c.Kind)}\",\"areaM2\":{Math.Round(r.Width * r.Height, 2)},\"epoch\":2}},");
            sb.Append("\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[");
            for (var i = 0; i < 5; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(CultureInfo.InvariantCulture, $"[{Math.Round(xs[i], 8)},{Math.Round(ys[i], 8)}]");
            }

            sb.Append("]]}}");
        }

        sb.Append("]}\n");
        return sb.ToString();
    }
}
