using System.Text.Encodings.Web;
using System.Text.Json;
using Geo.GridService.Ownership;

namespace Geo.GridService.Host.Http;

/// <summary>
/// Writes a <see cref="OwnershipApi.BatchResponse"/> with <see cref="Utf8JsonWriter"/> and pre-encoded property names:
/// the same bytes the serializer writes for the record (camelCase names, the same members omitted), about twice as
/// fast for 10,000 results. A test holds the two outputs equal.
/// </summary>
internal static class BatchResponseWriter
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static readonly JsonEncodedText Count = Name("count"), Answered = Name("answered"), Failed = Name("failed"),
        GridVersion = Name("gridVersion"), Grids = Name("grids"), Departments = Name("departments"), Rules = Name("rules"),
        Errors = Name("errors"), Results = Name("results"), Id = Name("id"), Grid = Name("grid"), Department = Name("department"),
        Rule = Name("rule"), OnBoundary = Name("onBoundary"), Error = Name("error"), Code = Name("code"),
        NearestGrid = Name("nearestGrid"), DistanceMetres = Name("distanceMetres"), NameProp = Name("name"),
        SubdistrictCode = Name("subdistrictCode"), SubdistrictName = Name("subdistrictName"), CommunityCode = Name("communityCode"),
        CommunityName = Name("communityName"), Contact = Name("contact"), Phone = Name("phone"), Class = Name("class"),
        Description = Name("description");

    private static JsonEncodedText Name(string s) => JsonEncodedText.Encode(s, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    public static void Write(Utf8JsonWriter w, OwnershipApi.BatchResponse r)
    {
        w.WriteStartObject();
        w.WriteNumber(Count, r.Count);
        w.WriteNumber(Answered, r.Answered);
        w.WriteNumber(Failed, r.Failed);
        w.WriteNumber(GridVersion, r.GridVersion);
        w.WriteStartObject(Grids);
        foreach (var (key, g) in r.Grids)
        {
            w.WriteStartObject(key);
            w.WriteString(Code, g.Code);
            w.WriteString(NameProp, g.Name);
            w.WriteString(SubdistrictCode, g.SubdistrictCode);
            w.WriteString(SubdistrictName, g.SubdistrictName);
            w.WriteString(CommunityCode, g.CommunityCode);
            w.WriteString(CommunityName, g.CommunityName);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject(Departments);
        foreach (var (key, d) in r.Departments)
        {
            w.WriteStartObject(key);
            w.WriteString(Code, d.Code);
            w.WriteString(NameProp, d.Name);
            w.WriteString(Contact, d.Contact);
            w.WriteString(Phone, d.Phone);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject(Rules);
        foreach (var (key, rule) in r.Rules)
        {
            w.WriteStartObject(key);
            w.WriteString(Id, rule.Id);
            w.WriteString(Grid, rule.Grid);
            w.WriteString(Class, rule.Class);
            w.WriteString(Description, rule.Description);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject(Errors);
        foreach (var (key, message) in r.Errors) w.WriteString(key, message);
        w.WriteEndObject();
        w.WriteStartArray(Results);
        foreach (var item in r.Results)
        {
            w.WriteStartObject();
            if (item.Id is { } id) w.WriteString(Id, id);
            if (item.Grid is { } grid) w.WriteString(Grid, grid);
            if (item.Department is { } dept) w.WriteString(Department, dept);
            if (item.Rule is { } ruleId) w.WriteString(Rule, ruleId);
            if (item.OnBoundary) w.WriteBoolean(OnBoundary, true);
            if (item.Error is { } e)
            {
                w.WriteStartObject(Error);
                w.WriteString(Code, e.Code);
                if (e.NearestGrid is { } ng) w.WriteString(NearestGrid, ng);
                if (e.DistanceMetres is { } dm) w.WriteNumber(DistanceMetres, dm);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
