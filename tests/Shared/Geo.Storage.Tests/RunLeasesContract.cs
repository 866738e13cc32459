using Geo.ChangeDetect.Findings;
using Geo.Storage.PostGis;
using Geo.Storage.Tests.PostGis;
using Npgsql;

namespace Geo.Storage.Tests;

/// <summary>
/// What every backend's run leases promise (<see cref="IRunLeases"/>): one holder at a time, released by its holder, and
/// not held once the holder is dead — the fact that lets a start tell an abandoned 'running' run from a live one.
/// </summary>
public abstract class RunLeasesContract
{
    protected abstract Task<IRunLeases> CreateAsync();

    /// <summary>Leaves the state a holder killed while holding <paramref name="runId"/>'s lease leaves behind.</summary>
    protected abstract Task LeaveDeadHolderAsync(IRunLeases leases, string runId);

    [Fact]
    public async Task A_lease_has_one_holder_at_a_time_until_it_is_released()
    {
        var leases = await CreateAsync();
        Assert.False(await leases.IsHeldAsync("r1"));
        var held = await leases.TryTakeAsync("r1");
        Assert.NotNull(held);
        Assert.True(await leases.IsHeldAsync("r1"));
        Assert.Null(await leases.TryTakeAsync("r1"));
        Assert.False(await leases.IsHeldAsync("r2"));
        await held.DisposeAsync();
        Assert.False(await leases.IsHeldAsync("r1"));
        var again = await leases.TryTakeAsync("r1");
        Assert.NotNull(again);
        await again.DisposeAsync();
    }

    [Fact]
    public async Task The_lease_of_a_dead_holder_is_not_held_and_can_be_taken()
    {
        var leases = await CreateAsync();
        await LeaveDeadHolderAsync(leases, "r3");
        Assert.False(await leases.IsHeldAsync("r3"));
        var taken = await leases.TryTakeAsync("r3");
        Assert.NotNull(taken);
        await taken.DisposeAsync();
    }
}

/// <summary>Lock files beside a GeoPackage: a killed process leaves its lock file, unlocked (the kernel dropped the lock).</summary>
public sealed class FileRunLeasesTests : RunLeasesContract, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "geo-leases-" + Guid.NewGuid().ToString("N")[..8]);

    protected override Task<IRunLeases> CreateAsync() => Task.FromResult<IRunLeases>(new FileRunLeases(_directory));

    protected override Task LeaveDeadHolderAsync(IRunLeases leases, string runId)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, runId + ".lock"), "");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_left_over_lock_file_is_removed_when_found_unheld()
    {
        var leases = await CreateAsync();
        await LeaveDeadHolderAsync(leases, "r4");
        Assert.False(await leases.IsHeldAsync("r4"));
        Assert.False(File.Exists(Path.Combine(_directory, "r4.lock")));
    }

    [Fact]
    public async Task Run_ids_cannot_name_paths()
    {
        var leases = await CreateAsync();
        await Assert.ThrowsAsync<ArgumentException>(async () => await leases.TryTakeAsync("../x"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}

/// <summary>Session advisory locks in PostgreSQL: a killed instance's session ends (here: terminated by the server).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostGisRunLeasesTests(PostgresFixture pg) : RunLeasesContract
{
    protected override async Task<IRunLeases> CreateAsync() => new PostGisRunLeases(NpgsqlDataSource.Create(await pg.Cluster.CreateDatabaseAsync()));

    protected override async Task LeaveDeadHolderAsync(IRunLeases leases, string runId)
    {
        var lease = await leases.TryTakeAsync(runId);
        Assert.NotNull(lease);
        Assert.True(await leases.IsHeldAsync(runId));
        await using (var admin = await pg.Cluster.OpenAdminAsync("postgres"))
        {
            await using var kill = new NpgsqlCommand(
                // With a timeout pg_terminate_backend waits until the backend has exited (PostgreSQL 14+); without
                // one it only signals it, and the lock could still be seen as held a moment later (it once was, in CI).
                "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1195724626", admin);
            Assert.Equal(1L, (long)(await kill.ExecuteScalarAsync())!);
        }
        await lease.DisposeAsync(); // the holder's session is gone: releasing it is a no-op, not an error
    }
}
