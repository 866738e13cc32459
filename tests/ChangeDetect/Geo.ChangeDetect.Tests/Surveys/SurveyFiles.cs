using Geo.Gdal;

namespace Geo.ChangeDetect.Tests.Surveys;

/// <summary>The committed synthetic survey pair and helpers that make real GeoTIFF variants of it with GDAL.</summary>
internal sealed class SurveyFiles : IDisposable
{
    public SurveyFiles()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Geo.sln"))) dir = dir.Parent;
        Samples = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Repository root not found."), "data-samples", "surveys");
        Temp = Directory.CreateTempSubdirectory("geo-cd-tests-").FullName;
    }

    public string Samples { get; }

    public string Temp { get; }

    public string Before => Path.Combine(Samples, "epoch1.tif");
    public string After => Path.Combine(Samples, "epoch2.tif");
    public string BeforeDsm => Path.Combine(Samples, "epoch1_dsm.tif");
    public string AfterDsm => Path.Combine(Samples, "epoch2_dsm.tif");

    /// <summary>gdal_translate (in process) of <paramref name="source"/> into a new GeoTIFF in the temp folder.</summary>
    public string Translate(string source, string name, params string[] args)
    {
        using var ds = GdalDataset.Open(source).Value;
        var path = Path.Combine(Temp, name);
        var r = GdalApps.Translate(ds, path, ["-of", "GTiff", "-co", "TILED=YES", .. args]);
        Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
        r.Value.Dispose();
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Temp, recursive: true); } catch (IOException) { }
    }
}
