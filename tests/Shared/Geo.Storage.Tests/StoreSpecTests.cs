using Geo.Spatial.Failures;
using Npgsql;

namespace Geo.Storage.Tests;

/// <summary>How the one store string users give is read, and that its printable form never holds the password.</summary>
public sealed class StoreSpecTests
{
    [Theory]
    [InlineData("data/geo.gpkg")]
    [InlineData("/var/lib/geo/汝州.gpkg")]
    [InlineData("C:\\geo\\store.gpkg")]
    [InlineData("data/a=b.gpkg")]
    public void AnythingElse_IsAGeoPackagePath(string spec)
    {
        var parsed = StoreSpec.Parse(spec);

        Assert.Equal(StoreKind.GeoPackage, parsed.Value.Kind);
        Assert.Equal(spec, parsed.Value.Target);
        Assert.Equal(spec, parsed.Value.Display);
    }

    [Fact]
    public void Uri_BecomesAConnectionString()
    {
        var parsed = StoreSpec.Parse("postgres://geo_app:s%3Acr%40t@db.ruzhou.local:6432/geo_prod?sslmode=require&application_name=geo-1&connect_timeout=3");

        Assert.Equal(StoreKind.PostGis, parsed.Value.Kind);
        var b = new NpgsqlConnectionStringBuilder(parsed.Value.Target);
        Assert.Equal("db.ruzhou.local", b.Host);
        Assert.Equal(6432, b.Port);
        Assert.Equal("geo_prod", b.Database);
        Assert.Equal("geo_app", b.Username);
        Assert.Equal("s:cr@t", b.Password);
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal("geo-1", b.ApplicationName);
        Assert.Equal(3, b.Timeout);
    }

    [Fact]
    public void PostgresqlScheme_AndDefaultPort_AndIpv6Host()
    {
        var parsed = StoreSpec.Parse("postgresql://geo@[::1]/geo");

        var b = new NpgsqlConnectionStringBuilder(parsed.Value.Target);
        Assert.Equal("::1", b.Host);
        Assert.Equal(5432, b.Port);
        Assert.Equal("postgres://geo@[::1]:5432/geo", parsed.Value.Display);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=55432;Database=geo;Username=geo;Password=TopSecret-4711")]
    [InlineData("host=127.0.0.1; database=geo; username=geo; password=TopSecret-4711")]
    [InlineData("Server=127.0.0.1;Database=geo;User ID=geo;Password=TopSecret-4711")]
    [InlineData("postgres://geo:TopSecret-4711@127.0.0.1:55432/geo")]
    public void ConnectionStrings_AreRecognised_AndTheDisplayFormHasNoPassword(string spec)
    {
        var parsed = StoreSpec.Parse(spec);

        Assert.Equal(StoreKind.PostGis, parsed.Value.Kind);
        Assert.Equal("TopSecret-4711", new NpgsqlConnectionStringBuilder(parsed.Value.Target).Password);
        Assert.DoesNotContain("TopSecret", parsed.Value.Display);
        Assert.DoesNotContain("TopSecret", parsed.Value.ToString());
        Assert.DoesNotContain("TopSecret", $"{parsed.Value}");
        Assert.StartsWith("postgres://geo:***@127.0.0.1:", parsed.Value.Display);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("postgres://")]
    [InlineData("postgres://host/db/extra")]
    [InlineData("postgres://host/db?sslmode=sometimes")]
    [InlineData("postgres://host/db?password=inline")]
    [InlineData("postgres://host/db?connect_timeout=-1")]
    [InlineData("Host=;Database=geo")]
    [InlineData("Host=x;Port=notaport;Password=TopSecret-4711")]
    public void MalformedSpecs_AreBadRequests_WithoutEchoingSecrets(string spec)
    {
        var parsed = StoreSpec.Parse(spec);

        Assert.False(parsed.IsOk);
        Assert.Equal(FailureKind.BadRequest, parsed.Failure.Kind);
        Assert.Equal("store_spec_invalid", parsed.Failure.Code);
        Assert.DoesNotContain("TopSecret", parsed.Failure.Message);
    }

    [Fact]
    public async Task Factory_UnreachableServer_IsUnavailable_WithoutThePassword()
    {
        // A port nothing listens on (bound and released) on loopback: connection refused at once.
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)) { l.Start(); port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port; }

        var e = await Assert.ThrowsAsync<StoreOpenException>(() =>
            StoreFactory.OpenAsync($"postgres://geo:TopSecret-4711@127.0.0.1:{port}/geo"));

        Assert.Equal(FailureKind.Unavailable, e.Failure.Kind);
        Assert.Equal("store_unavailable", e.Failure.Code);
        Assert.DoesNotContain("TopSecret", e.Failure.Message);
        Assert.Contains($"postgres://geo:***@127.0.0.1:{port}/geo", e.Failure.Message);
    }
}
