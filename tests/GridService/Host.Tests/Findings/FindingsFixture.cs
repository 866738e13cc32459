using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Geo.ChangeDetect.Findings;
using Geo.GridService.Host.Http;
using Geo.GridService.Host.Samples;
using Geo.GridService.Host.Tests.Support;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using Geo.Storage.GeoPackage;
using Geo.Surveys.Synthetic;
using ChangeKind = Geo.ChangeDetect.Findings.ChangeKind;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Host.Tests.Findings;

/// <summary>
/// A TEST DOUBLE of the survey change detector: returns known candidates (squares in EPSG:4547 around the synthetic
/// survey pair's centre, inside the sample city), or fails, or blocks until cancelled — as a test sets it. It records
/// the input it was given. Used only here: the real pipeline is registered by FindingsServices.AddDetector.
/// </summary>
public sealed class ScriptedDetector : ISurveyChangeDetector
{
    public enum Behaviour { Candidates, BlockUntilCancelled, Fail, Throw }

    /// <summary>Scene centre of the synthetic pair (EPSG:4547 metres).</summary>
    public static readonly (double E, double N) Centre = CoordinateConverter.Convert(CrsId.Wgs84, CrsId.Cgcs2000GK114, 112.838, 34.165);

    public volatile Behaviour Mode = Behaviour.Candidates;
    public SurveyPairInput? LastInput { get; private set; }
    public TaskCompletionSource Started { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A square of <paramref name="side"/> metres with its south-west corner at centre + (de, dn), EPSG:4547.</summary>
    public static Polygon Square(double de, double dn, double side)
    {
        var (e, n) = (Centre.E + de, Centre.N + dn);
        return new GeometryFactory().CreatePolygon([new(e, n), new(e + side, n), new(e + side, n + side), new(e, n + side), new(e, n)]);
    }

    /// <summary>The candidates: a 20 m building, a 30 m extension (inside the fixture's permit), a 4 m speck (16 m²).</summary>
    public static readonly ChangeCandidate[] Candidates =
    [
        new(Square(0, 0, 20), CrsId.Cgcs2000GK114, ChangeKind.NewStructure, 6.1, 9.4, 0.91),
        new(Square(100, 0, 30), CrsId.Cgcs2000GK114, ChangeKind.Extension, 3.0, 3.5, 0.72),
        new(Square(-60, 40, 4), CrsId.Cgcs2000GK114, ChangeKind.Other, null, null, 0.4),
    ];

    public void Reset(Behaviour mode)
    {
        Mode = mode;
        Started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public async Task<Result<IReadOnlyList<ChangeCandidate>>> DetectAsync(SurveyPairInput input, IProgress<DetectionProgress>? progress, CancellationToken ct)
    {
        LastInput = input;
        progress?.Report(new DetectionProgress(0.5, "scripted"));
        Started.TrySetResult();
        switch (Mode)
        {
            case Behaviour.BlockUntilCancelled:
                await Task.Delay(Timeout.Infinite, ct);
                throw new InvalidOperationException("unreachable");
            case Behaviour.Fail:
                return Failure.Invalid("surveys_not_overlapping", "The two surveys do not overlap.");
            case Behaviour.Throw:
                throw new IOException("disk on fire");
            default:
                return Candidates;
        }
    }
}

/// <summary>
/// The real service (real socket, real GeoPackage) with the Ruzhou samples, a small synthetic survey pair (COGs with
/// DSMs, ingested at start) and the <see cref="ScriptedDetector"/>; a permit covers the second candidate.
/// </summary>
public sealed class FindingsFixture : IAsyncLifetime
{
    public const string AdminKey = "findings-bootstrap-admin-key-0123456789";
    public const string PermitNumber = "汝建许[2026]0042";

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "geo-findings-" + Guid.NewGuid().ToString("N")[..8]);
    public Uri BaseAddress { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;
    public ScriptedDetector Detector { get; } = new();
    public Dictionary<string, string> Keys { get; } = new();
    public string Before { get; private set; } = "";
    public string After { get; private set; } = "";
    private GeoPackageGridStore _store = null!;

    /// <summary>The grid store the service runs on (its backend's run leases: <see cref="Geo.Storage.RunLeases.For"/>).</summary>
    public GeoPackageGridStore Grids => _store;

    public IFindingStore Findings => App.Services.GetRequiredService<IFindingStore>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        RuzhouSamples.Write(Path.Combine(Dir, "samples"));
        SyntheticSurveys.Generate(Path.Combine(Dir, "pair"), new SyntheticOptions(SizePx: 1024, Seed: 7, GsdMetres: 0.5));
        var path = Path.Combine(Dir, "geo.gpkg");
        _store = await GeoPackageGridStore.OpenAsync(path);
        BaseAddress = new Uri($"http://127.0.0.1:{ServiceFixture.FreePort()}");
        App = GeoWebApp.Build(_store, new GeoOptions
        {
            Store = path, BootstrapAdminKey = AdminKey, LoadSamples = Path.Combine(Dir, "samples"), LoadSurveySamples = Path.Combine(Dir, "pair"),
            RefreshIntervalMs = 200, AnonymousRequestsPerSecond = 0, KeyRequestsPerSecond = 0,
        }, urls: BaseAddress.ToString(), configureServices: s => s.AddSingleton<ISurveyChangeDetector>(Detector));
        await GeoWebApp.PrepareAsync(App);
        await App.StartAsync();
        using var admin = Client("admin");
        foreach (var role in new[] { "gis", "dispatch", "viewer" })
        {
            var r = await admin.PostAsJsonAsync("/api/v1/keys", new { name = $"findings {role}", role });
            r.EnsureSuccessStatusCode();
            Keys[role] = (await r.Content.ReadFromJsonAsync<DirectoryApi.NewKeyResponse>())!.Key;
        }
        var surveys = await admin.GetFromJsonAsync<JsonElement>("/api/v1/surveys");
        var orthos = surveys.EnumerateArray().Where(s => s.GetProperty("kind").GetString() == "ortho")
            .OrderBy(s => s.GetProperty("flightDate").GetString()).ToList();
        Before = orthos[0].GetProperty("id").GetString()!;
        After = orthos[1].GetProperty("id").GetString()!;
        // The permit around the second candidate (EPSG:4547 corners given; the file declares EPSG:4547).
        var permit = ScriptedDetector.Square(90, -10, 50);
        var coords = string.Join(",", permit.Coordinates.Select(c => FormattableString.Invariant($"[{c.X},{c.Y}]")));
        var geojson = $$$"""
            {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},"features":[
             {"type":"Feature","properties":{"许可证号":"{{{PermitNumber}}}","建设单位":"汝州市测试置业有限公司","起始日期":"2026-01-01","截止日期":"2027-12-31"},
              "geometry":{"type":"Polygon","coordinates":[[{{{coords}}}]]}}]}
            """;
        var imported = await Client("gis").PostAsync("/api/v1/permits/import", new StringContent(geojson));
        if (imported.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException(await imported.Content.ReadAsStringAsync());
    }

    /// <summary>A client; role null = anonymous; "admin" = the bootstrap key.</summary>
    public HttpClient Client(string? role = null)
    {
        var c = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        if (role == "admin") c.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        else if (role is not null) c.DefaultRequestHeaders.Add("X-Api-Key", Keys[role]);
        return c;
    }

    /// <summary>Starts a run as gis and waits for its end (bounded polling, not a timing assertion); returns the run JSON.</summary>
    public async Task<JsonElement> RunToEnd(object? body = null)
    {
        using var gis = Client("gis");
        var started = await gis.PostAsJsonAsync("/api/v1/change-runs", body ?? new { before = Before, after = After });
        if (started.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException(await started.Content.ReadAsStringAsync());
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        return await WaitEnded(gis, id);
    }

    public static async Task<JsonElement> WaitEnded(HttpClient client, string id)
    {
        for (var i = 0; i < 1200; i++)
        {
            var run = await client.GetFromJsonAsync<JsonElement>($"/api/v1/change-runs/{id}");
            if (run.GetProperty("state").GetString() != "running") return run;
            await Task.Delay(50);
        }
        throw new TimeoutException("The run did not end.");
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await _store.DisposeAsync();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
