namespace Geo.GridService.Access;

/// <summary>What a key may do. Each role includes the rights of the ones below it except where noted.</summary>
public enum Role
{
    /// <summary>Read everything (planners, reviewers).</summary>
    Viewer = 0,
    /// <summary>Viewer + ownership queries at volume (the dispatch system).</summary>
    Dispatch = 1,
    /// <summary>Viewer + imports and edits of grids, departments, the matrix (GIS staff).</summary>
    Gis = 2,
    /// <summary>Everything, including API key management.</summary>
    Admin = 3,
}

/// <summary>
/// A stored API key. Only the SHA-256 of the key is stored (<see cref="Sha256Hex"/>); the key itself is shown once
/// when created. <see cref="Prefix"/> (the first 8 characters) lets staff recognise a key in lists and logs.
/// </summary>
public sealed record ApiKey(
    string Id,
    string Name,
    Role Role,
    string Prefix,
    string Sha256Hex,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt);
