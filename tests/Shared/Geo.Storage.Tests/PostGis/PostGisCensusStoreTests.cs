using Geo.GridService.Census;
using Geo.Storage.PostGis;
using Npgsql;

namespace Geo.Storage.Tests.PostGis;

/// <summary>
/// The unchanged census contract suite against PostGIS (a fresh database per test in the shared throwaway cluster),
/// plus what only the PostGIS schema has to prove: the SRID and geometry-type constraints, the GiST index, the census
/// sharing the grid store's revision and change feed, a cancelled COPY leaving nothing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostGisCensusStoreTests(PostgresFixture pg) : CensusStoreContract
{
    protected override async Task<ICensusStore> CreateEmptyStoreAsync() =>
        await PostGisCensusStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());

    protected override async Task<(ICensusStore Census, GridService.Storage.IGridStore Grids)> CreateEmptyPairAsync()
    {
        var grids = await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());
        return (PostGisCensusStore.On(grids), grids);
    }

    private static string Database(string cs) => new NpgsqlConnectionStringBuilder(cs).Database!;

    [Fact]
    public async Task Schema_HasGistIndex_AndRejectsOtherSridsAndGeometryTypes()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await (await PostGisCensusStore.OpenAsync(cs)).DisposeAsync();
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));
        Assert.Contains("USING gist (geom)", await PostgresCluster.Scalar<string>(c,
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'components' AND indexname = 'ix_components_geom'"));
        Assert.Equal(4490, await PostgresCluster.Scalar<int>(c, "SELECT srid FROM geometry_columns WHERE f_table_name = 'components'"));
        const string insert = "INSERT INTO components (code, name, geom, grid_codes, status, first_recorded, last_changed, data_source, version) VALUES ";
        await Assert.ThrowsAsync<PostgresException>(() => PostgresCluster.Execute(c,
            insert + "('4104820101000001', 'x', ST_SetSRID(ST_MakePoint(112.8, 34.1), 4326), '{41048200100101}', '完好', '2024-01-01', '2024-01-01', '实测', 1)"));
        await Assert.ThrowsAsync<PostgresException>(() => PostgresCluster.Execute(c,
            insert + "('4104820101000001', 'x', ST_GeomFromText('GEOMETRYCOLLECTION(POINT(112.8 34.1))', 4490), '{41048200100101}', '完好', '2024-01-01', '2024-01-01', '实测', 1)"));
        await Assert.ThrowsAsync<PostgresException>(() => PostgresCluster.Execute(c,
            insert + "('410482010100001', 'short code', ST_SetSRID(ST_MakePoint(112.8, 34.1), 4490), '{41048200100101}', '完好', '2024-01-01', '2024-01-01', '实测', 1)"));
        await PostgresCluster.Execute(c,
            insert + "('4104820101000001', 'ok', ST_SetSRID(ST_MakePoint(112.8, 34.1), 4490), '{41048200100101}', '完好', '2024-01-01', '2024-01-01', '实测', 1)");
        Assert.Equal("0101", await PostgresCluster.Scalar<string>(c, "SELECT class_code FROM components"));
    }

    [Fact]
    public async Task CensusWrites_BumpTheGridStoresRevision_AndReachItsChangeFeed()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using var grids = await PostGisGridStore.OpenAsync(cs);
        await using var census = PostGisCensusStore.On(grids);
        await using var other = await PostGisGridStore.OpenAsync(cs);
        var r0 = await grids.GetRevisionAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<long>();
        var watch = Task.Run(async () =>
        {
            // Ten minutes between polls: only the NOTIFY can deliver within the test.
            await foreach (var rev in other.WatchAsync(new GridService.Storage.StoreWatchOptions(TimeSpan.FromMinutes(10)), stop.Token))
            {
                lock (seen) seen.Add(rev);
                if (rev >= r0 + 2) return;
            }
        });
        while (true) { lock (seen) if (seen.Count > 0) break; await Task.Delay(10); } // the listener is up

        await census.AddComponentAsync(Make("4104820101000001"), Alice);
        await using (var bulk = await census.BeginBulkAsync(Alice, "feed"))
        {
            bulk.Add(Make("4104820101000002"));
            await bulk.CommitAsync();
        }
        await watch.WaitAsync(stop.Token);

        Assert.Equal(r0 + 2, await grids.GetRevisionAsync());
        lock (seen) Assert.Contains(r0 + 2, seen);
    }

    [Fact]
    public async Task Bulk_NextSerial_CountsTheBatch_AndCommitsOneImportRow()
    {
        await using var store = (PostGisCensusStore)await StoreWith(Make("4104820101000004"));
        await using (var bulk = await store.BeginBulkAsync(Alice, "serials.csv"))
        {
            Assert.Equal(5, bulk.NextSerial(Ruzhou, Cover));
            Assert.True(bulk.Add(Make("4104820101000009")).IsOk);
            Assert.Equal(10, bulk.NextSerial(Ruzhou, Cover));
            Assert.Equal(1, bulk.NextSerial(Ruzhou, Lamp));
            await bulk.CommitAsync();
        }
        var imports = new List<CensusImportRecord>();
        await foreach (var i in store.ReadImportsAsync()) imports.Add(i);
        Assert.Equal([1, 1], imports.Select(i => i.RowCount));
        Assert.Equal("serials.csv", imports[1].Source);
    }

    [Fact]
    public async Task Bulk_CancelledMidCopy_LeavesNothing_AndTheNextImportWorks()
    {
        await using var store = await CreateEmptyStoreAsync();
        var revision = await store.GetRevisionAsync();
        await using (var bulk = await store.BeginBulkAsync(Alice, null))
        {
            for (var i = 1; i <= 5000; i++) Assert.True(bulk.Add(Make($"4104820101{i:D6}")).IsOk);
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bulk.CommitAsync(cancelled.Token));
        }
        Assert.Equal(0, await store.CountAsync());
        Assert.Equal(revision, await store.GetRevisionAsync());
        await using (var bulk = await store.BeginBulkAsync(Alice, null))
        {
            Assert.True(bulk.Add(Make("4104820101000001")).IsOk);
            await bulk.CommitAsync();
        }
        Assert.Equal(1, await store.CountAsync());
    }
}
