using Geo.GridService.Codes;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Census;

/// <summary>The state of a component (状态) as the standard defines it.</summary>
public enum ComponentStatus
{
    /// <summary>完好</summary>
    Intact,
    /// <summary>破损</summary>
    Damaged,
    /// <summary>丢失</summary>
    Missing,
    /// <summary>占用</summary>
    Occupied,
}

/// <summary>Where a record comes from (数据来源).</summary>
public enum DataSource
{
    /// <summary>实测</summary>
    Surveyed,
    /// <summary>地形图</summary>
    TopographicMap,
    /// <summary>调绘</summary>
    FieldMapping,
    /// <summary>其它</summary>
    Other,
}

/// <summary>The Chinese labels of the code lists (the text stored and exchanged) and their parsing.</summary>
public static class CensusText
{
    private static readonly string[] StatusLabels = ["完好", "破损", "丢失", "占用"];
    private static readonly string[] StatusAliases = ["intact", "damaged", "missing", "occupied"];
    private static readonly string[] SourceLabels = ["实测", "地形图", "调绘", "其它"];
    private static readonly string[] SourceAliases = ["surveyed", "topographic", "fieldmapping", "other"];

    public static string Label(ComponentStatus s) => StatusLabels[(int)s];

    public static string Label(DataSource s) => SourceLabels[(int)s];

    /// <summary>完好/破损/丢失/占用 or intact/damaged/missing/occupied (case-insensitive); 其他 is taken as 其它.</summary>
    public static bool TryParseStatus(string? text, out ComponentStatus status)
    {
        var i = IndexOf(text, StatusLabels, StatusAliases);
        status = (ComponentStatus)Math.Max(i, 0);
        return i >= 0;
    }

    public static bool TryParseSource(string? text, out DataSource source)
    {
        var t = text?.Trim() == "其他" ? "其它" : text;
        var i = IndexOf(t, SourceLabels, SourceAliases);
        source = (DataSource)Math.Max(i, 0);
        return i >= 0;
    }

    private static int IndexOf(string? text, string[] labels, string[] aliases)
    {
        if (string.IsNullOrWhiteSpace(text)) return -1;
        var t = text.Trim();
        for (var i = 0; i < labels.Length; i++)
            if (t == labels[i] || string.Equals(t, aliases[i], StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}

/// <summary>
/// One census record (部件): the standard's fields. <see cref="Geometry"/> is a Point, LineString or Polygon (or their
/// multi forms) in EPSG:4490, x = longitude, y = latitude, SRID 4490. <see cref="GridCodes"/> are derived from the
/// geometry on every write (never taken from input): the grids of the current version the geometry touches, lowest
/// code first (for a point: its owner under the boundary rule).
/// </summary>
/// <param name="Version">Optimistic-concurrency version: 1 when created, +1 per edit; 0 on a record not yet stored.</param>
/// <param name="AttributesJson">Class-specific attributes (e.g. 站名 of a bus shelter) as a JSON object, or null.</param>
public sealed record Component(
    ComponentCode Code,
    string Name,
    Geometry Geometry,
    IReadOnlyList<GridCode> GridCodes,
    DepartmentCode? CompetentDepartment,
    string? Owner,
    DepartmentCode? Maintainer,
    ComponentStatus Status,
    DateOnly FirstRecorded,
    DateOnly LastChanged,
    DataSource Source,
    IReadOnlyList<string> Photos,
    string? Remarks,
    string? AttributesJson,
    long Version = 0)
{
    /// <summary>The minor class, from the code.</summary>
    public ClassCode Class => Code.Class;

    /// <summary>The primary grid (lowest code) or null when not derived yet.</summary>
    public GridCode? Grid => GridCodes.Count > 0 ? GridCodes[0] : null;
}

/// <summary>Who made a change: the API key id (or <c>cli:</c> plus the OS user) and an optional display name.</summary>
public sealed record AuditActor(string Id, string? Name = null)
{
    public override string ToString() => Name is null ? Id : $"{Id} ({Name})";
}

/// <summary>One change of a component: what (created/updated/deleted/imported), who, when, before and after (JSON).</summary>
public sealed record AuditEntry(
    ComponentCode Code,
    string Action,
    string Actor,
    DateTimeOffset At,
    long? Version,
    string? BeforeJson,
    string? AfterJson);

/// <summary>One cell of the census statistics table: components of one minor class and status in one grid.</summary>
public sealed record CensusStatisticsRow(string GridCode, string ClassDigits, ComponentStatus Status, long Count);

/// <summary>
/// The location of a component for in-memory indexes: the code, status and envelope (EPSG:4490), plus the geometry
/// for non-points (null for points, whose envelope is the point).
/// </summary>
public readonly record struct ComponentLocation(long Code, ComponentStatus Status, double MinX, double MinY, double MaxX, double MaxY, Geometry? Shape);
