using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Geo.GridService.Host.Http;
using Geo.GridService.Host.Tests.Support;
using Geo.Spatial.Tiles;
using Geo.Storage.GeoPackage;
using Geo.Surveys;
using Geo.Surveys.Synthetic;
using Microsoft.AspNetCore.Builder;

namespace Geo.GridService.Host.Tests.Surveys;

/// <summary>Loads libgdal before OpenCV in this test process (PITFALLS).</summary>
internal static class SurveyTestAssembly
{
#pragma warning disable CA2255 // Test assembly: the documented place for this.
    [ModuleInitializer]
    internal static void LoadGdalFirst() => Geo.Gdal.GdalRuntime.PreloadNativeLibrary();
#pragma warning restore CA2255
}

/// <summary>A small synthetic pair (512 px plain GeoTIFFs with alpha) for uploads.</summary>
public sealed class UploadFiles : IDisposable
{
    public UploadFiles()
    {
        Dir = Directory.CreateTempSubdirectory("geo-upload-files-").FullName;
        Pair = SyntheticSurveys.Generate(Dir, new SyntheticOptions(SizePx: 512, Seed: 11, GsdMetres: 0.4, Plain: true));
        JpegRenamed = Path.Combine(Dir, "photo.tif");
        Run("gdal_translate", "-q", "-of", "JPEG", "-b", "1", "-b", "2", "-b", "3", Pair.Epoch2, JpegRenamed);
    }

    public string Dir { get; }
    public SyntheticPair Pair { get; }
    public string JpegRenamed { get; }

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }

    internal static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool}: {err}");
    }
}

[Collection(ServiceCollectionDefinition.Name)]
public sealed class SurveysApiTests(ServiceFixture service, UploadFiles files) : IClassFixture<UploadFiles>
{
    private string UploadsDir => Path.Combine(service.Dir, "surveys", "uploads");

    private static async Task<HttpResponseMessage> Upload(HttpClient client, string path, string name = "上传测试", string date = "2026-05-01")
    {
        await using var file = File.OpenRead(path);
        var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/tiff");
        return await client.PostAsync($"/api/v1/surveys?name={Uri.EscapeDataString(name)}&date={date}", content);
    }

    /// <summary>Polls a job until it leaves queued/running (bounded: this is not a timing assertion).</summary>
    private static async Task<JsonElement> Finished(HttpClient client, HttpResponseMessage accepted)
    {
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!.ToString();
        Assert.StartsWith("/api/v1/jobs/", location);
        for (var i = 0; i < 600; i++)
        {
            var job = await client.GetFromJsonAsync<JsonElement>(location);
            var state = job.GetProperty("state").GetString();
            if (state is "succeeded" or "failed") return job;
            Assert.InRange(job.GetProperty("percent").GetInt32(), 0, 100);
            await Task.Delay(100);
        }

        throw new TimeoutException("The job did not finish within a minute.");
    }

    private async Task<string> UploadedOrExisting(string path)
    {
        using var gis = service.Client("gis");
        var job = await Finished(gis, await Upload(gis, path));
        return job.GetProperty("surveyId").GetString()!;
    }

    [Fact]
    public async Task An_upload_over_http_becomes_a_listed_survey_with_tiles()
    {
        var id = await UploadedOrExisting(files.Pair.Epoch1);
        using var anon = service.Client();
        var survey = await anon.GetFromJsonAsync<JsonElement>($"/api/v1/surveys/{id}");
        Assert.Equal("ortho", survey.GetProperty("kind").GetString());
        Assert.Equal(512, survey.GetProperty("width").GetInt32());
        Assert.Equal("EPSG:4547", survey.GetProperty("crs").GetString());
        Assert.Equal("2026-05-01", survey.GetProperty("flightDate").GetString());
        var bounds = survey.GetProperty("boundsLonLat").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.True(bounds[0] is > 112.8 and < 112.9 && bounds[1] is > 34.1 and < 34.2, "bounds are [west, south, east, north] in lon/lat");
        Assert.Equal("Polygon", survey.GetProperty("footprint").GetProperty("type").GetString());
        var list = await anon.GetFromJsonAsync<JsonElement>("/api/v1/surveys");
        Assert.Contains(list.EnumerateArray(), s => s.GetProperty("id").GetString() == id);

        var tileJson = await anon.GetFromJsonAsync<JsonElement>($"/api/v1/surveys/{id}/tiles.json");
        Assert.Equal("3.0.0", tileJson.GetProperty("tilejson").GetString());
        var centre = TileMath.TileAt((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 19);
        foreach (var (suffix, type) in new[] { (".png", "image/png"), ("@2x.webp", "image/webp"), (".jpg", "image/jpeg") })
        {
            var r = await anon.GetAsync($"/api/v1/surveys/{id}/tiles/{centre.Z}/{centre.X}/{centre.Y}{suffix}");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(type, r.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(r.Headers.ETag);
            Assert.Contains("max-age", r.Headers.CacheControl!.ToString());
            var again = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/surveys/{id}/tiles/{centre.Z}/{centre.X}/{centre.Y}{suffix}");
            again.Headers.IfNoneMatch.Add(r.Headers.ETag!);
            Assert.Equal(HttpStatusCode.NotModified, (await anon.SendAsync(again)).StatusCode);
        }

        Assert.Empty(Directory.GetFileSystemEntries(UploadsDir));
    }

    [Fact]
    public async Task The_same_file_uploaded_twice_is_recognised()
    {
        var first = await UploadedOrExisting(files.Pair.Epoch2);
        using var gis = service.Client("gis");
        var job = await Finished(gis, await Upload(gis, files.Pair.Epoch2, "again"));
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal("survey_exists", job.GetProperty("problem").GetProperty("code").GetString());
        Assert.Equal(409, job.GetProperty("problem").GetProperty("status").GetInt32());
        Assert.Equal(first, job.GetProperty("surveyId").GetString());
    }

    [Fact]
    public async Task A_jpeg_renamed_tif_fails_its_job_with_a_reason_and_leaves_no_upload()
    {
        using var gis = service.Client("gis");
        var job = await Finished(gis, await Upload(gis, files.JpegRenamed));
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal("not_a_tiff", job.GetProperty("problem").GetProperty("code").GetString());
        Assert.Empty(Directory.GetFileSystemEntries(UploadsDir));
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("viewer", HttpStatusCode.Forbidden)]
    [InlineData("dispatch", HttpStatusCode.Forbidden)]
    public async Task Uploading_needs_the_gis_or_admin_role(string? role, HttpStatusCode expected)
    {
        using var client = service.Client(role);
        Assert.Equal(expected, (await Upload(client, files.Pair.Epoch1)).StatusCode);
    }

    [Theory]
    [InlineData("name=&date=2026-05-01", "survey_name_invalid")]
    [InlineData("name=x&date=2026-13-01", "flight_date_invalid")]
    [InlineData("name=x&date=2026-05-01&pairedDsmId=../../etc", "survey_id_invalid")]
    public async Task Bad_upload_parameters_are_400_before_any_byte_is_stored(string query, string code)
    {
        using var gis = service.Client("gis");
        var r = await gis.PostAsync($"/api/v1/surveys?{query}", new ByteArrayContent(new byte[100]));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(code, (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_empty_body_is_400()
    {
        using var gis = service.Client("gis");
        var r = await gis.PostAsync("/api/v1/surveys?name=x&date=2026-05-01", new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("upload_empty", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_crash_of_the_ingest_worker_fails_that_job_only_and_the_service_runs_on()
    {
        // A file of its own (never uploaded by another test), large enough that its conversion runs for a while.
        var big = Path.Combine(files.Dir, "crash-" + Guid.NewGuid().ToString("N")[..6] + ".tif");
        UploadFiles.Run("gdal_translate", "-q", "-outsize", "800%", "800%", "-co", "TILED=YES", files.Pair.Epoch1, big);
        using var gis = service.Client("gis");
        var accepted = await Upload(gis, big, "崩溃测试");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        // The worker is a child process that has this service's upload open. It is ended the hard way (SIGKILL, as the
        // kernel does when a limit is hit; a decoder's segfault ends it the same way, but .NET ignores a SIGSEGV sent by
        // kill(2), so a test cannot fake one from outside): that ends the worker only.
        int? worker = null;
        for (var i = 0; i < 600 && worker is null; i++)
        {
            worker = ConversionWorkerReading(service.Dir);
            if (worker is null) await Task.Delay(10);
        }

        Assert.True(worker is not null, "no conversion worker process was seen reading the upload");
        UploadFiles.Run("kill", "-KILL", worker.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var job = await Finished(gis, accepted);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var problem = job.GetProperty("problem");
        Assert.Equal("conversion_crashed", problem.GetProperty("code").GetString());
        Assert.Contains("signal 9 SIGKILL", problem.GetProperty("detail").GetString());
        using var anon = service.Client();
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync("/health")).StatusCode);
        var list = await anon.GetFromJsonAsync<JsonElement>("/api/v1/surveys");
        Assert.DoesNotContain(list.EnumerateArray(), s => s.GetProperty("name").GetString() == "崩溃测试");
        Assert.Empty(Directory.GetFiles(Path.Combine(service.Dir, "surveys"), ".partial-*"));
        Assert.Empty(Directory.GetFileSystemEntries(UploadsDir));

        // The next upload of the same file is converted normally.
        var again = await Finished(gis, await Upload(gis, big, "崩溃之后"));
        Assert.Equal("succeeded", again.GetProperty("state").GetString());
    }

    /// <summary>The pid of a <c>surveys convert-worker</c> process that has a file under <paramref name="dir"/> open.</summary>
    private static int? ConversionWorkerReading(string dir)
    {
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid)) continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(ConversionWorker.Verb, StringComparison.Ordinal)) continue;
                foreach (var fd in Directory.GetFiles(Path.Combine(proc, "fd")))
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(dir, StringComparison.Ordinal)) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended meanwhile
            }
        }

        return null;
    }

    [Fact]
    public async Task An_upload_aborted_midway_leaves_nothing()
    {
        using var gis = service.Client("gis");
        var content = new AbortingContent(512 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/tiff");
        await Assert.ThrowsAnyAsync<Exception>(() => gis.PostAsync("/api/v1/surveys?name=aborted&date=2026-05-01", content));
        // The server notices the reset and deletes the partial upload; wait for it (bounded).
        for (var i = 0; i < 100 && Directory.Exists(UploadsDir) && Directory.GetFileSystemEntries(UploadsDir).Length > 0; i++) await Task.Delay(100);
        Assert.True(!Directory.Exists(UploadsDir) || Directory.GetFileSystemEntries(UploadsDir).Length == 0, "the aborted upload was left on disk");
    }

    [Theory]
    [InlineData("25/0/0.png", HttpStatusCode.BadRequest, "tile_zoom_out_of_range")]
    [InlineData("3/8/0.png", HttpStatusCode.BadRequest, "tile_out_of_range")]
    [InlineData("3/0/-1.png", HttpStatusCode.BadRequest, "tile_address_invalid")]
    [InlineData("3/0/0.gif", HttpStatusCode.BadRequest, "tile_format_invalid")]
    [InlineData("3/0/0.mvt", HttpStatusCode.BadRequest, "tile_format_invalid")]
    [InlineData("3/0/0", HttpStatusCode.BadRequest, "tile_format_invalid")]
    [InlineData("x/0/0.png", HttpStatusCode.BadRequest, "tile_address_invalid")]
    [InlineData("3/0/99999999999999999999.png", HttpStatusCode.BadRequest, "tile_address_invalid")]
    public async Task Bad_tile_addresses_are_400_never_500(string tail, HttpStatusCode status, string code)
    {
        var id = await UploadedOrExisting(files.Pair.Epoch1);
        using var anon = service.Client();
        var r = await anon.GetAsync($"/api/v1/surveys/{id}/tiles/{tail}");
        Assert.Equal(status, r.StatusCode);
        Assert.Equal(code, (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Unknown_surveys_and_jobs_are_404_and_malformed_ids_400()
    {
        using var anon = service.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await anon.GetAsync("/api/v1/surveys/0123456789abcdef/tiles/3/0/0.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anon.GetAsync("/api/v1/surveys/0123456789abcdef")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anon.GetAsync("/api/v1/surveys/0123456789abcdef/tiles.json")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await anon.GetAsync("/api/v1/surveys/..%2F..%2Fetc/tiles/3/0/0.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anon.GetAsync("/api/v1/jobs/nope")).StatusCode);
    }

    [Fact]
    public async Task A_tile_with_nothing_of_the_survey_is_204()
    {
        var id = await UploadedOrExisting(files.Pair.Epoch1);
        using var anon = service.Client();
        Assert.Equal(HttpStatusCode.NoContent, (await anon.GetAsync($"/api/v1/surveys/{id}/tiles/18/0/0.png")).StatusCode);
    }

    [Fact]
    public async Task An_upload_above_the_configured_limit_is_413_on_bytes_read_and_leaves_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("geo-limit-").FullName;
        await using var store = await GeoPackageGridStore.OpenAsync(Path.Combine(dir, "geo.gpkg"));
        var url = $"http://127.0.0.1:{FreePort()}";
        await using var app = GeoWebApp.Build(store, new GeoOptions
        {
            Store = Path.Combine(dir, "geo.gpkg"), BootstrapAdminKey = ServiceFixture.AdminKey, MaxSurveyUploadBytes = 64 * 1024,
        }, urls: url);
        await GeoWebApp.PrepareAsync(app);
        await app.StartAsync();
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri(url) };
            admin.DefaultRequestHeaders.Add("X-Api-Key", ServiceFixture.AdminKey);
            // Chunked (no Content-Length): the limit is enforced on the bytes actually read.
            var content = new PushStreamContent(200 * 1024);
            var r = await admin.PostAsync("/api/v1/surveys?name=big&date=2026-05-01", content);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            var uploads = Path.Combine(dir, "surveys", "uploads");
            Assert.True(!Directory.Exists(uploads) || Directory.GetFileSystemEntries(uploads).Length == 0);
        }
        finally
        {
            await app.StopAsync();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Killing_the_cli_mid_ingest_leaves_no_survey_and_the_next_sweep_no_file()
    {
        var dir = Directory.CreateTempSubdirectory("geo-kill-").FullName;
        try
        {
            var big = SyntheticSurveys.Generate(Path.Combine(dir, "in"), new SyntheticOptions(SizePx: 4096, Seed: 5, GsdMetres: 0.05, Plain: true));
            var storePath = Path.Combine(dir, "geo.gpkg");
            var surveys = Path.Combine(dir, "surveys");
            // SIGKILL (no clean-up code runs) as soon as the COG is being written: its partial file, or GDAL's temporary
            // overview file beside it, exists. Polled from a shell so the kill lands within milliseconds.
            var script = $"""
                dotnet '{Path.Combine(AppContext.BaseDirectory, "geo.dll")}' surveys add '{big.Epoch1}' --name killed --date 2026-05-01 --store '{storePath}' >/dev/null 2>&1 &
                pid=$!
                for i in $(seq 1 20000); do
                  if ls -a '{surveys}' 2>/dev/null | grep -q '^{SurveyFiles.PartialPrefix}'; then kill -9 $pid; ls -a '{surveys}'; wait $pid; exit 0; fi
                  if ! kill -0 $pid 2>/dev/null; then echo 'finished before the kill'; exit 1; fi
                  sleep 0.005
                done
                exit 2
                """;
            var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            string seen;
            using (var p = Process.Start(psi)!)
            {
                seen = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, "the ingest could not be killed mid-way: " + seen + p.StandardError.ReadToEnd());
            }

            var list = Cli("surveys", "list", "--store", storePath);
            Assert.True(list.Trim().Length == 0, $"a survey is visible after the kill ({list.Trim()}); files at the kill: {seen}");
            var removed = SurveyFiles.Sweep(surveys, new HashSet<string>(), TimeSpan.Zero);
            Assert.True(removed >= 1);
            Assert.Empty(Directory.GetFiles(surveys));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static string Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "geo.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output;
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Writes some bytes, then fails: the client resets the request mid-body.</summary>
    private sealed class AbortingContent(int before) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(new byte[before]);
            await stream.FlushAsync();
            await Task.Delay(300);
            throw new IOException("client gave up");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A chunked body of <paramref name="bytes"/> zero bytes (no Content-Length).</summary>
    private sealed class PushStreamContent(int bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[8192];
            for (var sent = 0; sent < bytes; sent += chunk.Length) await stream.WriteAsync(chunk);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
