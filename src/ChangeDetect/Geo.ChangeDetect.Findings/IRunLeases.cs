namespace Geo.ChangeDetect.Findings;

/// <summary>
/// Which runs a live process is executing, across processes (the service, CLI runs, several instances on one database):
/// the process that executes a run holds the run's lease for as long as it runs, and the operating system (a file lock)
/// or the database (a session lock) releases it when the process dies, however it dies (SIGKILL included). A run stored
/// as 'running' whose lease nobody holds was abandoned: <see cref="ChangeRunner.FailAbandonedRunsAsync"/> marks it failed,
/// and never a run another process is still executing.
/// </summary>
public interface IRunLeases
{
    /// <summary>Takes the lease of a run this process is about to execute; null when another live holder has it.</summary>
    ValueTask<IAsyncDisposable?> TryTakeAsync(string runId, CancellationToken ct = default);

    /// <summary>True while some live process (this one included) holds the run's lease.</summary>
    ValueTask<bool> IsHeldAsync(string runId, CancellationToken ct = default);
}
