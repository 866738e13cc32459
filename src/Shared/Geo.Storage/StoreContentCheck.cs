using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.Storage;

/// <summary>
/// The checks every backend's restore makes before writing a <see cref="StoreContent"/>, so that a bad copy fails
/// whole and with a located message rather than on the first constraint the database happens to meet.
/// </summary>
internal static class StoreContentCheck
{
    public static List<Failure> Validate(StoreContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var failures = new List<Failure>();
        var numbers = new HashSet<int>();
        GridService.Grids.GridVersion? previous = null;
        foreach (var v in content.Versions)
        {
            var where = $"version {v.Number}";
            if (v.Number < 1 || !numbers.Add(v.Number))
                failures.Add(Failure.Invalid("content_version_number", "Version numbers must be positive and unique.", where));
            if (previous is not null && v.Number <= previous.Number)
                failures.Add(Failure.Invalid("content_version_order", "Versions must be listed oldest first.", where));
            if (v.ValidTo is { } to && to <= v.ValidFrom)
                failures.Add(Failure.Invalid("content_version_dates", "A version must end after it starts.", where));
            if (v.ValidTo is null && !ReferenceEquals(v, content.Versions[^1]))
                failures.Add(Failure.Invalid("content_version_open", "Only the newest version may be open-ended.", where));
            if (!content.Grids.TryGetValue(v.Number, out var grids))
            {
                failures.Add(Failure.Invalid("content_version_grids", "The grids of this version are missing.", where));
                continue;
            }
            var codes = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < grids.Count; i++)
            {
                if (!codes.Add(grids[i].Code.Value))
                    failures.Add(Failure.Invalid("grid_code_duplicate", $"Grid code {grids[i].Code} occurs more than once.", $"{where}, grid {i}"));
                if (grids[i].Geometry is not (Polygon or MultiPolygon) || grids[i].Geometry.SRID is not (0 or 4490))
                    failures.Add(Failure.Invalid("grid_geometry_type", "A grid is a Polygon or MultiPolygon in EPSG:4490.", $"{where}, grid {i}"));
            }
            previous = v;
        }
        foreach (var number in content.Grids.Keys)
            if (!numbers.Contains(number))
                failures.Add(Failure.Invalid("content_version_grids", "Grids are given for a version that is not listed.", $"version {number}"));

        var departments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in content.Departments)
            if (!departments.Add(d.Code.Value))
                failures.Add(Failure.Invalid("content_department_duplicate", "A department code occurs more than once.", $"department {d.Code}"));
        var rules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in content.Rules)
        {
            if (!rules.Add(r.Id))
                failures.Add(Failure.Invalid("rule_id_duplicate", "A rule id occurs more than once.", $"rule {r.Id}"));
            if (!departments.Contains(r.Department.Value))
                failures.Add(Failure.Invalid("rule_department_unknown", $"The rule names department '{r.Department}', which is not in the content.", $"rule {r.Id}"));
        }
        var keyIds = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in content.ApiKeys)
            if (!keyIds.Add(k.Id) || !hashes.Add(k.Sha256Hex))
                failures.Add(Failure.Invalid("api_key_duplicate", "An API key id or hash occurs more than once.", $"api key {k.Id}"));
        return failures;
    }

    public static Failure NotEmpty(string display) => Failure.Conflict("store_not_empty",
        $"The destination store {display} already holds data; copy only into an empty store (nothing was written).");

    /// <summary>The refusal of <c>geo store copy</c>, naming the tables that hold rows.</summary>
    public static Failure NotEmpty(string display, IReadOnlyList<string> tables) => Failure.Conflict("store_not_empty",
        $"The destination store {display} already holds data ({string.Join(", ", tables)}); copy into an empty store, or pass --replace "
        + "to replace its content (nothing was written).");
}
