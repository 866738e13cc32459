using Geo.Formats;
using Geo.GridService.Grids;
using System.Globalization;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Application;

/// <summary>File plumbing for grid imports and exports: bounded streaming to server-named files, GeoPackage export.</summary>
internal static class GridFiles
{
    /// <summary>EPSG:4490 as PROJ prints it (<c>projinfo EPSG:4490 -o WKT1_GDAL</c>), for GeoPackage metadata.</summary>
    public const string Cgcs2000Wkt =
        "GEOGCS[\"China Geodetic Coordinate System 2000\",DATUM[\"China_2000\",SPHEROID[\"CGCS2000\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"1024\"]],AUTHORITY[\"EPSG\",\"1043\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4490\"]]";

    /// <summary>Copies a request body to <paramref name="path"/>, counting the bytes actually read (a lying
    /// Content-Length does not matter); a partial file is deleted.</summary>
    public static async Task<Result<long>> SaveBodyAsync(Stream body, string path, long maxBytes, CancellationToken ct)
    {
        var ok = false;
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            var buffer = new byte[81920];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                total += n;
                if (total > maxBytes)
                    return Failure.TooLarge("file_too_large", $"The file exceeds the limit of {maxBytes / (1024 * 1024)} MB.");
                await file.WriteAsync(buffer.AsMemory(0, n), ct);
            }
            if (total == 0) return Failure.BadRequest("body_empty", "The request body is empty: send the grid file as the body.");
            ok = true;
            return total;
        }
        finally
        {
            if (!ok) DeleteQuietly(path);
        }
    }

    public static void WriteGeoPackage(string path, IReadOnlyList<Grid> grids, GridVersion version) =>
        VectorWriter.WriteGeoPackage(path, "grids", ToFeatures(grids, version), 4490, Cgcs2000Wkt,
        [
            ("code", typeof(string)), ("name", typeof(string)), ("subdistrict_code", typeof(string)), ("subdistrict", typeof(string)),
            ("community_code", typeof(string)), ("community", typeof(string)), ("version", typeof(int)),
            ("valid_from", typeof(string)), ("valid_to", typeof(string)),
        ]);

    /// <summary>Grids as features with their attributes and version, for export.</summary>
    public static IEnumerable<VectorFeature> ToFeatures(IEnumerable<Grid> grids, GridVersion version) =>
        grids.Select((g, i) => new VectorFeature(i, g.Geometry, new Dictionary<string, object?>
        {
            ["code"] = g.Code.Value,
            ["name"] = g.Name,
            ["subdistrict_code"] = g.SubdistrictCode,
            ["subdistrict"] = g.SubdistrictName,
            ["community_code"] = g.CommunityCode,
            ["community"] = g.CommunityName,
            ["version"] = version.Number,
            ["valid_from"] = version.ValidFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["valid_to"] = version.ValidTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        }));

    /// <summary>A client-supplied label made safe to keep as metadata: no control characters, at most 120 characters.</summary>
    public static string SafeLabel(string s)
    {
        var clean = new string(s.Where(c => !char.IsControl(c) && c is not ('\u202E' or '\u202D' or '\u200F' or '\u200E')).ToArray()).Trim();
        return clean.Length > 120 ? clean[..120] : clean;
    }

    public static void DeleteQuietly(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
