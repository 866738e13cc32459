using System.IO.Compression;
using Geo.Formats.Tests.TestSupport;
using Geo.Spatial.Failures;

namespace Geo.Formats.Tests.Shapefile;

public sealed class ZippedShapefileReaderTests
{
    private static readonly byte[] Dummy = [1, 2, 3];

    [Fact]
    public void A_gdal_shapefile_in_epsg_4547_is_read_with_its_crs_hint()
    {
        using var dir = new TempDirectory();

        var set = VectorReader.ReadFile(Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547")).Value;

        Assert.Equal("EPSG:4547", set.CrsHint);
        Assert.Equal(2, set.Features.Count);
        Assert.Equal(10_000, set.Features[0].Geometry!.Area, 6);
    }

    [Fact]
    public void A_gdal_shapefile_in_epsg_4490_is_read_with_its_crs_hint()
    {
        using var dir = new TempDirectory();

        var set = VectorReader.ReadFile(Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4490, "EPSG:4490")).Value;

        Assert.Equal("EPSG:4490", set.CrsHint);
        Assert.Equal(34.16, set.Features[0].Geometry!.EnvelopeInternal.MinY, 9);
    }

    [Fact]
    public void Utf8_attributes_declared_by_the_cpg_are_decoded()
    {
        using var dir = new TempDirectory();

        var feature = VectorReader.ReadFile(Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547")).Value.Features[0];

        Assert.Equal("汝州市钟楼街道第一网格", feature.Attributes["name"]);
        Assert.Equal("410482001001", feature.Attributes["code"]);
        Assert.Equal(3L, feature.Attributes["level"]);
        Assert.Equal(1250.5, feature.Attributes["area"]);
    }

    [Fact]
    public void Gbk_attributes_declared_by_the_cpg_are_decoded()
    {
        using var dir = new TempDirectory();

        var set = VectorReader.ReadFile(Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547", encoding: "CP936")).Value;

        Assert.Equal("煤山街道", set.Features[1].Attributes["name"]);
    }

    [Fact]
    public void Gbk_attributes_without_a_cpg_fall_back_from_utf8_to_gbk()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547", encoding: "CP936");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update))
        {
            zip.GetEntry("grids.cpg")!.Delete();
        }

        var set = VectorReader.ReadFile(zipPath).Value;

        Assert.Equal("煤山街道", set.Features[1].Attributes["name"]);
    }

    [Fact]
    public void A_shapefile_in_a_folder_inside_the_zip_is_read()
    {
        using var dir = new TempDirectory();
        var flat = Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547");
        var nested = dir.File("nested.zip");
        using (var source = ZipFile.OpenRead(flat))
        using (var target = ZipFile.Open(nested, ZipArchiveMode.Create))
        {
            foreach (var entry in source.Entries)
            {
                using var from = entry.Open();
                using var to = target.CreateEntry("网格/" + entry.Name).Open();
                from.CopyTo(to);
            }
        }

        Assert.Equal("EPSG:4547", VectorReader.ReadFile(nested).Value.CrsHint);
    }

    [Fact]
    public void No_prj_means_no_crs_hint()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update))
        {
            zip.GetEntry("grids.prj")!.Delete();
        }

        Assert.Null(VectorReader.ReadFile(zipPath).Value.CrsHint);
    }

    [Fact]
    public void Mac_resource_forks_are_not_a_second_shapefile()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update))
        {
            using var fork = zip.CreateEntry("__MACOSX/._grids.shp").Open();
            fork.Write(Dummy);
        }

        Assert.True(VectorReader.ReadFile(zipPath).IsOk);
    }

    [Theory]
    [InlineData("../grids.shp")]
    [InlineData("data/../../grids.shp")]
    [InlineData("..\\grids.shp")]
    [InlineData("/abs.shp")]
    [InlineData("C:\\abs.shp")]
    public void A_zip_slip_entry_rejects_the_whole_archive(string entryName)
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.Zip(dir, "slip.zip", ("readme.txt", Dummy), (entryName, Dummy), ("grids.dbf", Dummy));

        var failure = VectorReader.ReadFile(zipPath).Failure;

        Assert.Equal("zip_entry_unsafe", failure.Code);
        Assert.Contains(entryName, failure.Location);
    }

    [Fact]
    public void A_symlink_entry_rejects_the_whole_archive()
    {
        using var dir = new TempDirectory();
        var zipPath = dir.File("link.zip");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            var link = zip.CreateEntry("grids.shp");
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // S_IFLNK | 0777
            using var target = link.Open();
            target.Write("/etc/passwd"u8);
        }

        Assert.Equal("zip_entry_unsafe", VectorReader.ReadFile(zipPath).Failure.Code);
    }

    [Fact]
    public void Two_shapefiles_are_rejected()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.Zip(dir, "two.zip", ("a.shp", Dummy), ("a.dbf", Dummy), ("b/b.SHP", Dummy), ("b/b.dbf", Dummy));

        Assert.Equal("zip_multiple_shapefiles", VectorReader.ReadFile(zipPath).Failure.Code);
    }

    [Fact]
    public void A_zip_without_a_shapefile_is_rejected()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.Zip(dir, "none.zip", ("grids.geojson", "{}"u8.ToArray()));

        Assert.Equal("zip_no_shapefile", VectorReader.ReadFile(zipPath).Failure.Code);
    }

    [Fact]
    public void A_shapefile_without_dbf_is_incomplete()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.Zip(dir, "nodbf.zip", ("grids.shp", Dummy), ("grids.shx", Dummy), ("other.dbf", Dummy));

        var failure = VectorReader.ReadFile(zipPath).Failure;

        Assert.Equal("shapefile_incomplete", failure.Code);
        Assert.Equal("zip entry 'grids.shp'", failure.Location);
    }

    [Fact]
    public void A_garbage_shp_is_corrupt()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.Zip(dir, "garbage.zip", ("grids.shp", new byte[200]), ("grids.dbf", Dummy));

        Assert.Equal("shapefile_corrupt", VectorReader.ReadFile(zipPath).Failure.Code);
    }

    [Fact]
    public void Too_many_entries_are_rejected()
    {
        using var dir = new TempDirectory();
        var entries = Enumerable.Range(0, 1001).Select(i => ($"f{i}.txt", Dummy)).ToArray();

        var failure = VectorReader.ReadFile(Fixtures.Zip(dir, "many.zip", entries)).Failure;

        Assert.Equal("zip_too_many_entries", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
    }

    [Fact]
    public void A_decompression_bomb_is_stopped_at_max_bytes()
    {
        using var dir = new TempDirectory();
        var zipPath = Fixtures.Zip(dir, "bomb.zip", ("grids.shp", new byte[5_000_000]), ("grids.dbf", Dummy));

        var failure = VectorReader.ReadFile(zipPath, new VectorReadLimits(MaxBytes: 1_000_000)).Failure;

        Assert.Equal("file_too_large", failure.Code);
        Assert.Contains("grids.shp", failure.Location);
    }

    [Fact]
    public void Exactly_the_feature_limit_is_accepted()
    {
        using var dir = new TempDirectory();

        Assert.True(VectorReader.ReadFile(Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547"), new VectorReadLimits(MaxFeatures: 2)).IsOk);
    }

    [Fact]
    public void One_feature_over_the_limit_is_too_many()
    {
        using var dir = new TempDirectory();

        var failure = VectorReader.ReadFile(Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547"), new VectorReadLimits(MaxFeatures: 1)).Failure;

        Assert.Equal("too_many_features", failure.Code);
    }

    [Fact]
    public void A_shape_over_the_vertex_limit_is_too_many_vertices()
    {
        using var dir = new TempDirectory();

        var failure = VectorReader.ReadFile(Fixtures.ZippedShapefile(dir, Fixtures.GridsGeoJson4547, "EPSG:4547"), new VectorReadLimits(MaxVerticesPerFeature: 4)).Failure;

        Assert.Equal("too_many_vertices", failure.Code);
        Assert.Equal("feature 0", failure.Location);
    }
}
