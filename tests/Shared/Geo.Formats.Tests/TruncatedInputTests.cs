using Geo.Formats.Tests.TestSupport;

namespace Geo.Formats.Tests;

/// <summary>SECURITY.md U5: a file cut anywhere gives a clean failure (or, if still well formed, a result), never an exception.</summary>
public sealed class TruncatedInputTests
{
    public static TheoryData<string, double> Cuts()
    {
        var data = new TheoryData<string, double>();
        foreach (var format in new[] { "geojson", "gpkg", "zip" })
        {
            foreach (var fraction in new[] { 0.01, 0.1, 0.5, 0.9, 0.99 })
            {
                data.Add(format, fraction);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cuts))]
    public void A_truncated_file_fails_cleanly(string format, double fraction)
    {
        using var dir = new TempDirectory();
        var geojson = Fixtures.WriteText(dir, "grids.geojson", Fixtures.GridsGeoJson4547);
        var source = format switch
        {
            "geojson" => geojson,
            "gpkg" => GeoPackage(dir, geojson),
            _ => Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547"),
        };
        var bytes = File.ReadAllBytes(source);
        var cut = dir.File("cut." + format);
        File.WriteAllBytes(cut, bytes[..Math.Max(1, (int)(bytes.Length * fraction))]);

        var result = VectorReader.ReadFile(cut);

        Assert.True(result.IsOk || result.Failures.Count > 0);
    }

    private static string GeoPackage(TempDirectory dir, string geojson)
    {
        var path = dir.File("grids.gpkg");
        Gdal.Ogr2Ogr("-f", "GPKG", path, geojson);
        return path;
    }
}
