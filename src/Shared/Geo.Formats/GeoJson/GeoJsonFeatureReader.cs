using System.Globalization;
using System.Text.Json;
using Geo.Spatial.Failures;
using NetTopologySuite;
using NetTopologySuite.Geometries;

namespace Geo.Formats.GeoJson;

/// <summary>
/// Reads a GeoJSON FeatureCollection (or a single Feature or bare geometry, wrapped as one feature) with explicit caps.
/// A first pass with <see cref="Utf8JsonReader"/> enforces the depth limit and turns syntax errors into located
/// failures; then the DOM is walked and geometries built by hand, so every malformed position, ring or count is a
/// <see cref="Failure"/> with a feature index rather than an exception from a converter.
/// </summary>
internal static class GeoJsonFeatureReader
{
    public static Result<VectorFeatureSet> Read(Stream stream, VectorReadLimits limits)
    {
        var bytes = BoundedRead.ReadAll(stream, limits.MaxBytes);
        if (bytes is null)
        {
            return FormatFailures.TooLarge(limits.MaxBytes);
        }

        var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var json = bytes.AsMemory(start);

        var syntax = CheckSyntax(json.Span, limits.MaxJsonDepth);
        if (syntax is not null)
        {
            return syntax;
        }

        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth + 1 });
        return ReadRoot(document.RootElement, limits);
    }

    /// <summary>Syntax and depth, located by line and position (1-based) and byte offset.</summary>
    private static Failure? CheckSyntax(ReadOnlySpan<byte> json, int maxDepth)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= maxDepth)
                {
                    var offset = reader.TokenStartIndex;
                    var (line, position) = LineAndPosition(json, offset);
                    return FormatFailures.Json("json_too_deep", $"The JSON nests deeper than the limit of {maxDepth} levels.", line, position, offset);
                }
            }

            return null;
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var position = (ex.BytePositionInLine ?? 0) + 1;
            var offset = OffsetOf(json, line, position);
            if (NonFiniteLiteralAt(json, offset) is { } literal)
            {
                return FormatFailures.Json("coordinate_invalid",
                    $"The number '{literal}' is not allowed: JSON and GeoJSON coordinates must be finite numbers.", line, position, offset);
            }

            return FormatFailures.Json("json_malformed", $"The file is not valid JSON: {FirstSentence(ex.Message)}", line, position, offset);
        }
    }

    private static Result<VectorFeatureSet> ReadRoot(JsonElement root, VectorReadLimits limits)
    {
        var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()
            : null;

        var crs = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("crs", out var crsElement) ? GeoJsonCrs.Read(crsElement) : null;
        var factory = NtsGeometryServices.Instance.CreateGeometryFactory(GeoJsonCrs.EpsgCode(crs) ?? 0);

        IReadOnlyList<JsonElement> featureElements;
        var wrapGeometry = false;
        switch (type)
        {
            case "FeatureCollection":
                if (!root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
                {
                    return Failure.Invalid("geojson_not_feature_collection", "The FeatureCollection has no 'features' array.", "root");
                }

                if (features.GetArrayLength() > limits.MaxFeatures)
                {
                    return FormatFailures.TooManyFeatures(limits.MaxFeatures);
                }

                featureElements = [.. features.EnumerateArray()];
                break;
            case "Feature":
                featureElements = [root];
                break;
            case "Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon" or "GeometryCollection":
                featureElements = [root];
                wrapGeometry = true;
                break;
            default:
                return Failure.Invalid("geojson_not_feature_collection",
                    "The document is not a GeoJSON FeatureCollection, Feature or geometry (its 'type' is missing or unknown).", "root");
        }

        if (featureElements.Count > limits.MaxFeatures)
        {
            return FormatFailures.TooManyFeatures(limits.MaxFeatures);
        }

        var result = new List<VectorFeature>(featureElements.Count);
        var failures = new List<Failure>();
        for (var i = 0; i < featureElements.Count && failures.Count < FormatFailures.MaxCollected; i++)
        {
            var builder = new GeometryBuilder(factory, i, limits.MaxVerticesPerFeature);
            if (wrapGeometry)
            {
                var geometry = builder.Build(featureElements[i]);
                if (builder.Failure is not null)
                {
                    failures.Add(builder.Failure);
                    continue;
                }

                result.Add(new VectorFeature(i, geometry, new Dictionary<string, object?>()));
                continue;
            }

            var feature = ReadFeature(featureElements[i], builder);
            if (feature.IsOk)
            {
                result.Add(feature.Value);
            }
            else
            {
                failures.AddRange(feature.Failures);
            }
        }

        return failures.Count > 0 ? Result<VectorFeatureSet>.Fail(failures) : new VectorFeatureSet(crs, result);
    }

    private static Result<VectorFeature> ReadFeature(JsonElement element, GeometryBuilder builder)
    {
        var index = builder.FeatureIndex;
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "Feature")
        {
            return FormatFailures.Feature("feature_malformed", "The element is not a GeoJSON Feature (an object with \"type\": \"Feature\").", index);
        }

        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (element.TryGetProperty("properties", out var properties))
        {
            if (properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in properties.EnumerateObject())
                {
                    attributes[property.Name] = AttributeValue(property.Value);
                }
            }
            else if (properties.ValueKind != JsonValueKind.Null)
            {
                return FormatFailures.Feature("feature_malformed", "The Feature's 'properties' must be an object or null.", index);
            }
        }

        Geometry? geometry = null;
        if (element.TryGetProperty("geometry", out var geometryElement) && geometryElement.ValueKind != JsonValueKind.Null)
        {
            geometry = builder.Build(geometryElement);
            if (builder.Failure is not null)
            {
                return builder.Failure;
            }
        }

        return new VectorFeature(index, geometry, attributes);
    }

    private static object? AttributeValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number when value.TryGetDouble(out var d) && double.IsFinite(d) => d,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    /// <summary>Builds one feature's geometry; stops at the first problem and leaves it in <see cref="Failure"/>.</summary>
    private sealed class GeometryBuilder(GeometryFactory factory, int featureIndex, int maxVertices)
    {
        private long _vertices;

        public int FeatureIndex => featureIndex;

        public Failure? Failure { get; private set; }

        public Geometry? Build(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Object
                || !element.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                return Fail("geometry_malformed", "The geometry must be an object with a 'type'.");
            }

            var type = typeElement.GetString();
            if (type == "GeometryCollection")
            {
                if (!element.TryGetProperty("geometries", out var members) || members.ValueKind != JsonValueKind.Array)
                {
                    return Fail("geometry_malformed", "The GeometryCollection has no 'geometries' array.");
                }

                var parts = new List<Geometry>();
                foreach (var member in members.EnumerateArray())
                {
                    var part = Build(member);
                    if (part is null)
                    {
                        return null;
                    }

                    parts.Add(part);
                }

                return factory.CreateGeometryCollection([.. parts]);
            }

            if (!element.TryGetProperty("coordinates", out var coordinates) || coordinates.ValueKind != JsonValueKind.Array)
            {
                return Fail("geometry_malformed", $"The {Printable(type)} has no 'coordinates' array.");
            }

            return type switch
            {
                "Point" => BuildPoint(coordinates),
                "MultiPoint" => Many(coordinates, BuildPoint, static (f, p) => f.CreateMultiPoint([.. p])),
                "LineString" => BuildLineString(coordinates),
                "MultiLineString" => Many(coordinates, BuildLineString, static (f, p) => f.CreateMultiLineString([.. p])),
                "Polygon" => BuildPolygon(coordinates),
                "MultiPolygon" => Many(coordinates, BuildPolygon, static (f, p) => f.CreateMultiPolygon([.. p])),
                _ => Fail("geometry_malformed", $"Unknown geometry type '{Printable(type)}'."),
            };
        }

        private Point? BuildPoint(JsonElement coordinates)
        {
            if (coordinates.GetArrayLength() == 0)
            {
                return factory.CreatePoint();
            }

            var position = Position(coordinates);
            return position is null ? null : factory.CreatePoint(position);
        }

        private LineString? BuildLineString(JsonElement coordinates)
        {
            var positions = Positions(coordinates);
            if (positions is null)
            {
                return null;
            }

            if (positions.Length == 1)
            {
                return Fail<LineString>("geometry_malformed", "A LineString needs at least 2 positions, this one has 1.");
            }

            return factory.CreateLineString(positions);
        }

        private Polygon? BuildPolygon(JsonElement coordinates)
        {
            var rings = new List<LinearRing>();
            var ringIndex = 0;
            foreach (var ringElement in coordinates.EnumerateArray())
            {
                var positions = ringElement.ValueKind == JsonValueKind.Array ? Positions(ringElement) : Fail<Coordinate[]>("geometry_malformed", "A polygon ring must be an array of positions.");
                if (positions is null)
                {
                    return null;
                }

                var which = ringIndex == 0 ? "exterior ring" : $"interior ring {ringIndex}";
                if (positions.Length > 0 && !positions[0].Equals2D(positions[^1]))
                {
                    return Fail<Polygon>("ring_not_closed",
                        $"The {which} is not closed: it starts at ({Format(positions[0])}) but ends at ({Format(positions[^1])}).");
                }

                if (positions.Length is > 0 and < 4)
                {
                    return Fail<Polygon>("ring_too_few_points", $"The {which} has {positions.Length} positions; a closed ring needs at least 4.");
                }

                rings.Add(factory.CreateLinearRing(positions));
                ringIndex++;
            }

            return rings.Count == 0 ? factory.CreatePolygon() : factory.CreatePolygon(rings[0], [.. rings.Skip(1)]);
        }

        private Geometry? Many<T>(JsonElement coordinates, Func<JsonElement, T?> part, Func<GeometryFactory, List<T>, Geometry> create)
            where T : Geometry
        {
            var parts = new List<T>();
            foreach (var element in coordinates.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.Array)
                {
                    return Fail("geometry_malformed", "Each member of a multi-geometry's 'coordinates' must be an array.");
                }

                var built = part(element);
                if (built is null)
                {
                    return null;
                }

                parts.Add(built);
            }

            return create(factory, parts);
        }

        private Coordinate[]? Positions(JsonElement array)
        {
            var count = array.GetArrayLength();
            if (_vertices + count > maxVertices)
            {
                Failure = FormatFailures.TooManyVertices(featureIndex, _vertices + count, maxVertices);
                return null;
            }

            var result = new Coordinate[count];
            var i = 0;
            foreach (var element in array.EnumerateArray())
            {
                var position = Position(element);
                if (position is null)
                {
                    return null;
                }

                result[i++] = position;
            }

            return result;
        }

        private Coordinate? Position(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() < 2)
            {
                return Fail<Coordinate>("geometry_malformed", "A position must be an array of at least 2 numbers.");
            }

            if (++_vertices > maxVertices)
            {
                Failure = FormatFailures.TooManyVertices(featureIndex, _vertices, maxVertices);
                return null;
            }

            Span<double> values = stackalloc double[3];
            var n = 0;
            foreach (var number in element.EnumerateArray())
            {
                if (number.ValueKind != JsonValueKind.Number)
                {
                    return Fail<Coordinate>("coordinate_invalid",
                        $"A coordinate is {Describe(number)}, not a number (NaN, Infinity and null are not allowed).");
                }

                if (!number.TryGetDouble(out var value) || !double.IsFinite(value))
                {
                    return Fail<Coordinate>("coordinate_invalid", $"The coordinate {Printable(number.GetRawText())} is out of the range of a finite double.");
                }

                if (n < 3)
                {
                    values[n++] = value;
                }
            }

            // A 4th value (M) is beyond RFC 7946 and dropped.
            return n == 3 ? new CoordinateZ(values[0], values[1], values[2]) : new Coordinate(values[0], values[1]);
        }

        private Geometry? Fail(string code, string message) => Fail<Geometry>(code, message);

        private T? Fail<T>(string code, string message) where T : class
        {
            Failure ??= FormatFailures.Feature(code, message, featureIndex);
            return null;
        }

        private static string Describe(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => $"the string \"{Printable(e.GetString())}\"",
            JsonValueKind.Null => "null",
            _ => Printable(e.GetRawText()),
        };

        private static string Format(Coordinate c) =>
            string.Create(CultureInfo.InvariantCulture, $"{c.X} {c.Y}");
    }

    private static string Printable(string? s) => FormatFailures.Printable(s is { Length: > 40 } ? s[..40] : s ?? "");

    private static string? NonFiniteLiteralAt(ReadOnlySpan<byte> json, long offset)
    {
        // The reader reports the byte where the value went wrong; for "-Infinity" that is after the sign.
        for (var start = Math.Max(0, offset - 1); start <= Math.Min(json.Length - 1, offset); start++)
        {
            var rest = json[(int)start..];
            foreach (var literal in (ReadOnlySpan<string>)["NaN", "-NaN", "Infinity", "-Infinity", "+Infinity"])
            {
                if (rest.Length >= literal.Length && System.Text.Encoding.ASCII.GetString(rest[..literal.Length]) == literal)
                {
                    return literal;
                }
            }
        }

        return null;
    }

    private static (long Line, long Position) LineAndPosition(ReadOnlySpan<byte> json, long offset)
    {
        var before = json[..(int)offset];
        var line = before.Count((byte)'\n') + 1;
        var lastNewline = before.LastIndexOf((byte)'\n');
        return (line, offset - lastNewline);
    }

    private static long OffsetOf(ReadOnlySpan<byte> json, long line, long position)
    {
        var offset = 0;
        for (var l = 1; l < line; l++)
        {
            var next = json[offset..].IndexOf((byte)'\n');
            if (next < 0)
            {
                break;
            }

            offset += next + 1;
        }

        return Math.Min(json.Length, offset + position - 1);
    }

    private static string FirstSentence(string message)
    {
        // STJ messages end with "LineNumber: .. | BytePositionInLine: ..", which the location already carries.
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut].TrimEnd() : message;
    }
}
