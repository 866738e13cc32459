using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Geo.GridService.Host.Http;
using Geo.GridService.Host.Samples;
using Geo.Storage.PostGis;
using Geo.Storage.Tests.PostGis;
using Npgsql;
using Xunit.Abstractions;

namespace Geo.GridService.Host.Tests.PostGis;

/// <summary>
/// The service on the production store, as operators run it: several instances on one database, a database restart
/// under load, a process killed in the middle of the biggest bulk import. Real <c>geo serve</c> processes (or the real
/// app in process where the test must look inside), a real PostgreSQL 15 + PostGIS cluster in a temp directory.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "PostGis")]
public sealed class PostGisServiceTests(PostgresFixture pg, ITestOutputHelper output) : IDisposable
{
    /// <summary>Never to be printed: trust authentication ignores it, so it can sit in every connection string here.</summary>
    private const string Password = "Never-Log-Me-0815";

    private readonly string _dir = Directory.CreateTempSubdirectory("geo-postgis-service-").FullName;

    private string SamplesDir => Path.Combine(_dir, "samples");

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string WithPassword(string cs) => new NpgsqlConnectionStringBuilder(cs) { Password = Password }.ConnectionString;

    private static string Database(string cs) => new NpgsqlConnectionStringBuilder(cs).Database!;

    private static ByteArrayContent GeoJson(string json)
    {
        var c = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        c.Headers.ContentType = new("application/geo+json");
        return c;
    }

    private static string Q(double x, double y) =>
        $"/api/v1/ownership?crs=EPSG:4490&class=E0101&x={x.ToString("R", CultureInfo.InvariantCulture)}&y={y.ToString("R", CultureInfo.InvariantCulture)}";

    private static async Task<string?> OwnerCode(HttpClient c, double x, double y)
    {
        var r = await c.GetAsync(Q(x, y));
        if (r.StatusCode != HttpStatusCode.OK) return null;
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("grid").GetProperty("code").GetString();
    }

    /// <summary>The sample grids with the geometries of the first two swapped: the owner of a point in the first changes.</summary>
    private string SwappedSampleGrids(out (double X, double Y) point, out string before, out string after)
    {
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(SamplesDir, "grids.geojson")))!;
        var features = doc["features"]!.AsArray();
        before = features[0]!["properties"]!["code"]!.GetValue<string>();
        after = features[1]!["properties"]!["code"]!.GetValue<string>();
        var b = before;
        var p = RuzhouSamples.Grids().Single(g => g.Code == b).Geometry.InteriorPoint.Coordinate;
        point = (p.X, p.Y);
        var g0 = features[0]!["geometry"]!.DeepClone();
        features[0]!["geometry"] = features[1]!["geometry"]!.DeepClone();
        features[1]!["geometry"] = g0;
        return doc.ToJsonString();
    }

    // ---- two instances, one database -------------------------------------------------------------------------------

    [Fact]
    public async Task TwoServiceProcesses_OneDatabase_AGridImportThroughOne_ChangesTheOwnershipAnswerOfTheOther()
    {
        RuzhouSamples.Write(SamplesDir);
        var cs = WithPassword(await pg.Cluster.CreateDatabaseAsync());
        // Ten minutes between revision polls: only LISTEN/NOTIFY can carry the change within this test.
        var env = new Dictionary<string, string> { ["Geo__RefreshIntervalMs"] = "600000", ["Geo__AnonymousRequestsPerSecond"] = "0" };
        await using var a = await GeoProcess.StartAsync(cs, SamplesDir, env);
        await using var b = await GeoProcess.StartAsync(cs, null, env);
        var file = SwappedSampleGrids(out var point, out var before, out var after);
        using var reader = b.Client();
        Assert.Equal(before, await OwnerCode(reader, point.X, point.Y));

        using var writer = a.Client(admin: true);
        var today = Ownership.OwnershipSnapshot.Today().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var imported = await writer.PostAsync($"/api/v1/grids/import?crs=EPSG:4490&validFrom={today}", GeoJson(file));
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var clock = Stopwatch.StartNew();
        string? seen = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && (seen = await OwnerCode(reader, point.X, point.Y)) != after) await Task.Delay(10);

        output.WriteLine($"instance B answered with the new version {clock.ElapsedMilliseconds} ms after A's import returned (poll fallback: 10 min)");
        Assert.Equal(after, seen);
        Assert.Equal(after, await OwnerCode(writer, point.X, point.Y));
        Assert.DoesNotContain(Password, a.Output);
        Assert.DoesNotContain(Password, b.Output);
        Assert.Contains("postgres://postgres:***@127.0.0.1", a.Output);
    }

    // ---- database restart under load --------------------------------------------------------------------------------

    [Fact]
    public async Task DatabaseRestartedUnderLookupLoad_OwnershipKeepsAnswering_HealthSays503_ThenFullRecovery()
    {
        await using var cluster = await PostgresCluster.StartAsync(); // its own: this test stops the server
        RuzhouSamples.Write(SamplesDir);
        var cs = WithPassword(await cluster.CreateDatabaseAsync());
        await using var store = await PostGisGridStore.OpenAsync(cs);
        var app = GeoWebApp.Build(store, new GeoOptions
        {
            Store = cs,
            BootstrapAdminKey = GeoProcess.AdminKey,
            LoadSamples = SamplesDir,
            RefreshIntervalMs = 600_000, // recovery must come from the listener reconnecting, not from polling
            AnonymousRequestsPerSecond = 0, // the lookup load comes from one address; rate limits are tested elsewhere
        }, urls: $"http://127.0.0.1:{FreePort()}");
        await GeoWebApp.PrepareAsync(app);
        await app.StartAsync();
        try
        {
            var baseAddress = new Uri(app.Urls.First());
            var grids = RuzhouSamples.Grids();
            var ownership = new ConcurrentBag<HttpStatusCode>();
            var health = new ConcurrentQueue<(HttpStatusCode Status, string? Type, string Body)>();
            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, 2).Select(worker => Task.Run(async () =>
            {
                using var c = new HttpClient { BaseAddress = baseAddress };
                var i = worker;
                while (!stop.IsCancellationRequested)
                {
                    var p = grids[i++ % grids.Count].Geometry.InteriorPoint.Coordinate;
                    ownership.Add((await c.GetAsync(Q(p.X, p.Y))).StatusCode);
                }
            })).ToList();
            var probe = Task.Run(async () =>
            {
                using var c = new HttpClient { BaseAddress = baseAddress };
                while (!stop.IsCancellationRequested)
                {
                    var r = await c.GetAsync("/health");
                    health.Enqueue((r.StatusCode, r.Content.Headers.ContentType?.MediaType, await r.Content.ReadAsStringAsync()));
                    await Task.Delay(50);
                }
            });
            using var admin = new HttpClient { BaseAddress = baseAddress };
            admin.DefaultRequestHeaders.Add("X-Api-Key", GeoProcess.AdminKey);

            await Task.Delay(500);
            await cluster.StopServerAsync();
            while (!health.Any(h => h.Status == HttpStatusCode.ServiceUnavailable)) await Task.Delay(20);
            var writeWhileDown = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "while down", role = "viewer" });
            var readWhileDown = await admin.GetAsync("/api/v1/grids/versions");
            await Task.Delay(1000);
            await cluster.StartServerAsync();
            var clock = Stopwatch.StartNew();
            while (health.Last().Status != HttpStatusCode.OK) await Task.Delay(20);
            output.WriteLine($"/health back to 200 {clock.ElapsedMilliseconds} ms after the server was up again");

            // Full recovery, without restarting the service: reads and writes through the pool ...
            var versions = await admin.GetAsync("/api/v1/grids/versions");
            var write = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "after restart", role = "viewer" });
            // ... and the change listener: another instance's write reaches this one's ownership answer.
            var file = SwappedSampleGrids(out var point, out _, out var after);
            await using (var other = await PostGisGridStore.OpenAsync(cs))
            {
                var set = Geo.Formats.VectorReader.ReadFile(WriteTemp(file));
                var import = new Application.GridImport(other, Codes.CountyCode.Parse("410482").Value);
                var stored = await import.ImportAsync(set.Value, new Application.GridImportRequest(Spatial.Crs.CrsId.Cgcs2000, Ownership.OwnershipSnapshot.Today(), "other instance", null, false));
                Assert.True(stored.IsOk, stored.IsOk ? "" : stored.Failure.ToString());
            }
            clock.Restart();
            using var reader = new HttpClient { BaseAddress = baseAddress };
            while (clock.Elapsed < TimeSpan.FromSeconds(30) && await OwnerCode(reader, point.X, point.Y) != after) await Task.Delay(10);
            output.WriteLine($"another instance's write seen {clock.ElapsedMilliseconds} ms after it committed");
            await stop.CancelAsync();
            await Task.WhenAll(load.Append(probe));

            var failed = ownership.Where(s => s != HttpStatusCode.OK).ToList();
            output.WriteLine($"{ownership.Count} ownership lookups, {failed.Count} not 200; {health.Count} health probes, {health.Count(h => h.Status != HttpStatusCode.OK)} not 200");
            Assert.Empty(failed);
            Assert.True(ownership.Count > 100, $"only {ownership.Count} lookups ran");
            var down = health.Where(h => h.Status != HttpStatusCode.OK).ToList();
            Assert.NotEmpty(down);
            Assert.All(down, h =>
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, h.Status);
                Assert.Equal("application/problem+json", h.Type);
                Assert.DoesNotContain(Password, h.Body);
            });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, writeWhileDown.StatusCode);
            Assert.Equal("application/problem+json", writeWhileDown.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readWhileDown.StatusCode);
            Assert.Equal("application/problem+json", readWhileDown.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.OK, versions.StatusCode);
            Assert.True(write.IsSuccessStatusCode, await write.Content.ReadAsStringAsync());
            Assert.Equal(after, await OwnerCode(reader, point.X, point.Y));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    // ---- kill -9 during the biggest bulk import ----------------------------------------------------------------------

    [Fact]
    public async Task ServiceKilledDuringABulkGridImport_LeavesNothingOfIt_AndTheNextImportWorks()
    {
        RuzhouSamples.Write(SamplesDir);
        var cs = WithPassword(await pg.Cluster.CreateDatabaseAsync());
        var big = WriteTemp(BigGridFile());
        await using var admin = await pg.Cluster.OpenAdminAsync(Database(cs));
        long revisionBefore;
        {
            await using var first = await GeoProcess.StartAsync(cs, SamplesDir);
            revisionBefore = await PostgresCluster.Scalar<long>(admin, "SELECT revision FROM geo_revision");
            using var gis = first.Client(admin: true);
            var upload = new StreamContent(File.OpenRead(big));
            upload.Headers.ContentType = new("application/geo+json");
            var import = gis.PostAsync("/api/v1/grids/import?crs=EPSG:4490&validFrom=2025-01-01", upload);

            // Kill once the server has taken rows of the COPY (pg_stat_progress_copy), i.e. in the middle of the write.
            long copied = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromMinutes(5) && !import.IsCompleted)
            {
                copied = await PostgresCluster.Scalar<long>(admin,
                    $"SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy WHERE datname = '{Database(cs)}'");
                if (copied > 0) break;
            }
            Assert.False(import.IsCompleted, "the import finished before its COPY could be observed");
            first.KillHard();
            output.WriteLine($"killed geo serve (pid {first.Pid}) with {copied} of 10,000 grids copied, {clock.ElapsedMilliseconds} ms into the import");
            await Assert.ThrowsAnyAsync<Exception>(() => import);
        }

        // The server notices the dead client and rolls its transaction back.
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(30) &&
               await PostgresCluster.Scalar<long>(admin, $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{Database(cs)}' AND application_name = 'geo'") > 0)
            await Task.Delay(50);
        Assert.Equal(1L, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM grid_versions"));
        Assert.Equal(27L, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM grids"));
        Assert.Equal(revisionBefore, await PostgresCluster.Scalar<long>(admin, "SELECT revision FROM geo_revision"));

        await using var second = await GeoProcess.StartAsync(cs);
        using var c = second.Client(admin: true);
        var listed = JsonDocument.Parse(await c.GetStringAsync("/api/v1/grids/versions")).RootElement;
        Assert.Equal(1, listed.GetArrayLength());
        var again = await c.PostAsync("/api/v1/grids/import?crs=EPSG:4490&validFrom=2025-01-01",
            GeoJson(await File.ReadAllTextAsync(Path.Combine(SamplesDir, "grids.geojson"))));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await c.GetStringAsync("/api/v1/grids/versions")).RootElement.GetArrayLength());
        Assert.Equal(54L, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM grids"));
    }

    /// <summary>
    /// The largest import the service accepts: 10,000 grids (GridValidationOptions.MaxGrids), each a 50 m square whose
    /// edges carry 25 vertices (100 per grid, 1,000,000 in all), tiling 5 x 5 km without gaps or overlaps; EPSG:4490.
    /// Shared edges are computed from the same integers on both sides, so they coincide exactly.
    /// </summary>
    private static string BigGridFile()
    {
        const int n = 100, k = 25;
        const double size = 0.0005, step = size / k, x0 = 112.80, y0 = 34.10;
        static string X(int i) => Math.Round(x0 + i * step, 10).ToString("R", CultureInfo.InvariantCulture);
        static string Y(int j) => Math.Round(y0 + j * step, 10).ToString("R", CultureInfo.InvariantCulture);
        var sb = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[");
        for (var r = 0; r < n; r++)
        for (var col = 0; col < n; col++)
        {
            var i = r * n + col;
            if (i > 0) sb.Append(',');
            sb.Append("{\"type\":\"Feature\",\"properties\":{\"code\":\"410482")
                .Append((i / 1000 + 1).ToString("000", CultureInfo.InvariantCulture))
                .Append((i / 100 % 10 + 1).ToString("000", CultureInfo.InvariantCulture))
                .Append((i % 100).ToString("00", CultureInfo.InvariantCulture))
                .Append("\",\"name\":\"压力测试网格").Append(i).Append("\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[");
            void P(int xi, int yi) => sb.Append('[').Append(X(xi)).Append(',').Append(Y(yi)).Append("],");
            for (var t = 0; t < k; t++) P(col * k + t, r * k);
            for (var t = 0; t < k; t++) P((col + 1) * k, r * k + t);
            for (var t = 0; t < k; t++) P((col + 1) * k - t, (r + 1) * k);
            for (var t = 0; t < k; t++) P(col * k, (r + 1) * k - t);
            sb.Append('[').Append(X(col * k)).Append(',').Append(Y(r * k)).Append("]]]}}");
        }
        return sb.Append("]}").ToString();
    }

    private string WriteTemp(string content)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.geojson");
        File.WriteAllText(path, content);
        return path;
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
