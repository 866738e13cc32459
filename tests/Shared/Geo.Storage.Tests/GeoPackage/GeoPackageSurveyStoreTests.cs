using Geo.Storage.GeoPackage;
using Geo.Surveys;

namespace Geo.Storage.Tests.GeoPackage;

/// <summary>The survey contract suite on the GeoPackage store, and that GDAL lists the footprints as a layer.</summary>
public sealed class GeoPackageSurveyStoreTests : SurveyStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("geo-survey-store-").FullName;

    protected override async Task<ISurveyStore> CreateEmptyStoreAsync() =>
        await GeoPackageSurveyStore.OpenAsync(Path.Combine(_directory, $"s-{Guid.NewGuid():N}.gpkg"));

    [Fact]
    public async Task Gdal_reads_the_footprints_as_a_cgcs2000_layer_beside_the_grids()
    {
        var path = Path.Combine(_directory, "both.gpkg");
        await using (var grids = await GeoPackageGridStore.OpenAsync(path))
        await using (var surveys = await GeoPackageSurveyStore.OpenAsync(path))
        {
            Assert.True((await surveys.AddAsync(Sample())).IsOk);
        }

        var info = Run("ogrinfo", "-ro", "-so", path, "surveys");
        Assert.Contains("Feature Count: 1", info);
        Assert.Contains("Multi Polygon", info);
        Assert.Contains("ID[\"EPSG\",4490]", info);
        Assert.Contains("grids", Run("ogrinfo", "-ro", "-q", path));
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    private static string Run(string tool, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output;
    }
}
