using Geo.Storage.PostGis;
using Geo.Surveys;
using Npgsql;

namespace Geo.Storage.Tests.PostGis;

/// <summary>The unchanged survey contract suite against PostGIS, plus the footprint column's type, SRID and index.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostGisSurveyStoreTests(PostgresFixture pg) : SurveyStoreContract
{
    protected override async Task<ISurveyStore> CreateEmptyStoreAsync() =>
        await PostGisSurveyStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());

    [Fact]
    public async Task Footprint_IsAMultiPolygonIn4490_WithAGistIndex()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using (var store = await PostGisSurveyStore.OpenAsync(cs))
            Assert.True((await store.AddAsync(Sample())).IsOk);
        await using var c = await pg.Cluster.OpenAdminAsync(new NpgsqlConnectionStringBuilder(cs).Database!);
        Assert.Equal("MULTIPOLYGON", await PostgresCluster.Scalar<string>(c, "SELECT type FROM geometry_columns WHERE f_table_name = 'surveys'"));
        Assert.Equal(4490, await PostgresCluster.Scalar<int>(c, "SELECT ST_SRID(geom) FROM surveys"));
        Assert.Contains("USING gist (geom)", await PostgresCluster.Scalar<string>(c,
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'surveys' AND indexname = 'ix_surveys_geom'"));
    }
}
