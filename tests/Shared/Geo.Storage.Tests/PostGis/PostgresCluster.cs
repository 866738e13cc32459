using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Geo.Storage.Tests.PostGis;

/// <summary>
/// A real, throwaway PostgreSQL 15 + PostGIS cluster for tests, made the way PITFALLS.md says: <c>initdb</c> into a
/// temp directory, <c>pg_ctl start</c> on a free loopback port with the socket inside the data directory and
/// <c>fsync=off</c> (tests only), as the <c>postgres</c> user through <c>su</c> when the tests run as root (CI does;
/// the user is created when missing) and directly otherwise. A template database with the postgis extension makes
/// each test database in about 0.2 s. <see cref="DisposeAsync"/> stops the server and deletes the directory.
/// Needs Debian's postgresql-15-postgis-3 (scripts/ensure-deps.sh test installs it); without it the tests fail with
/// that message rather than being skipped.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private const string Template = "geo_template";
    private static readonly bool IsRoot = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";

    private int _databases;

    private PostgresCluster(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    /// <summary>The temp directory: <c>data/</c> (cluster and socket) and <c>log</c>.</summary>
    public string Directory { get; }

    public string DataDirectory => Path.Combine(Directory, "data");

    public string LogFile => Path.Combine(Directory, "log");

    /// <summary>The loopback TCP port the server listens on.</summary>
    public int Port { get; }

    /// <summary>Initialises and starts a cluster and its PostGIS template database.</summary>
    public static async Task<PostgresCluster> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException(
                $"PostgreSQL 15 is not installed ({BinDir}/initdb missing): run scripts/ensure-deps.sh test (Debian postgresql-15-postgis-3).");
        if (IsRoot) await EnsurePostgresUserAsync();

        var directory = System.IO.Directory.CreateTempSubdirectory("geo-pg-").FullName;
        if (IsRoot) await RunAsync("chown", ["postgres:", directory]);
        var cluster = new PostgresCluster(directory, FreePort());
        try
        {
            await cluster.AsServerUserAsync($"{BinDir}/initdb -D {Quote(cluster.DataDirectory)} -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N");
            await cluster.StartServerAsync();
            await using (var c = await cluster.OpenAdminAsync("postgres"))
                await Execute(c, $"CREATE DATABASE {Template};");
            await using (var c = await cluster.OpenAdminAsync(Template))
                await Execute(c, "CREATE EXTENSION postgis;");
            await using (var c = await cluster.OpenAdminAsync("postgres"))
                await Execute(c, $"ALTER DATABASE {Template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false;");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>An Npgsql connection string for <paramref name="database"/> as the superuser (trust authentication).</summary>
    public string ConnectionString(string database, string? applicationName = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            ApplicationName = applicationName ?? "geo-tests",
        }.ConnectionString;

    /// <summary>A new empty database with PostGIS installed (and nothing else); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        await using (var c = await OpenAdminAsync("postgres"))
            await Execute(c, $"CREATE DATABASE \"{name}\" TEMPLATE {Template};");
        return ConnectionString(name);
    }

    /// <summary>An unpooled connection as the superuser, for setup and inspection.</summary>
    public async Task<NpgsqlConnection> OpenAdminAsync(string database)
    {
        var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString(database, "geo-tests-admin")) { Pooling = false }.ConnectionString);
        await c.OpenAsync();
        return c;
    }

    /// <summary>Stops the server the fast way (disconnects every client; what an operator's restart does).</summary>
    public Task StopServerAsync() => AsServerUserAsync($"{BinDir}/pg_ctl -D {Quote(DataDirectory)} -m fast -w stop");

    /// <summary>Starts the (stopped) server again on the same port.</summary>
    public Task StartServerAsync() => AsServerUserAsync(
        $"{BinDir}/pg_ctl -D {Quote(DataDirectory)} -l {Quote(LogFile)} -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p {Port} -k {Quote(DataDirectory)} -c fsync=off -c max_connections=200\" start");

    public static async Task Execute(NpgsqlConnection c, string sql)
    {
        await using var command = new NpgsqlCommand(sql, c);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> Scalar<T>(NpgsqlConnection c, string sql)
    {
        await using var command = new NpgsqlCommand(sql, c);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                await AsServerUserAsync($"{BinDir}/pg_ctl -D {Quote(DataDirectory)} -m immediate -w stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the directory goes anyway.
        }
        NpgsqlConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* a leftover temp directory is not a test failure */ }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Runs a shell command as the postgres user (root: through su; otherwise directly as ourselves).</summary>
    private Task AsServerUserAsync(string command) =>
        IsRoot ? RunAsync("su", ["postgres", "-s", "/bin/sh", "-c", command]) : RunAsync("/bin/sh", ["-c", command]);

    private static async Task EnsurePostgresUserAsync()
    {
        if ((await TryRunAsync("id", ["-u", "postgres"])).ExitCode == 0) return;
        await RunAsync("useradd", ["--system", "--create-home", "--shell", "/bin/sh", "postgres"]);
    }

    private static async Task RunAsync(string program, string[] args)
    {
        var (exit, output) = await TryRunAsync(program, args);
        if (exit != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({exit}): {output}");
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (p.ExitCode, (await stdout) + (await stderr));
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One cluster shared by the tests of the <see cref="PostgresCollection"/> (they run one after another).</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PostgresCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
