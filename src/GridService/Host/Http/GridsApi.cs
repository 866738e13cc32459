using System.Globalization;
using Geo.Formats;
using Geo.GridService.Grids;
using Geo.GridService.Host.Application;
using Geo.GridService.Storage;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Microsoft.Extensions.Options;

namespace Geo.GridService.Host.Http;

/// <summary>Grids and their versions: list, one grid, import (new version), export. Geometries in EPSG:4490 (lon, lat).</summary>
public static class GridsApi
{
    public static void MapGridsApi(this IEndpointRouteBuilder app)
    {
        var opts = app.ServiceProvider.GetRequiredService<IOptions<GeoOptions>>().Value;
        var read = app.MapGroup("/api/v1/grids").WithTags("Grids 网格").RequireAuthorization(Policies.Read);
        read.MapGet("", List).WithName("ListGrids")
            .WithSummary("The grids of a version as GeoJSON (EPSG:4490, x = lon, y = lat)")
            .WithDescription("version=N picks a version; at=yyyy-MM-dd the version valid that day; neither = the current version.");
        read.MapGet("/versions", Versions).WithName("ListGridVersions").WithSummary("All grid versions with their validity");
        read.MapGet("/export", Export).WithName("ExportGrids").WithSummary("Export a version as GeoJSON or GeoPackage (format=geojson|gpkg)");
        read.MapGet("/{code}", GetOne).WithName("GetGrid").WithSummary("One grid as a GeoJSON feature");

        app.MapPost("/api/v1/grids/import", Import).WithTags("Grids 网格").WithName("ImportGrids")
            .RequireAuthorization(Policies.Gis)
            .WithMetadata(new RequestSizeLimitMetadata(opts.MaxImportBytes))
            .WithSummary("Import a grid file as a new version (GeoJSON, GeoPackage or zipped Shapefile as the raw body)")
            .WithDescription("Query: crs (the file's CRS when it declares none; GeoJSON without one is EPSG:4326), validFrom (yyyy-MM-dd, default today), " +
                             "dryRun=true to only validate, note. Every problem is reported at once (422); nothing is stored unless all is valid.");
    }

    private static async Task<IResult> List(int? version, string? at, OwnershipService ownership, IGridStore store, HttpContext http, CancellationToken ct)
    {
        var v = PickVersion(version, at, ownership);
        if (!v.IsOk) return Problems.From(v.Failures);
        var grids = await store.GetGridsAsync(v.Value.Number, ct);
        http.Response.ContentType = "application/geo+json; charset=utf-8";
        http.Response.Headers["X-Grid-Version"] = v.Value.Number.ToString(CultureInfo.InvariantCulture);
        using var buffer = new MemoryStream();
        VectorWriter.WriteGeoJson(buffer, GridFiles.ToFeatures(grids, v.Value), "EPSG:4490");
        buffer.Position = 0;
        await buffer.CopyToAsync(http.Response.Body, ct);
        return Results.Empty;
    }

    private static async Task<IResult> GetOne(string code, int? version, string? at, OwnershipService ownership, IGridStore store, HttpContext http, CancellationToken ct)
    {
        var v = PickVersion(version, at, ownership);
        if (!v.IsOk) return Problems.From(v.Failures);
        var grids = await store.GetGridsAsync(v.Value.Number, ct);
        var grid = grids.FirstOrDefault(g => g.Code.Value == code);
        if (grid is null)
            return Problems.From(Failure.NotFound("grid_not_found", $"Grid '{(code.Length > 20 ? code[..20] : code)}' is not in version {v.Value.Number}."));
        http.Response.ContentType = "application/geo+json; charset=utf-8";
        using var buffer = new MemoryStream();
        VectorWriter.WriteGeoJson(buffer, GridFiles.ToFeatures([grid], v.Value), "EPSG:4490");
        buffer.Position = 0;
        await buffer.CopyToAsync(http.Response.Body, ct);
        return Results.Empty;
    }

    private static async Task<IResult> Versions(IGridStore store, CancellationToken ct) =>
        Results.Ok(await store.ListGridVersionsAsync(ct));

    private static async Task<IResult> Export(string? format, int? version, string? at, OwnershipService ownership, IGridStore store, CancellationToken ct)
    {
        var v = PickVersion(version, at, ownership);
        if (!v.IsOk) return Problems.From(v.Failures);
        var grids = await store.GetGridsAsync(v.Value.Number, ct);
        var fmt = (format ?? "geojson").ToLowerInvariant();
        var stamp = $"grids-v{v.Value.Number}";
        switch (fmt)
        {
            case "geojson":
            {
                var ms = new MemoryStream();
                VectorWriter.WriteGeoJson(ms, GridFiles.ToFeatures(grids, v.Value), "EPSG:4490");
                ms.Position = 0;
                return Results.File(ms, "application/geo+json", stamp + ".geojson");
            }
            case "gpkg" or "geopackage":
            {
                var path = Path.Combine(Path.GetTempPath(), $"geo-export-{Guid.NewGuid():N}.gpkg");
                try
                {
                    GridFiles.WriteGeoPackage(path, grids, v.Value);
                    var bytes = await File.ReadAllBytesAsync(path, ct);
                    return Results.File(bytes, "application/geopackage+sqlite3", stamp + ".gpkg");
                }
                finally
                {
                    GridFiles.DeleteQuietly(path);
                }
            }
            default:
                return Problems.From(Failure.BadRequest("format_unsupported", "format must be geojson or gpkg."));
        }
    }

    private static async Task<IResult> Import(HttpRequest request, string? crs, string? validFrom, bool? dryRun, string? note,
        GridImport import, OwnershipService ownership, IOptions<GeoOptions> options, ILoggerFactory logs, CancellationToken ct)
    {
        CrsId? crsId = null;
        if (!string.IsNullOrWhiteSpace(crs))
        {
            var c = CrsId.Parse(crs);
            if (!c.IsOk) return Problems.From(c.Failure);
            crsId = c.Value;
        }
        var from = DayInput.Parse(validFrom, "validFrom", "valid_from_invalid");
        if (!from.IsOk) return Problems.From(from.Failure);
        if (note is { Length: > 500 } || (note?.Any(char.IsControl) ?? false))
            return Problems.From(Failure.BadRequest("note_invalid", "note is at most 500 characters without control characters."));

        // Stream the body to a server-named temp file (never a client-supplied name), bounded by the endpoint limit.
        var path = Path.Combine(Path.GetTempPath(), $"geo-import-{Guid.NewGuid():N}.upload");
        try
        {
            var saved = await GridFiles.SaveBodyAsync(request.Body, path, options.Value.MaxImportBytes, ct);
            if (!saved.IsOk) return Problems.From(saved.Failure);
            var set = VectorReader.ReadFile(path);
            if (!set.IsOk) return Problems.From(set.Failures);
            var clientName = request.Headers["X-File-Name"].ToString();
            var source = "upload" + (string.IsNullOrWhiteSpace(clientName) ? "" : ": " + GridFiles.SafeLabel(clientName));
            var report = await import.ImportAsync(set.Value, new GridImportRequest(crsId, from.Value, source, note, dryRun ?? false), ct);
            if (!report.IsOk) return Problems.From(report.Failures);
            if (!report.Value.DryRun)
            {
                await ownership.RefreshAsync(ct: ct);
                logs.CreateLogger("Geo.Grids").LogInformation("Imported grid version {Version} with {Count} grids from {Source}",
                    report.Value.Version!.Number, report.Value.GridCount, source);
                return Results.Created($"/api/v1/grids?version={report.Value.Version.Number}", report.Value);
            }
            return Results.Ok(report.Value);
        }
        finally
        {
            GridFiles.DeleteQuietly(path);
        }
    }

    internal static Result<GridVersion> PickVersion(int? version, string? at, OwnershipService ownership)
    {
        var snapshot = ownership.Snapshot;
        if (version is { } n)
            return snapshot.Versions.FirstOrDefault(v => v.Number == n) is { } found ? found
                : Failure.NotFound("grid_version_not_found", $"Grid version {n} does not exist.");
        var day = DayInput.Parse(at, "at", "at_invalid");
        if (!day.IsOk) return day.Failure;
        if (day.Value is { } d)
            return snapshot.VersionOn(d) is { } onDay ? onDay : Failure.NotFound("no_grid_version", $"No grid version was valid on {d:yyyy-MM-dd}.");
        return snapshot.Current is { } current ? current : Failure.NotFound("no_grid_version", "No grids have been imported yet.");
    }
}
