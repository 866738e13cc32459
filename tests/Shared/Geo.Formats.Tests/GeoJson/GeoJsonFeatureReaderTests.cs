using System.Text;
using Geo.Formats.Tests.TestSupport;
using Geo.Spatial.Failures;
using NetTopologySuite.IO;

namespace Geo.Formats.Tests.GeoJson;

public sealed class GeoJsonFeatureReaderTests
{
    private static Result<VectorFeatureSet> Read(string json, VectorReadLimits? limits = null) =>
        VectorReader.ReadGeoJson(Fixtures.Utf8(json), limits);

    private static string Collection(params string[] geometries) =>
        "{\"type\":\"FeatureCollection\",\"features\":["
        + string.Join(",", geometries.Select(g => "{\"type\":\"Feature\",\"properties\":{},\"geometry\":" + g + "}"))
        + "]}";

    private const string Point = "{\"type\":\"Point\",\"coordinates\":[112.84,34.16]}";

    [Fact]
    public void Reads_features_geometry_and_attributes()
    {
        var set = Read(Fixtures.GridsGeoJson4490).Value;

        Assert.Equal(2, set.Features.Count);
        Assert.Equal(1, set.Features[1].Index);
        Assert.Equal("煤山街道", set.Features[1].Attributes["name"]);
        Assert.Equal(4L, set.Features[1].Attributes["level"]);
        Assert.Equal(99.25, set.Features[1].Attributes["area"]);
        Assert.Equal(new WKTReader().Read("POLYGON ((112.85 34.16, 112.86 34.16, 112.86 34.17, 112.85 34.17, 112.85 34.16))"), set.Features[1].Geometry);
    }

    [Fact]
    public void Crs_is_null_when_the_file_declares_none()
    {
        Assert.Null(Read(Fixtures.GridsGeoJson4490).Value.CrsHint);
    }

    [Theory]
    [InlineData("EPSG:4490", "EPSG:4490")]
    [InlineData("urn:ogc:def:crs:EPSG::4547", "EPSG:4547")]
    [InlineData("urn:ogc:def:crs:EPSG:6.6:4547", "EPSG:4547")]
    [InlineData("http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857")]
    [InlineData("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326")]
    [InlineData("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326")]
    [InlineData("LOCAL:RUZHOU", "LOCAL:RUZHOU")]
    public void Crs_hint_comes_from_the_legacy_crs_member(string name, string expected)
    {
        var json = "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"" + name + "\"}},\"features\":[]}";

        Assert.Equal(expected, Read(json).Value.CrsHint);
    }

    [Fact]
    public void Epsg_crs_sets_the_geometry_srid()
    {
        var json = Collection(Point).Replace("\"features\"", "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:4490\"}},\"features\"");

        Assert.Equal(4490, Read(json).Value.Features[0].Geometry!.SRID);
    }

    [Fact]
    public void A_single_feature_is_wrapped()
    {
        var set = Read("{\"type\":\"Feature\",\"properties\":{\"名称\":\"汝州\"},\"geometry\":" + Point + "}").Value;

        Assert.Equal("汝州", Assert.Single(set.Features).Attributes["名称"]);
    }

    [Fact]
    public void A_bare_geometry_is_wrapped()
    {
        var feature = Assert.Single(Read(Point).Value.Features);

        Assert.Equal("Point", feature.Geometry!.GeometryType);
        Assert.Empty(feature.Attributes);
    }

    [Fact]
    public void A_null_geometry_is_kept_as_null()
    {
        Assert.Null(Assert.Single(Read(Collection("null")).Value.Features).Geometry);
    }

    [Fact]
    public void A_leading_bom_is_accepted()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Point)).ToArray();

        Assert.True(VectorReader.ReadGeoJson(new MemoryStream(bytes)).IsOk);
    }

    [Theory]
    [InlineData("[1,2,3]")]
    [InlineData("{\"type\":\"Topology\",\"objects\":{}}")]
    [InlineData("{\"features\":[]}")]
    public void Other_documents_are_not_a_feature_collection(string json)
    {
        Assert.Equal("geojson_not_feature_collection", Read(json).Failure.Code);
    }

    [Fact]
    public void Truncated_json_is_malformed_with_line_and_position()
    {
        var failure = Read("{\"type\":\"FeatureCollection\",\n\"features\":[{\"type\":\"Fea").Failure;

        Assert.Equal("json_malformed", failure.Code);
        Assert.StartsWith("line 2, position ", failure.Location);
    }

    [Fact]
    public void Ten_thousand_nested_arrays_are_too_deep()
    {
        var json = "{\"type\":\"Point\",\"coordinates\":" + new string('[', 10_000) + new string(']', 10_000) + "}";

        var failure = Read(json).Failure;

        Assert.Equal("json_too_deep", failure.Code);
        Assert.Equal("line 1, position 94", failure.Location); // root object + 63 arrays = 64 levels; the 64th array (offset 93) is one too many
    }

    [Fact]
    public void Deeply_nested_geometry_collections_are_too_deep()
    {
        var json = new StringBuilder();
        for (var i = 0; i < 5_000; i++)
        {
            json.Append("{\"type\":\"GeometryCollection\",\"geometries\":[");
        }

        json.Append(Point);
        for (var i = 0; i < 5_000; i++)
        {
            json.Append("]}");
        }

        Assert.Equal("json_too_deep", Read(json.ToString()).Failure.Code);
    }

    [Fact]
    public void Geometry_collections_within_the_depth_limit_are_read()
    {
        var json = "{\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":\"GeometryCollection\",\"geometries\":[" + Point + "]}]}";

        Assert.Equal(1, Read(json).Value.Features[0].Geometry!.NumPoints);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    public void A_non_finite_literal_is_an_invalid_coordinate_located_in_the_text(string literal)
    {
        var json = Collection(Point, "{\"type\":\"Point\",\n\"coordinates\":[112.84," + literal + "]}");

        var failure = Read(json).Failure;

        Assert.Equal("coordinate_invalid", failure.Code);
        Assert.Contains(literal.TrimStart('-'), failure.Message);
        Assert.StartsWith("line 2, position ", failure.Location);
    }

    [Theory]
    [InlineData("\"NaN\"")]
    [InlineData("null")]
    [InlineData("1e999")]
    public void A_non_numeric_or_overflowing_coordinate_is_invalid_at_its_feature(string value)
    {
        var json = Collection(Point, "{\"type\":\"Point\",\"coordinates\":[112.84," + value + "]}");

        var failure = Read(json).Failure;

        Assert.Equal("coordinate_invalid", failure.Code);
        Assert.Equal("feature 1", failure.Location);
    }

    [Fact]
    public void An_unclosed_ring_is_a_failure_at_its_feature()
    {
        var json = Collection(Point, "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}");

        var failure = Read(json).Failure;

        Assert.Equal("ring_not_closed", failure.Code);
        Assert.Equal("feature 1", failure.Location);
        Assert.Equal(1, failure.Extensions!["featureIndex"]);
    }

    [Fact]
    public void A_closed_ring_of_three_positions_has_too_few_points()
    {
        var json = Collection("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}");

        Assert.Equal("ring_too_few_points", Read(json).Failure.Code);
    }

    [Fact]
    public void Every_bad_feature_is_reported()
    {
        var bad = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}";

        var failures = Read(Collection(bad, Point, bad)).Failures;

        Assert.Equal(["feature 0", "feature 2"], failures.Select(f => f.Location));
    }

    [Fact]
    public void An_unknown_geometry_type_is_malformed()
    {
        Assert.Equal("geometry_malformed", Read(Collection("{\"type\":\"Circle\",\"coordinates\":[0,0]}")).Failure.Code);
    }

    [Fact]
    public void Exactly_the_feature_limit_is_accepted()
    {
        Assert.Equal(3, Read(Collection(Point, Point, Point), new VectorReadLimits(MaxFeatures: 3)).Value.Features.Count);
    }

    [Fact]
    public void One_feature_over_the_limit_is_too_many()
    {
        var failure = Read(Collection(Point, Point, Point, Point), new VectorReadLimits(MaxFeatures: 3)).Failure;

        Assert.Equal("too_many_features", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
    }

    [Fact]
    public void Exactly_the_vertex_limit_is_accepted()
    {
        var json = Collection("{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1],[2,2]]}");

        Assert.True(Read(json, new VectorReadLimits(MaxVerticesPerFeature: 3)).IsOk);
    }

    [Fact]
    public void One_vertex_over_the_limit_is_too_many()
    {
        var json = Collection(Point, "{\"type\":\"MultiLineString\",\"coordinates\":[[[0,0],[1,1]],[[2,2],[3,3]]]}");

        var failure = Read(json, new VectorReadLimits(MaxVerticesPerFeature: 3)).Failure;

        Assert.Equal("too_many_vertices", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
        Assert.Equal("feature 1", failure.Location);
    }

    [Fact]
    public void A_stream_longer_than_max_bytes_is_too_large()
    {
        var failure = Read(Fixtures.GridsGeoJson4490, new VectorReadLimits(MaxBytes: 100)).Failure;

        Assert.Equal("file_too_large", failure.Code);
        Assert.Equal(FailureKind.TooLarge, failure.Kind);
    }
}
