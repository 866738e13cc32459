using System.IO.Compression;
using System.Text;

namespace Geo.Formats.Tests.TestSupport;

/// <summary>Builds input files at test time.</summary>
internal static class Fixtures
{
    /// <summary>Two polygons with Chinese attributes, in Ruzhou's 3-degree GK zone (EPSG:4547) coordinates.</summary>
    public const string GridsGeoJson4547 = """
        {"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"code":"410482001001","name":"汝州市钟楼街道第一网格","area":1250.5,"level":3},
         "geometry":{"type":"Polygon","coordinates":[[[38400000,3780000],[38400100,3780000],[38400100,3780100],[38400000,3780100],[38400000,3780000]]]}},
        {"type":"Feature","properties":{"code":"410482001002","name":"煤山街道","area":99.25,"level":4},
         "geometry":{"type":"Polygon","coordinates":[[[38400100,3780000],[38400200,3780000],[38400200,3780100],[38400100,3780100],[38400100,3780000]]]}}
        ]}
        """;

    /// <summary>The same in CGCS2000 lon/lat (EPSG:4490).</summary>
    public const string GridsGeoJson4490 = """
        {"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"code":"410482001001","name":"汝州市钟楼街道第一网格","area":1250.5,"level":3},
         "geometry":{"type":"Polygon","coordinates":[[[112.84,34.16],[112.85,34.16],[112.85,34.17],[112.84,34.17],[112.84,34.16]]]}},
        {"type":"Feature","properties":{"code":"410482001002","name":"煤山街道","area":99.25,"level":4},
         "geometry":{"type":"Polygon","coordinates":[[[112.85,34.16],[112.86,34.16],[112.86,34.17],[112.85,34.17],[112.85,34.16]]]}}
        ]}
        """;

    public const string Cgcs2000Wkt = """GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]""";

    public static string WriteText(TempDirectory dir, string name, string text)
    {
        var path = dir.File(name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Runs ogr2ogr to a shapefile and zips every file it produced (flat, as users zip them).</summary>
    public static string ZippedShapefile(TempDirectory dir, string geojson, string epsg, string? encoding = "UTF-8", string name = "grids")
    {
        var source = WriteText(dir, name + "-source.geojson", geojson);
        var shpDir = Path.Combine(dir.Path, name + "-shp");
        Directory.CreateDirectory(shpDir);
        var args = new List<string> { "-f", "ESRI Shapefile", Path.Combine(shpDir, name + ".shp"), source, "-a_srs", epsg };
        if (encoding is not null)
        {
            args.AddRange(["-lco", "ENCODING=" + encoding]);
        }

        Gdal.Ogr2Ogr([.. args]);
        var zipPath = dir.File(name + ".zip");
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        foreach (var file in Directory.GetFiles(shpDir))
        {
            zip.CreateEntryFromFile(file, Path.GetFileName(file));
        }

        return zipPath;
    }

    /// <summary>A zip with the given entries (name -> content), for hostile archives.</summary>
    public static string Zip(TempDirectory dir, string name, params (string Entry, byte[] Content)[] entries)
    {
        var path = dir.File(name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entryName, content) in entries)
        {
            using var stream = zip.CreateEntry(entryName).Open();
            stream.Write(content);
        }

        return path;
    }

    public static Stream Utf8(string text) => new MemoryStream(new UTF8Encoding(false).GetBytes(text));
}
