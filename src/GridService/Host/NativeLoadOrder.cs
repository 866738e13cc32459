using System.Runtime.CompilerServices;
using Geo.Gdal;

namespace Geo.GridService.Host;

/// <summary>libgdal is loaded before anything can load OpenCV's native library (PITFALLS: GDAL first, or JPEG GeoTIFFs crash).</summary>
internal static class NativeLoadOrder
{
#pragma warning disable CA2255 // Deliberate: native load order matters.
    [ModuleInitializer]
    internal static void LoadGdalFirst() => GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}
