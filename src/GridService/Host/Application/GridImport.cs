using Geo.Formats;
using Geo.GridService.Codes;
using Geo.GridService.Grids;
using Geo.GridService.Storage;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Application;

/// <summary>What a grid import was asked to do.</summary>
/// <param name="Crs">The CRS of the file's coordinates; null = as the file declares, else EPSG:4326 (RFC 7946).</param>
/// <param name="ValidFrom">First day the new version answers for (China time); null = today.</param>
/// <param name="DryRun">Validate only; store nothing.</param>
public sealed record GridImportRequest(CrsId? Crs, DateOnly? ValidFrom, string? Source, string? Note, bool DryRun);

/// <summary>What an import did: the version it created (null on a dry run) and the grids it checked.</summary>
public sealed record GridImportReport(int GridCount, string Crs, GridVersion? Version, bool DryRun);

/// <summary>
/// The grid import use case shared by the HTTP API and the CLI: read the file (GeoJSON, GeoPackage, zipped
/// Shapefile), map attributes, transform to EPSG:4490 (storage) and EPSG:4547 (metric checks), validate the whole
/// set, then store it as a new version in one transaction. Nothing is stored unless everything is valid.
/// </summary>
public sealed class GridImport(IGridStore store, CountyCode county, GridValidationOptions? options = null)
{
    private static readonly string[] CodeColumns = ["code", "grid_code", "gridcode", "wgdm", "bm", "网格编码", "网格代码", "单元网格代码", "单元网格编码", "编码"];
    private static readonly string[] NameColumns = ["name", "grid_name", "gridname", "wgmc", "mc", "网格名称", "名称"];
    private static readonly string[] SubdistrictColumns = ["subdistrict", "street", "jd", "jdmc", "街道", "所属街道", "街道名称"];
    private static readonly string[] CommunityColumns = ["community", "sq", "sqmc", "社区", "所属社区", "社区名称"];

    private readonly GridValidationOptions _options = options ?? new GridValidationOptions(county);

    /// <summary>Reads and validates a file without storing it.</summary>
    public Result<(IReadOnlyList<Grid> Grids, CrsId Crs)> Check(string path, CrsId? crs)
    {
        var set = VectorReader.ReadFile(path);
        if (!set.IsOk) return Result<(IReadOnlyList<Grid>, CrsId)>.Fail(set.Failures);
        return Check(set.Value, crs);
    }

    public Result<(IReadOnlyList<Grid> Grids, CrsId Crs)> Check(VectorFeatureSet set, CrsId? crs)
    {
        CrsId sourceCrs;
        if (crs is { } given) sourceCrs = given;
        else if (set.CrsHint is null) sourceCrs = CrsId.Wgs84;
        else
        {
            var parsed = CrsId.Parse(set.CrsHint);
            if (!parsed.IsOk)
                return Failure.Invalid("unsupported_crs",
                    $"The file declares a CRS this service does not support ({set.CrsHint}); convert it to EPSG:4490, EPSG:4547 or EPSG:4326, or name its CRS with crs=.");
            sourceCrs = parsed.Value;
        }

        var candidates = new List<GridCandidate>(set.Features.Count);
        var failures = new List<Failure>();
        foreach (var f in set.Features)
        {
            Geometry? geographic = null, metric = null;
            if (f.Geometry is { } g)
            {
                try
                {
                    geographic = sourceCrs.Kind == CrsKind.Cgcs2000 ? g.Copy() : CoordinateConverter.Transform(g, sourceCrs, CrsId.Cgcs2000);
                    geographic.SRID = 4490;
                    metric = HasOnlyFinite(geographic) ? CoordinateConverter.Transform(geographic, CrsId.Cgcs2000, CrsId.Cgcs2000GK114) : null;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or ArithmeticException)
                {
                    failures.Add(Failure.Invalid("coordinate_invalid", $"The coordinates could not be transformed from {sourceCrs}.", $"feature {f.Index}"));
                    continue;
                }
            }
            candidates.Add(new GridCandidate(f.Index, Text(f, CodeColumns), Text(f, NameColumns), Text(f, SubdistrictColumns),
                Text(f, CommunityColumns), geographic, metric));
        }
        if (candidates.Count == 0 && failures.Count == 0)
            failures.Add(Failure.Invalid("no_features", "The file holds no features."));
        var validated = GridSetValidator.Validate(candidates, _options);
        if (!validated.IsOk) failures.AddRange(validated.Failures);
        if (failures.Count > 0) return Result<(IReadOnlyList<Grid>, CrsId)>.Fail(failures);
        return (validated.Value, sourceCrs);
    }

    /// <summary>Checks and, unless a dry run, stores a new grid version.</summary>
    public async Task<Result<GridImportReport>> ImportAsync(VectorFeatureSet set, GridImportRequest request, CancellationToken ct = default)
    {
        var checkedSet = Check(set, request.Crs);
        if (!checkedSet.IsOk) return Result<GridImportReport>.Fail(checkedSet.Failures);
        var (grids, crs) = checkedSet.Value;
        if (request.DryRun) return new GridImportReport(grids.Count, crs.Name, null, true);
        var validFrom = request.ValidFrom ?? Ownership.OwnershipSnapshot.Today();
        var stored = await store.AddGridVersionAsync(validFrom, grids, request.Source, request.Note, ct);
        return stored.Map(v => new GridImportReport(grids.Count, crs.Name, v, false));
    }

    private static string? Text(VectorFeature f, string[] names)
    {
        foreach (var n in names)
            foreach (var (k, v) in f.Attributes)
                if (string.Equals(k, n, StringComparison.OrdinalIgnoreCase) && v is not null)
                {
                    var s = Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)?.Trim();
                    if (!string.IsNullOrEmpty(s)) return s;
                }
        return null;
    }

    private static bool HasOnlyFinite(Geometry g)
    {
        foreach (var c in g.Coordinates)
            if (!double.IsFinite(c.X) || !double.IsFinite(c.Y) || c.X is < -180 or > 180 || c.Y is < -90 or > 90) return false;
        return true;
    }
}
