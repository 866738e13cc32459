using Geo.GridService.Census;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Census;
using Geo.GridService.Ownership;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Http;

/// <summary>
/// The ownership answer refined by the census: when the dispatch query names a component (<c>component=CODE</c>),
/// the component's maintainer (养护单位) decides the department, and the answer says so (<c>decidedBy</c>). The grid
/// is the one the component lies in (its location: the point, or a point on a line or polygon); without a maintainer
/// the matrix decides for the component's class, as for any point.
/// </summary>
public static class ComponentOwnership
{
    /// <summary>The answer with the component that decided it.</summary>
    public sealed record ComponentOwnershipAnswer(OwnershipAnswer Answer, string DecidedBy, string Component, string ComponentName,
        string Class, string? Maintainer);

    public static IResult Answer(string component, string? at, OwnershipService service, HttpContext http)
    {
        var code = ComponentCode.Parse(component);
        if (!code.IsOk) return Problems.From(Failure.BadRequest(code.Failure.Code, code.Failure.Message));
        if (http.RequestServices.GetService<CensusService>() is not { } census)
            return Problems.From(Failure.NotFound("census_unavailable", "This store has no component census."));
        // Microsoft.Data.Sqlite completes its async calls synchronously; this keeps the ownership hot path synchronous.
        var k = census.Store.GetComponentAsync(code.Value, http.RequestAborted).GetAwaiter().GetResult();
        if (k is null) return Problems.From(Failure.NotFound("component_not_found", $"There is no component {code.Value} in the census."));
        var location = k.Geometry is NetTopologySuite.Geometries.Point p ? p : k.Geometry.InteriorPoint;
        var query = OwnershipApi.ParseQuery(location.X.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            location.Y.ToString("R", System.Globalization.CultureInfo.InvariantCulture), CrsId.Cgcs2000.Name, k.Class.ToString(), at);
        if (!query.IsOk) return Problems.From(query.Failures);
        var answer = service.Snapshot.Answer(query.Value);
        if (!answer.IsOk) return Problems.From(answer.Failures);
        var a = answer.Value;
        if (k.Maintainer is { } maintainer)
        {
            var dept = service.Snapshot.Department(maintainer.Value);
            a = a with { Department = dept ?? new DepartmentRef(maintainer.Value, maintainer.Value, null, null), Rule = null };
            return Results.Ok(new ComponentOwnershipAnswer(a, "component_maintainer", k.Code.Value, k.Name, k.Code.ClassDigits, maintainer.Value));
        }
        return Results.Ok(new ComponentOwnershipAnswer(a, "matrix", k.Code.Value, k.Name, k.Code.ClassDigits, null));
    }
}
