using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// Per-stage totals, printed to stderr when GEO_CD_PROFILE=1 (development aid, off by default): wall time summed over
/// the threads that ran the stage, and on Linux the threads' CPU time (CLOCK_THREAD_CPUTIME_ID), which a loaded
/// machine does not inflate.
/// </summary>
internal static partial class Profile
{
    public static readonly bool On = Environment.GetEnvironmentVariable("GEO_CD_PROFILE") == "1";
    private static readonly ConcurrentDictionary<string, (long Wall, long Cpu)> Ticks = new();
    // Start/Stop pairs nest (an item holds stages): the CPU clock at each open Start, innermost last.
    [ThreadStatic] private static Stack<long>? _cpuStarts;

    public static long Start()
    {
        if (!On) return 0;
        (_cpuStarts ??= new()).Push(ThreadCpuNanoseconds());
        return Stopwatch.GetTimestamp();
    }

    public static void Stop(string stage, long start)
    {
        if (!On) return;
        var wall = Stopwatch.GetTimestamp() - start;
        var cpu = _cpuStarts is { Count: > 0 } s ? ThreadCpuNanoseconds() - s.Pop() : 0;
        Ticks.AddOrUpdate(stage, (wall, cpu), (_, t) => (t.Wall + wall, t.Cpu + cpu));
    }

    public static void Print()
    {
        if (!On) return;
        foreach (var (k, v) in Ticks.OrderByDescending(p => p.Value.Cpu))
            Console.Error.WriteLine($"profile {k}: wall {v.Wall / (double)Stopwatch.Frequency:0.00} s, thread CPU {v.Cpu / 1e9:0.00} s");
        Ticks.Clear();
    }

    private static long ThreadCpuNanoseconds()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        return ClockGetTime(3, out var ts) == 0 ? ts.Seconds * 1_000_000_000 + ts.Nanoseconds : 0; // CLOCK_THREAD_CPUTIME_ID
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec ts);
}
