using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// Per-stage totals, printed to stderr when GEO_CD_PROFILE=1 (development aid, off by default): wall time summed over
/// the threads that ran the stage, and on Linux the threads' CPU time (CLOCK_THREAD_CPUTIME_ID), which a loaded
/// machine does not inflate, and the whole process's CPU time over the stage (the true cost of a stage that runs
/// alone with its own parallel parts, such as the image-wide estimates; meaningless for stages that overlap others).
/// </summary>
internal static partial class Profile
{
    public static readonly bool On = Environment.GetEnvironmentVariable("GEO_CD_PROFILE") == "1";
    private static readonly ConcurrentDictionary<string, (long Wall, long Cpu, long Process)> Ticks = new();
    // Start/Stop pairs nest (an item holds stages): the CPU clocks at each open Start, innermost last.
    [ThreadStatic] private static Stack<(long Thread, long Process)>? _cpuStarts;

    public static long Start()
    {
        if (!On) return 0;
        (_cpuStarts ??= new()).Push((CpuNanoseconds(ThreadClock), CpuNanoseconds(ProcessClock)));
        return Stopwatch.GetTimestamp();
    }

    public static void Stop(string stage, long start)
    {
        if (!On) return;
        var wall = Stopwatch.GetTimestamp() - start;
        var (thread, process) = _cpuStarts is { Count: > 0 } s ? s.Pop() : (0, 0);
        var cpu = CpuNanoseconds(ThreadClock) - thread;
        var all = CpuNanoseconds(ProcessClock) - process;
        Ticks.AddOrUpdate(stage, (wall, cpu, all), (_, t) => (t.Wall + wall, t.Cpu + cpu, t.Process + all));
    }

    /// <summary>Prints a line when profiling is on (the text is built only then).</summary>
    public static void Note(Func<string> text)
    {
        if (On) Console.Error.WriteLine("profile " + text());
    }

    public static void Print()
    {
        if (!On) return;
        foreach (var (k, v) in Ticks.OrderByDescending(p => p.Value.Cpu))
            Console.Error.WriteLine($"profile {k}: wall {v.Wall / (double)Stopwatch.Frequency:0.00} s, thread CPU {v.Cpu / 1e9:0.00} s, process CPU {v.Process / 1e9:0.00} s");
        Console.Error.WriteLine($"profile JIT: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:0.00} s");
        Ticks.Clear();
    }

    private const int ProcessClock = 2; // CLOCK_PROCESS_CPUTIME_ID
    private const int ThreadClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private static long CpuNanoseconds(int clock)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        return ClockGetTime(clock, out var ts) == 0 ? ts.Seconds * 1_000_000_000 + ts.Nanoseconds : 0;
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
