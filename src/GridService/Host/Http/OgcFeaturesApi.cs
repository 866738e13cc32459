using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Geo.Formats;
using Geo.Formats.GeoJson;
using Geo.GridService.Host.Application.Features;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Http;

/// <summary>
/// OGC API - Features, Part 1 (Core, GeoJSON) and Part 2 (CRS by reference) at <c>/ogc</c>, so QGIS and GDAL's OAPIF
/// driver read the grids (and, as they arrive, the census and findings) directly.
/// <para>CRSs: CRS84 (default; longitude, latitude), EPSG:4490 (CGCS2000; latitude, longitude, the EPSG axis order) and
/// EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E; northing, easting, the EPSG axis order). <c>crs</c> picks the
/// output CRS and <c>bbox-crs</c> the CRS of <c>bbox</c>; the response names its CRS in the <c>Content-Crs</c> header.</para>
/// </summary>
public static class OgcFeaturesApi
{
    private const string Crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    private const string Epsg4490 = "http://www.opengis.net/def/crs/EPSG/0/4490";
    private const string Epsg4547 = "http://www.opengis.net/def/crs/EPSG/0/4547";
    private static readonly string[] SupportedCrs = [Crs84, Epsg4490, Epsg4547];
    private const int DefaultLimit = 100, MaxLimit = 10_000;

    private static readonly string[] ItemParameters = ["bbox", "bbox-crs", "crs", "limit", "offset", "f"];

    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void MapOgcFeaturesApi(this IEndpointRouteBuilder app)
    {
        var ogc = app.MapGroup("/ogc").WithTags("OGC API Features").RequireAuthorization(Policies.Read);
        ogc.MapGet("", Landing).WithName("OgcLanding").WithSummary("OGC API Features landing page");
        ogc.MapGet("/conformance", Conformance).WithName("OgcConformance");
        ogc.MapGet("/collections", Collections).WithName("OgcCollections");
        ogc.MapGet("/collections/{id}", Collection).WithName("OgcCollection");
        ogc.MapGet("/collections/{id}/items", Items).WithName("OgcItems")
            .WithSummary("Features as GeoJSON; bbox, bbox-crs, crs, limit (≤ 10,000), offset");
        ogc.MapGet("/collections/{id}/items/{featureId}", Item).WithName("OgcItem");
    }

    private static string Base(HttpRequest r) => $"{r.Scheme}://{r.Host}{r.PathBase}/ogc";

    private static Task Landing(HttpContext http) => Json(http, w =>
    {
        var b = Base(http.Request);
        w.WriteString("title", "汝州市数字化城管 要素服务 (Ruzhou urban management features)");
        w.WriteString("description", "Responsibility grids and the city's coded components as OGC API Features.");
        w.WriteStartArray("links");
        Link(w, b, "self", "application/json", "this document");
        Link(w, $"{http.Request.Scheme}://{http.Request.Host}/openapi/v1.json", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "the API definition");
        Link(w, b + "/conformance", "conformance", "application/json", "conformance classes");
        Link(w, b + "/collections", "data", "application/json", "the collections");
        w.WriteEndArray();
    });

    private static Task Conformance(HttpContext http) => Json(http, w =>
    {
        w.WriteStartArray("conformsTo");
        w.WriteStringValue("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core");
        w.WriteStringValue("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson");
        w.WriteStringValue("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30");
        w.WriteStringValue("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs");
        w.WriteEndArray();
    });

    private static async Task Collections(HttpContext http, IEnumerable<IFeatureCollectionSource> sources, CancellationToken ct)
    {
        var described = new List<(IFeatureCollectionSource, LonLatBox?)>();
        foreach (var s in sources) described.Add((s, await s.ExtentAsync(ct)));
        await Json(http, w =>
        {
            var b = Base(http.Request);
            w.WriteStartArray("links");
            Link(w, b + "/collections", "self", "application/json", "the collections");
            w.WriteEndArray();
            w.WriteStartArray("collections");
            foreach (var (s, extent) in described) WriteCollection(w, b, s, extent);
            w.WriteEndArray();
            w.WriteStartArray("crs");
            foreach (var c in SupportedCrs) w.WriteStringValue(c);
            w.WriteEndArray();
        });
    }

    private static async Task<IResult> Collection(string id, HttpContext http, IEnumerable<IFeatureCollectionSource> sources, CancellationToken ct)
    {
        var source = sources.FirstOrDefault(s => s.Id == id);
        if (source is null) return UnknownCollection(id);
        var extent = await source.ExtentAsync(ct);
        await Json(http, w => WriteCollectionBody(w, Base(http.Request), source, extent));
        return Results.Empty;
    }

    private static async Task<IResult> Items(string id, HttpContext http, IEnumerable<IFeatureCollectionSource> sources, CancellationToken ct)
    {
        var source = sources.FirstOrDefault(s => s.Id == id);
        if (source is null) return UnknownCollection(id);
        var query = ParseItemsQuery(http.Request.Query);
        if (!query.IsOk) return Problems.From(query.Failures);
        var (bbox, crs, limit, offset) = query.Value;
        var page = await source.QueryAsync(bbox, offset, limit, ct);
        http.Response.Headers["Content-Crs"] = $"<{crs.Uri}>";
        http.Response.ContentType = "application/geo+json; charset=utf-8";
        await using var w = new Utf8JsonWriter(http.Response.BodyWriter, Writer);
        w.WriteStartObject();
        w.WriteString("type", "FeatureCollection");
        w.WriteNumber("numberMatched", page.NumberMatched);
        w.WriteNumber("numberReturned", page.Features.Count);
        w.WriteString("timeStamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        w.WriteStartArray("links");
        var self = $"{Base(http.Request)}/collections/{id}/items";
        Link(w, self + http.Request.QueryString, "self", "application/geo+json", "this page");
        if (offset + page.Features.Count < page.NumberMatched)
            Link(w, self + WithOffset(http.Request.Query, offset + limit), "next", "application/geo+json", "the next page");
        if (offset > 0)
            Link(w, self + WithOffset(http.Request.Query, Math.Max(0, offset - limit)), "prev", "application/geo+json", "the previous page");
        w.WriteEndArray();
        w.WriteStartArray("features");
        foreach (var f in page.Features) WriteFeature(w, f, crs);
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(ct);
        return Results.Empty;
    }

    private static async Task<IResult> Item(string id, string featureId, HttpContext http, IEnumerable<IFeatureCollectionSource> sources, CancellationToken ct)
    {
        var source = sources.FirstOrDefault(s => s.Id == id);
        if (source is null) return UnknownCollection(id);
        var crs = OutputCrs.Parse(http.Request.Query["crs"].ToString());
        if (!crs.IsOk) return Problems.From(crs.Failures);
        var feature = await source.GetAsync(featureId, ct);
        if (feature is null)
            return Problems.From(Failure.NotFound("feature_not_found", $"No feature '{Clip(featureId)}' in collection '{id}'."));
        http.Response.Headers["Content-Crs"] = $"<{crs.Value.Uri}>";
        http.Response.ContentType = "application/geo+json; charset=utf-8";
        await using var w = new Utf8JsonWriter(http.Response.BodyWriter, Writer);
        WriteFeature(w, feature, crs.Value);
        await w.FlushAsync(ct);
        return Results.Empty;
    }

    internal static Result<(LonLatBox? Bbox, OutputCrs Crs, int Limit, int Offset)> ParseItemsQuery(IQueryCollection q)
    {
        var failures = new List<Failure>();
        foreach (var key in q.Keys)
            if (!ItemParameters.Contains(key, StringComparer.OrdinalIgnoreCase))
                failures.Add(Failure.BadRequest("unknown_parameter", $"'{Clip(key)}' is not a parameter of this endpoint (bbox, bbox-crs, crs, limit, offset)."));
        var crs = OutputCrs.Parse(q["crs"].ToString());
        if (!crs.IsOk) failures.AddRange(crs.Failures);
        var bboxCrs = OutputCrs.Parse(q["bbox-crs"].ToString());
        if (!bboxCrs.IsOk) failures.Add(bboxCrs.Failure with { Code = "bbox_crs_unsupported" });
        var limit = DefaultLimit;
        if (q["limit"].ToString() is { Length: > 0 } ls &&
            (!int.TryParse(ls, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1))
            failures.Add(Failure.BadRequest("limit_invalid", "limit must be a whole number from 1."));
        limit = Math.Min(limit, MaxLimit); // a larger limit is served as the maximum, as the standard allows
        var offset = 0;
        if (q["offset"].ToString() is { Length: > 0 } os &&
            !int.TryParse(os, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            failures.Add(Failure.BadRequest("offset_invalid", "offset must be a whole number from 0."));
        LonLatBox? bbox = null;
        if (q["bbox"].ToString() is { Length: > 0 } bs && bboxCrs.IsOk)
        {
            var b = ParseBbox(bs, bboxCrs.Value);
            if (b.IsOk) bbox = b.Value; else failures.AddRange(b.Failures);
        }
        if (failures.Count > 0) return Result<(LonLatBox?, OutputCrs, int, int)>.Fail(failures);
        return (bbox, crs.Value, limit, offset);
    }

    private static Result<LonLatBox> ParseBbox(string text, OutputCrs crs)
    {
        var parts = text.Split(',');
        var v = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
                return Failure.BadRequest("bbox_invalid", "bbox must be four finite numbers: minx,miny,maxx,maxy in the bbox-crs axis order.");
        if (v.Length != 4)
            return Failure.BadRequest("bbox_invalid", "bbox must be four numbers (2D): minx,miny,maxx,maxy in the bbox-crs axis order.");
        // In the CRS's own axis order: CRS84 lon,lat; EPSG:4490 lat,lon; EPSG:4547 northing,easting.
        var (x0, y0, x1, y1) = crs.AuthorityOrderSwapped ? (v[1], v[0], v[3], v[2]) : (v[0], v[1], v[2], v[3]);
        if (x0 > x1 || y0 > y1)
            return Failure.BadRequest("bbox_invalid", "bbox minimum must not exceed its maximum on either axis.");
        if (!CoordinateConverter.IsInRange(crs.Id, x0, y0) || !CoordinateConverter.IsInRange(crs.Id, x1, y1))
            return Failure.BadRequest("bbox_invalid", $"bbox is not a valid extent in {crs.Id.Name}.");
        var (w, s) = CoordinateConverter.ToCgcs2000(crs.Id, x0, y0);
        var (e, n) = CoordinateConverter.ToCgcs2000(crs.Id, x1, y1);
        if (crs.Id.Kind == CrsKind.Cgcs2000GaussKruger114)
        {
            // A projected box is not a box in degrees: take the degree box that holds all four corners.
            var (w2, n2) = CoordinateConverter.ToCgcs2000(crs.Id, x0, y1);
            var (e2, s2) = CoordinateConverter.ToCgcs2000(crs.Id, x1, y0);
            (w, e, s, n) = (Math.Min(w, w2), Math.Max(e, e2), Math.Min(s, s2), Math.Max(n, n2));
        }
        return new LonLatBox(w, s, e, n);
    }

    private static void WriteFeature(Utf8JsonWriter w, VectorFeature f, OutputCrs crs)
    {
        w.WriteStartObject();
        w.WriteString("type", "Feature");
        w.WriteString("id", f.Attributes.TryGetValue("id", out var id) ? Convert.ToString(id, CultureInfo.InvariantCulture) : f.Index.ToString(CultureInfo.InvariantCulture));
        w.WritePropertyName("geometry");
        if (f.Geometry is null) w.WriteNullValue();
        else GeoJsonGeometryWriter.Write(w, crs.FromStore(f.Geometry));
        w.WriteStartObject("properties");
        foreach (var (k, v) in f.Attributes)
        {
            if (k == "id") continue;
            w.WritePropertyName(k);
            GeoJsonValueWriter.Write(w, v);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteCollection(Utf8JsonWriter w, string b, IFeatureCollectionSource s, LonLatBox? extent)
    {
        w.WriteStartObject();
        WriteCollectionBody(w, b, s, extent);
        w.WriteEndObject();
    }

    private static void WriteCollectionBody(Utf8JsonWriter w, string b, IFeatureCollectionSource s, LonLatBox? extent)
    {
        w.WriteString("id", s.Id);
        w.WriteString("title", s.Title);
        w.WriteString("description", s.Description);
        w.WriteString("itemType", "feature");
        if (extent is { } e)
        {
            w.WriteStartObject("extent");
            w.WriteStartObject("spatial");
            w.WriteStartArray("bbox");
            w.WriteStartArray();
            w.WriteNumberValue(e.West); w.WriteNumberValue(e.South); w.WriteNumberValue(e.East); w.WriteNumberValue(e.North);
            w.WriteEndArray();
            w.WriteEndArray();
            w.WriteString("crs", Crs84);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteStartArray("crs");
        foreach (var c in SupportedCrs) w.WriteStringValue(c);
        w.WriteEndArray();
        w.WriteString("storageCrs", Epsg4490);
        w.WriteStartArray("links");
        Link(w, $"{b}/collections/{s.Id}", "self", "application/json", s.Title);
        Link(w, $"{b}/collections/{s.Id}/items", "items", "application/geo+json", s.Title);
        w.WriteEndArray();
    }

    private static void Link(Utf8JsonWriter w, string href, string rel, string type, string title)
    {
        w.WriteStartObject();
        w.WriteString("href", href);
        w.WriteString("rel", rel);
        w.WriteString("type", type);
        w.WriteString("title", title);
        w.WriteEndObject();
    }

    private static string WithOffset(IQueryCollection q, int offset)
    {
        var pairs = q.Where(kv => !kv.Key.Equals("offset", StringComparison.OrdinalIgnoreCase))
            .Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value.ToString())}")
            .Append($"offset={offset.ToString(CultureInfo.InvariantCulture)}");
        return "?" + string.Join('&', pairs);
    }

    private static async Task Json(HttpContext http, Action<Utf8JsonWriter> body)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        await using var w = new Utf8JsonWriter(http.Response.BodyWriter, Writer);
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted);
    }

    private static IResult UnknownCollection(string id) =>
        Problems.From(Failure.NotFound("collection_not_found", $"No collection '{Clip(id)}'; see /ogc/collections."));

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

/// <summary>An output CRS of the features API with its EPSG axis order.</summary>
public sealed record OutputCrs(string Uri, CrsId Id, bool AuthorityOrderSwapped)
{
    public static Result<OutputCrs> Parse(string? text) => (text ?? "").Trim() switch
    {
        "" or "http://www.opengis.net/def/crs/OGC/1.3/CRS84" or "[OGC:CRS84]" => new OutputCrs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", CrsId.Wgs84, false),
        "http://www.opengis.net/def/crs/EPSG/0/4490" or "[EPSG:4490]" => new OutputCrs("http://www.opengis.net/def/crs/EPSG/0/4490", CrsId.Cgcs2000, true),
        "http://www.opengis.net/def/crs/EPSG/0/4547" or "[EPSG:4547]" => new OutputCrs("http://www.opengis.net/def/crs/EPSG/0/4547", CrsId.Cgcs2000GK114, true),
        var other => Failure.BadRequest("crs_unsupported",
            $"CRS '{(other.Length > 60 ? other[..60] : other)}' is not offered; use CRS84, http://www.opengis.net/def/crs/EPSG/0/4490 or http://www.opengis.net/def/crs/EPSG/0/4547."),
    };

    /// <summary>A stored geometry (EPSG:4490, x = longitude) in this CRS and its axis order.</summary>
    public Geometry FromStore(Geometry g)
    {
        // CRS84 and CGCS2000 coincide at this precision (the service treats WGS 84 and CGCS2000 as one datum).
        var projected = Id.Kind is CrsKind.Cgcs2000GaussKruger114 ? CoordinateConverter.Transform(g, CrsId.Cgcs2000, Id) : g;
        if (!AuthorityOrderSwapped) return projected;
        var swapped = projected.Copy();
        swapped.Apply(new SwapAxes());
        return swapped;
    }

    private sealed class SwapAxes : NetTopologySuite.Geometries.ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var x = seq.GetX(i);
            seq.SetX(i, seq.GetY(i));
            seq.SetY(i, x);
        }
    }
}
