using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Tests.Support;
using Geo.Spatial.Tiles;
using Microsoft.Extensions.DependencyInjection;

namespace Geo.GridService.Host.Tests.Surveys;

/// <summary>The concurrency limit on tile rendering (SECURITY A5): beyond it, 503 problem+json with Retry-After.</summary>
public sealed class TileRenderLimitTests(UploadFiles files) : IClassFixture<UploadFiles>
{
    [Fact]
    public async Task With_every_render_slot_taken_an_uncached_tile_is_503_with_retry_after_and_a_cached_one_still_200()
    {
        await using var service = await TestService.StartAsync(o =>
        {
            o.TileRenderConcurrency = 1;
            o.TileRenderQueue = 0;
            o.TileRenderWaitMs = 0;
        });
        using var admin = service.Client(TestService.AdminKey);
        await using (var file = File.OpenRead(files.Pair.Epoch1))
        {
            var content = new StreamContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/tiff");
            var accepted = await admin.PostAsync("/api/v1/surveys?name=limit&date=2026-05-01", content);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        string? id = null;
        for (var i = 0; i < 600 && id is null; i++) // polls the job (bounded; not a timing assertion)
        {
            var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/surveys");
            id = list.EnumerateArray().Select(s => s.GetProperty("id").GetString()).FirstOrDefault();
            if (id is null) await Task.Delay(100);
        }

        Assert.NotNull(id);
        var survey = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/surveys/{id}");
        var b = survey.GetProperty("boundsLonLat").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var centre = TileMath.TileAt((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 18);
        var other = TileMath.TileAt((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 19); // has data, not rendered yet
        using var anon = service.Client();
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync($"/api/v1/surveys/{id}/tiles/18/{centre.X}/{centre.Y}.png")).StatusCode);

        var gate = service.Services.GetRequiredService<SurveyCatalog>().RenderGate;
        using (var held = await gate.EnterAsync(CancellationToken.None))
        {
            Assert.NotNull(held);
            var busy = await anon.GetAsync($"/api/v1/surveys/{id}/tiles/19/{other.X}/{other.Y}.png");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
            Assert.Equal("application/problem+json", busy.Content.Headers.ContentType!.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter!.Delta);
            var problem = await busy.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(SurveyCatalog.TileRenderBusy, problem.GetProperty("code").GetString());
            Assert.Null(busy.Headers.ETag);

            // Cached tiles do not need a render slot.
            Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync($"/api/v1/surveys/{id}/tiles/18/{centre.X}/{centre.Y}.png")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync($"/api/v1/surveys/{id}/tiles/19/{other.X}/{other.Y}.png")).StatusCode);
    }
}
