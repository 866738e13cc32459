using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Geo.GridService.Host.Tests.Support;
using Geo.Spatial.Tiles;
using Geo.Storage.PostGis;
using Geo.Surveys;

namespace Geo.GridService.Host.Tests.Surveys;

/// <summary>
/// Survey registration on a PostGIS-backed service: the record goes to the database (not to a GeoPackage beside the
/// files), the survey is listed and served as tiles, and the same file again is recognised through the database.
/// </summary>
[Trait("Category", "PostGis")]
public sealed class PostGisSurveysApiTests(PostGisServiceFixture service, UploadFiles files) : IClassFixture<PostGisServiceFixture>, IClassFixture<UploadFiles>
{
    private static async Task<HttpResponseMessage> Upload(HttpClient client, string path)
    {
        await using var file = File.OpenRead(path);
        var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/tiff");
        return await client.PostAsync("/api/v1/surveys?name=PostGIS%20测试&date=2026-05-01", content);
    }

    private static async Task<JsonElement> Finished(HttpClient client, HttpResponseMessage accepted)
    {
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!.ToString();
        for (var i = 0; i < 600; i++)
        {
            var job = await client.GetFromJsonAsync<JsonElement>(location);
            if (job.GetProperty("state").GetString() is "succeeded" or "failed") return job;
            await Task.Delay(100);
        }
        throw new TimeoutException("The job did not finish within a minute.");
    }

    [Fact]
    public async Task An_upload_is_recorded_in_PostGis_listed_and_tiled_and_recognised_the_second_time()
    {
        using var gis = service.Client("gis");
        var job = await Finished(gis, await Upload(gis, files.Pair.Epoch1));
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        var id = job.GetProperty("surveyId").GetString()!;

        await using (var surveys = PostGisSurveyStore.On((PostGisGridStore)service.Store))
        {
            var stored = await surveys.GetAsync(SurveyId.Parse(id).Value);
            Assert.NotNull(stored);
            Assert.Equal(512, stored.Width);
            Assert.Equal(4490, stored.Footprint.SRID);
        }
        Assert.False(File.Exists(Path.Combine(service.Dir, "surveys", "surveys.gpkg")));

        using var anon = service.Client();
        var list = await anon.GetFromJsonAsync<JsonElement>("/api/v1/surveys");
        Assert.Contains(list.EnumerateArray(), s => s.GetProperty("id").GetString() == id);
        var survey = await anon.GetFromJsonAsync<JsonElement>($"/api/v1/surveys/{id}");
        var bounds = survey.GetProperty("boundsLonLat").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var centre = TileMath.TileAt((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 19);
        var tile = await anon.GetAsync($"/api/v1/surveys/{id}/tiles/{centre.Z}/{centre.X}/{centre.Y}.png");
        Assert.Equal(HttpStatusCode.OK, tile.StatusCode);

        var again = await Finished(gis, await Upload(gis, files.Pair.Epoch1));
        Assert.Equal("failed", again.GetProperty("state").GetString());
        Assert.Contains("survey_exists", again.GetRawText());
    }
}
