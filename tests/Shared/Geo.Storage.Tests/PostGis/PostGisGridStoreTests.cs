using Geo.GridService.Grids;
using Geo.GridService.Storage;
using Geo.Storage.PostGis;
using Npgsql;

namespace Geo.Storage.Tests.PostGis;

/// <summary>
/// The contract suite against PostGIS (a fresh database per test in the shared throwaway cluster), plus what only the
/// PostGIS schema has to prove: SRID and type constraints, GiST index, unique constraints, the migrations table.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostGisGridStoreTests(PostgresFixture pg, Xunit.Abstractions.ITestOutputHelper output) : GridStoreContract
{
    protected override async Task<IGridStore> CreateEmptyStoreAsync() =>
        await PostGisGridStore.OpenAsync(await pg.Cluster.CreateDatabaseAsync());

    private static string Database(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database!;

    [Fact]
    public async Task Open_AppliesEveryMigration_AndRecordsThem_WithTheirChecksums()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using var store = await PostGisGridStore.OpenAsync(cs);

        Assert.Equal(["0001_grid_service", "0002_census", "0003_surveys", "0004_findings", "0005_census_revision"], store.Migration!.Applied.Select(m => m.Name));
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));
        Assert.Equal(PostGisMigrations.All[0].Sha256,
            await PostgresCluster.Scalar<string>(c, "SELECT sha256 FROM geo_schema_migrations WHERE version = 1"));
        Assert.Equal(PostGisMigrations.LatestVersion, await PostgresCluster.Scalar<int>(c, "SELECT max(version) FROM geo_schema_migrations"));
    }

    [Fact]
    public async Task Reopen_AppliesNothing_AndKeepsTheData()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using (var first = await PostGisGridStore.OpenAsync(cs))
            Assert.True((await first.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null)).IsOk);

        await using var again = await PostGisGridStore.OpenAsync(cs);

        Assert.Empty(again.Migration!.Applied);
        Assert.Equal(3, (await again.GetGridsAsync(1)).Count);
    }

    [Fact]
    public async Task ConcurrentOpens_OfANewDatabase_ApplyEachMigrationOnce()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostGisGridStore.OpenAsync(cs))));

        Assert.Equal(PostGisMigrations.All.Count, stores.Sum(s => s.Migration!.Applied.Count));
        foreach (var s in stores) await s.DisposeAsync();
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));
        Assert.Equal((long)PostGisMigrations.All.Count, await PostgresCluster.Scalar<long>(c, "SELECT count(*) FROM geo_schema_migrations"));
    }

    [Fact]
    public async Task AnAppliedMigrationThatChanged_StopsTheOpen()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await (await PostGisGridStore.OpenAsync(cs)).DisposeAsync();
        await using (var c = await pg.Cluster.OpenAdminAsync(Database(cs)))
            await PostgresCluster.Execute(c, "UPDATE geo_schema_migrations SET sha256 = repeat('0', 64) WHERE version = 1");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => PostGisGridStore.OpenAsync(cs));
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public async Task ADatabaseMigratedByNewerSoftware_StopsTheOpen()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await (await PostGisGridStore.OpenAsync(cs)).DisposeAsync();
        await using (var c = await pg.Cluster.OpenAdminAsync(Database(cs)))
            await PostgresCluster.Execute(c, "INSERT INTO geo_schema_migrations (version, name, sha256) VALUES (999, '0999_future', repeat('a', 64))");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => PostGisGridStore.OpenAsync(cs));
        Assert.Contains("upgrade the software", e.Message);
    }

    [Fact]
    public async Task OpenWithoutMigrating_OnAnUnmigratedDatabase_NamesTheMigrateVerb()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => PostGisGridStore.OpenAsync(cs, new PostGisOpenOptions(Migrate: false)));

        Assert.Contains("geo store migrate", e.Message);
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));
        Assert.False(await PostgresCluster.Scalar<bool>(c, "SELECT to_regclass('grids') IS NOT NULL"));
    }

    [Theory]
    [InlineData("ST_SetSRID(ST_GeomFromText('MULTIPOLYGON (((112.8 34.1, 112.9 34.1, 112.9 34.2, 112.8 34.1)))'), 4326)", "SRID")]
    [InlineData("ST_SetSRID(ST_GeomFromText('POINT (112.8 34.1)'), 4490)", "type")]
    public async Task GridsColumn_RejectsOtherSridsAndTypes(string geometrySql, string expected)
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using (var store = await PostGisGridStore.OpenAsync(cs))
            Assert.True((await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null)).IsOk);
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));

        var e = await Assert.ThrowsAsync<PostgresException>(() => PostgresCluster.Execute(c,
            $"INSERT INTO grids (version, code, name, subdistrict_code, community_code, geom) VALUES (1, '41048200100999', 'x', '410482001', '410482001001', {geometrySql})"));

        Assert.Equal(PostgresErrorCodes.InvalidParameterValue, e.SqlState);
        Assert.Contains(expected, e.MessageText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task GridsColumn_GivesAGeometryWithoutSrid_TheStorageSrid()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using (var store = await PostGisGridStore.OpenAsync(cs))
            Assert.True((await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null)).IsOk);
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));

        await PostgresCluster.Execute(c,
            "INSERT INTO grids (version, code, name, subdistrict_code, community_code, geom) VALUES (1, '41048200100999', 'x', '410482001', '410482001001', ST_GeomFromText('MULTIPOLYGON (((112.8 34.1, 112.9 34.1, 112.9 34.2, 112.8 34.1)))'))");

        Assert.Equal(4490, await PostgresCluster.Scalar<int>(c, "SELECT ST_SRID(geom) FROM grids WHERE code = '41048200100999'"));
    }

    [Fact]
    public async Task Schema_HasGistIndexOnGrids_AndTheDomainsUniqueConstraints()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await (await PostGisGridStore.OpenAsync(cs)).DisposeAsync();
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));

        Assert.Equal("ix_grids_geom", await PostgresCluster.Scalar<string>(c,
            "SELECT indexname::text FROM pg_indexes WHERE tablename = 'grids' AND indexdef LIKE '%USING gist (geom)%'"));
        Assert.Equal(4490, await PostgresCluster.Scalar<int>(c, "SELECT srid FROM geometry_columns WHERE f_table_name = 'grids'"));
        Assert.Equal("MULTIPOLYGON", await PostgresCluster.Scalar<string>(c, "SELECT type::text FROM geometry_columns WHERE f_table_name = 'grids'"));
        var unique = new List<string>();
        await using (var command = new NpgsqlCommand("""
                         SELECT conrelid::regclass::text || '(' || string_agg(a.attname, ',' ORDER BY a.attnum) || ')'
                         FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                         WHERE k.contype IN ('u', 'p') AND k.connamespace = 'public'::regnamespace
                         GROUP BY k.conrelid, k.conname ORDER BY 1
                         """, c))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) unique.Add(reader.GetString(0));
        Assert.Contains("grids(version,code)", unique);
        Assert.Contains("departments(code)", unique);
        Assert.Contains("responsibility_rules(id)", unique);
        Assert.Contains("api_keys(id)", unique);
        Assert.Contains("api_keys(sha256_hex)", unique);
        Assert.Contains("grid_versions(number)", unique);
    }

    [Fact]
    public async Task OnlyOneOpenVersion_IsEnforcedByTheSchema()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using (var store = await PostGisGridStore.OpenAsync(cs))
            Assert.True((await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null)).IsOk);
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));

        var e = await Assert.ThrowsAsync<PostgresException>(() => PostgresCluster.Execute(c,
            "INSERT INTO grid_versions (number, valid_from, imported_at, grid_count) VALUES (2, '2024-07-01', now(), 0)"));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, e.SqlState);
    }

    [Fact]
    public async Task Timestamps_AreKeptToTheMillisecond_LikeTheGeoPackageStore()
    {
        await using var store = await CreateEmptyStoreAsync();
        var created = new DateTimeOffset(2024, 3, 1, 8, 30, 15, 123, TimeSpan.FromHours(8)).AddTicks(4567);

        var added = await store.AddApiKeyAsync(Key("k1", new string('d', 64)) with { CreatedAt = created });

        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 30, 15, 123, TimeSpan.Zero), added.Value.CreatedAt);
        Assert.Equal(added.Value, Assert.Single(await store.ListApiKeysAsync()));
    }

    [Fact]
    public async Task Writes_NotifyTheChangesChannel_WithTheNewRevision()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using var store = await PostGisGridStore.OpenAsync(cs);
        await using var listener = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString);
        await listener.OpenAsync();
        var payloads = new List<string>();
        listener.Notification += (_, e) => { if (e.Channel == PostGisGridStore.ChangesChannel) payloads.Add(e.Payload); };
        await using (var listen = new NpgsqlCommand($"LISTEN {PostGisGridStore.ChangesChannel}", listener)) await listen.ExecuteNonQueryAsync();

        await store.UpsertDepartmentsAsync([Dept("CGJ", "城管局")]);
        await store.DeleteDepartmentAsync(GridService.Codes.DepartmentCode.FromTrusted("NOPE")); // a failure: no notification
        await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null);
        while (payloads.Count < 2) Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10)), "no notification within 10 s");

        Assert.Equal(["1", "2"], payloads);
        Assert.Equal(2, await store.GetRevisionAsync());
    }

    [Fact]
    public async Task ChangeFeed_YieldsTheRevisionAtStart_ThenAWriteOfAnotherInstance_WithoutPolling()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using var watching = await PostGisGridStore.OpenAsync(cs);
        await using var writing = await PostGisGridStore.OpenAsync(cs);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // An hour between polls: only LISTEN/NOTIFY can deliver the change inside this test.
        await using var feed = watching.WatchAsync(new StoreWatchOptions(TimeSpan.FromHours(1)), cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await feed.MoveNextAsync());
        Assert.Equal(0, feed.Current);
        var next = feed.MoveNextAsync();
        await writing.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null);
        var committed = System.Diagnostics.Stopwatch.StartNew();

        Assert.True(await next);
        output.WriteLine($"the other instance's commit reached the feed after {committed.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal(1, feed.Current);
    }

    [Fact]
    public async Task FailedGridWrite_LeavesNoRowsInTheTable()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using var store = await PostGisGridStore.OpenAsync(cs);
        await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null);

        var result = await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null);

        Assert.False(result.IsOk);
        await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));
        Assert.Equal(3L, await PostgresCluster.Scalar<long>(c, "SELECT count(*) FROM grids"));
        Assert.Equal(1L, await PostgresCluster.Scalar<long>(c, "SELECT count(*) FROM grid_versions"));
    }

    [Fact]
    public async Task CancelledGridWrite_InTheMiddleOfTheCopy_StoresNothing()
    {
        var cs = await pg.Cluster.CreateDatabaseAsync();
        await using var store = await PostGisGridStore.OpenAsync(cs);
        var grids = Enumerable.Range(0, 50_000)
            .Select(i => Square($"410482{i / 1000 + 1:000}{i / 100 % 10 + 1:000}{i % 100:00}", 112.0 + i % 250 * 0.001, 34.0 + i / 250 * 0.001, 0.001))
            .ToList();
        using var cts = new CancellationTokenSource();
        // Cancel as soon as the server has taken rows of the COPY (pg_stat_progress_copy), not before.
        var watcher = Task.Run(async () =>
        {
            await using var c = await pg.Cluster.OpenAdminAsync(Database(cs));
            while (!cts.IsCancellationRequested)
            {
                var copied = await PostgresCluster.Scalar<long>(c, "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy");
                if (copied > 0) { cts.Cancel(); return copied; }
            }
            return 0L;
        });

        var write = store.AddGridVersionAsync(Jan1, grids, null, null, cts.Token);
        Exception? thrown = null;
        try { await write; }
        catch (Exception e) when (e is OperationCanceledException || e.InnerException is OperationCanceledException) { thrown = e; }
        var copiedWhenCancelled = await watcher;

        Assert.True(copiedWhenCancelled > 0, "the write finished before the COPY could be observed");
        Assert.NotNull(thrown);
        Assert.Empty(await store.ListGridVersionsAsync());
        Assert.Equal(0, await store.GetRevisionAsync());
        await using var admin = await pg.Cluster.OpenAdminAsync(Database(cs));
        Assert.Equal(0L, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM grids"));
        Assert.True((await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null)).IsOk);
    }
}
