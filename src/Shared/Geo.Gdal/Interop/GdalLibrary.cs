using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Geo.Gdal.Interop;

/// <summary>
/// Locates and loads libgdal. Debian ships only <c>libgdal.so.32</c> (no <c>libgdal.so</c> without the -dev package),
/// so <c>DllImport("gdal")</c> alone fails; the resolver maps the logical name. Loading happens in a module
/// initializer so that GDAL's copies of libjpeg/libpng are bound before anything else (OpenCV) can load its own
/// (PITFALLS: OpenCV first makes GDAL segfault on JPEG GeoTIFFs).
/// </summary>
internal static class GdalLibrary
{
    /// <summary>File names tried in order. <c>GEO_GDAL_LIBRARY</c> overrides them (a full path or a soname).</summary>
    private static readonly string[] Candidates = ["libgdal.so.32", "libgdal.so", "gdal.dll", "libgdal.dylib"];

    private static readonly Lock Gate = new();
    private static IntPtr _handle;

#pragma warning disable CA2255 // Deliberate: libgdal must be loaded before any other native imaging library.
    [ModuleInitializer]
    internal static void Initialize()
#pragma warning restore CA2255
    {
        NativeLibrary.SetDllImportResolver(typeof(GdalLibrary).Assembly, Resolve);
        // Best effort here: a machine without GDAL must still be able to load the assembly; the first real call
        // then fails with DllNotFoundException, which is an infrastructure error, not an expected failure.
        TryLoad(out _);
    }

    /// <summary>Loads libgdal once and returns its handle; throws <see cref="DllNotFoundException"/> if absent.</summary>
    internal static IntPtr Load() =>
        TryLoad(out var handle) ? handle : throw new DllNotFoundException(
            $"libgdal not found (tried {string.Join(", ", Candidates)}). Install it: apt-get install -y --no-install-recommends gdal-bin libgdal32");

    private static bool TryLoad(out IntPtr handle)
    {
        lock (Gate)
        {
            if (_handle == IntPtr.Zero)
            {
                var overrideName = Environment.GetEnvironmentVariable("GEO_GDAL_LIBRARY");
                foreach (var name in string.IsNullOrEmpty(overrideName) ? Candidates : [overrideName, .. Candidates])
                {
                    if (NativeLibrary.TryLoad(name, out var h))
                    {
                        _handle = h;
                        break;
                    }
                }
            }

            handle = _handle;
            return handle != IntPtr.Zero;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == GdalNative.Lib ? Load() : IntPtr.Zero;
}
