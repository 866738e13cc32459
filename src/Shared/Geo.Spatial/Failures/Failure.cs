namespace Geo.Spatial.Failures;

/// <summary>
/// How an expected failure is classified. The HTTP edge maps each kind to one status code and the CLI edge to one
/// exit code, in exactly one place each; the core never talks about status codes.
/// </summary>
public enum FailureKind
{
    /// <summary>The request itself is malformed (a parameter that does not parse). HTTP 400, exit 2.</summary>
    BadRequest,
    /// <summary>Well-formed input that breaks a domain rule (invalid polygon, overlap, bad code). HTTP 422, exit 3.</summary>
    Invalid,
    /// <summary>The thing asked for does not exist (a point outside every grid, an unknown code). HTTP 404, exit 4.</summary>
    NotFound,
    /// <summary>The write conflicts with stored state (duplicate code, stale version). HTTP 409, exit 5.</summary>
    Conflict,
    /// <summary>Input exceeds a configured limit (batch size, vertices, bytes). HTTP 413, exit 6.</summary>
    TooLarge,
    /// <summary>The store or a native library is temporarily unavailable. HTTP 503, exit 7.</summary>
    Unavailable,
    /// <summary>The caller exceeded a rate limit; retry later. HTTP 429, exit 8.</summary>
    TooManyRequests,
}

/// <summary>
/// An expected failure: a stable machine code (snake_case, part of the API contract), a human message, and where it
/// happened (a feature index, a row number, a coordinate), so that a user can fix the input without guessing.
/// </summary>
/// <param name="Code">Stable machine-readable code, e.g. <c>self_intersection</c>, <c>grid_overlap</c>.</param>
/// <param name="Message">One readable sentence.</param>
/// <param name="Kind">Classification used by the edges.</param>
/// <param name="Location">Where: e.g. <c>feature 3 (410482001001 01)</c> or <c>POINT (112.84 34.16)</c>; optional.</param>
/// <param name="Extensions">Extra machine-readable facts (nearest grid, distance...), serialised into problem+json.</param>
public sealed record Failure(
    string Code,
    string Message,
    FailureKind Kind = FailureKind.Invalid,
    string? Location = null,
    IReadOnlyDictionary<string, object?>? Extensions = null)
{
    /// <summary>One line for logs and the CLI: <c>code: message (at location)</c>.</summary>
    public override string ToString() => Location is null ? $"{Code}: {Message}" : $"{Code}: {Message} (at {Location})";

    public static Failure BadRequest(string code, string message, string? location = null) =>
        new(code, message, FailureKind.BadRequest, location);

    public static Failure Invalid(string code, string message, string? location = null) =>
        new(code, message, FailureKind.Invalid, location);

    public static Failure NotFound(string code, string message, string? location = null) =>
        new(code, message, FailureKind.NotFound, location);

    public static Failure Conflict(string code, string message, string? location = null) =>
        new(code, message, FailureKind.Conflict, location);

    public static Failure TooLarge(string code, string message, string? location = null) =>
        new(code, message, FailureKind.TooLarge, location);

    public static Failure Unavailable(string code, string message, string? location = null) =>
        new(code, message, FailureKind.Unavailable, location);
}
