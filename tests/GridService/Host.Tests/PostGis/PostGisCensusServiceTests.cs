using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Geo.GridService.Host.Samples;
using Geo.Storage.Tests.PostGis;
using Npgsql;
using Xunit.Abstractions;

namespace Geo.GridService.Host.Tests.PostGis;

/// <summary>
/// The census on the production store, through real <c>geo serve</c> processes: two instances on one database see each
/// other's census writes through the change feed, and a service killed in the middle of a census COPY import leaves
/// nothing of it.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "PostGis")]
public sealed class PostGisCensusServiceTests(PostgresFixture pg, ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("geo-postgis-census-").FullName;

    private string SamplesDir => Path.Combine(_dir, "samples");

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string Database(string cs) => new NpgsqlConnectionStringBuilder(cs).Database!;

    private static ByteArrayContent Csv(string csv)
    {
        var c = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
        c.Headers.ContentType = new("text/csv");
        return c;
    }

    /// <summary>The codes of class 0111 (not used by the samples) the instance lists in a small box around the point.</summary>
    private static async Task<string[]> CodesNear(HttpClient c, double x, double y)
    {
        var box = string.Join(',', new[] { x - 0.0002, y - 0.0002, x + 0.0002, y + 0.0002 }.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        var page = await c.GetFromJsonAsync<JsonElement>($"/api/v1/components?bbox={box}&class=0111");
        return page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("code").GetString()!).ToArray();
    }

    private static async Task<string[]> WaitForCodes(HttpClient c, double x, double y, Func<string[], bool> done)
    {
        var clock = Stopwatch.StartNew();
        string[] codes;
        while (!done(codes = await CodesNear(c, x, y)) && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
        return codes;
    }

    private static (int Exit, string Out, string Err) Geo(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "geo.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GEO_STORE");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(300_000);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public async Task Cli_CopiesTheSampleCensusIntoPostGis_WorksOnIt_AndCopiesItBack()
    {
        var gpkg = Path.Combine(_dir, "geo.gpkg");
        var back = Path.Combine(_dir, "back.gpkg");
        Assert.Equal(0, Geo("samples", "generate", "--out", SamplesDir).Exit);
        var load = Geo("samples", "load", "--dir", SamplesDir, "--store", gpkg);
        Assert.True(load.Exit == 0, load.Err);
        var permits = Path.Combine(_dir, "permits.geojson");
        await File.WriteAllTextAsync(permits, """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"number":"汝建许字2026-009","holder":"测试单位","valid_from":"2026-01-01"},
             "geometry":{"type":"Polygon","coordinates":[[[112.84,34.16],[112.841,34.16],[112.841,34.161],[112.84,34.16]]]}}]}
            """);
        var permitted = Geo("permits", "import", permits, "--store", gpkg, "--crs", "EPSG:4490");
        Assert.True(permitted.Exit == 0, permitted.Err);
        var cs = await pg.Cluster.CreateDatabaseAsync();

        var there = Geo("store", "copy", "--from", gpkg, "--to", cs);
        Assert.True(there.Exit == 0, there.Err);
        var components = File.ReadAllLines(Path.Combine(SamplesDir, "components.csv")).Length - 1;
        Assert.Contains($"{components} components (1 imports", there.Out);
        Assert.Contains("1 permits", there.Out);

        var listed = Geo("components", "list", "--store", cs, "--class", "0118", "--limit", "3");
        Assert.True(listed.Exit == 0, listed.Err);
        Assert.Equal(3, listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("next page: --after", listed.Err);
        var added = Geo("classes", "add", "--store", cs, "--code", "2101", "--major-name", "扩展部件", "--name", "防蚊闸");
        Assert.True(added.Exit == 0, added.Err);
        var csv = Path.Combine(_dir, "local.csv");
        await File.WriteAllTextAsync(csv, "code,x,y\n4104822101000001,112.8455,34.1675\n");
        var imported = Geo("components", "import", csv, "--store", cs, "--crs", "EPSG:4490");
        Assert.True(imported.Exit == 0, imported.Err);
        var nearest = Geo("components", "nearest", "--store", cs, "--x", "112.8455", "--y", "34.1675", "--crs", "EPSG:4490", "--class", "2101", "--n", "1");
        Assert.True(nearest.Exit == 0, nearest.Err);
        Assert.Contains("4104822101000001", nearest.Out);

        var home = Geo("store", "copy", "--from", cs, "--to", back);
        Assert.True(home.Exit == 0, home.Err);
        Assert.Contains($"{components + 1} components (2 imports", home.Out);
        var info = Geo("store", "info", "--store", back);
        Assert.Contains($"components:  {components + 1}", info.Out);
        Assert.Contains("findings:    0 (0 change runs, 1 permits)", info.Out);
        var again = Geo("store", "copy", "--from", gpkg, "--to", cs);
        Assert.Equal(5, again.Exit);
        Assert.Contains("store_not_empty", again.Err);
        Assert.Contains("--replace", again.Err);
        var replaced = Geo("store", "copy", "--from", gpkg, "--to", cs, "--replace");
        Assert.True(replaced.Exit == 0, replaced.Err);
        Assert.Contains($"{components} components (1 imports", replaced.Out);
        Assert.Contains($"components:  {components} ", Geo("store", "info", "--store", cs).Out);
    }

    [Fact]
    public async Task TwoServiceProcesses_OneDatabase_SeeEachOthersCensusWrites()
    {
        RuzhouSamples.Write(SamplesDir);
        var cs = await pg.Cluster.CreateDatabaseAsync();
        // Ten minutes between revision polls: only LISTEN/NOTIFY can carry the change within this test.
        var env = new Dictionary<string, string> { ["Geo__RefreshIntervalMs"] = "600000", ["Geo__AnonymousRequestsPerSecond"] = "0" };
        await using var a = await GeoProcess.StartAsync(cs, SamplesDir, env);
        await using var b = await GeoProcess.StartAsync(cs, null, env);
        using var writerA = a.Client(admin: true);
        using var writerB = b.Client(admin: true);
        const double x = 112.8455, y = 34.1675;
        Assert.Empty(await CodesNear(writerB, x, y));
        var stats = await writerB.GetFromJsonAsync<JsonElement>("/api/v1/census/statistics");
        Assert.True(stats.GetArrayLength() > 0, "instance B reads the sample census A loaded");

        var created = await writerA.PostAsJsonAsync("/api/v1/components", new { @class = "0111", x, y, maintainer = "GD" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var code = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString()!;
        var clock = Stopwatch.StartNew();
        string[] seenByB;
        try
        {
            seenByB = await WaitForCodes(writerB, x, y, codes => codes.Contains(code));
        }
        catch (HttpRequestException)
        {
            output.WriteLine(b.Output);
            throw;
        }
        output.WriteLine($"instance B listed A's new component {clock.ElapsedMilliseconds} ms after A's response");
        Assert.Equal([code], seenByB);
        var nearest = await writerB.GetFromJsonAsync<JsonElement>($"/api/v1/components/nearest?x={x}&y={y}&crs=EPSG:4490&class=0111&n=1");
        Assert.Equal(code, nearest[0].GetProperty("component").GetProperty("code").GetString());

        // The other way: B deletes it (optimistic concurrency across instances: version 1), A stops listing it.
        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/components/{code}");
        delete.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        Assert.Equal(HttpStatusCode.NoContent, (await writerB.SendAsync(delete)).StatusCode);
        Assert.Empty(await WaitForCodes(writerA, x, y, codes => codes.Length == 0));
        var audit = await writerA.GetFromJsonAsync<JsonElement>($"/api/v1/components/{code}/audit");
        Assert.Equal(["created", "deleted"], audit.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task ServiceKilledDuringACensusCopyImport_LeavesNothingOfIt_AndTheNextImportWorks()
    {
        RuzhouSamples.Write(SamplesDir);
        var cs = await pg.Cluster.CreateDatabaseAsync();
        var big = Path.Combine(_dir, "big.csv");
        await using (var w = new StreamWriter(big))
        {
            // 300,000 points of class 0109 (not in the samples) on a 600 x 500 lattice inside the sample grids.
            await w.WriteLineAsync("code,x,y");
            for (var i = 0; i < 300_000; i++)
                await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"4104820109{i + 1:D6},{112.830 + (i % 600) * 0.00005:F6},{34.155 + (i / 600) * 0.00004:F6}"));
        }
        await using var admin = await pg.Cluster.OpenAdminAsync(Database(cs));
        long revisionBefore, componentsBefore, importsBefore;
        {
            await using var first = await GeoProcess.StartAsync(cs, SamplesDir);
            revisionBefore = await PostgresCluster.Scalar<long>(admin, "SELECT revision FROM geo_revision");
            componentsBefore = await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM components");
            importsBefore = await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM census_imports");
            Assert.True(componentsBefore > 20_000);
            using var gis = first.Client(admin: true);
            var upload = new StreamContent(File.OpenRead(big));
            upload.Headers.ContentType = new("text/csv");
            var import = gis.PostAsync("/api/v1/components/import?crs=EPSG:4490", upload);

            // Kill once the server has taken rows of the census COPY (pg_stat_progress_copy), i.e. in the middle of it.
            long copied = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromMinutes(5) && !import.IsCompleted)
            {
                copied = await PostgresCluster.Scalar<long>(admin,
                    $"SELECT coalesce(max(p.tuples_processed), 0) FROM pg_stat_progress_copy p JOIN pg_class t ON t.oid = p.relid WHERE p.datname = '{Database(cs)}' AND t.relname = 'components'");
                if (copied > 0) break;
            }
            Assert.False(import.IsCompleted, "the import finished before its COPY could be observed");
            first.KillHard();
            output.WriteLine($"killed geo serve (pid {first.Pid}) with {copied} of 300,000 components copied, {clock.ElapsedMilliseconds} ms into the import");
            await Assert.ThrowsAnyAsync<Exception>(() => import);
        }

        // The server notices the dead client and rolls its transaction back.
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(30) &&
               await PostgresCluster.Scalar<long>(admin, $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{Database(cs)}' AND application_name = 'geo'") > 0)
            await Task.Delay(50);
        Assert.Equal(componentsBefore, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM components"));
        Assert.Equal(0L, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM components WHERE class_code = '0109'"));
        Assert.Equal(importsBefore, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM census_imports"));
        Assert.Equal(revisionBefore, await PostgresCluster.Scalar<long>(admin, "SELECT revision FROM geo_revision"));

        await using var second = await GeoProcess.StartAsync(cs);
        using var c = second.Client(admin: true);
        var again = await c.PostAsync("/api/v1/components/import?crs=EPSG:4490",
            Csv("code,x,y\n4104820109000001,112.8455,34.1675\n4104820109000002,112.8456,34.1675\n"));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(componentsBefore + 2, await PostgresCluster.Scalar<long>(admin, "SELECT count(*) FROM components"));
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/components/4104820109000002")).StatusCode);
    }
}
