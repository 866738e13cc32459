using Geo.Spatial.Failures;

namespace Geo.GridService.Codes;

/// <summary>Which of the two GB/T 30428 trees a class belongs to: components (部件) or events (事件).</summary>
public enum ClassTree
{
    /// <summary>部件: managed assets (manhole covers, lamps...). Text prefix <c>C</c>.</summary>
    Component,
    /// <summary>事件: events and behaviours (illegal construction, litter...). Text prefix <c>E</c>.</summary>
    Event,
}

/// <summary>
/// A component or event class: a 2-digit major class (大类) or a 4-digit minor class (小类, major + 2 digits).
/// Both trees use the same digits (component 0101 is 上水井盖, event 0101 is 私搭乱建), so the text form carries the
/// tree: <c>C0101</c>, <c>E01</c>. Extension majors (07.., 21..) are accepted: the taxonomy is data, not code.
/// </summary>
public readonly record struct ClassCode
{
    public ClassTree Tree { get; }

    /// <summary>2 or 4 digits.</summary>
    public string Digits { get; }

    private readonly string? _text;

    private ClassCode(ClassTree tree, string digits)
    {
        Tree = tree;
        Digits = digits;
        _text = (tree == ClassTree.Component ? "C" : "E") + digits;
        var n = int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        // Tree in bit 16; a minor class keeps its 4 digits (0101), a major is scaled to its first minor slot (01 -> 0100),
        // which never collides because minor numbers ending in 00 are invalid.
        Key = (tree == ClassTree.Event ? 1 << 16 : 0) | (digits.Length == 4 ? n : n * 100);
    }

    /// <summary>A compact integer identity used by the compiled matrix.</summary>
    internal int Key { get; }

    public bool IsMinor => Digits.Length == 4;

    /// <summary>The major class of a minor class (itself for a major).</summary>
    public ClassCode Major => IsMinor ? new ClassCode(Tree, Digits[..2]) : this;

    public static ClassCode Create(ClassTree tree, string digits) =>
        Parse((tree == ClassTree.Component ? "C" : "E") + digits) is { IsOk: true } r ? r.Value
            : throw new ArgumentException($"Not a class code: {digits}", nameof(digits));

    /// <summary>
    /// Parses <c>C0101</c>, <c>E01</c>, and the spelled-out forms <c>component:0101</c>, <c>event:01</c>
    /// (case-insensitive). A bare <c>0101</c> is rejected as ambiguous.
    /// </summary>
    public static Result<ClassCode> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return Failure.BadRequest("class_missing", "The class code is missing.");
        var t = text.Trim();
        ClassTree tree;
        string digits;
        if (t.StartsWith("component:", StringComparison.OrdinalIgnoreCase)) { tree = ClassTree.Component; digits = t[10..]; }
        else if (t.StartsWith("event:", StringComparison.OrdinalIgnoreCase)) { tree = ClassTree.Event; digits = t[6..]; }
        else if (t[0] is 'C' or 'c') { tree = ClassTree.Component; digits = t[1..]; }
        else if (t[0] is 'E' or 'e') { tree = ClassTree.Event; digits = t[1..]; }
        else if (Codes.Digits.All(t))
            return Failure.BadRequest("class_ambiguous",
                $"Class '{Codes.Digits.Shorten(t)}' is ambiguous: prefix C for a component class (部件) or E for an event class (事件), e.g. C{t} or E{t}.");
        else
            return Failure.BadRequest("class_format", $"Class '{Codes.Digits.Shorten(t)}' is not a class code such as C0101 or E01.");

        if (digits.Length is not (2 or 4) || !Codes.Digits.All(digits) || digits.StartsWith("00", StringComparison.Ordinal)
            || (digits.Length == 4 && digits[2..] == "00"))
            return Failure.BadRequest("class_format",
                $"Class '{Codes.Digits.Shorten(t)}' must have a 2-digit major or 4-digit minor class number, e.g. C0101 or E01.");
        return new ClassCode(tree, digits);
    }

    public override string ToString() => _text ?? "";
}
