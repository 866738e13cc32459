using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Cli;

/// <summary>The CLI edge's one mapping of failures: a readable line on stderr and an exit code per kind.</summary>
internal static class CliOutput
{
    public static int ExitCodeOf(FailureKind kind) => kind switch
    {
        FailureKind.BadRequest => 2,
        FailureKind.Invalid => 3,
        FailureKind.NotFound => 4,
        FailureKind.Conflict => 5,
        FailureKind.TooLarge => 6,
        FailureKind.Unavailable => 7,
        FailureKind.TooManyRequests => 8,
        _ => 1,
    };

    /// <summary>One line for a single failure; a summary line then one line per problem for several.</summary>
    public static int Fail(IReadOnlyList<Failure> failures, string? context = null)
    {
        var prefix = context is null ? "error" : $"error: {context}";
        if (failures.Count == 1)
            Console.Error.WriteLine($"{prefix}: {failures[0]}");
        else
        {
            Console.Error.WriteLine($"{prefix}: {failures.Count} problems");
            foreach (var f in failures.Take(200)) Console.Error.WriteLine($"  - {f}");
            if (failures.Count > 200) Console.Error.WriteLine($"  ... and {failures.Count - 200} more");
        }
        return ExitCodeOf(failures.Select(f => f.Kind).Max());
    }

    public static int Fail(Failure failure) => Fail([failure]);
}
