using System.Runtime.CompilerServices;
using Geo.Gdal;

namespace Geo.Tiles.Raster;

/// <summary>
/// Loads libgdal before this assembly can load OpenCV's native library (the tile encoder): with OpenCV first, GDAL
/// binds to OpenCV's bundled libjpeg and crashes on JPEG-compressed GeoTIFFs (PITFALLS, OpenCvSharp4).
/// </summary>
internal static class GdalFirst
{
#pragma warning disable CA2255 // a library initializer on purpose: load order of two native libraries
    [ModuleInitializer]
    internal static void Load() => GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}
