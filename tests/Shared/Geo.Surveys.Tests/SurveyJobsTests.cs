using Geo.Spatial.Failures;

namespace Geo.Surveys.Tests;

public sealed class SurveyJobsTests
{
    [Fact]
    public async Task A_job_over_the_timeout_is_cancelled_and_fails_with_ingest_timeout()
    {
        var jobs = new SurveyJobs { Timeout = TimeSpan.FromMilliseconds(50) };
        var sawCancellation = new TaskCompletionSource();
        var job = jobs.Enqueue(async (_, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                sawCancellation.TrySetResult();
            }

            return Failure.Invalid("unreachable", "never");
        });
        using var stop = new CancellationTokenSource();
        var worker = jobs.RunAsync(stop.Token);
        await sawCancellation.Task.WaitAsync(TimeSpan.FromMinutes(2));
        JobStatus? status = null;
        for (var i = 0; i < 1200 && status?.State is not JobState.Failed; i++) // bounded poll, not a timing assertion
        {
            status = jobs.Get(job.Id);
            if (status?.State is not JobState.Failed) await Task.Delay(50);
        }

        Assert.Equal(JobState.Failed, status!.State);
        Assert.Equal(SurveyJobs.TimeoutCode, status.Problem!.Code);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => worker);
    }
}
