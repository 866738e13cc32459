using System.Globalization;
using System.Text;
using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace Geo.GridService.Host.Samples;

/// <summary>
/// The synthetic component census of the Ruzhou samples (SYNTHETIC): a street pattern laid over the sample grids in
/// EPSG:4547 metres — east-west streets every 300 m, north-south every 325 m — with lamps on both sides every 35 m,
/// manhole covers of five kinds every 60 m, rain grates every 50 m, bins every 100 m, street trees every 25 m, a
/// median fence (a line) along some blocks, and green areas (polygons) in some blocks. Every feature lies inside the
/// grids. Deterministic: the same seed gives a byte-identical <c>components.csv</c> (code, class, name, wkt in
/// EPSG:4490 lon/lat, status, departments, dates, source, remarks, attributes).
/// </summary>
public static class RuzhouCensusSamples
{
    private const double StreetSpacingNs = 300, StreetSpacingEw = 325, Margin = 60;

    /// <summary>Writes components.csv; returns its path.</summary>
    public static string Write(string dir, IReadOnlyList<RuzhouSamples.SampleGrid> grids, int seed)
    {
        var rnd = new Random(seed + 3);
        var prepared = grids.Select(g => PreparedGeometryFactory.Prepare(g.Geometry)).ToArray();
        var factory = new GeometryFactory(new PrecisionModel(), 4490);
        var serials = new Dictionary<string, int>(StringComparer.Ordinal);
        var sb = new StringBuilder("code,class,name,wkt,status,competent_department,owner,maintainer,first_recorded,last_changed,data_source,remarks,attributes\n");

        var (e0, n0) = CoordinateConverter.Convert(CrsId.Cgcs2000, CrsId.Cgcs2000GK114, RuzhouSamples.CentreLon, RuzhouSamples.CentreLat);
        double minE = e0 - 9 * 650 / 2.0 + Margin, maxE = e0 + 9 * 650 / 2.0 - Margin;
        double minN = n0 - 3 * 1300 / 2.0 + Margin, maxN = n0 + 3 * 1300 / 2.0 - Margin;

        (double Lon, double Lat) Geo(double e, double n) => CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Cgcs2000, e, n);

        bool Inside(Geometry g)
        {
            foreach (var p in prepared)
                if (p.Covers(g)) return true;
            return g is not Point && prepared.Any(p => p.Intersects(g));
        }

        string Status()
        {
            var r = rnd.NextDouble();
            return r < 0.90 ? "完好" : r < 0.96 ? "破损" : r < 0.98 ? "丢失" : "占用";
        }

        string Date(int yearFrom)
        {
            var d = new DateOnly(yearFrom, 1, 1).AddDays(rnd.Next(0, 365 * 2));
            return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        void Add(string cls, string name, Geometry g, string competent, string owner, string maintainer, string remarks = "", string attributes = "")
        {
            if (!Inside(g)) return;
            serials.TryGetValue(cls, out var s);
            serials[cls] = ++s;
            var code = "410482" + cls + s.ToString("D6", CultureInfo.InvariantCulture);
            var first = Date(2019);
            var source = rnd.NextDouble() < 0.8 ? "实测" : "调绘";
            sb.Append(code).Append(',').Append(cls).Append(',').Append(name).Append(",\"").Append(Wkt(g)).Append("\",")
              .Append(Status()).Append(',').Append(competent).Append(',').Append(owner).Append(',').Append(maintainer).Append(',')
              .Append(first).Append(',').Append(first).Append(',').Append(source).Append(',').Append(remarks).Append(',')
              .Append(attributes.Length == 0 ? "" : "\"" + attributes.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"").Append('\n');
        }

        Point P(double e, double n)
        {
            var (lon, lat) = Geo(e, n);
            return factory.CreatePoint(new Coordinate(lon, lat));
        }

        // Streets as (start, end, direction) in metres; x/y on the street = along + offset to the side.
        var streets = new List<(double E0, double N0, double E1, double N1, string Name)>();
        var ew = 0;
        for (var n = minN + 100; n < maxN; n += StreetSpacingNs) streets.Add((minE, n, maxE, n, $"东西{++ew}路"));
        var ns = 0;
        for (var e = minE + 100; e < maxE; e += StreetSpacingEw) streets.Add((e, minN, e, maxN, $"南北{++ns}街"));

        string[] coverClasses = ["0101", "0102", "0103", "0105", "0107"];
        string[] coverNames = ["上水井盖", "污水井盖", "雨水井盖", "电力井盖", "通讯井盖"];
        string[] coverOwners = ["GS", "PS", "PS", "GD", "DX"];
        foreach (var (sE, sN, eE, eN, street) in streets)
        {
            var length = Math.Sqrt((eE - sE) * (eE - sE) + (eN - sN) * (eN - sN));
            double ux = (eE - sE) / length, uy = (eN - sN) / length; // along
            double vx = -uy, vy = ux;                                // to the left
            (double E, double N) At(double along, double side) => (sE + ux * along + vx * side, sN + uy * along + vy * side);

            for (var a = 10.0; a < length; a += 35)
                foreach (var side in new[] { -12.0, 12.0 })
                {
                    var (e, n) = At(a + rnd.NextDouble() * 2, side);
                    Add("0118", "路灯", P(e, n), "CGJ", "LD", "LD", street, "{\"灯杆高度m\":" + (8 + rnd.Next(0, 5)).ToString(CultureInfo.InvariantCulture) + "}");
                }
            var k = 0;
            for (var a = 20.0; a < length; a += 60, k++)
            {
                var (e, n) = At(a + rnd.NextDouble() * 5, rnd.NextDouble() * 6 - 3);
                var c = k % coverClasses.Length;
                Add(coverClasses[c], coverNames[c], P(e, n), "SZ", coverOwners[c], coverOwners[c], street);
            }
            for (var a = 25.0; a < length; a += 50)
            {
                var (e, n) = At(a, 9.5);
                Add("0104", "雨水箅子", P(e, n), "SZ", "PS", "PS", street);
            }
            for (var a = 45.0; a < length; a += 100)
            {
                var (e, n) = At(a, -14);
                Add("0305", "垃圾箱", P(e, n), "CGJ", "HW", "HW", street);
            }
            for (var a = 5.0; a < length; a += 25)
            {
                var (e, n) = At(a + rnd.NextDouble(), 15);
                Add("0402", "行道树", P(e, n), "YL", "YL", "YL", street, "{\"树种\":\"" + (rnd.Next(3) switch { 0 => "法桐", 1 => "国槐", _ => "香樟" }) + "\"}");
            }
            // Median fences: every other block, 200 m pieces.
            for (var a = 60.0; a + 200 < length; a += 600)
            {
                var (e1, n1) = At(a, 0);
                var (e2, n2) = At(a + 200, 0);
                var (lon1, lat1) = Geo(e1, n1);
                var (lon2, lat2) = Geo(e2, n2);
                Add("0211", "交通护栏", factory.CreateLineString([new Coordinate(lon1, lat1), new Coordinate(lon2, lat2)]), "JJ", "JT", "JT", street);
            }
        }
        // Green areas in every third block (between streets), inset 30 m from the kerbs.
        var block = 0;
        for (var n = minN + 100; n + StreetSpacingNs < maxN; n += StreetSpacingNs)
            for (var e = minE + 100; e + StreetSpacingEw < maxE; e += StreetSpacingEw)
            {
                if (block++ % 3 != 0) continue;
                double w = 60 + rnd.Next(0, 120), h = 40 + rnd.Next(0, 120);
                double x0 = e + 30, y0 = n + 30;
                var ring = new[] { (x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h), (x0, y0) }
                    .Select(c => { var (lon, lat) = Geo(c.Item1, c.Item2); return new Coordinate(lon, lat); }).ToArray();
                Add("0405", "绿地", factory.CreatePolygon(ring), "YL", "YL", "YL", "街头绿地", "{\"面积m2\":" + (w * h).ToString("F0", CultureInfo.InvariantCulture) + "}");
            }

        var path = Path.Combine(dir, "components.csv");
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
        return path;
    }

    private static string Wkt(Geometry g)
    {
        static string C(Coordinate c) => c.X.ToString("F7", CultureInfo.InvariantCulture) + " " + c.Y.ToString("F7", CultureInfo.InvariantCulture);
        return g switch
        {
            Point p => $"POINT ({C(p.Coordinate)})",
            LineString l => $"LINESTRING ({string.Join(", ", l.Coordinates.Select(C))})",
            Polygon poly => $"POLYGON (({string.Join(", ", poly.ExteriorRing.Coordinates.Select(C))}))",
            _ => throw new ArgumentException("Unsupported sample geometry.", nameof(g)),
        };
    }
}
