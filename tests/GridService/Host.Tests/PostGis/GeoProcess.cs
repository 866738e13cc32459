using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Geo.GridService.Host.Tests.PostGis;

/// <summary>
/// A real <c>geo serve</c> child process (the test build's geo.dll) on a free loopback port, with its stdout and
/// stderr captured; <see cref="KillHard"/> is <c>kill -9</c>.
/// </summary>
public sealed class GeoProcess : IAsyncDisposable
{
    public const string AdminKey = "postgis-tests-bootstrap-admin-key-0123456789";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GeoProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Pid => _process.Id;

    /// <summary>Everything the process wrote so far (stdout and stderr, interleaved).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts <c>geo serve --store <paramref name="store"/></c> and waits until /health answers 200.</summary>
    public static async Task<GeoProcess> StartAsync(string store, string? loadSamples = null, IDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "geo.dll"));
        foreach (var a in new[] { "serve", "--store", store, "--urls", $"http://127.0.0.1:{port}" }) psi.ArgumentList.Add(a);
        if (loadSamples is not null) { psi.ArgumentList.Add("--load-samples"); psi.ArgumentList.Add(loadSamples); }
        psi.Environment["GEO_ADMIN_KEY"] = AdminKey;
        psi.Environment.Remove("GEO_STORE");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;

        var process = Process.Start(psi)!;
        var geo = new GeoProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (geo._output) geo._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (geo._output) geo._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await geo.WaitHealthyAsync(TimeSpan.FromMinutes(3));
            return geo;
        }
        catch
        {
            await geo.DisposeAsync();
            throw;
        }
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var c = Client();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"geo serve exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await c.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"geo serve did not become healthy within {timeout}:\n{Output}");
    }

    /// <summary>A client; <paramref name="admin"/> sends the bootstrap admin key.</summary>
    public HttpClient Client(bool admin = false)
    {
        var c = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        if (admin) c.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return c;
    }

    /// <summary>SIGKILL: no shutdown code runs, sockets are closed by the kernel.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
