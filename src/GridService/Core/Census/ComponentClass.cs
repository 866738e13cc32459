using System.Globalization;
using Geo.GridService.Codes;

namespace Geo.GridService.Census;

/// <summary>
/// One minor class of the GB/T 30428 taxonomy (部件 or 事件 小类) with its major class, as data: the standard's lists
/// ship as a file and are loaded into the store; a city adds local classes (扩展大类 07.. or 21..) without a code change.
/// </summary>
/// <param name="Code">A minor class (4 digits) of either tree, e.g. <c>C0101</c> 上水井盖, <c>E0101</c> 私搭乱建.</param>
/// <param name="MajorName">The major class's name, e.g. 公用设施.</param>
/// <param name="Name">The minor class's name.</param>
/// <param name="IsExtension">True for a city's local class (not in the shipped standard list).</param>
/// <param name="Source">Where the entry comes from (standard reference, or who added a local class).</param>
public sealed record ComponentClass(ClassCode Code, string MajorName, string Name, bool IsExtension, string? Source)
{
    /// <summary>Longest class name accepted (characters).</summary>
    public const int MaxNameLength = 40;
}

/// <summary>
/// The classes known to a store, looked up by code. Immutable; built from <see cref="ICensusStore.ListClassesAsync"/>.
/// </summary>
public sealed class Taxonomy
{
    private readonly Dictionary<ClassCode, ComponentClass> _byCode;
    private readonly HashSet<ClassCode> _majors;

    // The component minor classes by their four digits (0101 at 101), for the per-row check of a bulk import: no
    // ClassCode is cut out and parsed from each component code.
    private readonly bool[] _componentMinors = new bool[10_000];

    public Taxonomy(IEnumerable<ComponentClass> classes)
    {
        _byCode = new Dictionary<ClassCode, ComponentClass>();
        _majors = [];
        foreach (var c in classes)
        {
            _byCode[c.Code] = c;
            _majors.Add(c.Code.Major);
        }
        Classes = [.. _byCode.Values.OrderBy(c => c.Code.Tree).ThenBy(c => c.Code.Digits, StringComparer.Ordinal)];
        foreach (var c in Classes)
        {
            if (c.Code.Tree == ClassTree.Component && c.Code.IsMinor)
                _componentMinors[int.Parse(c.Code.Digits, NumberStyles.None, CultureInfo.InvariantCulture)] = true;
        }
    }

    /// <summary>True when the four digits (major + minor, e.g. <c>0101</c>) name a component minor class here.</summary>
    public bool ContainsComponentMinor(ReadOnlySpan<char> fourDigits)
    {
        if (fourDigits.Length != 4) return false;
        var n = 0;
        foreach (var ch in fourDigits)
        {
            if (ch is < '0' or > '9') return false;
            n = n * 10 + (ch - '0');
        }

        return _componentMinors[n];
    }

    public IReadOnlyList<ComponentClass> Classes { get; }

    /// <summary>The minor class, or null when unknown.</summary>
    public ComponentClass? Find(ClassCode code) => _byCode.GetValueOrDefault(code);

    public bool ContainsMinor(ClassCode code) => code.IsMinor && _byCode.ContainsKey(code);

    public bool ContainsMajor(ClassCode code) => _majors.Contains(code.Major);

    /// <summary>The major class name of a known major (from any of its minors), or null.</summary>
    public string? MajorName(ClassCode major) =>
        _byCode.Values.FirstOrDefault(c => c.Code.Major == major.Major)?.MajorName;
}
