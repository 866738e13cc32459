using System.Runtime.CompilerServices;
using Geo.Gdal;

namespace Geo.Gdal.Tests;

/// <summary>Loads libgdal before anything else in the test process (PITFALLS: GDAL before OpenCV).</summary>
internal static class TestAssembly
{
#pragma warning disable CA2255 // Test assembly: the documented place for this.
    [ModuleInitializer]
    internal static void LoadGdalFirst() => GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}

/// <summary>Every GDAL test shares the generated samples and runs serially, so <see cref="GdalDataset.OpenCount"/> is exact.</summary>
[CollectionDefinition(Name)]
public sealed class GdalCollection : ICollectionFixture<Samples>
{
    public const string Name = "gdal";
}

/// <summary>Fails a test that leaves a dataset open (managed counter and GDAL's own list).</summary>
public abstract class LeakCheckedTest : IDisposable
{
    private readonly long _openAtStart = GdalDataset.OpenCount;
    private readonly int _nativeAtStart = GdalRuntime.NativeOpenDatasetCount();

    protected LeakCheckedTest(Samples samples) => Samples = samples;

    protected Samples Samples { get; }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        Assert.Equal(_openAtStart, GdalDataset.OpenCount);
        Assert.Equal(_nativeAtStart, GdalRuntime.NativeOpenDatasetCount());
    }
}
