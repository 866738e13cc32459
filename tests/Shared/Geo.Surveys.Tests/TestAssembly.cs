using System.Runtime.CompilerServices;
using Geo.Gdal;

namespace Geo.Surveys.Tests;

/// <summary>Loads libgdal before anything else in the test process (PITFALLS: GDAL before OpenCV).</summary>
internal static class TestAssembly
{
#pragma warning disable CA2255 // Test assembly: the documented place for this.
    [ModuleInitializer]
    internal static void LoadGdalFirst() => GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}
