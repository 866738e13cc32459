using System.Globalization;
using Geo.GridService.Host.Application;
using Geo.Spatial.Failures;
using Geo.Spatial.Tiles;
using Geo.Surveys;
using Geo.Tiles;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Http;

/// <summary>
/// Drone surveys (航测影像), their ingest jobs and their raster XYZ tiles. Bounds are EPSG:4326 degrees
/// [west, south, east, north] (x = longitude); tiles are Web Mercator XYZ (EPSG:3857), 256 px or 512 px (@2x).
/// Reads are anonymous like the rest of the API (unless Geo:AnonymousRead=false); uploads need the gis or admin role.
/// </summary>
public static class SurveysApi
{
    /// <summary>A survey as the API shows it.</summary>
    public sealed record SurveyDto(
        string Id, string Name, string FlightDate, string Kind, string? PairedDsmId, double[] BoundsLonLat, double GsdMetres,
        int Width, int Height, string Crs, string Sha256, DateTimeOffset CreatedAt, double? ValueMin, double? ValueMax,
        object? Footprint);

    /// <summary>An ingest job.</summary>
    public sealed record JobDto(string Id, string State, int Percent, string? SurveyId, object? Problem);

    public static void MapSurveysApi(this IEndpointRouteBuilder app)
    {
        var opts = app.ServiceProvider.GetRequiredService<IOptions<GeoOptions>>().Value;
        var surveys = app.MapGroup("/api/v1/surveys").WithTags("Surveys 航测影像");
        surveys.MapGet("", List).RequireAuthorization(Policies.Read).WithName("ListSurveys")
            .WithSummary("Every survey, newest flight first; boundsLonLat is EPSG:4326 [west, south, east, north]");
        surveys.MapGet("/{id}", GetOne).RequireAuthorization(Policies.Read).WithName("GetSurvey")
            .WithSummary("One survey with its valid-data footprint (GeoJSON geometry, lon/lat)");
        surveys.MapPost("", Upload).RequireAuthorization(Policies.Gis).WithName("UploadSurvey")
            .WithMetadata(new RequestSizeLimitMetadata(opts.MaxSurveyUploadBytes))
            .WithSummary("Upload a GeoTIFF (body: the file, Content-Type image/tiff; query: name, date=yyyy-MM-dd, optional pairedDsmId). 202 with a job to poll.");
        surveys.MapDelete("/{id}", Delete).RequireAuthorization(Policies.Gis).WithName("DeleteSurvey");
        surveys.MapGet("/{id}/tiles.json", TileJson).RequireAuthorization(Policies.Read).WithName("SurveyTileJson")
            .WithSummary("TileJSON 3.0 of the survey's raster tiles");
        surveys.MapGet("/{id}/tiles/{z}/{x}/{tile}", Tile).RequireAuthorization(Policies.Read).WithName("SurveyTile")
            .WithSummary("A raster tile: {y}.png|jpg|webp (256 px) or {y}@2x.png|jpg|webp (512 px); 204 where the survey has no data");

        app.MapGet("/api/v1/jobs/{id}", Job).RequireAuthorization(Policies.Read).WithTags("Surveys 航测影像").WithName("GetJob")
            .WithSummary("State of an ingest job: queued, running, succeeded (surveyId) or failed (problem)");
    }

    private static async Task<IResult> List(SurveyCatalog catalog, CancellationToken ct) =>
        Results.Ok((await catalog.Store.ListAsync(ct)).Select(s => Dto(s, false)));

    private static async Task<IResult> GetOne(string id, SurveyCatalog catalog, CancellationToken ct)
    {
        var found = await Find(id, catalog, ct);
        return found.IsOk ? Results.Ok(Dto(found.Value, true)) : Problems.From(found.Failures);
    }

    private static async Task<IResult> Delete(string id, SurveyCatalog catalog, CancellationToken ct)
    {
        var found = await Find(id, catalog, ct);
        if (!found.IsOk) return Problems.From(found.Failures);
        var deleted = await catalog.Ingest.RemoveAsync(found.Value.Id, ct);
        if (!deleted.IsOk) return Problems.From(deleted.Failures);
        catalog.Tiles.RemoveWhere(found.Value.Id.Value + "/");
        return Results.NoContent();
    }

    private static async Task<IResult> Upload(HttpRequest request, SurveyCatalog catalog, IOptions<GeoOptions> options, CancellationToken ct)
    {
        var q = request.Query;
        var name = q["name"].ToString();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Any(char.IsControl))
            return Problems.From(Failure.BadRequest(SurveyFailureCodes.NameInvalid, "Query parameter name is required: 1-200 characters without control characters."));
        if (!DateOnly.TryParseExact(q["date"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return Problems.From(Failure.BadRequest(SurveyFailureCodes.DateInvalid, "Query parameter date is required as yyyy-MM-dd (the flight day)."));
        SurveyId? paired = null;
        if (q["pairedDsmId"].ToString() is { Length: > 0 } p)
        {
            var parsed = SurveyId.Parse(p);
            if (!parsed.IsOk) return Problems.From(parsed.Failures);
            paired = parsed.Value;
        }

        var received = await SurveyUpload.ReceiveAsync(request, catalog.Ingest.DataDirectory, options.Value.MaxSurveyUploadBytes, ct);
        if (!received.IsOk) return Problems.From(received.Failures);
        var path = received.Value;
        var sourceName = request.Headers["X-File-Name"].ToString();
        var job = catalog.Jobs.Enqueue(async (progress, token) =>
        {
            try
            {
                return await catalog.Ingest.IngestAsync(new SurveySubmission(path, name, date, null, paired, sourceName), progress, token);
            }
            finally
            {
                SurveyFiles.DeleteUpload(path);
            }
        });
        return Results.Accepted($"/api/v1/jobs/{job.Id}", JobDtoOf(job));
    }

    private static IResult Job(string id, SurveyCatalog catalog) =>
        catalog.Jobs.Get(id) is { } job
            ? Results.Ok(JobDtoOf(job))
            : Problems.From(Failure.NotFound(SurveyFailureCodes.JobNotFound, "No such ingest job (job states are kept in memory, the newest 1,000)."));

    private static async Task<IResult> TileJson(string id, HttpRequest request, SurveyCatalog catalog, CancellationToken ct)
    {
        var found = await Find(id, catalog, ct);
        if (!found.IsOk) return Problems.From(found.Failures);
        var s = found.Value;
        var b = s.BoundsLonLat;
        var maxZoom = MaxZoomOf(s);
        var minZoom = Math.Max(0, maxZoom - 8);
        var ext = s.Kind == SurveyKind.Dsm ? "png" : "jpg";
        var baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}/api/v1/surveys/{s.Id}/tiles";
        return Results.Json(new Dictionary<string, object?>
        {
            ["tilejson"] = "3.0.0",
            ["name"] = s.Name,
            ["description"] = $"{(s.Kind == SurveyKind.Dsm ? "DSM" : "Orthophoto")} flown {s.FlightDate:yyyy-MM-dd}, {s.GsdMetres:0.###} m/px",
            ["scheme"] = "xyz",
            ["tiles"] = new[] { baseUrl + "/{z}/{x}/{y}." + ext },
            ["tileSize"] = 256,
            ["minzoom"] = minZoom,
            ["maxzoom"] = maxZoom,
            ["bounds"] = new[] { b.West, b.South, b.East, b.North },
            ["center"] = new[] { (b.West + b.East) / 2, (b.South + b.North) / 2, Math.Max(minZoom, maxZoom - 3) },
            ["formats"] = new[] { "png", "jpg", "webp" },
        }, contentType: "application/json");
    }

    private static async Task<IResult> Tile(string id, string z, string x, string tile, HttpContext http, SurveyCatalog catalog, CancellationToken ct)
    {
        var address = ParseTile(z, x, tile);
        if (!address.IsOk) return Problems.From(address.Failures);
        var (tileId, scale, format) = address.Value;
        var found = await Find(id, catalog, ct);
        if (!found.IsOk) return Problems.From(found.Failures);
        var survey = found.Value;
        var etag = SurveyCatalog.ETagOf(survey, tileId, scale, format);
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "public, max-age=86400";
        if (http.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm && inm.Split(',').Any(v => v.Trim() == etag || v.Trim() == "*"))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        var rendered = await catalog.TileAsync(survey, tileId, scale, format, ct);
        if (!rendered.IsOk)
        {
            http.Response.Headers.Remove("ETag");
            http.Response.Headers.Remove("Cache-Control");
            if (rendered.Failure.Code == SurveyCatalog.TileRenderBusy) http.Response.Headers.RetryAfter = "1";
            return Problems.From(rendered.Failures);
        }
        return rendered.Value is { } bytes ? Results.Bytes(bytes, format.MediaType()) : Results.NoContent();
    }

    /// <summary>Parses z, x and "{y}[@2x].{ext}"; BadRequest for anything else (never a 500).</summary>
    internal static Result<(TileId Tile, int Scale, TileFormat Format)> ParseTile(string z, string x, string tile)
    {
        var dot = tile.LastIndexOf('.');
        if (dot <= 0) return Failure.BadRequest("tile_format_invalid", "A tile is {y}.png, {y}.jpg or {y}.webp (or {y}@2x.ext).");
        var format = TileFormats.FromExtension(tile[(dot + 1)..]);
        if (format is null or TileFormat.Mvt) return Failure.BadRequest("tile_format_invalid", "Raster tiles are png, jpg or webp.");
        var yText = tile[..dot];
        var scale = 1;
        if (yText.EndsWith("@2x", StringComparison.Ordinal))
        {
            scale = 2;
            yText = yText[..^3];
        }

        if (!int.TryParse(z, NumberStyles.None, CultureInfo.InvariantCulture, out var zi) ||
            !int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var xi) ||
            !int.TryParse(yText, NumberStyles.None, CultureInfo.InvariantCulture, out var yi))
            return Failure.BadRequest("tile_address_invalid", "z, x and y are non-negative integers.");
        var id = TileId.Create(zi, xi, yi);
        if (!id.IsOk) return Result<(TileId, int, TileFormat)>.Fail(id.Failures);
        return (id.Value, scale, format.Value);
    }

    private static async Task<Result<Survey>> Find(string id, SurveyCatalog catalog, CancellationToken ct)
    {
        var parsed = SurveyId.Parse(id);
        if (!parsed.IsOk) return Result<Survey>.Fail(parsed.Failures);
        return await catalog.Store.GetAsync(parsed.Value, ct) is { } s
            ? s
            : Failure.NotFound(SurveyFailureCodes.SurveyNotFound, $"No survey {id}.");
    }

    /// <summary>The zoom whose tile pixels are about the survey's ground sample distance.</summary>
    internal static int MaxZoomOf(Survey s)
    {
        var lat = (s.BoundsLonLat.South + s.BoundsLonLat.North) / 2 * Math.PI / 180;
        var z = Math.Log2(TileMath.Resolution(0) * Math.Cos(lat) / Math.Max(s.GsdMetres, 0.005));
        return Math.Clamp((int)Math.Ceiling(z), 0, TileId.MaxZoom);
    }

    private static SurveyDto Dto(Survey s, bool withFootprint) => new(
        s.Id.Value, s.Name, s.FlightDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), s.Kind == SurveyKind.Dsm ? "dsm" : "ortho",
        s.PairedDsmId?.Value, [s.BoundsLonLat.West, s.BoundsLonLat.South, s.BoundsLonLat.East, s.BoundsLonLat.North], s.GsdMetres,
        s.Width, s.Height, s.Crs, s.Sha256, s.CreatedAt, s.ValueMin, s.ValueMax, withFootprint ? GeoJsonGeometry(s.Footprint) : null);

    private static JobDto JobDtoOf(JobStatus j) => new(j.Id, j.State.ToString().ToLowerInvariant(), j.Percent, j.SurveyId?.Value,
        j.Problem is { } p ? new { code = p.Code, detail = p.Message, status = Problems.StatusOf(p.Kind) } : null);

    private static object GeoJsonGeometry(Geometry g)
    {
        static double[][] Ring(LineString r) => r.Coordinates.Select(c => new[] { Math.Round(c.X, 8), Math.Round(c.Y, 8) }).ToArray();
        static double[][][] Poly(Polygon p) => [Ring(p.ExteriorRing), .. p.InteriorRings.Select(Ring)];
        return g switch
        {
            Polygon p => new { type = "Polygon", coordinates = Poly(p) },
            MultiPolygon m => new { type = "MultiPolygon", coordinates = m.Geometries.Cast<Polygon>().Select(Poly).ToArray() },
            _ => new { type = "GeometryCollection", geometries = Array.Empty<object>() },
        };
    }
}
