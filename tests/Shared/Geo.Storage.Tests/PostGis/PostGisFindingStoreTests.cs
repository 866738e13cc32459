using Geo.ChangeDetect.Findings;
using Geo.Storage.PostGis;
using Npgsql;

namespace Geo.Storage.Tests.PostGis;

/// <summary>
/// The findings contract suite against PostGIS (a fresh database per test in the shared throwaway cluster), plus what
/// only the PostGIS schema has to prove: SRID-typed geometry columns with GiST indexes, and the outbox cursor staying in
/// commit order when two instances confirm at once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostGisFindingStoreTests(PostgresFixture pg) : FindingStoreContract
{
    protected override async Task<IFindingStore> CreateEmptyStoreAsync() =>
        await PostGisFindingStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());

    [Fact]
    public async Task Schema_HasSridTypedGeometries_WithGistIndexes()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using (await PostGisFindingStore.OpenAsync(cs)) { }
        await using var c = await pg.Cluster.OpenAdminAsync(new NpgsqlConnectionStringBuilder(cs).Database!);
        Assert.Equal("POLYGON 4490", await PostgresCluster.Scalar<string>(c,
            "SELECT type || ' ' || srid FROM geometry_columns WHERE f_table_name = 'findings' AND f_geometry_column = 'geom'"));
        Assert.Equal("MULTIPOLYGON 4490", await PostgresCluster.Scalar<string>(c,
            "SELECT type || ' ' || srid FROM geometry_columns WHERE f_table_name = 'permits' AND f_geometry_column = 'geom'"));
        Assert.Equal(2L, await PostgresCluster.Scalar<long>(c,
            "SELECT count(*) FROM pg_indexes WHERE tablename IN ('findings', 'permits') AND indexdef LIKE '%USING gist%'"));
    }

    [Fact]
    public async Task TwoInstancesConfirmingAtOnce_WriteOutboxSequencesInCommitOrder_SoACursorMissesNothing()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using var a = await PostGisFindingStore.OpenAsync(cs);
        await using var b = await PostGisFindingStore.OpenAsync(cs);
        Assert.True((await a.AddRunAsync(Run("r1"))).IsOk);
        var findings = Enumerable.Range(0, 40).Select(i => Make("r1", i, lon: 112.80 + i * 0.001)).ToArray();
        Assert.True((await a.CompleteRunAsync("r1", findings, T0.AddMinutes(1))).IsOk);

        // Confirm from both instances concurrently while a reader polls with its cursor.
        var seen = new List<string>();
        long cursor = 0;
        var confirms = findings.Select((f, i) => Task.Run(() => (i % 2 == 0 ? a : b).ReviewAsync(
            new FindingReview(f.Id, ReviewDecision.Confirm, "key:gis", null, T0.AddMinutes(2)), x => ("0101", $$"""{"id":"{{x.Id}}"}""")))).ToArray();
        while (!confirms.All(t => t.IsCompleted))
        {
            var page = await b.ReadOutboxAsync(cursor, 7);
            seen.AddRange(page.Items.Select(e => e.FindingId));
            cursor = page.Next;
        }
        Assert.All(await Task.WhenAll(confirms), r => Assert.True(r.IsOk));
        for (var page = await a.ReadOutboxAsync(cursor, 100); page.Items.Count > 0; page = await a.ReadOutboxAsync(cursor, 100))
        {
            seen.AddRange(page.Items.Select(e => e.FindingId));
            cursor = page.Next;
        }
        Assert.Equal(findings.Select(f => f.Id).Order(), seen.Order());
    }
}
