using System.Runtime.CompilerServices;

namespace Geo.GridService.Host;

/// <summary>Loads libgdal before anything can load OpenCV's native library (tile encoding, the synthetic survey
/// generator): with OpenCV first, GDAL crashes on JPEG-compressed GeoTIFFs (PITFALLS, OpenCvSharp4).</summary>
internal static class GdalFirst
{
#pragma warning disable CA2255 // the program's own initializer: load order of two native libraries
    [ModuleInitializer]
    internal static void Load() => Geo.Gdal.GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}
