using Geo.GridService.Access;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Samples;
using Geo.Storage.GeoPackage;

namespace Geo.GridService.Host.Tests;

/// <summary>
/// The ownership snapshot follows the store's one shared revision, but is rebuilt only when what an answer reads
/// changed: a write to another domain (here an API key, as a census edit, a survey or a finding review would) keeps the
/// grids and their indexes; a department edit rebuilds without re-reading the grids; a new grid version re-reads them.
/// </summary>
public sealed class OwnershipServiceTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("geo-ownership-").FullName;
    private GeoPackageGridStore _store = null!;
    private OwnershipService _service = null!;

    public async Task InitializeAsync()
    {
        RuzhouSamples.Write(Path.Combine(_dir, "samples"));
        _store = await GeoPackageGridStore.OpenAsync(Path.Combine(_dir, "geo.gpkg"));
        _service = new OwnershipService(_store);
        var loaded = await SampleLoader.LoadIfEmptyAsync(_store, _service, Path.Combine(_dir, "samples"), CountyCode.Parse("410482").Value);
        Assert.True(loaded.IsOk);
        await _service.RefreshAsync(force: true);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task AWriteToAnotherDomain_MovesTheRevision_ButKeepsTheIndexes()
    {
        var before = _service.Snapshot;
        var version = before.Current!.Number;
        var index = before.Index(version);

        Assert.True((await _store.AddApiKeyAsync(new ApiKey("k-x", "x", Role.Viewer, "geo_xxxx", new string('c', 64), DateTimeOffset.UtcNow, null))).IsOk);
        var after = await _service.RefreshAsync();

        Assert.Equal(await _store.GetRevisionAsync(), after.Revision);
        Assert.NotEqual(before.Revision, after.Revision);
        Assert.Same(index, after.Index(version));
        Assert.Same(before.GridsByVersion, after.GridsByVersion);
    }

    [Fact]
    public async Task ADepartmentEdit_RebuildsTheSnapshot_WithTheSameGrids()
    {
        var before = _service.Snapshot;
        var department = (await _store.ListDepartmentsAsync())[0];

        Assert.True((await _store.UpsertDepartmentsAsync([department with { Phone = "0375-6999999" }])).IsOk);
        var after = await _service.RefreshAsync();

        Assert.Equal("0375-6999999", after.Department(department.Code.Value)!.Phone);
        Assert.Same(before.GridsByVersion, after.GridsByVersion);
        Assert.NotSame(before.Index(before.Current!.Number), after.Index(after.Current!.Number));
    }

    [Fact]
    public async Task ANewGridVersion_IsReadAndIndexed()
    {
        var before = _service.Snapshot;
        var grids = await _store.GetGridsAsync(before.Current!.Number);

        Assert.True((await _store.AddGridVersionAsync(before.Current.ValidFrom.AddDays(1), grids.ToList(), null, null)).IsOk);
        var after = await _service.RefreshAsync();

        Assert.Equal(before.Versions.Count + 1, after.Versions.Count);
        Assert.NotSame(before.GridsByVersion, after.GridsByVersion);
    }
}
