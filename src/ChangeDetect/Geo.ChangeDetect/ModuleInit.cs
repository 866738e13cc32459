using System.Runtime.CompilerServices;
using Geo.Gdal;

namespace Geo.ChangeDetect;

/// <summary>
/// Loads libgdal before OpenCV's native library can be loaded by anything in this assembly (PITFALLS: OpenCV first
/// makes GDAL bind OpenCV's libjpeg and segfault on JPEG-compressed GeoTIFFs).
/// </summary>
internal static class ModuleInit
{
#pragma warning disable CA2255 // Deliberate: native load order matters.
    [ModuleInitializer]
    internal static void LoadGdalFirst() => GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}
