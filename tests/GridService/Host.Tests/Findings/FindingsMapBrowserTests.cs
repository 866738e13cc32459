using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Geo.Spatial.Crs;
using Microsoft.Playwright;

namespace Geo.GridService.Host.Tests.Findings;

/// <summary>
/// The findings on the web map in a real browser (Debian's Chromium through Playwright, as the map's own test): the
/// layer is drawn from the store with the review state, a click shows the finding's facts and its before/after chips,
/// and with a reviewer key set the reviewer confirms it; the API and the redrawn tile then say confirmed.
/// </summary>
[Trait("Category", "Browser")]
public sealed class FindingsMapBrowserTests(FindingsFixture fx) : IClassFixture<FindingsFixture>
{
    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage",
    ];

    private static string OutputDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Geo.sln"))) dir = dir.Parent;
        var output = Path.Combine(dir?.FullName ?? Path.GetTempPath(), "test-output");
        Directory.CreateDirectory(output);
        return output;
    }

    [Fact]
    public async Task A_reviewer_sees_a_finding_with_its_chips_and_confirms_it_on_the_map()
    {
        fx.Detector.Reset(ScriptedDetector.Behaviour.Candidates);
        var run = await fx.RunToEnd();
        var runId = run.GetProperty("id").GetString()!;
        var findingId = $"{runId}-00001";
        var detail = await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/findings/{findingId}");
        var finding = detail.GetProperty("finding");
        var centre = CoordinateConverter.Transform(ScriptedDetector.Candidates[0].Polygon, CrsId.Cgcs2000GK114, CrsId.Cgcs2000).InteriorPoint;
        var (lon, lat) = (centre.X.ToString("R", CultureInfo.InvariantCulture), centre.Y.ToString("R", CultureInfo.InvariantCulture));

        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumFlags, Timeout = 60_000,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new() { Width = 1400, Height = 900 }, Locale = "zh-CN" });
        var failures = new ConcurrentBag<string>();
        page.Response += (_, r) => { if (r.Status >= 500) failures.Add($"{r.Status} {r.Url}"); };
        page.PageError += (_, e) => failures.Add("page error: " + e);
        await page.GotoAsync(fx.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => window.geoMap && window.geoMap.loaded()", null, new PageWaitForFunctionOptions { Timeout = 90_000 });

        await page.EvaluateAsync($"() => {{ geoMap.jumpTo({{ center: [{lon}, {lat}], zoom: 18 }}); }}");
        var rendered = $"() => geoMap.areTilesLoaded() && geoMap.queryRenderedFeatures({{ layers: ['findings-fill'] }}).some(f => f.properties.id === '{findingId}')";
        await page.WaitForFunctionAsync(rendered, null, new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 250 });
        var status = await page.EvaluateAsync<string>($"() => geoMap.queryRenderedFeatures({{ layers: ['findings-fill'] }}).find(f => f.properties.id === '{findingId}').properties.status");
        Assert.Equal("pending", status);

        await page.FillAsync("#review-key", fx.Keys["gis"]);
        await page.Locator("#review-key").DispatchEventAsync("change");

        var px = await page.EvaluateAsync<double[]>($"() => {{ const p = geoMap.project([{lon}, {lat}]); return [p.x, p.y]; }}");
        var box = (await page.Locator("#map").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync((float)(box.X + px[0]), (float)(box.Y + px[1]));
        var card = page.Locator(".finding-card");
        await card.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        var text = await card.InnerTextAsync();
        Assert.Contains(finding.GetProperty("grid").GetString()!, text);
        Assert.Contains(finding.GetProperty("department").GetString()!, text);
        Assert.Contains(detail.GetProperty("department").GetProperty("name").GetString()!, text);
        Assert.Contains("待核查", text);
        Assert.Contains("新建构筑物", text);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.finding-card img')].every(i => i.complete && i.naturalWidth === 256)",
            null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(OutputDir(), "webmap-finding.png") });

        await page.FillAsync(".finding-card .rv-comment", "地图核查：确认违建");
        await page.ClickAsync(".finding-card .rv-confirm");
        // Either the card shows the new state or its message line says why not (then the assertion names it).
        await page.WaitForFunctionAsync("() => document.querySelector('.finding-card .rv-confirmed') || document.querySelector('.finding-card .rv-msg')?.textContent",
            null, new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 100 });
        Assert.True(await page.Locator(".finding-card .rv-confirmed").CountAsync() > 0,
            "the review was not shown as confirmed: " + await page.EvaluateAsync<string>("() => document.querySelector('.finding-card .rv-msg')?.textContent ?? ''"));
        var after = (await fx.Client().GetFromJsonAsync<JsonElement>($"/api/v1/findings/{findingId}")).GetProperty("finding");
        Assert.Equal("confirmed", after.GetProperty("review").GetString());
        Assert.Equal("地图核查：确认违建", after.GetProperty("reviewComment").GetString());
        await page.WaitForFunctionAsync(
            $"() => geoMap.queryRenderedFeatures({{ layers: ['findings-fill'] }}).some(f => f.properties.id === '{findingId}' && f.properties.status === 'confirmed')",
            null, new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 250 });
        Assert.Empty(failures);
    }
}
