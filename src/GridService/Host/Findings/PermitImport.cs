using System.Globalization;
using Geo.ChangeDetect.Findings;
using Geo.Formats;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Findings;

/// <summary>
/// Approved-construction permits from GeoJSON, GeoPackage or a zipped Shapefile (read by <see cref="VectorReader"/>) in
/// any supported CRS (the file's declared CRS, else <c>crs</c>, else EPSG:4326 as GeoJSON implies), transformed to
/// EPSG:4490. Columns (English or Chinese headers): <c>number</c>/<c>许可证号</c>/<c>编号</c>, <c>holder</c>/<c>建设单位</c>,
/// <c>valid_from</c>/<c>起始日期</c> (yyyy-MM-dd), optional <c>valid_to</c>/<c>截止日期</c>. Every row is checked first and
/// every problem reported with its feature number; nothing is stored unless all rows are good (all or nothing).
/// </summary>
public static class PermitImport
{
    public const int MaxPermits = 100_000;

    /// <summary>Problems reported at most (the file is then clearly wrong).</summary>
    public const int MaxReported = 100;

    private static readonly string[] NumberKeys = ["number", "permit_no", "permit", "许可证号", "编号", "许可编号"];
    private static readonly string[] HolderKeys = ["holder", "applicant", "建设单位", "单位", "申请人"];
    private static readonly string[] FromKeys = ["valid_from", "from", "起始日期", "开始日期", "有效期起"];
    private static readonly string[] ToKeys = ["valid_to", "to", "截止日期", "结束日期", "有效期止"];

    /// <summary>Checks and converts every feature; all problems at once.</summary>
    public static Result<IReadOnlyList<Permit>> Parse(VectorFeatureSet set, CrsId? crs)
    {
        ArgumentNullException.ThrowIfNull(set);
        var failures = new List<Failure>();
        CrsId from;
        if (set.CrsHint is { } hint)
        {
            var parsed = CrsId.Parse(hint);
            if (!parsed.IsOk) return Failure.Invalid("crs_unsupported", $"The file's CRS {FindingViews.Printable(hint)} is not supported.", "crs");
            from = parsed.Value;
        }
        else from = crs ?? CrsId.Wgs84;
        if (set.Features.Count == 0) return Failure.Invalid(FindingCodes.PermitsEmpty, "The file holds no permit.");
        if (set.Features.Count > MaxPermits) return Failure.TooLarge("too_many_permits", $"At most {MaxPermits:N0} permits per file.");
        var permits = new List<Permit>(set.Features.Count);
        var numbers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in set.Features)
        {
            var at = $"feature {f.Index + 1}";
            var before = failures.Count;
            var number = Text(f, NumberKeys);
            var holder = Text(f, HolderKeys);
            if (number is null) failures.Add(Failure.Invalid("permit_number_missing", "The permit number is missing (column number / 许可证号).", at));
            else if (number.Length > 64 || number.Any(char.IsControl)) failures.Add(Failure.Invalid("permit_number_invalid", "A permit number has at most 64 printable characters.", at));
            else if (!numbers.Add(number)) failures.Add(Failure.Invalid("permit_number_duplicate", $"Permit {FindingViews.Printable(number)} appears twice in the file.", at));
            if (holder is null) failures.Add(Failure.Invalid("permit_holder_missing", "The holder is missing (column holder / 建设单位).", at));
            else if (holder.Length > 200) failures.Add(Failure.Invalid("permit_holder_invalid", "The holder has at most 200 characters.", at));
            var validFrom = Day(f, FromKeys, "valid_from", at, failures, required: true);
            var validTo = Day(f, ToKeys, "valid_to", at, failures, required: false);
            if (validFrom is { } a && validTo is { } b && b < a)
                failures.Add(Failure.Invalid("permit_dates_invalid", $"valid_to {b:yyyy-MM-dd} is before valid_from {a:yyyy-MM-dd}.", at));
            var geometry = Geometry(f, from, at, failures);
            if (failures.Count == before)
                permits.Add(new Permit(number!, holder!, validFrom!.Value, validTo, geometry!));
            if (failures.Count >= PermitImport.MaxReported) break;
        }
        return failures.Count > 0 ? Result<IReadOnlyList<Permit>>.Fail(failures) : permits;
    }

    private static string? Text(VectorFeature f, string[] keys)
    {
        foreach (var (k, v) in f.Attributes)
        {
            if (!keys.Contains(k.Trim().ToLowerInvariant(), StringComparer.Ordinal)) continue;
            var s = v switch { null => null, string t => t, IFormattable x => x.ToString(null, CultureInfo.InvariantCulture), _ => v.ToString() };
            return string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        }
        return null;
    }

    private static DateOnly? Day(VectorFeature f, string[] keys, string name, string at, List<Failure> failures, bool required)
    {
        object? value = null;
        foreach (var (k, v) in f.Attributes)
            if (keys.Contains(k.Trim().ToLowerInvariant(), StringComparer.Ordinal)) { value = v; break; }
        switch (value)
        {
            case DateOnly d: return d;
            case DateTime dt: return DateOnly.FromDateTime(dt);
            case string s when DateOnly.TryParseExact(s.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d): return d;
            case null or "":
                if (required) failures.Add(Failure.Invalid("permit_date_missing", $"{name} is missing (yyyy-MM-dd).", at));
                return null;
            default:
                failures.Add(Failure.Invalid("permit_date_invalid", $"{name} is not a date yyyy-MM-dd.", at));
                return null;
        }
    }

    private static Geometry? Geometry(VectorFeature f, CrsId from, string at, List<Failure> failures)
    {
        if (f.Geometry is not (Polygon or MultiPolygon) || f.Geometry.IsEmpty)
        {
            failures.Add(Failure.Invalid("permit_geometry_invalid", "A permit is a Polygon or MultiPolygon.", at));
            return null;
        }
        if (f.Geometry.Coordinates.Any(c => !double.IsFinite(c.X) || !double.IsFinite(c.Y) || !CoordinateConverter.IsInRange(from, c.X, c.Y)))
        {
            failures.Add(Failure.Invalid("permit_coordinates_invalid", $"Coordinates are not in {from.Name} (x = easting/longitude).", at));
            return null;
        }
        var g = from == CrsId.Cgcs2000 ? f.Geometry.Copy() : CoordinateConverter.Transform(f.Geometry, from, CrsId.Cgcs2000);
        if (!g.IsValid)
        {
            var why = new NetTopologySuite.Operation.Valid.IsValidOp(g).ValidationError;
            failures.Add(Failure.Invalid("permit_geometry_invalid", $"The polygon is invalid: {why?.Message} at {why?.Coordinate}.", at));
            return null;
        }
        g.SRID = 4490;
        return g;
    }
}
