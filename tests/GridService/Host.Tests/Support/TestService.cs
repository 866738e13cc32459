using Geo.GridService.Host.Http;
using Geo.GridService.Host.Samples;
using Geo.Storage.GeoPackage;
using Microsoft.AspNetCore.Builder;

namespace Geo.GridService.Host.Tests.Support;

/// <summary>A private instance of the real service (sample data, own store, own port) for tests that need options other
/// than <see cref="ServiceFixture"/>'s, e.g. closed reads or tight rate limits.</summary>
public sealed class TestService : IAsyncDisposable
{
    public const string AdminKey = "private-test-bootstrap-admin-key-0123";

    private readonly string _dir;
    private readonly WebApplication _app;
    private readonly GeoPackageGridStore _store;

    private TestService(string dir, WebApplication app, GeoPackageGridStore store, Uri baseAddress)
    {
        _dir = dir;
        _app = app;
        _store = store;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestService> StartAsync(Action<GeoOptions> configure)
    {
        var dir = Path.Combine(Path.GetTempPath(), "geo-private-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        RuzhouSamples.Write(Path.Combine(dir, "samples"));
        var store = await GeoPackageGridStore.OpenAsync(Path.Combine(dir, "geo.gpkg"));
        var baseAddress = new Uri($"http://127.0.0.1:{ServiceFixture.FreePort()}");
        var options = new GeoOptions { Store = Path.Combine(dir, "geo.gpkg"), BootstrapAdminKey = AdminKey, LoadSamples = Path.Combine(dir, "samples") };
        configure(options);
        var app = GeoWebApp.Build(store, options, urls: baseAddress.ToString());
        await GeoWebApp.PrepareAsync(app);
        await app.StartAsync();
        return new TestService(dir, app, store, baseAddress);
    }

    /// <summary>A client presenting <paramref name="key"/> in X-Api-Key, or none.</summary>
    public HttpClient Client(string? key = null)
    {
        var c = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null) c.DefaultRequestHeaders.Add("X-Api-Key", key);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
