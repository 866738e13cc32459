using Geo.Formats.Shapefile;

namespace Geo.Formats.Tests.Shapefile;

public sealed class PrjCrsTests
{
    [Theory]
    [InlineData("""PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["Central_Meridian",114.0],UNIT["Meter",1.0]]""", "EPSG:4547")]
    [InlineData("""PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]]],PROJECTION["Transverse_Mercator"]]""", "EPSG:4547")]
    [InlineData("""GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]""", "EPSG:4490")]
    [InlineData("""GEOGCS["CGCS2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]]]""", "EPSG:4490")]
    [InlineData("""GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]""", "EPSG:4326")]
    [InlineData("""PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Mercator_Auxiliary_Sphere"]]""", "EPSG:3857")]
    [InlineData("""PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]],PROJECTION["Mercator_1SP"]]""", "EPSG:3857")]
    public void Known_names_are_recognised(string prj, string expected)
    {
        Assert.Equal(expected, PrjCrs.Recognise(prj));
    }

    [Fact]
    public void The_root_authority_wins_over_the_name_and_nested_authorities()
    {
        const string prj = """PROJCS["Some name",GEOGCS["WGS 84",AUTHORITY["EPSG","4326"]],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4547"]]""";

        Assert.Equal("EPSG:4547", PrjCrs.Recognise(prj));
    }

    [Fact]
    public void A_wkt2_root_id_is_recognised()
    {
        Assert.Equal("EPSG:4490", PrjCrs.Recognise("""GEOGCRS["x",DATUM["y",ELLIPSOID["z",6378137,298.257222101]],ID["EPSG",4490]]"""));
    }

    [Fact]
    public void An_unknown_projected_crs_is_not_mistaken_for_its_geographic_base()
    {
        const string prj = """PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Gauss_Kruger"]]""";

        var hint = PrjCrs.Recognise(prj);

        Assert.Equal("WKT:" + prj[..60], hint);
    }

    [Fact]
    public void An_empty_prj_has_no_hint()
    {
        Assert.Null(PrjCrs.Recognise("  \n"));
    }
}
