using System.Collections.Concurrent;
using System.Diagnostics;

namespace Geo.ChangeDetect.Surveys;

/// <summary>Per-stage CPU-time totals, printed to stderr when GEO_CD_PROFILE=1 (development aid, off by default).</summary>
internal static class Profile
{
    public static readonly bool On = Environment.GetEnvironmentVariable("GEO_CD_PROFILE") == "1";
    private static readonly ConcurrentDictionary<string, long> Ticks = new();

    public static long Start() => On ? Stopwatch.GetTimestamp() : 0;

    public static void Stop(string stage, long start)
    {
        if (On) Ticks.AddOrUpdate(stage, Stopwatch.GetTimestamp() - start, (_, t) => t + Stopwatch.GetTimestamp() - start);
    }

    public static void Print()
    {
        if (!On) return;
        foreach (var (k, v) in Ticks.OrderByDescending(p => p.Value))
            Console.Error.WriteLine($"profile {k}: {v / (double)Stopwatch.Frequency:0.00} s");
        Ticks.Clear();
    }
}
