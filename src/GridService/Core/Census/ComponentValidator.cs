using System.Globalization;
using System.Text.Json;
using Geo.GridService.Codes;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Valid;

namespace Geo.GridService.Census;

/// <summary>
/// One component as given by an import row or an API body: raw text fields and a geometry already transformed to
/// EPSG:4490 (x = lon, y = lat). <see cref="Row"/> is the 1-based data row (CSV: the header is row 0) used in failure
/// locations.
/// </summary>
public sealed record ComponentInput(
    long Row,
    string? Code,
    string? Class,
    string? Name,
    Geometry? Geometry,
    string? CompetentDepartment = null,
    string? Owner = null,
    string? Maintainer = null,
    string? Status = null,
    string? FirstRecorded = null,
    string? LastChanged = null,
    string? Source = null,
    string? Photos = null,
    string? Remarks = null,
    string? AttributesJson = null);

/// <summary>The machine codes of census validation, one per reject reason.</summary>
public static class CensusCodes
{
    public const string CodeFormat = "component_code_format";
    public const string CodeMissing = "component_code_missing";
    public const string CodeCounty = "component_code_county";
    public const string ClassUnknown = "class_unknown";
    public const string ClassMismatch = "class_mismatch";
    public const string Duplicate = "component_code_duplicate";
    public const string OutsideCity = "outside_city";
    public const string InvalidGeometry = "invalid_geometry";
    public const string DepartmentUnknown = "department_unknown";
    public const string StatusInvalid = "status_invalid";
    public const string SourceInvalid = "data_source_invalid";
    public const string DateInvalid = "date_invalid";
    public const string NameMissing = "name_missing";
    public const string TextInvalid = "text_invalid";
    public const string AttributesInvalid = "attributes_invalid";
    public const string VersionStale = "component_version_stale";
}

/// <summary>Limits on a component record (SECURITY.md G4, G8).</summary>
public sealed record ComponentLimits(int MaxTextLength = 200, int MaxRemarksLength = 2000, int MaxPhotos = 20,
    int MaxVertices = 20_000, int MaxAttributesBytes = 8192);

/// <summary>
/// Turns a <see cref="ComponentInput"/> into a valid <see cref="Component"/> or the list of everything wrong with it,
/// each failure located as <c>row N, field F</c> and carrying the field in <c>Extensions["field"]</c>:
/// the code (16 digits, the configured county, a class that exists and matches the class column), the name, the
/// geometry (type, finite, valid, inside the city — the grids are derived from it), the departments (must exist),
/// status and data source (the standard's code lists), dates, photos, remarks and class attributes (a JSON object).
/// Pure: the taxonomy, departments and grid locator are given. Thread-safe.
/// </summary>
public sealed class ComponentValidator(CountyCode county, Taxonomy taxonomy, IReadOnlySet<string> departments, GridLocator grids,
    ComponentLimits? limits = null)
{
    private readonly ComponentLimits _limits = limits ?? new ComponentLimits();

    public CountyCode County => county;

    public Taxonomy Taxonomy => taxonomy;

    /// <param name="today">The date used when the first-recorded or last-changed date is empty.</param>
    /// <param name="version">The version to give the result (0 for a new record).</param>
    public Result<Component> Validate(ComponentInput input, DateOnly today, long version = 0)
    {
        List<Failure>? failures = null;
        void Add(string code, string field, string message) =>
            (failures ??= []).Add(new Failure(code, message, FailureKind.Invalid, $"row {input.Row}, field {field}",
                new Dictionary<string, object?> { ["row"] = input.Row, ["field"] = field }));
        // One delegate for the checks below: each conversion of the local function would allocate its own, nine a row
        // (a bulk import validates hundreds of thousands of rows; their garbage pauses the store's writer thread too).
        Action<string, string, string> add = Add;

        // Code and class.
        ComponentCode code = default;
        var codeOk = false;
        var parsed = ComponentCode.Parse(input.Code);
        if (!parsed.IsOk) Add(parsed.Failure.Code, "code", parsed.Failure.Message);
        else
        {
            code = parsed.Value;
            codeOk = true;
            if (!code.Value.AsSpan(0, 6).SequenceEqual(county.Value))
            {
                Add(CensusCodes.CodeCounty, "code", $"Component code {code} does not start with the county code {county.Value}.");
                codeOk = false;
            }
            if (!taxonomy.ContainsComponentMinor(code.Value.AsSpan(6, 4)))
            {
                Add(CensusCodes.ClassUnknown, "code", $"Component code {code} names class {code.ClassDigits}, which is not in the taxonomy.");
                codeOk = false;
            }
        }
        if (!string.IsNullOrWhiteSpace(input.Class))
        {
            var cls = ParseComponentClass(input.Class);
            if (cls is null)
                Add(CensusCodes.ClassUnknown, "class", $"Class '{ComponentCode.Shorten(input.Class)}' is not a component class such as 0101 or C0101.");
            else if (!taxonomy.ContainsMinor(cls.Value))
                Add(CensusCodes.ClassUnknown, "class", $"Class {cls.Value} is not in the taxonomy.");
            else if (parsed.IsOk && cls.Value.Digits != code.ClassDigits)
            {
                Add(CensusCodes.ClassMismatch, "class", $"The class column says {cls.Value.Digits} but code {code} names class {code.ClassDigits}.");
                codeOk = false;
            }
        }

        var name = Text(input.Name, "name", _limits.MaxTextLength, add);
        if (name is null && string.IsNullOrWhiteSpace(input.Name))
        {
            // The class name is the customary name of an unnamed component (e.g. 上水井盖).
            name = codeOk ? taxonomy.Find(code.Class)?.Name : null;
            if (name is null && codeOk) Add(CensusCodes.NameMissing, "name", "The name is missing.");
        }

        // Geometry and grids.
        IReadOnlyList<GridCode> gridCodes = [];
        var geometry = input.Geometry;
        if (geometry is null || geometry.IsEmpty)
            Add(CensusCodes.InvalidGeometry, "geometry", "The geometry is missing or empty.");
        else if (CheckGeometry(geometry) is { } problem)
            Add(CensusCodes.InvalidGeometry, "geometry", problem);
        else
        {
            gridCodes = grids.Locate(geometry);
            if (gridCodes.Count == 0)
            {
                var c = geometry.EnvelopeInternal.Centre;
                Add(CensusCodes.OutsideCity, "geometry",
                    $"The geometry near ({c.X.ToString("F6", CultureInfo.InvariantCulture)}, {c.Y.ToString("F6", CultureInfo.InvariantCulture)}) (EPSG:4490 lon, lat) lies outside every grid of the city.");
            }
        }

        var competent = Department(input.CompetentDepartment, "competent_department", add);
        var maintainer = Department(input.Maintainer, "maintainer", add);
        var owner = Text(input.Owner, "owner", _limits.MaxTextLength, add);

        var status = ComponentStatus.Intact;
        if (!string.IsNullOrWhiteSpace(input.Status) && !CensusText.TryParseStatus(input.Status, out status))
            Add(CensusCodes.StatusInvalid, "status", $"Status '{ComponentCode.Shorten(input.Status)}' is not one of 完好, 破损, 丢失, 占用.");
        var source = DataSource.Surveyed;
        if (!string.IsNullOrWhiteSpace(input.Source) && !CensusText.TryParseSource(input.Source, out source))
            Add(CensusCodes.SourceInvalid, "data_source", $"Data source '{ComponentCode.Shorten(input.Source)}' is not one of 实测, 地形图, 调绘, 其它.");

        var first = Date(input.FirstRecorded, "first_recorded", today, add);
        var changed = Date(input.LastChanged, "last_changed", today, add);
        if (first > changed) Add(CensusCodes.DateInvalid, "last_changed", $"The last-changed date {changed:yyyy-MM-dd} is before the first-recorded date {first:yyyy-MM-dd}.");

        var photos = Photos(input.Photos, add);
        var remarks = Text(input.Remarks, "remarks", _limits.MaxRemarksLength, add, allowNewlines: true);
        var attributes = Attributes(input.AttributesJson, add);

        if (failures is not null) return Result<Component>.Fail(failures);
        return new Component(code, name!, geometry!, gridCodes, competent, owner, maintainer, status, first, changed, source,
            photos, remarks, attributes, version);
    }

    /// <summary>Accepts 0101, C0101 or component:0101 for a component minor class.</summary>
    public static ClassCode? ParseComponentClass(string text)
    {
        var t = text.Trim();
        if (t.Length == 4 && t.All(char.IsAsciiDigit)) t = "C" + t;
        var r = ClassCode.Parse(t);
        return r.IsOk && r.Value.Tree == ClassTree.Component && r.Value.IsMinor ? r.Value : null;
    }

    private string? CheckGeometry(Geometry g)
    {
        if (g is not (Point or LineString or Polygon or MultiPoint or MultiLineString or MultiPolygon))
            return $"A component is a point, line or polygon (or a multi form); got {g.GeometryType}.";
        if (g.SRID is not (0 or 4490)) return $"Geometries are stored in EPSG:4490; got SRID {g.SRID}.";
        if (g is Point p) return IsLonLat(p.X, p.Y) ? null : NotLonLat;
        if (g.NumPoints > _limits.MaxVertices) return $"The geometry has {g.NumPoints} vertices; at most {_limits.MaxVertices} are accepted.";
        foreach (var c in g.Coordinates)
            if (!IsLonLat(c.X, c.Y)) return NotLonLat;
        var op = new IsValidOp(g);
        if (op.IsValid) return null;
        var e = op.ValidationError;
        return $"{e.ErrorType}: {e.Message} at ({e.Coordinate.X.ToString("F7", CultureInfo.InvariantCulture)}, {e.Coordinate.Y.ToString("F7", CultureInfo.InvariantCulture)}).";
    }

    private const string NotLonLat = "A coordinate is not a finite longitude/latitude (EPSG:4490, x = lon, y = lat).";

    private static bool IsLonLat(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && x is >= -180 and <= 180 && y is >= -90 and <= 90;

    private DepartmentCode? Department(string? text, string field, Action<string, string, string> add)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        var parsed = DepartmentCode.Parse(t);
        if (!parsed.IsOk || !departments.Contains(t))
        {
            add(CensusCodes.DepartmentUnknown, field, $"Department '{ComponentCode.Shorten(t)}' is not a known department code.");
            return null;
        }
        return parsed.Value;
    }

    private static string? Text(string? text, string field, int max, Action<string, string, string> add, bool allowNewlines = false)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        if (t.Length > max)
        {
            add(CensusCodes.TextInvalid, field, $"The {field} has {t.Length} characters; at most {max} are accepted.");
            return null;
        }
        foreach (var ch in t)
        {
            if (char.IsControl(ch) && !(allowNewlines && ch is '\n' or '\r' or '\t'))
            {
                add(CensusCodes.TextInvalid, field, $"The {field} contains a control character (U+{(int)ch:X4}).");
                return null;
            }
        }
        return t;
    }

    private static DateOnly Date(string? text, string field, DateOnly today, Action<string, string, string> add)
    {
        if (string.IsNullOrWhiteSpace(text)) return today;
        var t = text.Trim();
        if (DateOnly.TryParseExact(t, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            || DateOnly.TryParseExact(t, "yyyy/M/d", CultureInfo.InvariantCulture, DateTimeStyles.None, out d))
        {
            if (d.Year is >= 1949 and <= 2100) return d;
        }
        add(CensusCodes.DateInvalid, field, $"'{ComponentCode.Shorten(t)}' is not a date yyyy-MM-dd between 1949 and 2100.");
        return today;
    }

    private IReadOnlyList<string> Photos(string? text, Action<string, string, string> add)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var parts = text.Split([';', '；', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length > _limits.MaxPhotos)
        {
            add(CensusCodes.TextInvalid, "photos", $"{parts.Length} photo references; at most {_limits.MaxPhotos} are accepted.");
            return [];
        }
        foreach (var p in parts)
        {
            if (p.Length > 500 || p.Any(char.IsControl))
            {
                add(CensusCodes.TextInvalid, "photos", "A photo reference is longer than 500 characters or contains a control character.");
                return [];
            }
        }
        return parts;
    }

    private string? Attributes(string? json, Action<string, string, string> add)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        if (json.Length > _limits.MaxAttributesBytes)
        {
            add(CensusCodes.AttributesInvalid, "attributes", $"The attributes are longer than {_limits.MaxAttributesBytes} characters.");
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                add(CensusCodes.AttributesInvalid, "attributes", "The class-specific attributes must be a JSON object.");
                return null;
            }
            return JsonSerializer.Serialize(doc.RootElement, AttributesJsonOptions);
        }
        catch (JsonException)
        {
            add(CensusCodes.AttributesInvalid, "attributes", "The class-specific attributes are not valid JSON.");
            return null;
        }
    }

    private static readonly JsonSerializerOptions AttributesJsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
