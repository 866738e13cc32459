using System.Net;
using System.Text.Json;
using Geo.GridService.Host.Tests.Support;

namespace Geo.GridService.Host.Tests.Http;

/// <summary>SECURITY.md A5 (floods) and Z5 (key guessing): per-client limits answered with 429 problem+json.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(o =>
    {
        o.AnonymousRequestsPerSecond = 5; // bucket of 10, refilled by 1 every 100 ms
        o.AuthFailuresPerMinute = 3;
    });

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task A_client_over_its_rate_gets_429_problems_with_retry_after_while_a_keyed_client_is_served()
    {
        using var anonymous = _service.Client();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < 40; i++)
        {
            var r = await anonymous.GetAsync("/api/v1/departments");
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests) rejected ??= r;
        }
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.NotNull(rejected);
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1", rejected.Headers.GetValues("Retry-After").Single());
        var body = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate_limited", body.GetProperty("code").GetString());
        Assert.Equal(429, body.GetProperty("status").GetInt32());

        using var keyed = _service.Client(TestService.AdminKey); // its own partition, a much higher rate
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/api/v1/departments")).StatusCode);
    }

    [Fact]
    public async Task Guessing_keys_from_one_address_is_stopped_after_a_few_failures()
    {
        using var guesser = _service.Client("guessed-key-000000000000000000000");
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.PostAsync("/api/v1/keys", null)).StatusCode);
        var blocked = await guesser.PostAsync("/api/v1/keys", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Equal("too_many_key_failures", JsonDocument.Parse(await blocked.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }
}
