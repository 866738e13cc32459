using System.Globalization;
using System.Text;
using Geo.Formats;
using Geo.Spatial.Crs;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Samples;

/// <summary>
/// The synthetic sample data set for Ruzhou (汝州市, 410482): 27 responsibility grids tiling a 5.85 km x 3.9 km
/// central urban area around 112.845 E, 34.167 N, over the six real subdistricts; 31 departments; a responsibility
/// matrix. SYNTHETIC: grid shapes, community names and phone numbers are invented; subdistrict names and codes and the
/// class codes are real. Deterministic: the same seed gives byte-identical files.
/// <para>Construction: a 9 x 3 lattice of cells 650 m x 1300 m in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E),
/// interior lattice nodes jittered, every edge bent by shared intermediate points, so neighbours share their
/// boundary vertex for vertex (no gaps, no overlaps); then transformed to EPSG:4490.</para>
/// </summary>
public static class RuzhouSamples
{
    public const double CentreLon = 112.845;
    public const double CentreLat = 34.167;
    private const int Cols = 9, Rows = 3;
    private const double CellWidth = 650, CellHeight = 1300;

    public sealed record SampleGrid(string Code, string Name, string SubdistrictName, string CommunityName, Polygon Geometry);

    public sealed record SampleDepartment(string Code, string Name, string Contact, string Phone);

    public sealed record SampleRule(string Id, string Grid, string Class, string Department, string Note);

    // Subdistrict by (col, row), row 0 = south. 汝南 lies south of the river, the others north, west to east.
    private static readonly (string Code, string Name)[] Subdistricts =
    [
        ("001", "煤山街道"), ("002", "风穴路街道"), ("003", "钟楼街道"), ("004", "洗耳河街道"), ("005", "汝南街道"), ("006", "紫云路街道"),
    ];

    private static int SubdistrictOf(int col, int row) => (col, row) switch
    {
        (<= 1, _) => 5,            // 紫云路 (006): west, all rows
        (8, _) => 3,               // 洗耳河 (004): east, all rows
        (_, 0) => 4,               // 汝南 (005): the south row, cols 2-7
        (<= 3, _) => 0,            // 煤山 (001)
        (<= 5, _) => 1,            // 风穴路 (002)
        _ => 2,                    // 钟楼 (003)
    };

    private static readonly string[][] CommunityNames =
    [
        ["朝阳社区", "望嵩社区", "煤山社区"],
        ["风穴社区", "广场社区", "丹阳社区"],
        ["文庙社区", "钟楼社区", "东关社区"],
        ["洗耳社区", "青年社区", "北环社区"],
        ["汝南社区", "滨河社区", "南关社区"],
        ["紫云社区", "西关社区", "科教社区"],
    ];

    public static IReadOnlyList<SampleGrid> Grids(int seed = 410482)
    {
        var rng = new Random(seed);
        var (e0, n0) = CoordinateConverter.Convert(CrsId.Cgcs2000, CrsId.Cgcs2000GK114, CentreLon, CentreLat);
        var originE = e0 - Cols * CellWidth / 2;
        var originN = n0 - Rows * CellHeight / 2;

        // Lattice nodes, interior ones jittered.
        var nodes = new Coordinate[Cols + 1, Rows + 1];
        for (var i = 0; i <= Cols; i++)
            for (var j = 0; j <= Rows; j++)
            {
                var interiorX = i > 0 && i < Cols;
                var interiorY = j > 0 && j < Rows;
                var dx = interiorX ? (rng.NextDouble() - 0.5) * 240 : 0;
                var dy = interiorY ? (rng.NextDouble() - 0.5) * 400 : 0;
                nodes[i, j] = new Coordinate(originE + i * CellWidth + dx, originN + j * CellHeight + dy);
            }

        // Every edge bent by 3 intermediate points, computed once and shared by both neighbours.
        var edges = new Dictionary<(int, int, int, int), Coordinate[]>();
        Coordinate[] Edge(int i0, int j0, int i1, int j1)
        {
            var reversed = (i1, j1).CompareTo((i0, j0)) < 0;
            var key = reversed ? (i1, j1, i0, j0) : (i0, j0, i1, j1);
            if (!edges.TryGetValue(key, out var pts))
            {
                var a = nodes[key.Item1, key.Item2];
                var b = nodes[key.Item3, key.Item4];
                var len = a.Distance(b);
                var (nx, ny) = ((b.Y - a.Y) / len, -(b.X - a.X) / len);
                var outer = (key.Item1 == key.Item3 && (key.Item1 == 0 || key.Item1 == Cols))
                            || (key.Item2 == key.Item4 && (key.Item2 == 0 || key.Item2 == Rows));
                var amplitude = outer ? 15 : 45;
                pts = new Coordinate[3];
                for (var k = 0; k < 3; k++)
                {
                    var t = (k + 1) / 4.0;
                    var off = (rng.NextDouble() - 0.5) * 2 * amplitude;
                    pts[k] = new Coordinate(a.X + (b.X - a.X) * t + nx * off, a.Y + (b.Y - a.Y) * t + ny * off);
                }
                edges[key] = pts;
            }
            return reversed ? pts.Reverse().ToArray() : pts;
        }

        var factory = new GeometryFactory(new PrecisionModel(), 4490);
        var vertexCache = new Dictionary<(double, double), Coordinate>();
        Coordinate ToGeographic(Coordinate m)
        {
            if (vertexCache.TryGetValue((m.X, m.Y), out var c)) return c;
            var (lon, lat) = CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Cgcs2000, m.X, m.Y);
            c = new Coordinate(Math.Round(lon, 9), Math.Round(lat, 9));
            vertexCache[(m.X, m.Y)] = c;
            return c;
        }

        var counters = new int[Subdistricts.Length];
        var grids = new List<SampleGrid>();
        // Order: south-west to north-east, so sequence numbers read like a map.
        for (var j = 0; j < Rows; j++)
            for (var i = 0; i < Cols; i++)
            {
                var ring = new List<Coordinate>();
                void Side(int i0, int j0, int i1, int j1)
                {
                    ring.Add(nodes[i0, j0]);
                    ring.AddRange(Edge(i0, j0, i1, j1));
                }
                // Counter-clockwise is not required by OGC; GeoJSON (RFC 7946) prefers it: exterior CCW.
                Side(i, j, i + 1, j);
                Side(i + 1, j, i + 1, j + 1);
                Side(i + 1, j + 1, i, j + 1);
                Side(i, j + 1, i, j);
                ring.Add(nodes[i, j]);
                var polygon = factory.CreatePolygon(ring.Select(ToGeographic).ToArray());

                var s = SubdistrictOf(i, j);
                var n = counters[s]++;
                var community = n / 2;           // two grids per community
                var sequence = n % 2 + 1;
                var (sCode, sName) = Subdistricts[s];
                var cName = CommunityNames[s][Math.Min(community, 2)];
                var code = $"410482{sCode}{community + 1:D3}{sequence:D2}";
                var name = $"{sName[..^2]}{cName[..^2]}第{sequence}网格";
                grids.Add(new SampleGrid(code, name, sName, cName, polygon));
            }
        return grids.OrderBy(g => g.Code, StringComparer.Ordinal).ToList();
    }

    public static IReadOnlyList<SampleDepartment> Departments() =>
    [
        new("CGJ", "汝州市城市管理局", "数字城管指挥中心", "0375-6010001"),
        new("CGZF", "汝州市城市管理综合执法大队", "执法值班室", "0375-6010002"),
        new("ZJJ", "汝州市住房和城乡建设局", "建设管理科", "0375-6010003"),
        new("YL", "汝州市园林绿化管理中心", "养护科", "0375-6010004"),
        new("HW", "汝州市环境卫生管理中心", "调度室", "0375-6010005"),
        new("SZ", "汝州市市政工程管理处", "维修队", "0375-6010006"),
        new("LD", "汝州市路灯管理所", "值班室", "0375-6010007"),
        new("PS", "汝州市排水管理处", "调度室", "0375-6010008"),
        new("JJ", "汝州市公安局交通警察大队", "设施科", "0375-6010009"),
        new("GD", "国网汝州市供电公司", "抢修中心", "0375-6010010"),
        new("GS", "汝州市供水有限公司", "客服中心", "0375-6010011"),
        new("RQ", "汝州市天然气有限公司", "抢险中心", "0375-6010012"),
        new("DX", "中国电信汝州分公司", "线路维护中心", "0375-6010013"),
        new("YD", "中国移动汝州分公司", "网络维护中心", "0375-6010014"),
        new("LT", "中国联通汝州分公司", "网络维护中心", "0375-6010015"),
        new("GDWL", "河南有线电视网络汝州分公司", "工程部", "0375-6010016"),
        new("ZRZY", "汝州市自然资源和规划局", "执法监察大队", "0375-6010017"),
        new("STHJ", "平顶山市生态环境局汝州分局", "监察大队", "0375-6010018"),
        new("SCJG", "汝州市市场监督管理局", "综合执法大队", "0375-6010019"),
        new("SL", "汝州市水利局", "河道管理所", "0375-6010020"),
        new("JT", "汝州市交通运输局", "路政大队", "0375-6010021"),
        new("GJ", "汝州市公共交通有限公司", "场站部", "0375-6010022"),
        new("WGLY", "汝州市文化广电和旅游局", "文物科", "0375-6010023"),
        new("YJ", "汝州市应急管理局", "应急指挥中心", "0375-6010024"),
        new("XF", "汝州市消防救援大队", "作战训练科", "0375-6010025"),
        new("MSJD", "煤山街道办事处", "城管办", "0375-6010026"),
        new("FXLJD", "风穴路街道办事处", "城管办", "0375-6010027"),
        new("ZLJD", "钟楼街道办事处", "城管办", "0375-6010028"),
        new("XEHJD", "洗耳河街道办事处", "城管办", "0375-6010029"),
        new("RNJD", "汝南街道办事处", "城管办", "0375-6010030"),
        new("ZYLJD", "紫云路街道办事处", "城管办", "0375-6010031"),
    ];

    private static readonly Dictionary<string, string> OfficeBySubdistrict = new()
    {
        ["001"] = "MSJD", ["002"] = "FXLJD", ["003"] = "ZLJD", ["004"] = "XEHJD", ["005"] = "RNJD", ["006"] = "ZYLJD",
    };

    /// <summary>The matrix: city-wide rules per class, each grid's catch-all default to its subdistrict office, and a
    /// few grid-specific overrides (the old town's ancient trees go to the cultural relics office).</summary>
    public static IReadOnlyList<SampleRule> Rules(IReadOnlyList<SampleGrid> grids)
    {
        var rules = new List<SampleRule>();
        void Add(string grid, string cls, string dept, string note) =>
            rules.Add(new SampleRule($"R{rules.Count + 1:D4}", grid, cls, dept, note));

        Add("*", "*", "CGJ", "全市兜底：城市管理局");
        // Component majors.
        Add("*", "C01", "SZ", "公用设施");
        Add("*", "C02", "JT", "道路交通");
        Add("*", "C03", "HW", "市容环境");
        Add("*", "C04", "YL", "园林绿化");
        Add("*", "C05", "ZJJ", "房屋土地");
        Add("*", "C06", "CGJ", "其他设施");
        // Component minors: the maintainers of the utilities.
        foreach (var (cls, dept, note) in new[]
                 {
                     ("C0101", "GS", "上水井盖"), ("C0102", "PS", "污水井盖"), ("C0103", "PS", "雨水井盖"), ("C0104", "PS", "雨水箅子"),
                     ("C0105", "GD", "电力井盖"), ("C0106", "LD", "路灯井盖"), ("C0107", "DX", "通讯井盖"), ("C0108", "GDWL", "电视井盖"),
                     ("C0109", "LT", "网络井盖"), ("C0111", "RQ", "燃气井盖"), ("C0112", "JJ", "公安井盖"), ("C0113", "XF", "消防设施"),
                     ("C0115", "DX", "通讯交接箱"), ("C0116", "GD", "电力设施"), ("C0118", "LD", "路灯"), ("C0119", "LD", "地灯"),
                     ("C0120", "LD", "景观灯"), ("C0132", "GS", "供水器"), ("C0133", "GD", "高压线铁塔"), ("C0134", "GD", "变压器(箱)"),
                     ("C0135", "RQ", "燃气调压站(箱)"), ("C0136", "JJ", "监控电子眼"), ("C0203", "GJ", "公交站亭"),
                     ("C0209", "JJ", "交通标志牌"), ("C0210", "JJ", "交通信号灯"), ("C0211", "JJ", "交通护栏"), ("C0214", "JJ", "交通信号设施"),
                     ("C0217", "JJ", "交通岗亭"), ("C0308", "STHJ", "环保监测站"), ("C0603", "SL", "水域附属设施"), ("C0604", "SL", "水域护栏"),
                 })
            Add("*", cls, dept, note);
        // Event majors and notable minors.
        Add("*", "E01", "CGZF", "市容环境");
        Add("*", "E02", "CGZF", "宣传广告");
        Add("*", "E03", "ZJJ", "施工管理");
        Add("*", "E04", "YJ", "突发事件");
        Add("*", "E05", "CGZF", "街面秩序");
        Add("*", "E0101", "CGZF", "私搭乱建：城管执法");
        Add("*", "E0102", "HW", "暴露垃圾");
        Add("*", "E0104", "HW", "道路不洁");
        Add("*", "E0110", "SZ", "道路破损");
        Add("*", "E0302", "STHJ", "工地扬尘");
        Add("*", "E0402", "GS", "自来水管破裂");
        Add("*", "E0403", "RQ", "燃气管道破裂");
        Add("*", "E0404", "PS", "下水道堵塞或破损");
        Add("*", "E0408", "GD", "架空线缆损坏");
        Add("*", "E0505", "JJ", "机动车乱停放");
        Add("*", "E0512", "SCJG", "非法出版物销售");
        // Each grid's catch-all: its subdistrict office.
        foreach (var g in grids)
            Add(g.Code, "*", OfficeBySubdistrict[g.Code.Substring(6, 3)], "网格兜底：所属街道办");
        // Grid-specific overrides: in the old town (钟楼), ancient trees are protected relics.
        foreach (var g in grids.Where(g => g.Code.Substring(6, 3) == "003"))
            Add(g.Code, "C0401", "WGLY", "老城区古树名木由文物部门管理");
        // South of the river (汝南), illegal construction goes first to the subdistrict's own team.
        foreach (var g in grids.Where(g => g.Code.Substring(6, 3) == "005"))
            Add(g.Code, "E0101", "RNJD", "汝南街道违建先行处置");
        return rules;
    }

    /// <summary>Writes grids.geojson, departments.csv, responsibility.csv and README.md into <paramref name="dir"/>.</summary>
    public static IReadOnlyList<string> Write(string dir, int seed = 410482)
    {
        Directory.CreateDirectory(dir);
        var grids = Grids(seed);
        var written = new List<string>();

        var gridPath = Path.Combine(dir, "grids.geojson");
        using (var fs = File.Create(gridPath))
        {
            var features = grids.Select((g, i) => new VectorFeature(i, g.Geometry, new Dictionary<string, object?>
            {
                ["code"] = g.Code,
                ["name"] = g.Name,
                ["subdistrict"] = g.SubdistrictName,
                ["community"] = g.CommunityName,
            }));
            VectorWriter.WriteGeoJson(fs, features, "EPSG:4490");
        }
        written.Add(gridPath);

        var deptPath = Path.Combine(dir, "departments.csv");
        var sb = new StringBuilder("code,name,contact,phone\n");
        foreach (var d in Departments()) sb.Append(Csv(d.Code, d.Name, d.Contact, d.Phone));
        File.WriteAllText(deptPath, sb.ToString(), new UTF8Encoding(false));
        written.Add(deptPath);

        var rulePath = Path.Combine(dir, "responsibility.csv");
        sb = new StringBuilder("id,grid,class,department,note\n");
        foreach (var r in Rules(grids)) sb.Append(Csv(r.Id, r.Grid, r.Class, r.Department, r.Note));
        File.WriteAllText(rulePath, sb.ToString(), new UTF8Encoding(false));
        written.Add(rulePath);

        written.Add(RuzhouCensusSamples.Write(dir, grids, seed));

        var readme = Path.Combine(dir, "README.md");
        File.WriteAllText(readme, string.Create(CultureInfo.InvariantCulture, $"""
            # Ruzhou sample data (SYNTHETIC)

            **This is synthetic data for development and demonstration.** Made by `./geo samples generate` (seed {seed});
            running it again gives identical files. Real: the county code 410482, the six subdistricts
            (煤山, 风穴路, 钟楼, 洗耳河, 汝南, 紫云路; codes 410482001-006) and the GB/T 30428 class codes.
            Invented: grid shapes, community names, department phone numbers and the matrix.

            | file | what |
            |---|---|
            | `grids.geojson` | {grids.Count} unit grids, EPSG:4490 (CGCS2000, x = longitude, y = latitude), 14-digit codes (county 6 + subdistrict 3 + community 3 + sequence 2). They tile a 5.85 km x 3.9 km area centred on {CentreLon} E, {CentreLat} N without gaps or overlaps. |
            | `departments.csv` | {Departments().Count} departments (code, name, contact, phone). |
            | `components.csv` | the component census (部件普查): lamps, manhole covers, rain grates, bins, street trees along a synthetic street pattern (points), median fences (lines), green areas (polygons); 16-digit codes (county 6 + class 4 + serial 6); geometry as WKT in EPSG:4490 (x = longitude). Loaded by `./geo samples load` with `./geo components import` semantics. |
            | `responsibility.csv` | the matrix: `grid` and `class` are `*` for "every grid" / "default"; classes are `C` + component code or `E` + event code. The most specific rule wins: minor@grid > minor@all > major@grid > major@all > default@grid > default@all. |
            """), new UTF8Encoding(false));
        written.Add(readme);
        return written;
    }

    private static string Csv(params string[] fields) =>
        string.Join(',', fields.Select(f => f.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{f.Replace("\"", "\"\"")}\"" : f)) + "\n";
}
