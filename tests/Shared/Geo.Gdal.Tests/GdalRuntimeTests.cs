using Geo.Spatial.Failures;

namespace Geo.Gdal.Tests;

[Collection(GdalCollection.Name)]
public sealed class GdalRuntimeTests(Samples samples) : LeakCheckedTest(samples)
{
    [Fact]
    public void Initialisation_is_idempotent_and_sets_the_safety_options()
    {
        GdalRuntime.EnsureInitialized();
        GdalRuntime.EnsureInitialized(GdalRuntimeOptions.Default);

        Assert.Equal("EMPTY_DIR", GdalRuntime.GetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN"));
        Assert.Contains("VRT", GdalRuntime.GetConfigOption("GDAL_SKIP"));
        Assert.Equal(1024L * 1024 * 1024, GdalRuntime.CacheMaxBytes);
    }

    [Fact]
    public void Libgdal_is_mapped_into_the_process_by_the_module_initializer()
    {
        Assert.Contains("libgdal.so.32", File.ReadAllText("/proc/self/maps"));
    }

    [Fact]
    public void Reinitialising_with_other_options_is_a_bug()
    {
        GdalRuntime.EnsureInitialized();

        Assert.Throws<InvalidOperationException>(() => GdalRuntime.EnsureInitialized(new GdalRuntimeOptions(CacheMaxMegabytes: 1)));
    }

    [Fact]
    public void Concurrent_initialisation_is_safe()
    {
        Parallel.For(0, 16, _ => GdalRuntime.EnsureInitialized());

        Assert.Equal(GdalRuntimeOptions.Default, GdalRuntime.Options);
    }

    [Fact]
    public void An_error_on_one_call_does_not_leak_into_the_next_call_on_the_same_thread()
    {
        Assert.False(GdalDataset.Open(Samples.CutInHeader).IsOk);

        var facts = SurveyInspector.Inspect(Samples.Valid).Value;

        Assert.Empty(facts.Warnings);
        using var ds = GdalDataset.Open(Samples.Valid).Value;
        Assert.True(ds.ReadBlock(1, 0, 0, 8, 8, new byte[64]).IsOk);
    }

    [Fact]
    [Trait("tier", "slow")]
    public void Errors_raised_on_one_thread_never_reach_another_threads_results()
    {
        using var stop = new CancellationTokenSource();
        var failuresOnBadThread = 0;
        var bad = new Thread(() =>
        {
            var buffer = new byte[256 * 256];
            while (!stop.IsCancellationRequested)
            {
                if (!GdalDataset.Open(Samples.CutInHeader, GdalOpenOptions.UntrustedGeoTiff).IsOk)
                {
                    failuresOnBadThread++;
                }

                using var cut = GdalDataset.Open(Samples.Truncated[50]).Value;
                if (!cut.ReadBlock(1, 0, 0, 256, 256, buffer).IsOk)
                {
                    failuresOnBadThread++;
                }
            }
        });
        bad.Start();

        var unexpected = new List<Failure>();
        var good = new Thread(() =>
        {
            var buffer = new byte[256 * 256];
            for (var i = 0; i < 300; i++)
            {
                var facts = SurveyInspector.Inspect(Samples.Valid);
                if (!facts.IsOk)
                {
                    unexpected.AddRange(facts.Failures);
                }
                else if (facts.Value.Warnings.Count > 0)
                {
                    unexpected.Add(Failure.Invalid("warning_leaked", string.Join("; ", facts.Value.Warnings)));
                }

                using var ds = GdalDataset.Open(Samples.Valid).Value;
                var read = ds.ReadBlock(1 + i % 3, 0, 0, 256, 256, buffer);
                if (!read.IsOk)
                {
                    unexpected.AddRange(read.Failures);
                }
            }
        });
        good.Start();
        good.Join();
        stop.Cancel();
        bad.Join();

        Assert.Empty(unexpected);
        Assert.True(failuresOnBadThread > 0);
    }
}
