namespace Geo.ChangeDetect.Findings;

/// <summary>
/// The text forms of the findings enums, one place for the stores (GeoPackage and PostGIS columns, their CHECK
/// constraints) and the API: snake_case kinds, lower-case review and run states. Parsing is lenient only towards the
/// default of each enum, as the stored values are constrained by the schema.
/// </summary>
public static class FindingText
{
    public static string Kind(ChangeKind kind) => kind switch
    {
        ChangeKind.NewStructure => "new_structure",
        ChangeKind.Extension => "extension",
        ChangeKind.Demolition => "demolition",
        _ => "other",
    };

    public static ChangeKind ParseKind(string s) => s switch
    {
        "new_structure" => ChangeKind.NewStructure,
        "extension" => ChangeKind.Extension,
        "demolition" => ChangeKind.Demolition,
        _ => ChangeKind.Other,
    };

    public static string Review(ReviewState s) => s.ToString().ToLowerInvariant();

    public static ReviewState ParseReview(string s) => s switch
    {
        "confirmed" => ReviewState.Confirmed,
        "dismissed" => ReviewState.Dismissed,
        _ => ReviewState.Pending,
    };

    public static string State(RunState s) => s.ToString().ToLowerInvariant();

    public static RunState ParseState(string s) => s switch
    {
        "succeeded" => RunState.Succeeded,
        "failed" => RunState.Failed,
        "cancelled" => RunState.Cancelled,
        _ => RunState.Running,
    };
}
