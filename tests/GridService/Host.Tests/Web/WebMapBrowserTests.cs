using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Geo.GridService.Host.Tests.Support;
using Microsoft.Playwright;

namespace Geo.GridService.Host.Tests.Web;

/// <summary>
/// The web map in a real browser: Debian's headless Chromium (installed by scripts/ensure-deps.sh test), driven by
/// Playwright with an explicit executable (no browser download), against the real service with the Ruzhou samples.
/// WebGL runs on SwiftShader (software). Saves screenshots under test-output/.
/// </summary>
[Trait("Category", "Browser")]
public class WebMapBrowserTests(ServiceFixture service) : IClassFixture<ServiceFixture>
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

    private static async Task<(IPlaywright, IBrowser)> LaunchAsync()
    {
        var pw = await Playwright.CreateAsync();
        var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumFlags, Timeout = 60_000,
        });
        return (pw, browser);
    }

    [Fact]
    public async Task The_map_renders_grid_tiles_with_labels_and_a_click_shows_the_owner_in_a_popup()
    {
        var (pw, browser) = await LaunchAsync();
        using var _ = pw;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new() { Width = 1400, Height = 900 }, Locale = "zh-CN" });
        var tileRequests = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/api/v1/tiles/grids/", StringComparison.Ordinal)) tileRequests.Add(r.Url); };
        page.Response += (_, r) => { if (r.Status >= 500) failures.Add($"{r.Status} {r.Url}"); };
        page.PageError += (_, e) => failures.Add("page error: " + e);

        await page.GotoAsync(service.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => window.geoMap && window.geoMap.loaded() && window.geoMap.areTilesLoaded()",
            null, new PageWaitForFunctionOptions { Timeout = 90_000, PollingInterval = 250 });

        Assert.NotEmpty(tileRequests);
        Assert.All(tileRequests, u => Assert.EndsWith(".mvt", u));
        var codes = await page.EvaluateAsync<string[]>(
            "() => [...new Set(geoMap.queryRenderedFeatures({ layers: ['grids-fill'] }).map(f => f.properties.code))]");
        Assert.Equal(27, codes.Length); // the whole sample city is in view
        var labels = await page.EvaluateAsync<int>("() => geoMap.queryRenderedFeatures({ layers: ['grid-labels'] }).length");
        Assert.True(labels > 0, "no grid label was placed");
        Assert.Equal("汝州市数字化城管 · 地理信息一张图", await page.TitleAsync());

        // Click inside a grid: the popup names the grid and the department the ownership API gives for that point.
        var lonLat = (Lon: 112.845, Lat: 34.167);
        var px = await page.EvaluateAsync<double[]>($"() => {{ const p = geoMap.project([{lonLat.Lon.ToString(CultureInfo.InvariantCulture)}, {lonLat.Lat.ToString(CultureInfo.InvariantCulture)}]); return [p.x, p.y]; }}");
        var box = (await page.Locator("#map").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync((float)(box.X + px[0]), (float)(box.Y + px[1]));
        var popup = page.Locator(".maplibregl-popup .popup table");
        await popup.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        var text = await page.Locator(".maplibregl-popup").InnerTextAsync();

        using var http = service.Client();
        var answer = await http.GetFromJsonAsync<JsonElement>(
            $"/api/v1/ownership?x={lonLat.Lon.ToString(CultureInfo.InvariantCulture)}&y={lonLat.Lat.ToString(CultureInfo.InvariantCulture)}&crs=EPSG:4326");
        Assert.Contains(answer.GetProperty("grid").GetProperty("name").GetString()!, text);
        Assert.Contains(answer.GetProperty("department").GetProperty("name").GetString()!, text);
        var selected = await page.EvaluateAsync<JsonElement>("() => geoMap.getFilter('grids-selected')");
        Assert.Equal(answer.GetProperty("grid").GetProperty("code").GetString(), selected[2].GetString());

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(OutputDir(), "webmap-zh.png") });
        Assert.Empty(failures);
    }

    [Fact]
    public async Task The_english_switch_translates_the_interface_and_the_grid_search_flies_to_the_grid()
    {
        var (pw, browser) = await LaunchAsync();
        using var _ = pw;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new() { Width = 1400, Height = 900 } });
        await page.GotoAsync(service.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => window.geoMap && window.geoMap.loaded()", null, new PageWaitForFunctionOptions { Timeout = 90_000 });
        await page.ClickAsync("#lang");
        Assert.Equal("Ruzhou Urban Management · One Map", await page.TitleAsync());
        Assert.Equal("Layers", await page.Locator("[data-i18n=layers]").InnerTextAsync());

        const string code = "41048200300101";
        await page.FillAsync("#search-input", code);
        await page.ClickAsync("#search button");
        await page.WaitForFunctionAsync("() => !geoMap.isMoving() && geoMap.getZoom() > 14.5", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => geoMap.areTilesLoaded()", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        var selected = await page.EvaluateAsync<JsonElement>("() => geoMap.getFilter('grids-selected')");
        Assert.Equal(code, selected[2].GetString());
        var centred = await page.EvaluateAsync<string[]>(
            "() => geoMap.queryRenderedFeatures([geoMap.getCanvas().clientWidth / 2, geoMap.getCanvas().clientHeight / 2], { layers: ['grids-fill'] }).map(f => f.properties.code)");
        Assert.Contains(code, centred);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(OutputDir(), "webmap-en-search.png") });
    }
}
