using System.Diagnostics;

namespace Geo.Formats.Tests.TestSupport;

/// <summary>Runs the GDAL command-line tools (Debian gdal-bin) to make fixtures and to check what GDAL sees.</summary>
internal static class Gdal
{
    public static string Ogr2Ogr(params string[] args) => Run("ogr2ogr", args);

    public static string OgrInfo(params string[] args) => Run("ogrinfo", args);

    private static string Run(string tool, string[] args)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {tool} (apt-get install gdal-bin).");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException($"{tool} did not finish.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        }

        return stdout.Result;
    }
}
