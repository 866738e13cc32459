using Geo.Spatial.Failures;

namespace Geo.Surveys.Tests;

/// <summary>The worker side of the out-of-process conversion: what it answers on stdout for what it reads on stdin.</summary>
public class SurveyConversionWorkerTests
{
    private static async Task<(int Exit, Result<ConvertedRaster> Result)> Run(string stdin)
    {
        var output = new StringWriter();
        var exit = await SurveyConversionWorker.RunAsync(new StringReader(stdin), output, CancellationToken.None);
        var line = output.ToString().Split('\n').Single(l => l.StartsWith("result ", StringComparison.Ordinal));
        var parsed = System.Text.Json.JsonSerializer.Deserialize<WorkerResult>(line["result ".Length..], WorkerJson.Options)!;
        return (exit, parsed.ToResult());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"sourcePath\":\"/x.tif\"}")]
    [InlineData("{\"sourcePath\":\"/x.tif\",\"outputPath\":\"/y.tif\",\"cityArea\":[1,2]}")]
    public async Task Input_that_is_not_a_job_is_answered_with_worker_job_invalid_and_exit_code_2(string stdin)
    {
        var (exit, result) = await Run(stdin);
        Assert.Equal(2, exit);
        Assert.Equal("worker_job_invalid", result.Failure.Code);
    }

    [Fact]
    public async Task A_job_for_a_missing_file_runs_and_answers_with_the_inspectors_reason()
    {
        var (exit, result) = await Run("""{"sourcePath":"/nonexistent/survey.tif","outputPath":"/tmp/never.tif","jpegQuality":90,"uncompressedTempShare":0,"footprintMaskSize":1024,"cityArea":[112.4,33.85,113.3,34.5]}""");
        Assert.Equal(0, exit);
        Assert.False(result.IsOk);
        Assert.Equal("file_missing", result.Failure.Code);
        Assert.False(File.Exists("/tmp/never.tif"));
    }
}
