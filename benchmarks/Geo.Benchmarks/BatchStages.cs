namespace Geo.Benchmarks;

/// <summary>
/// A quick look at where a 10,000-point batch spends its time, in process CPU time per stage (less sensitive to other
/// load on the machine than wall time). For reported figures use BenchmarkDotNet's <see cref="BatchBenchmarks"/>.
/// </summary>
internal static class BatchStages
{
    public static int Run(int iterations)
    {
        var b = new BatchBenchmarks();
        b.Setup();
        Measure("parse 10,000-point request", iterations, () => b.Parse());
        Measure("answer 10,000 points", iterations, () => b.Answer());
        Measure("write 10,000-point response", iterations, () => b.Write());
        Measure("write, BatchResponseWriter", iterations, () => b.WriteDirect());
        var (snap, req) = b.Internals();
        Measure("  locate only", iterations, () => { var n = 0; var ix = snap.Index(snap.Current!.Number); for (var i = 0; i < req.Count; i++) if (ix.Locate(req.X[i], req.Y[i]).Found) n++; return n; });
        Measure("  answerCompact only", iterations, () => { var n = 0; for (var i = 0; i < req.Count; i++) if (snap.AnswerCompact(new Geo.GridService.Ownership.OwnershipQuery(req.X[i], req.Y[i], Geo.Spatial.Crs.CrsId.Cgcs2000, null, null)).IsOk) n++; return n; });
        Measure("  nearest only (outside pts)", iterations, () => { var n = 0; var ix = snap.Index(snap.Current!.Number); for (var i = 0; i < req.Count; i++) if (!ix.Locate(req.X[i], req.Y[i]).Found) n += ix.Nearest(req.X[i], req.Y[i]).GridIndex; return n; });
        Measure("  current only", iterations, () => { var n = 0; for (var i = 0; i < req.Count; i++) if (snap.Current is not null) n++; return n; });
        return 0;
    }

    private static void Measure(string name, int iterations, Func<object> stage)
    {
        for (var i = 0; i < Math.Max(20, iterations / 5); i++) stage(); // warm up (tiered JIT)
        GC.Collect();
        var cpu0 = Environment.CpuUsage.TotalTime;
        var wall = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) stage();
        var cpu = (Environment.CpuUsage.TotalTime - cpu0).TotalMilliseconds / iterations;
        Console.WriteLine($"{name,-32} cpu {cpu,7:F2} ms   wall {wall.Elapsed.TotalMilliseconds / iterations,7:F2} ms");
    }
}
