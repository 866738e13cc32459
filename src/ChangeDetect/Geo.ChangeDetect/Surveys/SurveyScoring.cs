using System.Text.Json;
using Geo.ChangeDetect.Findings;
using Geo.Gdal;
using Geo.Spatial.Crs;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Surveys;

/// <summary>Scores of a run against synthetic truth.</summary>
/// <param name="TruthObjects">Truth objects of at least the minimum area.</param>
/// <param name="Detected">Of those, how many are found (at least half of the object's area covered by candidates).</param>
/// <param name="Candidates">Candidates returned.</param>
/// <param name="Correct">Candidates that are right: at least half of the candidate lies on truth objects, or the
/// candidate covers at least half of one truth object (a new building with its new shadow still counts).</param>
/// <param name="PixelPrecision">Pixel precision on the truth mask's grid (a pixel is predicted when its centre is inside a candidate).</param>
/// <param name="PixelRecall">Pixel recall.</param>
public sealed record SurveyScore(int TruthObjects, int Detected, int Candidates, int Correct, double PixelPrecision, double PixelRecall)
{
    /// <summary>Object recall (completeness).</summary>
    public double Recall => TruthObjects == 0 ? 1 : (double)Detected / TruthObjects;

    /// <summary>Object precision (correctness).</summary>
    public double Precision => Candidates == 0 ? 1 : (double)Correct / Candidates;

    /// <summary>Pixel F1.</summary>
    public double PixelF1 => PixelPrecision + PixelRecall == 0 ? 0 : 2 * PixelPrecision * PixelRecall / (PixelPrecision + PixelRecall);
}

/// <summary>
/// Scores candidates against the truth the synthetic survey generator writes (<c>truth.geojson</c>: EPSG:4326
/// polygons with <c>areaM2</c>; <c>truth_mask.tif</c>: the before grid, 0 = no change). Object rules as in the
/// building change-detection literature (completeness/correctness with a 50 % overlap rule); areas in the candidates' CRS.
/// </summary>
public static class SurveyScoring
{
    public static SurveyScore Score(IReadOnlyList<ChangeCandidate> candidates, string truthDirectory, double minAreaM2 = 20)
    {
        var crs = candidates.Count > 0 ? candidates[0].Crs : CrsId.Cgcs2000GK114;
        var truth = ReadTruth(Path.Combine(truthDirectory, "truth.geojson"), crs).Where(t => t.AreaM2 >= minAreaM2).Select(t => t.Polygon).ToList();
        var cands = candidates.Select(c => (Geometry)c.Polygon).ToList();
        var factory = new GeometryFactory();
        var candUnion = cands.Count > 0 ? NetTopologySuite.Operation.Union.UnaryUnionOp.Union(cands) : factory.CreatePolygon();
        var truthUnion = truth.Count > 0 ? NetTopologySuite.Operation.Union.UnaryUnionOp.Union(truth.Cast<Geometry>().ToList()) : factory.CreatePolygon();
        var detected = truth.Count(t => t.Intersection(candUnion).Area >= 0.5 * t.Area);
        var correct = cands.Count(c => c.Intersection(truthUnion).Area >= 0.5 * c.Area || truth.Any(t => t.Intersection(c).Area >= 0.5 * t.Area));
        var (p, r) = PixelScores(cands, Path.Combine(truthDirectory, "truth_mask.tif"));
        return new SurveyScore(truth.Count, detected, cands.Count, correct, p, r);
    }

    private static List<(Polygon Polygon, double AreaM2)> ReadTruth(string path, CrsId crs)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var factory = new GeometryFactory();
        var list = new List<(Polygon, double)>();
        foreach (var f in doc.RootElement.GetProperty("features").EnumerateArray())
        {
            var ring = f.GetProperty("geometry").GetProperty("coordinates")[0];
            var coords = ring.EnumerateArray().Select(c => new Coordinate(c[0].GetDouble(), c[1].GetDouble())).ToArray();
            var poly = (Polygon)CoordinateConverter.Transform(factory.CreatePolygon(coords), CrsId.Wgs84, crs);
            list.Add((poly, f.GetProperty("properties").GetProperty("areaM2").GetDouble()));
        }

        return list;
    }

    private static (double Precision, double Recall) PixelScores(List<Geometry> candidates, string maskPath)
    {
        using var ds = GdalDataset.Open(maskPath).Value;
        var gt = ds.GeoTransform!.Value;
        int w = ds.Width, h = ds.Height;
        long tp = 0, fp = 0, fn = 0;
        var locators = candidates.Select(c => (Env: c.EnvelopeInternal, Loc: new IndexedPointInAreaLocator(c))).ToList();
        const int chunk = 512;
        var buf = new byte[w * chunk];
        var predicted = new bool[w * chunk];
        for (var y0 = 0; y0 < h; y0 += chunk)
        {
            var rows = Math.Min(chunk, h - y0);
            ds.ReadBlock(1, 0, y0, w, rows, buf.AsSpan(0, w * rows));
            Array.Clear(predicted);
            var top = gt.OriginY + y0 * gt.PixelSizeY;
            var bottom = gt.OriginY + (y0 + rows) * gt.PixelSizeY;
            foreach (var (env, loc) in locators)
            {
                if (env.MaxY < bottom || env.MinY > top) continue;
                var c0 = Math.Max(0, (int)Math.Floor((env.MinX - gt.OriginX) / gt.PixelSizeX));
                var c1 = Math.Min(w - 1, (int)Math.Ceiling((env.MaxX - gt.OriginX) / gt.PixelSizeX));
                var r0 = Math.Max(0, (int)Math.Floor((top - env.MaxY) / -gt.PixelSizeY));
                var r1 = Math.Min(rows - 1, (int)Math.Ceiling((top - env.MinY) / -gt.PixelSizeY));
                for (var r = r0; r <= r1; r++)
                for (var c = c0; c <= c1; c++)
                {
                    var p = new Coordinate(gt.OriginX + (c + 0.5) * gt.PixelSizeX, top + (r + 0.5) * gt.PixelSizeY);
                    if (loc.Locate(p) != Location.Exterior) predicted[r * w + c] = true;
                }
            }

            for (var i = 0; i < w * rows; i++)
            {
                var t = buf[i] != 0;
                if (predicted[i] && t) tp++;
                else if (predicted[i]) fp++;
                else if (t) fn++;
            }
        }

        return (tp + fp == 0 ? 1 : (double)tp / (tp + fp), tp + fn == 0 ? 1 : (double)tp / (tp + fn));
    }
}
