using System.Globalization;
using System.Text;
using System.Text.Json;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Census;

/// <summary>A component as the API and CLI show it. <c>geometry</c> is GeoJSON in EPSG:4490 (x = lon, y = lat).</summary>
public sealed record ComponentView(
    string Code, string Class, string? ClassName, string Name, JsonElement Geometry, IReadOnlyList<string> Grids,
    string? CompetentDepartment, string? Owner, string? Maintainer, string Status, string FirstRecorded, string LastChanged,
    string DataSource, IReadOnlyList<string> Photos, string? Remarks, JsonElement? Attributes, long Version)
{
    public static ComponentView From(Component c, Taxonomy? taxonomy = null) => new(
        c.Code.Value, c.Code.ClassDigits, taxonomy?.Find(c.Class)?.Name, c.Name, GeoJsonGeometry.ToElement(c.Geometry),
        c.GridCodes.Select(g => g.Value).ToArray(), c.CompetentDepartment?.Value, c.Owner, c.Maintainer?.Value,
        CensusText.Label(c.Status), c.FirstRecorded.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        c.LastChanged.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), CensusText.Label(c.Source), c.Photos, c.Remarks,
        c.AttributesJson is { } a ? JsonDocument.Parse(a).RootElement.Clone() : null, c.Version);
}

/// <summary>A page of components with the cursor of the next page.</summary>
public sealed record ComponentPageView(IReadOnlyList<ComponentView> Items, string? Next, int Count);

/// <summary>One nearest-N answer item.</summary>
public sealed record NearbyView(double DistanceMetres, ComponentView Component);

/// <summary>Minimal GeoJSON geometry output (EPSG:4490 lon/lat; 7 decimals ≈ 1 cm).</summary>
public static class GeoJsonGeometry
{
    public static JsonElement ToElement(Geometry g)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) Write(w, g);
        return JsonDocument.Parse(ms.ToArray()).RootElement.Clone();
    }

    public static void Write(Utf8JsonWriter w, Geometry g)
    {
        w.WriteStartObject();
        w.WriteString("type", g.GeometryType);
        if (g is GeometryCollection and not (MultiPoint or MultiLineString or MultiPolygon))
        {
            w.WriteStartArray("geometries");
            for (var i = 0; i < g.NumGeometries; i++) Write(w, g.GetGeometryN(i));
            w.WriteEndArray();
        }
        else
        {
            w.WritePropertyName("coordinates");
            Coordinates(w, g);
        }
        w.WriteEndObject();
    }

    private static void Coordinates(Utf8JsonWriter w, Geometry g)
    {
        switch (g)
        {
            case Point p: Position(w, p.Coordinate); break;
            case LineString l: Sequence(w, l.Coordinates); break;
            case Polygon poly:
                w.WriteStartArray();
                Sequence(w, poly.ExteriorRing.Coordinates);
                foreach (var h in poly.InteriorRings) Sequence(w, h.Coordinates);
                w.WriteEndArray();
                break;
            default:
                w.WriteStartArray();
                for (var i = 0; i < g.NumGeometries; i++) Coordinates(w, g.GetGeometryN(i));
                w.WriteEndArray();
                break;
        }
    }

    private static void Sequence(Utf8JsonWriter w, Coordinate[] cs)
    {
        w.WriteStartArray();
        foreach (var c in cs) Position(w, c);
        w.WriteEndArray();
    }

    private static void Position(Utf8JsonWriter w, Coordinate c)
    {
        w.WriteStartArray();
        w.WriteNumberValue(Math.Round(c.X, 7));
        w.WriteNumberValue(Math.Round(c.Y, 7));
        w.WriteEndArray();
    }
}

/// <summary>Parsing of census query parameters, shared by the CLI and HTTP edges (typed values at the boundary).</summary>
public static class CensusQueries
{
    /// <param name="bbox">minX,minY,maxX,maxY in <paramref name="crs"/> (x = easting/longitude).</param>
    public static Result<ComponentQuery> Parse(string? bbox, string? crs, string? grid, string? cls, string? status, string? text, string? after,
        int? limit, CountyCode county)
    {
        var failures = new List<Failure>();
        Envelope? box = null;
        if (!string.IsNullOrWhiteSpace(bbox))
        {
            var b = ParseBbox(bbox, crs);
            if (b.IsOk) box = b.Value;
            else failures.AddRange(b.Failures);
        }
        GridCode? gridCode = null;
        if (!string.IsNullOrWhiteSpace(grid))
        {
            var g = GridCode.Parse(grid, county);
            if (g.IsOk) gridCode = g.Value;
            else failures.Add(Failure.BadRequest(g.Failure.Code, g.Failure.Message));
        }
        ClassCode? classCode = null;
        if (!string.IsNullOrWhiteSpace(cls))
        {
            var c = ParseClass(cls);
            if (c.IsOk) classCode = c.Value;
            else failures.AddRange(c.Failures);
        }
        ComponentStatus? st = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (CensusText.TryParseStatus(status, out var s)) st = s;
            else failures.Add(Failure.BadRequest("status_invalid", "status is one of 完好, 破损, 丢失, 占用 (or intact, damaged, missing, occupied)."));
        }
        if (text is { Length: > 100 }) failures.Add(Failure.BadRequest("text_too_long", "text is at most 100 characters."));
        ComponentCode? cursor = null;
        if (!string.IsNullOrWhiteSpace(after))
        {
            var a = ComponentCode.Parse(after);
            if (a.IsOk) cursor = a.Value;
            else failures.Add(Failure.BadRequest("after_invalid", "after is the 16-digit code of the last item of the previous page."));
        }
        if (limit is < 1 or > ComponentQuery.MaxLimit) failures.Add(Failure.BadRequest("limit_invalid", $"limit is 1..{ComponentQuery.MaxLimit}."));
        if (failures.Count > 0) return Result<ComponentQuery>.Fail(failures);
        return new ComponentQuery(box, gridCode, classCode, st, string.IsNullOrWhiteSpace(text) ? null : text.Trim(), cursor, limit ?? 100);
    }

    /// <summary>0101, C0101, 01 or C01: a component minor or major class.</summary>
    public static Result<ClassCode> ParseClass(string text)
    {
        var t = text.Trim();
        if (t.Length is 2 or 4 && t.All(char.IsAsciiDigit)) t = "C" + t;
        var c = ClassCode.Parse(t);
        if (!c.IsOk || c.Value.Tree != ClassTree.Component)
            return Failure.BadRequest("class_invalid", "class is a component class: 0101 or C0101 (minor), 01 or C01 (major).");
        return c.Value;
    }

    public static Result<Envelope> ParseBbox(string bbox, string? crsText)
    {
        var parts = bbox.Split(',');
        var v = new double[4];
        if (parts.Length != 4 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) && double.IsFinite(v[i])).All(ok => ok))
            return Failure.BadRequest("bbox_invalid", "bbox is minX,minY,maxX,maxY (x = easting/longitude).");
        if (v[0] > v[2] || v[1] > v[3]) return Failure.BadRequest("bbox_invalid", "bbox has min > max.");
        var crs = CrsId.Cgcs2000;
        if (!string.IsNullOrWhiteSpace(crsText))
        {
            var c = CrsId.Parse(crsText);
            if (!c.IsOk) return Result<Envelope>.Fail(c.Failures);
            crs = c.Value;
        }
        if (!CoordinateConverter.IsInRange(crs, v[0], v[1]) || !CoordinateConverter.IsInRange(crs, v[2], v[3]))
            return Failure.BadRequest("bbox_invalid", $"bbox is outside the valid range of {crs.Name}.");
        if (crs.Kind is CrsKind.Cgcs2000 or CrsKind.Wgs84) return new Envelope(v[0], v[2], v[1], v[3]);
        var (x0, y0) = CoordinateConverter.ToCgcs2000(crs, v[0], v[1]);
        var (x1, y1) = CoordinateConverter.ToCgcs2000(crs, v[2], v[3]);
        var (x2, y2) = CoordinateConverter.ToCgcs2000(crs, v[0], v[3]);
        var (x3, y3) = CoordinateConverter.ToCgcs2000(crs, v[2], v[1]);
        return new Envelope(Math.Min(Math.Min(x0, x1), Math.Min(x2, x3)), Math.Max(Math.Max(x0, x1), Math.Max(x2, x3)),
            Math.Min(Math.Min(y0, y1), Math.Min(y2, y3)), Math.Max(Math.Max(y0, y1), Math.Max(y2, y3)));
    }

    /// <summary>Statistics as CSV: grid_code, class_code, class_name, status, count (cells defused against formula injection).</summary>
    public static string StatisticsCsv(IReadOnlyList<CensusStatisticsRow> rows, Taxonomy taxonomy)
    {
        var sb = new StringBuilder("grid_code,class_code,class_name,status,count\n");
        foreach (var r in rows)
        {
            var name = taxonomy.Find(ClassCode.Create(ClassTree.Component, r.ClassDigits))?.Name;
            sb.Append(CsvCell.Safe(r.GridCode)).Append(',').Append(CsvCell.Safe(r.ClassDigits)).Append(',').Append(CsvCell.Safe(name)).Append(',')
              .Append(CensusText.Label(r.Status)).Append(',').Append(r.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Statistics as JSON-ready rows.</summary>
    public static IEnumerable<object> StatisticsRows(IReadOnlyList<CensusStatisticsRow> rows, Taxonomy taxonomy) =>
        rows.Select(r => new
        {
            grid = r.GridCode,
            major = r.ClassDigits[..2],
            @class = r.ClassDigits,
            className = taxonomy.Find(ClassCode.Create(ClassTree.Component, r.ClassDigits))?.Name,
            status = CensusText.Label(r.Status),
            count = r.Count,
        });
}
