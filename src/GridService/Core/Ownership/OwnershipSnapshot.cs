using System.Collections.Concurrent;
using Geo.GridService.Departments;
using Geo.GridService.Grids;
using Geo.GridService.Responsibility;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;

namespace Geo.GridService.Ownership;

/// <summary>
/// An immutable, consistent view of everything an ownership answer needs (grid versions, departments, the matrix),
/// taken at one store revision. Readers never lock: a refresh builds a new snapshot and swaps the reference.
/// Indexes of past versions are built on first use.
/// </summary>
public sealed class OwnershipSnapshot
{
    /// <summary>China Standard Time (UTC+8, no daylight saving): the day an "at" date and "today" refer to.</summary>
    public static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    private readonly GridVersion[] _versions;
    private readonly IReadOnlyDictionary<int, IReadOnlyList<Grid>> _gridsByVersion;
    private readonly ConcurrentDictionary<int, Lazy<VersionView>> _views = new();
    private readonly Dictionary<string, DepartmentRef> _departmentRefs;
    private readonly Dictionary<string, RuleRef> _ruleRefs;
    private readonly IReadOnlyList<ResponsibilityRule> _rules;
    private readonly IReadOnlyList<Department> _departments;
    private readonly double _boundaryToleranceMetres;

    public OwnershipSnapshot(long revision, IReadOnlyList<GridVersion> versions, IReadOnlyDictionary<int, IReadOnlyList<Grid>> gridsByVersion,
        IReadOnlyList<Department> departments, IReadOnlyList<ResponsibilityRule> rules, double boundaryToleranceMetres = 0.5)
    {
        Revision = revision;
        _versions = [.. versions.OrderBy(v => v.Number)];
        _gridsByVersion = gridsByVersion;
        _departmentRefs = departments.ToDictionary(d => d.Code.Value, d => new DepartmentRef(d.Code.Value, d.Name, d.Contact, d.Phone), StringComparer.Ordinal);
        _ruleRefs = rules.ToDictionary(r => r.Id, r => new RuleRef(r.Id, r.Grid?.Value, r.Class?.ToString(), r.Describe()), StringComparer.Ordinal);
        _rules = rules;
        _departments = departments;
        _boundaryToleranceMetres = boundaryToleranceMetres;
        if (Current is { } current) _ = View(current.Number); // build the current index eagerly
    }

    private OwnershipSnapshot(OwnershipSnapshot from, long revision)
    {
        Revision = revision;
        _versions = from._versions;
        _gridsByVersion = from._gridsByVersion;
        _views = from._views;
        _departmentRefs = from._departmentRefs;
        _ruleRefs = from._ruleRefs;
        _rules = from._rules;
        _departments = from._departments;
        _boundaryToleranceMetres = from._boundaryToleranceMetres;
    }

    /// <summary>
    /// This snapshot at another store revision, for a write that moved the shared revision without touching what an
    /// ownership answer reads (a census edit, a survey, a finding review, an API key): the grids and their indexes are
    /// shared, nothing is rebuilt. Use only after <see cref="Holds"/> said the content is the same.
    /// </summary>
    public OwnershipSnapshot AtRevision(long revision) => new(this, revision);

    /// <summary>
    /// Whether this snapshot was built from exactly these versions (number, dates, import time, count: versions are
    /// immutable apart from the end date a newer version sets, so equal versions mean equal grids), departments and
    /// rules (in order).
    /// </summary>
    public bool Holds(IReadOnlyList<GridVersion> versions, IReadOnlyList<Department> departments, IReadOnlyList<ResponsibilityRule> rules)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(departments);
        ArgumentNullException.ThrowIfNull(rules);
        return HoldsVersions(versions) && _departments.SequenceEqual(departments) && _rules.SequenceEqual(rules);
    }

    /// <summary>Whether this snapshot holds exactly these grid versions (so its grids can be reused for a new snapshot).</summary>
    public bool HoldsVersions(IReadOnlyList<GridVersion> versions) =>
        _versions.SequenceEqual(versions.OrderBy(v => v.Number));

    /// <summary>The grids of every version, as this snapshot was built from them.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<Grid>> GridsByVersion => _gridsByVersion;

    public long Revision { get; }

    public IReadOnlyList<GridVersion> Versions => _versions;

    private sealed record CurrentCache(DateOnly Day, GridVersion? Version);

    private volatile CurrentCache? _current; // swapped whole, so a reader never sees a day with another day's version

    /// <summary>The version valid today, else the newest. Cached per day (China time).</summary>
    public GridVersion? Current
    {
        get
        {
            var today = Today();
            if (_current is { } cached && cached.Day == today) return cached.Version;
            var v = VersionOn(today) ?? (_versions.Length > 0 ? _versions[^1] : null);
            _current = new CurrentCache(today, v);
            return v;
        }
    }

    public static DateOnly Today(TimeProvider? clock = null) =>
        DateOnly.FromDateTime((clock ?? TimeProvider.System).GetUtcNow().ToOffset(ChinaOffset).DateTime);

    public GridVersion? VersionOn(DateOnly day) => _versions.LastOrDefault(v => v.IsValidOn(day));

    /// <summary>The index of a version (built on first use).</summary>
    public GridIndex Index(int version) => View(version).Index;

    /// <summary>Answers one query; expected failures (bad coordinate, no version, outside every grid) are values with
    /// a readable message. Same decision as <see cref="AnswerCompact"/>, which it is built on.</summary>
    public Result<OwnershipAnswer> Answer(in OwnershipQuery q)
    {
        var a = Resolve(q, out var lon, out var lat);
        if (a.IsOk)
            return new OwnershipAnswer(a.Grid!, a.Department, a.Rule, a.OnBoundary, q.Crs.Name, q.X, q.Y, lon, lat,
                q.Class?.ToString(), a.GridVersion);
        return a.Error switch
        {
            "coordinate_out_of_range" => Failure.BadRequest(a.Error,
                $"({q.X}, {q.Y}) is not a valid coordinate in {q.Crs.Name} (x = easting/longitude, y = northing/latitude)."),
            "no_grid_version" => Failure.NotFound(a.Error,
                q.At is { } at ? $"No grid version was valid on {at:yyyy-MM-dd}." : "No grids have been imported yet."),
            _ => OutsideAllGrids(a, q, lon, lat),
        };
    }

    /// <summary>
    /// The decision without messages or per-answer records, for batches: shared refs of the grid, department and rule,
    /// or the machine code of the failure and, outside every grid, the nearest grid and its distance.
    /// </summary>
    public CompactAnswer AnswerCompact(in OwnershipQuery q) => Resolve(q, out _, out _);

    private CompactAnswer Resolve(in OwnershipQuery q, out double lon, out double lat)
    {
        lon = lat = double.NaN;
        if (!CoordinateConverter.IsInRange(q.Crs, q.X, q.Y)) return CompactAnswer.Failed("coordinate_out_of_range");
        var version = q.At is { } at ? VersionOn(at) : Current;
        if (version is null) return CompactAnswer.Failed("no_grid_version");
        (lon, lat) = q.Crs.Kind == CrsKind.Cgcs2000 ? (q.X, q.Y) : CoordinateConverter.ToCgcs2000(q.Crs, q.X, q.Y);
        var view = View(version.Number);
        var hit = view.Index.Locate(lon, lat);
        if (!hit.Found)
        {
            var (nearest, distance) = view.Index.Nearest(lon, lat);
            return new CompactAnswer(null, null, null, false, version.Number, "outside_all_grids",
                nearest >= 0 ? view.GridRefs[nearest] : null, nearest >= 0 ? Math.Round(distance, 1) : null);
        }
        var rule = view.Matrix.Resolve(hit.GridIndex, q.Class);
        DepartmentRef? dept = null;
        RuleRef? ruleRef = null;
        if (rule is not null)
        {
            _departmentRefs.TryGetValue(rule.Department.Value, out dept);
            _ruleRefs.TryGetValue(rule.Id, out ruleRef);
        }
        return new CompactAnswer(view.GridRefs[hit.GridIndex], dept, ruleRef, hit.OnBoundary, version.Number, null, null, null);
    }

    private static Failure OutsideAllGrids(in CompactAnswer a, in OwnershipQuery q, double lon, double lat)
    {
        var ext = new Dictionary<string, object?>
        {
            ["gridVersion"] = a.GridVersion,
            ["lon"] = lon,
            ["lat"] = lat,
        };
        var message = $"({q.X}, {q.Y}) in {q.Crs.Name} lies outside every grid of version {a.GridVersion}.";
        if (a.NearestGrid is { } g)
        {
            ext["nearestGrid"] = new NearestGrid(g.Code, g.Name);
            ext["distanceMetres"] = a.DistanceMetres;
            message += $" The nearest grid is {g.Code} {g.Name}, {a.DistanceMetres:F1} m away.";
        }
        return new Failure("outside_all_grids", message, FailureKind.NotFound, $"POINT ({lon:F7} {lat:F7})", ext);
    }

    private VersionView View(int version) =>
        _views.TryGetValue(version, out var lazy) ? lazy.Value : _views.GetOrAdd(version, v => new Lazy<VersionView>(() => BuildView(v), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private VersionView BuildView(int version)
    {
        var grids = _gridsByVersion.TryGetValue(version, out var g) ? g : [];
        var index = new GridIndex(grids, _boundaryToleranceMetres);
        var matrix = new ResponsibilityMatrix(grids.Select(x => x.Code).ToArray(), _rules);
        var refs = grids.Select(x => new GridRef(x.Code.Value, x.Name, x.SubdistrictCode, x.SubdistrictName, x.CommunityCode, x.CommunityName)).ToArray();
        return new VersionView(index, matrix, refs);
    }

    /// <summary>A department of the snapshot by code, or null.</summary>
    public DepartmentRef? Department(string code) => _departmentRefs.GetValueOrDefault(code);

    /// <summary>The grid nearest to a point outside every grid (in 404 answers).</summary>
    public sealed record NearestGrid(string Code, string Name);

    private sealed record VersionView(GridIndex Index, ResponsibilityMatrix Matrix, GridRef[] GridRefs);
}
