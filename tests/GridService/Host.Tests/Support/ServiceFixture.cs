using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Http;
using Geo.GridService.Host.Samples;
using Geo.GridService.Storage;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;
using Geo.Storage.Tests.PostGis;
using Microsoft.AspNetCore.Builder;
using System.Net.Http.Json;

namespace Geo.GridService.Host.Tests.Support;

/// <summary>
/// A real service on a real Kestrel socket (127.0.0.1, a free port) over a real GeoPackage file in a temp directory,
/// loaded with the generated Ruzhou samples. Keys for each role are created through the store.
/// <see cref="PostGisServiceFixture"/> is the same service on a real PostgreSQL/PostGIS database.
/// </summary>
public class ServiceFixture : IAsyncLifetime
{
    public const string AdminKey = "test-bootstrap-admin-key-0123456789";

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "geo-tests-" + Guid.NewGuid().ToString("N")[..8]);
    public string StorePath => Path.Combine(Dir, "geo.gpkg");
    public string SamplesDir => Path.Combine(Dir, "samples");
    public Uri BaseAddress { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;
    public IGridStore Store { get; private set; } = null!;
    public Dictionary<string, string> Keys { get; } = new();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        RuzhouSamples.Write(SamplesDir);
        var (store, spec) = await OpenStoreAsync();
        Store = store;
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        App = GeoWebApp.Build(Store, new GeoOptions
        {
            Store = spec,
            SurveyDirectory = Path.Combine(Dir, "surveys"),
            BootstrapAdminKey = AdminKey,
            LoadSamples = SamplesDir,
            RefreshIntervalMs = 200,
        }, urls: BaseAddress.ToString());
        await GeoWebApp.PrepareAsync(App);
        await App.StartAsync();
        using var admin = Client("admin-bootstrap");
        foreach (var role in new[] { "admin", "gis", "dispatch", "viewer" })
        {
            var r = await admin.PostAsJsonAsync("/api/v1/keys", new { name = $"test {role}", role });
            r.EnsureSuccessStatusCode();
            Keys[role] = (await r.Content.ReadFromJsonAsync<DirectoryApi.NewKeyResponse>())!.Key;
        }
    }

    /// <summary>The store the service runs on and the spec naming it (a GeoPackage file in <see cref="Dir"/>).</summary>
    protected virtual async Task<(IGridStore Store, string Spec)> OpenStoreAsync() => (await GeoPackageGridStore.OpenAsync(StorePath), StorePath);

    /// <summary>A client; role null = anonymous, "admin-bootstrap" = the configured bootstrap key.</summary>
    public HttpClient Client(string? role = null)
    {
        var c = new HttpClient { BaseAddress = BaseAddress };
        if (role == "admin-bootstrap") c.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        else if (role is not null) c.DefaultRequestHeaders.Add("X-Api-Key", Keys[role]);
        return c;
    }

    public virtual async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Store.DisposeAsync();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>The same service on a PostgreSQL 15 + PostGIS database in a throwaway cluster of its own.</summary>
public sealed class PostGisServiceFixture : ServiceFixture
{
    private PostgresCluster? _cluster;

    protected override async Task<(IGridStore Store, string Spec)> OpenStoreAsync()
    {
        _cluster = await PostgresCluster.StartAsync();
        var cs = await _cluster.CreateDatabaseAsync();
        return (await PostGisGridStore.OpenAsync(cs), cs);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServiceCollectionDefinition : ICollectionFixture<ServiceFixture>
{
    public const string Name = "service";
}
