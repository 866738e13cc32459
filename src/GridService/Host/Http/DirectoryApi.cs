using System.Text;
using Geo.GridService.Access;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Responsibility;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Microsoft.Extensions.Options;

namespace Geo.GridService.Host.Http;

/// <summary>Departments, the responsibility matrix and API keys.</summary>
public static class DirectoryApi
{
    public sealed record DepartmentDto(string Code, string Name, string? Contact, string? Phone);

    public sealed record RuleDto(string? Id, string? Grid, string? Class, string Department, string? Note);

    public sealed record NewKeyRequest(string? Name, string? Role);

    public sealed record NewKeyResponse(string Id, string Name, string Role, string Key, string Note);

    public sealed record KeyDto(string Id, string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

    public static void MapDirectoryApi(this IEndpointRouteBuilder app)
    {
        var opts = app.ServiceProvider.GetRequiredService<IOptions<GeoOptions>>().Value;
        var depts = app.MapGroup("/api/v1/departments").WithTags("Departments 部门");
        depts.MapGet("", ListDepartments).RequireAuthorization(Policies.Read).WithName("ListDepartments");
        depts.MapPut("", UpsertDepartments).RequireAuthorization(Policies.Gis).WithName("UpsertDepartments")
            .WithMetadata(new RequestSizeLimitMetadata(opts.MaxJsonBytes))
            .WithSummary("Insert or update departments by code (JSON array, or text/csv with code,name,contact,phone)");
        depts.MapDelete("/{code}", DeleteDepartment).RequireAuthorization(Policies.Gis).WithName("DeleteDepartment")
            .WithSummary("Delete a department (409 while a rule names it)");

        var matrix = app.MapGroup("/api/v1/responsibility").WithTags("Responsibility matrix 责任矩阵");
        matrix.MapGet("", ListRules).RequireAuthorization(Policies.Read).WithName("ListRules");
        matrix.MapPut("", ReplaceRules).RequireAuthorization(Policies.Gis).WithName("ReplaceRules")
            .WithMetadata(new RequestSizeLimitMetadata(opts.MaxImportBytes > 16 * 1024 * 1024 ? 16 * 1024 * 1024 : opts.MaxImportBytes))
            .WithSummary("Replace the whole matrix (JSON array, or text/csv with id,grid,class,department,note; '*' = every grid / default)");

        var keys = app.MapGroup("/api/v1/keys").WithTags("API keys 密钥").RequireAuthorization(Policies.Admin);
        keys.MapGet("", ListKeys).WithName("ListKeys");
        keys.MapPost("", CreateKey).WithName("CreateKey").WithMetadata(new RequestSizeLimitMetadata(16 * 1024))
            .WithSummary("Create a key for a role (admin, gis, dispatch, viewer); the key is shown once");
        keys.MapDelete("/{id}", RevokeKey).WithName("RevokeKey");
    }

    private static async Task<IResult> ListDepartments(IGridStore store, CancellationToken ct) =>
        Results.Ok((await store.ListDepartmentsAsync(ct)).Select(d => new DepartmentDto(d.Code.Value, d.Name, d.Contact, d.Phone)));

    private static async Task<IResult> UpsertDepartments(HttpRequest request, IGridStore store, OwnershipService ownership, CancellationToken ct)
    {
        Result<IReadOnlyList<DepartmentInput.Candidate>> parsed;
        if (IsCsv(request)) parsed = DepartmentInput.FromCsv(await Buffer(request.Body, ct));
        else
        {
            var body = await ReadJson<DepartmentDto[]>(request, ct);
            if (!body.IsOk) return Problems.From(body.Failures);
            parsed = body.Value.Select((d, i) => new DepartmentInput.Candidate(i + 1, d.Code, d.Name, d.Contact, d.Phone)).ToList();
        }
        if (!parsed.IsOk) return Problems.From(parsed.Failures);
        var valid = DepartmentInput.Validate(parsed.Value);
        if (!valid.IsOk) return Problems.From(valid.Failures);
        var stored = await store.UpsertDepartmentsAsync(valid.Value, ct);
        if (!stored.IsOk) return Problems.From(stored.Failures);
        await ownership.RefreshAsync(ct: ct);
        return Results.Ok(new { upserted = stored.Value });
    }

    private static async Task<IResult> DeleteDepartment(string code, IGridStore store, OwnershipService ownership, CancellationToken ct)
    {
        var c = DepartmentCode.Parse(code);
        if (!c.IsOk) return Problems.From(c.Failure with { Kind = FailureKind.BadRequest });
        var deleted = await store.DeleteDepartmentAsync(c.Value, ct);
        if (!deleted.IsOk) return Problems.From(deleted.Failures);
        await ownership.RefreshAsync(ct: ct);
        return Results.NoContent();
    }

    private static async Task<IResult> ListRules(IGridStore store, CancellationToken ct) =>
        Results.Ok((await store.ListRulesAsync(ct)).Select(r =>
            new RuleDto(r.Id, r.Grid?.Value ?? "*", r.Class?.ToString() ?? "*", r.Department.Value, r.Note)));

    private static async Task<IResult> ReplaceRules(HttpRequest request, IGridStore store, OwnershipService ownership,
        IOptions<GeoOptions> options, CancellationToken ct)
    {
        Result<IReadOnlyList<RuleCandidate>> parsed;
        if (IsCsv(request)) parsed = MatrixInput.FromCsv(await Buffer(request.Body, ct));
        else
        {
            var body = await ReadJson<RuleDto[]>(request, ct);
            if (!body.IsOk) return Problems.From(body.Failures);
            parsed = body.Value.Select((r, i) => new RuleCandidate(i + 1, r.Id, r.Grid, r.Class, r.Department, r.Note)).ToList();
        }
        if (!parsed.IsOk) return Problems.From(parsed.Failures);
        var result = await MatrixInput.ReplaceAsync(parsed.Value, store, ownership, CountyCode.Parse(options.Value.County).Value, ct);
        return result.IsOk ? Results.Ok(new { rules = result.Value }) : Problems.From(result.Failures);
    }

    private static async Task<IResult> ListKeys(IGridStore store, CancellationToken ct) =>
        Results.Ok((await store.ListApiKeysAsync(ct)).Select(k =>
            new KeyDto(k.Id, k.Name, ApiKeyAuthenticationHandler.RoleName(k.Role), k.Prefix, k.CreatedAt, k.RevokedAt)));

    private static async Task<IResult> CreateKey(NewKeyRequest? request, IGridStore store, ApiKeyRegistry registry, CancellationToken ct)
    {
        var name = request?.Name?.Trim();
        if (string.IsNullOrEmpty(name) || !TextRules.IsPlain(name, 100))
            return Problems.From(Failure.Invalid("key_name_invalid", "name is required: 1-100 characters without control characters."));
        if (!TryRole(request?.Role, out var role))
            return Problems.From(Failure.Invalid("role_invalid", "role must be one of admin, gis, dispatch, viewer."));
        var secret = ApiKeyRegistry.NewKey();
        var key = new ApiKey(Guid.NewGuid().ToString("N")[..12], name, role, secret[..8], ApiKeyRegistry.Hash(secret), DateTimeOffset.UtcNow, null);
        var stored = await store.AddApiKeyAsync(key, ct);
        if (!stored.IsOk) return Problems.From(stored.Failures);
        await registry.ReloadAsync(store, ct);
        return Results.Created($"/api/v1/keys/{key.Id}",
            new NewKeyResponse(key.Id, key.Name, ApiKeyAuthenticationHandler.RoleName(role), secret, "Store this key now: it is not shown again. 请立即保存此密钥，之后不再显示。"));
    }

    private static async Task<IResult> RevokeKey(string id, IGridStore store, ApiKeyRegistry registry, CancellationToken ct)
    {
        var revoked = await store.RevokeApiKeyAsync(id, DateTimeOffset.UtcNow, ct);
        if (!revoked.IsOk) return Problems.From(revoked.Failures);
        await registry.ReloadAsync(store, ct);
        return Results.NoContent();
    }

    internal static bool TryRole(string? text, out Role role)
    {
        role = Role.Viewer;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "admin": role = Role.Admin; return true;
            case "gis": role = Role.Gis; return true;
            case "dispatch": role = Role.Dispatch; return true;
            case "viewer": role = Role.Viewer; return true;
            default: return false;
        }
    }

    private static bool IsCsv(HttpRequest r) =>
        r.ContentType is { } ct && (ct.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) || ct.StartsWith("application/csv", StringComparison.OrdinalIgnoreCase));

    private static async Task<Stream> Buffer(Stream body, CancellationToken ct)
    {
        var ms = new MemoryStream();
        await body.CopyToAsync(ms, ct); // bounded by the endpoint's request size limit
        ms.Position = 0;
        return ms;
    }

    private static async Task<Result<T>> ReadJson<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (!request.HasJsonContentType())
            return Failure.BadRequest("unsupported_media_type", "Send application/json (or text/csv).");
        try
        {
            var value = await request.ReadFromJsonAsync<T>(ct);
            return value is null ? Failure.BadRequest("body_empty", "The body is empty.") : value;
        }
        catch (System.Text.Json.JsonException e)
        {
            return Failure.BadRequest("json_malformed", $"The JSON body is malformed at line {e.LineNumber + 1}, position {e.BytePositionInLine}.");
        }
    }
}
