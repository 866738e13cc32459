using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Geo.ChangeDetect.Findings;
using Geo.GridService.Host.Findings;
using Geo.GridService.Host.Tests.Support;
using Geo.Spatial.Crs;
using Geo.Spatial.Tiles;
using Geo.Tiles.Tests.Vector;

namespace Geo.GridService.Host.Tests.Findings;

/// <summary>
/// The findings application over HTTP against the real service with the scripted detector: runs (success, area limit,
/// cancel, failure, restart), findings with grid/department/permit, filters and paging, review and the dispatch outbox,
/// exports read back by GDAL, the HTML report with chips, the findings tile layer, role checks and error statuses.
/// Tests that start runs hold <see cref="RunGate"/>: the fixture's one detector double serves one test at a time.
/// </summary>
public sealed class FindingsApiTests(FindingsFixture fx) : IClassFixture<FindingsFixture>
{
    private static readonly SemaphoreSlim RunGate = new(1, 1);

    private async Task<(string RunId, JsonElement[] Findings)> SucceededRun(object? body = null)
    {
        await RunGate.WaitAsync();
        try
        {
            fx.Detector.Reset(ScriptedDetector.Behaviour.Candidates);
            var run = await fx.RunToEnd(body);
            Assert.Equal("succeeded", run.GetProperty("state").GetString());
            var id = run.GetProperty("id").GetString()!;
            var page = await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={id}&limit=1000");
            return (id, page.GetProperty("items").EnumerateArray().ToArray());
        }
        finally
        {
            RunGate.Release();
        }
    }

    private static (double Lon, double Lat) InteriorOf(int candidate)
    {
        var p = CoordinateConverter.Transform(ScriptedDetector.Candidates[candidate].Polygon, CrsId.Cgcs2000GK114, CrsId.Cgcs2000).InteriorPoint;
        return (p.X, p.Y);
    }

    private static async Task AssertProblem(HttpResponseMessage r, HttpStatusCode status, string? code = null)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == status, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        if (code is not null) Assert.Equal(code, JsonDocument.Parse(text).RootElement.GetProperty("code").GetString());
    }

    // ---- runs ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_run_stores_findings_with_grid_department_and_permit_marking()
    {
        var (runId, findings) = await SucceededRun();
        Assert.Equal(3, findings.Length);
        var run = await fx.Client("viewer").GetFromJsonAsync<JsonElement>($"/api/v1/change-runs/{runId}");
        Assert.Equal(3, run.GetProperty("findingCount").GetInt32());
        Assert.Equal(100, run.GetProperty("percent").GetInt32());
        Assert.Equal(fx.Before, run.GetProperty("before").GetString());
        Assert.Contains("ScriptedDetector", run.GetProperty("softwareVersion").GetString());
        Assert.Equal(0.5, run.GetProperty("parameters").GetProperty("permitFraction").GetDouble());
        Assert.True(run.GetProperty("dsm").GetBoolean());
        // The detector was given both COGs and both DSMs (the samples have DSMs), and no area.
        var input = fx.Detector.LastInput!;
        Assert.True(File.Exists(input.BeforeOrthoPath) && File.Exists(input.AfterOrthoPath) && File.Exists(input.BeforeDsmPath) && File.Exists(input.AfterDsmPath));
        Assert.Null(input.Area);

        for (var i = 0; i < 3; i++)
        {
            var f = findings[i];
            Assert.Equal($"{runId}-{i + 1:D5}", f.GetProperty("id").GetString());
            var (lon, lat) = InteriorOf(i);
            var owner = await fx.Client().GetFromJsonAsync<JsonElement>(FormattableString.Invariant($"/api/v1/ownership?x={lon}&y={lat}&crs=EPSG:4490&class=E0101"));
            Assert.Equal(owner.GetProperty("grid").GetProperty("code").GetString(), f.GetProperty("grid").GetString());
            Assert.Equal(owner.GetProperty("department").GetProperty("code").GetString(), f.GetProperty("department").GetString());
            Assert.Equal("pending", f.GetProperty("review").GetString());
        }
        Assert.Equal(400.0, findings[0].GetProperty("areaM2").GetDouble(), 0.5);
        Assert.Equal("new_structure", findings[0].GetProperty("kind").GetString());
        Assert.False(findings[0].GetProperty("permitted").GetBoolean());
        Assert.True(findings[1].GetProperty("permitted").GetBoolean());
        Assert.Equal(FindingsFixture.PermitNumber, findings[1].GetProperty("permit").GetString());
        Assert.Equal("Polygon", findings[0].GetProperty("geometry").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Parameters_minAreaM2_drops_small_changes_and_grids_limit_the_area()
    {
        var (lon, lat) = InteriorOf(0);
        var owner = await fx.Client().GetFromJsonAsync<JsonElement>(FormattableString.Invariant($"/api/v1/ownership?x={lon}&y={lat}&crs=EPSG:4490"));
        var grid = owner.GetProperty("grid").GetProperty("code").GetString()!;
        var (runId, findings) = await SucceededRun(new { before = fx.Before, after = fx.After, grids = new[] { grid }, parameters = new { minAreaM2 = 20 } });
        Assert.NotNull(fx.Detector.LastInput!.Area);
        Assert.DoesNotContain(findings, f => f.GetProperty("kind").GetString() == "other"); // the 16 m² speck
        Assert.All(findings, f => Assert.Equal(grid, f.GetProperty("grid").GetString()));
        Assert.Contains(findings, f => f.GetProperty("kind").GetString() == "new_structure");
        var run = await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/change-runs/{runId}");
        Assert.Equal(grid, run.GetProperty("grids")[0].GetString());
        Assert.Equal(20, run.GetProperty("parameters").GetProperty("minAreaM2").GetDouble());
    }

    [Fact]
    public async Task A_cancelled_run_leaves_no_findings()
    {
        await RunGate.WaitAsync();
        try
        {
            fx.Detector.Reset(ScriptedDetector.Behaviour.BlockUntilCancelled);
            using var gis = fx.Client("gis");
            var started = await gis.PostAsJsonAsync("/api/v1/change-runs", new { before = fx.Before, after = fx.After });
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await fx.Detector.Started.Task.WaitAsync(TimeSpan.FromMinutes(2));
            var running = await gis.GetFromJsonAsync<JsonElement>($"/api/v1/change-runs/{id}");
            Assert.Equal("running", running.GetProperty("state").GetString());
            Assert.Equal(45, running.GetProperty("percent").GetInt32()); // the detector reported half: 0-90 % is its share
            await AssertProblem(await fx.Client("viewer").PostAsync($"/api/v1/change-runs/{id}/cancel", null), HttpStatusCode.Forbidden);
            Assert.Equal(HttpStatusCode.Accepted, (await gis.PostAsync($"/api/v1/change-runs/{id}/cancel", null)).StatusCode);
            var ended = await FindingsFixture.WaitEnded(gis, id);
            Assert.Equal("cancelled", ended.GetProperty("state").GetString());
            Assert.Equal(0, ended.GetProperty("findingCount").GetInt32());
            var page = await gis.GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={id}");
            Assert.Empty(page.GetProperty("items").EnumerateArray());
            await AssertProblem(await gis.PostAsync($"/api/v1/change-runs/{id}/cancel", null), HttpStatusCode.Conflict, FindingCodes.RunNotRunning);
        }
        finally
        {
            RunGate.Release();
        }
    }

    [Theory]
    [InlineData(ScriptedDetector.Behaviour.Fail, "surveys_not_overlapping")]
    [InlineData(ScriptedDetector.Behaviour.Throw, "disk on fire")]
    public async Task A_failed_run_records_why_and_leaves_no_findings(ScriptedDetector.Behaviour mode, string reason)
    {
        await RunGate.WaitAsync();
        try
        {
            fx.Detector.Reset(mode);
            var run = await fx.RunToEnd();
            Assert.Equal("failed", run.GetProperty("state").GetString());
            Assert.Contains(reason, run.GetProperty("problem").GetString());
            var page = await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={run.GetProperty("id").GetString()}");
            Assert.Empty(page.GetProperty("items").EnumerateArray());
        }
        finally
        {
            RunGate.Release();
        }
    }

    [Fact]
    public async Task A_start_fails_the_runs_of_dead_processes_but_not_runs_a_live_process_executes()
    {
        // A killed process leaves its run 'running', no finding (findings come with the run's success only) and a lease
        // nobody holds; a live CLI run or another instance holds its run's lease. The next start tells them apart.
        RunState StateOf(JsonElement run) => Enum.Parse<RunState>(run.GetProperty("state").GetString()!, true);
        ChangeRun Running(string id) => new(id, fx.Before, fx.After, "/x/b.tif", "/x/a.tif", new DateOnly(2026, 6, 1), null, "{}",
            "geo test", RunState.Running, DateTimeOffset.UtcNow, null, 0);
        const string dead = "r19990101000000000dead", alive = "r19990101000000001a1e";
        var leases = Geo.Storage.RunLeases.For(fx.Grids)!;
        await using (var held = await leases.TryTakeAsync(alive))
        {
            Assert.NotNull(held);
            Assert.Null(await leases.TryTakeAsync(alive)); // one holder at a time
            Assert.True((await fx.Findings.AddRunAsync(Running(dead))).IsOk);
            Assert.True((await fx.Findings.AddRunAsync(Running(alive))).IsOk);
            await FindingsServices.PrepareAsync(fx.App.Services, CancellationToken.None);

            var deadRun = await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/change-runs/{dead}");
            Assert.Equal(RunState.Failed, StateOf(deadRun));
            Assert.Contains("later start", deadRun.GetProperty("problem").GetString());
            Assert.Empty((await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={dead}")).GetProperty("items").EnumerateArray());
            Assert.Equal(RunState.Running, StateOf(await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/change-runs/{alive}")));
            Assert.True(await leases.IsHeldAsync(alive));
        }

        // Its holder gone, the other run is abandoned too.
        Assert.False(await leases.IsHeldAsync(alive));
        await FindingsServices.PrepareAsync(fx.App.Services, CancellationToken.None);
        Assert.Equal(RunState.Failed, StateOf(await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/change-runs/{alive}")));
    }

    [Fact]
    public async Task Starting_a_run_checks_its_input()
    {
        using var gis = fx.Client("gis");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/change-runs", new { after = fx.After }), HttpStatusCode.BadRequest, "survey_required");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/change-runs", new { before = "0123456789abcdef", after = fx.After }), HttpStatusCode.NotFound, "survey_not_found");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/change-runs", new { before = fx.After, after = fx.After }), HttpStatusCode.BadRequest, "surveys_same");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/change-runs", new { before = fx.After, after = fx.Before }), HttpStatusCode.BadRequest, "surveys_order");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/change-runs", new { before = fx.Before, after = fx.After, grids = new[] { "41048299999999" } }),
            HttpStatusCode.BadRequest, "grid_not_found");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/change-runs", new { before = fx.Before, after = fx.After, parameters = new { speed = 11 } }),
            HttpStatusCode.BadRequest, "parameter_unknown");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/change-runs", new { before = fx.Before, after = fx.After, area = new { type = "Point", coordinates = new[] { 112.8, 34.1 } } }),
            HttpStatusCode.BadRequest, "area_invalid");
        await AssertProblem(await gis.PostAsync("/api/v1/change-runs", new StringContent("{\"before\":", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "json_malformed");
        await AssertProblem(await fx.Client("viewer").PostAsJsonAsync("/api/v1/change-runs", new { before = fx.Before, after = fx.After }), HttpStatusCode.Forbidden);
        await AssertProblem(await fx.Client().PostAsJsonAsync("/api/v1/change-runs", new { before = fx.Before, after = fx.After }), HttpStatusCode.Unauthorized);
        await AssertProblem(await gis.GetAsync("/api/v1/change-runs/nope"), HttpStatusCode.NotFound, FindingCodes.RunNotFound);
        await AssertProblem(await gis.PostAsync("/api/v1/change-runs/nope/cancel", null), HttpStatusCode.NotFound, FindingCodes.RunNotFound);
    }

    // ---- findings: filters, paging ------------------------------------------------------------------------------------

    [Fact]
    public async Task Findings_filter_and_page_stably()
    {
        var (runId, findings) = await SucceededRun();
        using var c = fx.Client("viewer");
        var permitted = await c.GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={runId}&permitted=true");
        Assert.Equal(findings[1].GetProperty("id").GetString(), permitted.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.Single(permitted.GetProperty("items").EnumerateArray());
        var kind = await c.GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={runId}&kind=extension");
        Assert.Single(kind.GetProperty("items").EnumerateArray());
        var grid = findings[0].GetProperty("grid").GetString();
        var byGrid = await c.GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={runId}&grid={grid}&department={findings[0].GetProperty("department").GetString()}");
        Assert.Contains(byGrid.GetProperty("items").EnumerateArray(), f => f.GetProperty("id").GetString() == findings[0].GetProperty("id").GetString());
        var (lon, lat) = InteriorOf(0);
        var bbox = FormattableString.Invariant($"{lon - 0.00005},{lat - 0.00005},{lon + 0.00005},{lat + 0.00005}");
        var inBox = await c.GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={runId}&bbox={bbox}");
        Assert.Equal([findings[0].GetProperty("id").GetString()], inBox.GetProperty("items").EnumerateArray().Select(f => f.GetProperty("id").GetString()));

        var seen = new List<string>();
        string? after = null;
        do
        {
            var page = await c.GetFromJsonAsync<JsonElement>($"/api/v1/findings?run={runId}&limit=2" + (after is null ? "" : "&after=" + after));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(f => f.GetProperty("id").GetString()!));
            after = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
        } while (after is not null);
        Assert.Equal(findings.Select(f => f.GetProperty("id").GetString()), seen);

        foreach (var bad in new[] { "kind=house", "review=maybe", "permitted=yes", "bbox=1,2,3", "bbox=200,0,201,1", "limit=0", "limit=1001", "limit=x" })
            await AssertProblem(await c.GetAsync($"/api/v1/findings?{bad}"), HttpStatusCode.BadRequest);
        await AssertProblem(await c.GetAsync("/api/v1/findings/nope"), HttpStatusCode.NotFound, FindingCodes.FindingNotFound);
        var one = await c.GetFromJsonAsync<JsonElement>($"/api/v1/findings/{findings[0].GetProperty("id").GetString()}");
        Assert.Equal(findings[0].GetProperty("id").GetString(), one.GetProperty("finding").GetProperty("id").GetString());
    }

    // ---- review and the outbox ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Confirm_writes_a_dispatch_case_dismiss_does_not_and_the_rules_hold()
    {
        var (_, findings) = await SucceededRun();
        var first = findings[0].GetProperty("id").GetString()!;
        var second = findings[2].GetProperty("id").GetString()!;
        using var gis = fx.Client("gis");
        using var dispatch = fx.Client("dispatch");
        var before = await dispatch.GetFromJsonAsync<JsonElement>("/api/v1/outbox?after=0&limit=1000");
        var cursor = before.GetProperty("next").GetInt64();

        await AssertProblem(await fx.Client("viewer").PostAsJsonAsync($"/api/v1/findings/{first}/review", new { decision = "confirm" }), HttpStatusCode.Forbidden);
        await AssertProblem(await gis.PostAsJsonAsync($"/api/v1/findings/{first}/review", new { decision = "maybe" }), HttpStatusCode.BadRequest, "decision_invalid");
        await AssertProblem(await gis.PostAsJsonAsync("/api/v1/findings/nope/review", new { decision = "confirm" }), HttpStatusCode.NotFound, FindingCodes.FindingNotFound);

        var dismissed = await gis.PostAsJsonAsync($"/api/v1/findings/{second}/review", new { decision = "dismiss", comment = "树影 <shadow>" });
        Assert.Equal(HttpStatusCode.OK, dismissed.StatusCode);
        Assert.Empty((await dispatch.GetFromJsonAsync<JsonElement>($"/api/v1/outbox?after={cursor}")).GetProperty("items").EnumerateArray());

        var confirmed = await gis.PostAsJsonAsync($"/api/v1/findings/{first}/review", new { decision = "confirm", comment = "现场核实为违建" });
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var view = await confirmed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("confirmed", view.GetProperty("review").GetString());
        Assert.Equal("key:" + KeyId("gis"), view.GetProperty("reviewer").GetString());
        Assert.True(view.GetProperty("reviewedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));

        var outbox = await dispatch.GetFromJsonAsync<JsonElement>($"/api/v1/outbox?after={cursor}");
        var entry = Assert.Single(outbox.GetProperty("items").EnumerateArray());
        var payload = entry.GetProperty("payload");
        Assert.Equal(first, payload.GetProperty("caseId").GetString());
        Assert.Equal("0101", payload.GetProperty("eventClass").GetString());
        Assert.Equal("私搭乱建", payload.GetProperty("eventClassName").GetString());
        Assert.Equal("EPSG:4490", payload.GetProperty("location").GetProperty("crs").GetString());
        var (lon, lat) = InteriorOf(0);
        Assert.Equal(lon, payload.GetProperty("location").GetProperty("lon").GetDouble(), 6);
        Assert.Equal(lat, payload.GetProperty("location").GetProperty("lat").GetDouble(), 6);
        Assert.Equal(findings[0].GetProperty("grid").GetString(), payload.GetProperty("grid").GetString());
        Assert.Equal(findings[0].GetProperty("department").GetString(), payload.GetProperty("department").GetString());
        var owner = await fx.Client().GetFromJsonAsync<JsonElement>(FormattableString.Invariant($"/api/v1/ownership?x={lon}&y={lat}&crs=EPSG:4490&class=E0101"));
        Assert.Equal(owner.GetProperty("department").GetProperty("name").GetString(), payload.GetProperty("departmentName").GetString());
        Assert.Equal(400.0, payload.GetProperty("areaM2").GetDouble(), 0.5);
        var evidence = payload.GetProperty("evidence");
        foreach (var link in new[] { "finding", "beforeChip", "afterChip", "report" })
        {
            var url = new Uri(evidence.GetProperty(link).GetString()!);
            Assert.Equal(HttpStatusCode.OK, (await fx.Client().GetAsync(url.PathAndQuery)).StatusCode);
        }

        // Rules: confirmed is final; a dismissed finding may be confirmed once; dismissing twice is refused.
        await AssertProblem(await gis.PostAsJsonAsync($"/api/v1/findings/{first}/review", new { decision = "dismiss" }), HttpStatusCode.Conflict, FindingCodes.AlreadyConfirmed);
        await AssertProblem(await gis.PostAsJsonAsync($"/api/v1/findings/{second}/review", new { decision = "dismiss" }), HttpStatusCode.Conflict, FindingCodes.AlreadyReviewed);
        Assert.Equal(HttpStatusCode.OK, (await gis.PostAsJsonAsync($"/api/v1/findings/{second}/review", new { decision = "confirm", comment = "复核：确为违建" })).StatusCode);
        var history = await gis.GetFromJsonAsync<JsonElement>($"/api/v1/findings/{second}");
        Assert.Equal(["dismiss", "confirm"], history.GetProperty("reviews").EnumerateArray().Select(r => r.GetProperty("decision").GetString()));

        // Cursor paging: one at a time sees both entries in order, then nothing.
        var p1 = await dispatch.GetFromJsonAsync<JsonElement>($"/api/v1/outbox?after={cursor}&limit=1");
        var p2 = await dispatch.GetFromJsonAsync<JsonElement>($"/api/v1/outbox?after={p1.GetProperty("next").GetInt64()}&limit=1");
        var p3 = await dispatch.GetFromJsonAsync<JsonElement>($"/api/v1/outbox?after={p2.GetProperty("next").GetInt64()}&limit=1");
        Assert.Equal(first, p1.GetProperty("items")[0].GetProperty("findingId").GetString());
        Assert.Equal(second, p2.GetProperty("items")[0].GetProperty("findingId").GetString());
        Assert.Empty(p3.GetProperty("items").EnumerateArray());
        Assert.Equal(p2.GetProperty("next").GetInt64(), p3.GetProperty("next").GetInt64());

        // Only dispatch (and admin) read the outbox.
        await AssertProblem(await gis.GetAsync("/api/v1/outbox"), HttpStatusCode.Forbidden);
        await AssertProblem(await fx.Client("viewer").GetAsync("/api/v1/outbox"), HttpStatusCode.Forbidden);
        await AssertProblem(await fx.Client().GetAsync("/api/v1/outbox"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await fx.Client("admin").GetAsync("/api/v1/outbox")).StatusCode);
        await AssertProblem(await dispatch.GetAsync("/api/v1/outbox?after=-1"), HttpStatusCode.BadRequest, "cursor_invalid");
        await AssertProblem(await dispatch.GetAsync("/api/v1/outbox?limit=5000"), HttpStatusCode.BadRequest, "limit_invalid");
    }

    private string KeyId(string role)
    {
        var registry = fx.App.Services.GetService(typeof(Geo.GridService.Host.Http.ApiKeyRegistry)) as Geo.GridService.Host.Http.ApiKeyRegistry;
        return registry!.Find(fx.Keys[role])!.Id;
    }

    // ---- exports, report, chips, tiles ----------------------------------------------------------------------------------

    [Fact]
    public async Task Exports_are_read_back_by_gdal()
    {
        var (runId, findings) = await SucceededRun();
        var dir = Directory.CreateTempSubdirectory("geo-findings-export-").FullName;
        try
        {
            var geojson = Path.Combine(dir, "f.geojson");
            var r1 = await fx.Client().GetAsync($"/api/v1/change-runs/{runId}/findings.geojson");
            Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
            await File.WriteAllBytesAsync(geojson, await r1.Content.ReadAsByteArrayAsync());
            var gpkg = Path.Combine(dir, "f.gpkg");
            var r2 = await fx.Client().GetAsync($"/api/v1/change-runs/{runId}/findings.gpkg");
            Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
            await File.WriteAllBytesAsync(gpkg, await r2.Content.ReadAsByteArrayAsync());
            foreach (var (file, layer) in new[] { (geojson, "findings"), (gpkg, "findings") })
            {
                var info = Ogr("-ro", "-al", file);
                Assert.Contains($"Feature Count: {findings.Length}", Ogr("-ro", "-so", "-al", file));
                Assert.Contains(findings[1].GetProperty("id").GetString()!, info);
                Assert.Contains("permit (String) = " + FindingsFixture.PermitNumber, info);
                Assert.Contains("POLYGON ((112.8", info);
                Assert.Contains("4490", Ogr("-ro", "-so", "-al", file));
                _ = layer;
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        await AssertProblem(await fx.Client().GetAsync("/api/v1/change-runs/nope/findings.gpkg"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_report_is_valid_html_with_before_and_after_chips_per_finding()
    {
        var (runId, findings) = await SucceededRun();
        // A comment with markup must come out escaped.
        await fx.Client("gis").PostAsJsonAsync($"/api/v1/findings/{findings[1].GetProperty("id").GetString()}/review",
            new { decision = "dismiss", comment = "<script>alert(1)</script> & 许可范围内" });
        var r = await fx.Client("viewer").GetAsync($"/api/v1/change-runs/{runId}/report");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
        var html = await r.Content.ReadAsStringAsync();
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains("变化发现核查报告", html);
        var doc = XDocument.Parse(html["<!DOCTYPE html>".Length..]); // well-formed (polyglot) markup
        XNamespace x = "http://www.w3.org/1999/xhtml";
        var chips = doc.Descendants(x + "img").Select(i => (string)i.Attribute("src")!).ToList();
        Assert.Equal(2 * findings.Length, chips.Count);
        foreach (var src in chips)
        {
            Assert.StartsWith("data:image/png;base64,", src);
            var png = Convert.FromBase64String(src["data:image/png;base64,".Length..]);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Equal(256, (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19]); // IHDR width
        }
        Assert.Equal(findings.Length, doc.Descendants(x + "div").Count(d => (string?)d.Attribute("class") == "finding"));

        var chip = await fx.Client().GetAsync($"/api/v1/findings/{findings[0].GetProperty("id").GetString()}/chips/after.png");
        Assert.Equal("image/png", chip.Content.Headers.ContentType?.MediaType);
        await AssertProblem(await fx.Client().GetAsync($"/api/v1/findings/{findings[0].GetProperty("id").GetString()}/chips/side.png"), HttpStatusCode.NotFound);
        await AssertProblem(await fx.Client().GetAsync("/api/v1/change-runs/nope/report"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_findings_tile_layer_is_fed_from_the_store_with_the_review_state()
    {
        var (_, findings) = await SucceededRun();
        var id = findings[0].GetProperty("id").GetString()!;
        var (lon, lat) = InteriorOf(0);
        var tile = TileMath.TileAt(lon, lat, 17);
        async Task<Dictionary<string, string>> Props()
        {
            var r = await fx.Client().GetAsync($"/api/v1/tiles/findings/{tile.Z}/{tile.X}/{tile.Y}.mvt");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var features = OgrMvt.Decode(await r.Content.ReadAsByteArrayAsync(), tile);
            return features.Single(f => f.Attributes["id"] == id).Attributes;
        }
        var p = await Props();
        Assert.Equal("pending", p["status"]);
        Assert.Equal("new_structure", p["kind"]);
        Assert.Equal(fx.After, p["after"]);
        await fx.Client("gis").PostAsJsonAsync($"/api/v1/findings/{id}/review", new { decision = "dismiss" });
        Assert.Equal("dismissed", (await Props())["status"]);
    }

    // ---- permits ---------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Permit_import_is_all_or_nothing_and_reports_every_bad_feature()
    {
        using var gis = fx.Client("gis");
        var count = (await gis.GetFromJsonAsync<JsonElement>("/api/v1/permits")).GetArrayLength();
        const string bad = """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"number":"P-OK","holder":"甲","valid_from":"2026-01-01"},"geometry":{"type":"Polygon","coordinates":[[[112.84,34.16],[112.841,34.16],[112.841,34.161],[112.84,34.161],[112.84,34.16]]]}},
             {"type":"Feature","properties":{"holder":"乙","valid_from":"2026-13-01"},"geometry":{"type":"Polygon","coordinates":[[[112.84,34.16],[112.841,34.161],[112.841,34.16],[112.84,34.161],[112.84,34.16]]]}},
             {"type":"Feature","properties":{"number":"P-OK","holder":"丙","valid_from":"2026-01-01","valid_to":"2025-01-01"},"geometry":{"type":"Point","coordinates":[112.84,34.16]}}]}
            """;
        var r = await gis.PostAsync("/api/v1/permits/import", new StringContent(bad));
        await AssertProblem(r, HttpStatusCode.UnprocessableEntity);
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        var codes = problem.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("code").GetString(), e.GetProperty("location").GetString())).ToList();
        Assert.Contains(("permit_number_missing", "feature 2"), codes);
        Assert.Contains(("permit_date_invalid", "feature 2"), codes);
        Assert.Contains(("permit_geometry_invalid", "feature 2"), codes); // self-intersecting bow tie
        Assert.Contains(("permit_number_duplicate", "feature 3"), codes);
        Assert.Contains(("permit_dates_invalid", "feature 3"), codes);
        Assert.Contains(("permit_geometry_invalid", "feature 3"), codes);
        Assert.Equal(count, (await gis.GetFromJsonAsync<JsonElement>("/api/v1/permits")).GetArrayLength());

        await AssertProblem(await fx.Client("viewer").PostAsync("/api/v1/permits/import", new StringContent(bad)), HttpStatusCode.Forbidden);

        // A GeoPackage made by GDAL from a GeoJSON in EPSG:4547 (the file declares its CRS).
        var dir = Directory.CreateTempSubdirectory("geo-permits-").FullName;
        try
        {
            var sq = ScriptedDetector.Square(-500, -500, 40);
            var coords = string.Join(",", sq.Coordinates.Select(c => FormattableString.Invariant($"[{c.X},{c.Y}]")));
            var src = Path.Combine(dir, "p.geojson");
            await File.WriteAllTextAsync(src, $$$"""
                {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},"features":[
                 {"type":"Feature","properties":{"number":"GPKG-1","holder":"丁","valid_from":"2026-02-01"},"geometry":{"type":"Polygon","coordinates":[[{{{coords}}}]]}}]}
                """);
            var gpkg = Path.Combine(dir, "p.gpkg");
            Run("ogr2ogr", "-f", "GPKG", gpkg, src);
            var ok = await gis.PostAsync("/api/v1/permits/import", new ByteArrayContent(await File.ReadAllBytesAsync(gpkg)));
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            var permits = await gis.GetFromJsonAsync<JsonElement>("/api/v1/permits");
            var stored = permits.EnumerateArray().Single(p => p.GetProperty("number").GetString() == "GPKG-1");
            var ring = stored.GetProperty("geometry").GetProperty("coordinates");
            var first = ring.ValueKind == JsonValueKind.Array && ring[0][0].ValueKind == JsonValueKind.Array && ring[0][0][0].ValueKind == JsonValueKind.Array ? ring[0][0][0] : ring[0][0];
            var expected = CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Cgcs2000, sq.Coordinates[0].X, sq.Coordinates[0].Y);
            Assert.InRange(Math.Abs(expected.X - first[0].GetDouble()), 0, 1e-6); // 7 decimals in the answer
            Assert.InRange(Math.Abs(expected.Y - first[1].GetDouble()), 0, 1e-6);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task The_openapi_document_lists_the_findings_endpoints()
    {
        var doc = await fx.Client().GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/api/v1/change-runs", "/api/v1/change-runs/{id}/cancel", "/api/v1/findings", "/api/v1/findings/{id}/review", "/api/v1/outbox", "/api/v1/permits/import", "/api/v1/change-runs/{id}/report" })
            Assert.Contains($"\"{path}\"", doc);
    }

    private static string Ogr(params string[] args) => Run("ogrinfo", args);

    private static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output);
        return output;
    }
}
