using Geo.GridService.Census;
using Geo.GridService.Codes;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="ICensusStore"/> backend must show (GeoPackage now, PostGIS later). A backend's test
/// class derives from this and says how to make an empty store. Geometry is WKT around Ruzhou, EPSG:4490 (x = lon).
/// </summary>
public abstract class CensusStoreContract
{
    /// <summary>A new, empty store that no other test uses.</summary>
    protected abstract Task<ICensusStore> CreateEmptyStoreAsync();

    /// <summary>A new, empty census store and the grid store on the same file or database (the caller disposes both).</summary>
    protected abstract Task<(ICensusStore Census, GridService.Storage.IGridStore Grids)> CreateEmptyPairAsync();

    private static readonly WKTReader Wkt = new(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4490));
    protected static readonly AuditActor Alice = new("key:alice", "GIS 科 小王");
    protected static readonly CountyCode Ruzhou = CountyCode.Parse("410482").Value;
    protected static readonly ClassCode Cover = ClassCode.Parse("C0101").Value;
    protected static readonly ClassCode Lamp = ClassCode.Parse("C0118").Value;

    protected static Geometry FromWkt(string wkt)
    {
        var g = Wkt.Read(wkt);
        g.SRID = 4490;
        return g;
    }

    protected static Component Make(string code, string wkt = "POINT (112.845 34.167)", string grids = "41048200100101",
        ComponentStatus status = ComponentStatus.Intact, string name = "上水井盖", string? remarks = null) =>
        new(ComponentCode.Parse(code).Value, name, FromWkt(wkt), grids.Split(' ').Select(GridCode.FromTrusted).ToArray(),
            DepartmentCode.FromTrusted("SW"), "汝州市自来水公司", DepartmentCode.FromTrusted("SW"), status, new DateOnly(2024, 3, 1),
            new DateOnly(2024, 6, 1), DataSource.Surveyed, ["photos/a.jpg", "photos/b.jpg"], remarks, """{"材质":"铸铁"}""");

    /// <summary>A new store holding <paramref name="components"/>, written by one bulk import.</summary>
    protected async Task<ICensusStore> StoreWith(params Component[] components)
    {
        var store = await CreateEmptyStoreAsync();
        await using var bulk = await store.BeginBulkAsync(Alice, "test");
        foreach (var c in components) Assert.True(bulk.Add(c).IsOk);
        await bulk.CommitAsync();
        return store;
    }

    [Fact]
    public async Task Classes_UpsertAndList_BothTrees()
    {
        await using var store = await CreateEmptyStoreAsync();
        var r = await store.UpsertClassesAsync([
            new ComponentClass(Cover, "公用设施", "上水井盖", false, "GB/T 30428"),
            new ComponentClass(ClassCode.Parse("E0101").Value, "市容环境", "私搭乱建", false, null),
            new ComponentClass(ClassCode.Parse("C2101").Value, "扩展部件", "防蚊闸", true, "cli:admin"),
        ]);
        Assert.Equal(3, r.Value);
        await store.UpsertClassesAsync([new ComponentClass(Cover, "公用设施", "上水井盖(改)", false, null)]);
        var all = await store.ListClassesAsync();
        Assert.Equal(3, all.Count);
        Assert.Equal("上水井盖(改)", all.Single(c => c.Code == Cover).Name);
        Assert.True(all.Single(c => c.Code.Digits == "2101").IsExtension);
        Assert.Equal(ClassTree.Event, all.Single(c => c.Name == "私搭乱建").Code.Tree);
    }

    [Fact]
    public async Task Component_RoundTrips_EveryField()
    {
        var line = Make("4104820603000001", "LINESTRING (112.84 34.16, 112.85 34.17)", "41048200100101 41048200100102", ComponentStatus.Damaged, "护栏", "东段");
        await using var store = await StoreWith(Make("4104820101000001"), line);
        var back = await store.GetComponentAsync(line.Code);
        Assert.NotNull(back);
        Assert.Equal(line.Name, back.Name);
        Assert.True(line.Geometry.EqualsExact(back.Geometry));
        Assert.Equal(4490, back.Geometry.SRID);
        Assert.Equal(["41048200100101", "41048200100102"], back.GridCodes.Select(g => g.Value));
        Assert.Equal(ComponentStatus.Damaged, back.Status);
        Assert.Equal(new DateOnly(2024, 3, 1), back.FirstRecorded);
        Assert.Equal(["photos/a.jpg", "photos/b.jpg"], back.Photos);
        Assert.Equal("东段", back.Remarks);
        Assert.Equal("""{"材质":"铸铁"}""", back.AttributesJson);
        Assert.Equal(1, back.Version);
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public async Task Bulk_DuplicateCode_IsConflict_AndBatchStaysUsable()
    {
        await using var store = await StoreWith(Make("4104820101000001"));
        await using (var bulk = await store.BeginBulkAsync(Alice, null))
        {
            var dup = bulk.Add(Make("4104820101000001"));
            Assert.False(dup.IsOk);
            Assert.Equal(CensusCodes.Duplicate, dup.Failure.Code);
            Assert.True(bulk.Add(Make("4104820101000002")).IsOk);
            Assert.False(bulk.Add(Make("4104820101000002")).IsOk); // duplicate within the batch
            await bulk.CommitAsync();
        }
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public async Task Bulk_DisposedWithoutCommit_LeavesStoreAndRevisionUnchanged()
    {
        await using var store = await StoreWith(Make("4104820101000001"));
        var revision = await store.GetRevisionAsync();
        await using (var bulk = await store.BeginBulkAsync(Alice, null))
        {
            for (var i = 2; i < 50; i++) Assert.True(bulk.Add(Make($"41048201010000{i:D2}")).IsOk);
        }
        Assert.Equal(1, await store.CountAsync());
        Assert.Equal(revision, await store.GetRevisionAsync());
        Assert.Single((await store.QueryAsync(new ComponentQuery(Bbox: new Envelope(112.8, 112.9, 34.1, 34.2)))).Items);
    }

    [Fact]
    public async Task GetComponents_InTheOrderAsked_SkippingUnknownCodes()
    {
        await using var store = await StoreWith(Make("4104820101000001"), Make("4104820101000002"), Make("4104820101000003"));
        var asked = new[] { "4104820101000003", "4104820101000009", "4104820101000001" }.Select(c => ComponentCode.Parse(c).Value).ToArray();
        var got = await store.GetComponentsAsync(asked);
        Assert.Equal(["4104820101000003", "4104820101000001"], got.Select(c => c.Code.Value));
        Assert.Empty(await store.GetComponentsAsync([]));
    }

    [Fact]
    public async Task NextSerial_IsOneAboveTheHighest_PerCountyAndClass()
    {
        await using var store = await StoreWith(Make("4104820101000007"), Make("4104820101000003"), Make("4104820118000001"));
        Assert.Equal(8, await store.NextSerialAsync(Ruzhou, Cover));
        Assert.Equal(2, await store.NextSerialAsync(Ruzhou, Lamp));
        Assert.Equal(1, await store.NextSerialAsync(Ruzhou, ClassCode.Parse("C0102").Value));
        Assert.Equal(1, await store.NextSerialAsync(CountyCode.Parse("410100").Value, Cover));
    }

    [Fact]
    public async Task Query_FiltersCombine_AndKeysetPagingIsStable()
    {
        var list = new List<Component>();
        for (var i = 1; i <= 25; i++)
            list.Add(Make($"4104820101{i:D6}", $"POINT ({112.80 + i * 0.001} 34.15)", i % 2 == 0 ? "41048200100102" : "41048200100101",
                i % 5 == 0 ? ComponentStatus.Missing : ComponentStatus.Intact, remarks: i == 13 ? "被车压坏" : null));
        list.Add(Make("4104820118000001", "POINT (112.81 34.15)", name: "路灯"));
        await using var store = await StoreWith([.. list]);

        var seen = new List<string>();
        ComponentCode? after = null;
        do
        {
            var page = await store.QueryAsync(new ComponentQuery(Class: Cover, After: after, Limit: 10));
            seen.AddRange(page.Items.Select(c => c.Code.Value));
            after = page.Next;
        } while (after is not null);
        Assert.Equal(list.Take(25).Select(c => c.Code.Value), seen);

        Assert.Equal(5, (await store.QueryAsync(new ComponentQuery(Status: ComponentStatus.Missing))).Items.Count);
        Assert.Equal(13, (await store.QueryAsync(new ComponentQuery(Grid: GridCode.FromTrusted("41048200100101")))).Items.Count(c => c.Class == Cover));
        Assert.Equal("4104820101000013", Assert.Single((await store.QueryAsync(new ComponentQuery(Text: "压坏"))).Items).Code.Value);
        Assert.Equal(26, (await store.QueryAsync(new ComponentQuery(Class: ClassCode.Parse("C01").Value))).Items.Count);
        var box = await store.QueryAsync(new ComponentQuery(Bbox: new Envelope(112.8005, 112.8035, 34.14, 34.16)));
        Assert.Equal(["4104820101000001", "4104820101000002", "4104820101000003"], box.Items.Select(c => c.Code.Value));
        // Values that look like SQL are just values (SECURITY.md A1).
        Assert.Empty((await store.QueryAsync(new ComponentQuery(Text: "' OR 1=1; DROP TABLE components; --"))).Items);
        Assert.Equal(26, await store.CountAsync());
    }

    [Fact]
    public async Task Update_WithCurrentVersion_Succeeds_StaleVersionIsConflict_AndAuditKeepsBeforeAndAfter()
    {
        await using var store = await CreateEmptyStoreAsync();
        var created = await store.AddComponentAsync(Make("4104820101000001"), Alice);
        Assert.Equal(1, created.Value.Version);
        var bob = new AuditActor("key:bob");
        var v2 = await store.UpdateComponentAsync(created.Value with { Status = ComponentStatus.Damaged }, 1, bob);
        Assert.Equal(2, v2.Value.Version);

        var stale = await store.UpdateComponentAsync(created.Value with { Status = ComponentStatus.Missing }, 1, Alice);
        Assert.False(stale.IsOk);
        Assert.Equal(CensusCodes.VersionStale, stale.Failure.Code);
        Assert.Equal(Geo.Spatial.Failures.FailureKind.Conflict, stale.Failure.Kind);
        Assert.Equal(ComponentStatus.Damaged, (await store.GetComponentAsync(created.Value.Code))!.Status);

        var audit = await store.GetAuditAsync(created.Value.Code);
        Assert.Equal(["created", "updated"], audit.Select(a => a.Action));
        Assert.Equal("key:bob", audit[1].Actor);
        Assert.Contains("\"status\":\"完好\"", audit[1].BeforeJson);
        Assert.Contains("\"status\":\"破损\"", audit[1].AfterJson);
        Assert.Null(audit[0].BeforeJson);
    }

    [Fact]
    public async Task Delete_NeedsCurrentVersion_AndTheTrailSurvives()
    {
        await using var store = await CreateEmptyStoreAsync();
        var created = (await store.AddComponentAsync(Make("4104820101000001"), Alice)).Value;
        Assert.Equal(CensusCodes.VersionStale, (await store.DeleteComponentAsync(created.Code, 5, Alice)).Failure.Code);
        Assert.True((await store.DeleteComponentAsync(created.Code, 1, Alice)).IsOk);
        Assert.Null(await store.GetComponentAsync(created.Code));
        Assert.Equal(["created", "deleted"], (await store.GetAuditAsync(created.Code)).Select(a => a.Action));
        Assert.Equal("component_not_found", (await store.DeleteComponentAsync(created.Code, 2, Alice)).Failure.Code);
    }

    [Fact]
    public async Task Add_DuplicateCode_IsConflict()
    {
        await using var store = await CreateEmptyStoreAsync();
        Assert.True((await store.AddComponentAsync(Make("4104820101000001"), Alice)).IsOk);
        var again = await store.AddComponentAsync(Make("4104820101000001"), Alice);
        Assert.Equal(CensusCodes.Duplicate, again.Failure.Code);
        Assert.Equal(1, await store.CountAsync());
    }

    [Fact]
    public async Task BulkImport_AppearsInTheAuditTrail()
    {
        await using var store = await StoreWith(Make("4104820101000001"));
        var trail = await store.GetAuditAsync(ComponentCode.Parse("4104820101000001").Value);
        var entry = Assert.Single(trail);
        Assert.Equal("imported", entry.Action);
        Assert.Contains("key:alice", entry.Actor);
    }

    [Fact]
    public async Task Statistics_CountPerGridClassAndStatus_LinesCountInEveryGrid()
    {
        await using var store = await StoreWith(
            Make("4104820101000001"), Make("4104820101000002", status: ComponentStatus.Damaged), Make("4104820101000003"),
            Make("4104820603000001", "LINESTRING (112.84 34.16, 112.85 34.17)", "41048200100101 41048200100102", name: "护栏"));
        var rows = await store.StatisticsAsync();
        Assert.Contains(new CensusStatisticsRow("41048200100101", "0101", ComponentStatus.Intact, 2), rows);
        Assert.Contains(new CensusStatisticsRow("41048200100101", "0101", ComponentStatus.Damaged, 1), rows);
        Assert.Contains(new CensusStatisticsRow("41048200100102", "0603", ComponentStatus.Intact, 1), rows);
        Assert.Contains(new CensusStatisticsRow("41048200100101", "0603", ComponentStatus.Intact, 1), rows);
        Assert.Equal(4, rows.Count);
    }

    [Fact]
    public async Task ScanLocations_GivesEnvelopes_AndShapesForNonPoints()
    {
        await using var store = await StoreWith(Make("4104820101000001", "POINT (112.845 34.167)"),
            Make("4104820401000001", "POLYGON ((112.84 34.16, 112.85 34.16, 112.85 34.17, 112.84 34.16))", name: "绿地"));
        var all = new List<ComponentLocation>();
        await foreach (var l in store.ScanLocationsAsync()) all.Add(l);
        var point = all.Single(l => l.Code == 4104820101000001);
        Assert.Equal((112.845, 34.167, 112.845, 34.167), (point.MinX, point.MinY, point.MaxX, point.MaxY));
        Assert.Null(point.Shape);
        var area = all.Single(l => l.Code == 4104820401000001);
        Assert.Equal((112.84, 34.16, 112.85, 34.17), (area.MinX, area.MinY, area.MaxX, area.MaxY));
        Assert.IsType<Polygon>(area.Shape);
    }

    [Fact]
    public async Task EveryWrite_BumpsTheRevision()
    {
        await using var store = await CreateEmptyStoreAsync();
        var r0 = await store.GetRevisionAsync();
        await store.AddComponentAsync(Make("4104820101000001"), Alice);
        var r1 = await store.GetRevisionAsync();
        await store.UpsertClassesAsync([new ComponentClass(Cover, "公用设施", "上水井盖", false, null)]);
        var r2 = await store.GetRevisionAsync();
        Assert.True(r0 < r1 && r1 < r2);
    }

    [Fact]
    public async Task TheCensusRevision_MovesWithCensusWritesOnly_TheSharedRevisionWithEveryWrite()
    {
        var (census, grids) = await CreateEmptyPairAsync();
        await using (census)
        await using (grids)
        {
            var shared0 = await grids.GetRevisionAsync();
            var census0 = await census.GetRevisionAsync();
            await census.AddComponentAsync(Make("4104820101000001"), Alice);
            Assert.Equal(shared0 + 1, await grids.GetRevisionAsync()); // change feeds signal census writes too
            var census1 = await census.GetRevisionAsync();
            Assert.True(census1 > census0);

            // A write elsewhere (a department) moves the shared revision, not the census's: views of the census stay valid.
            await grids.UpsertDepartmentsAsync([new GridService.Departments.Department(DepartmentCode.FromTrusted("SW"), "水务", null, null)]);
            Assert.Equal(shared0 + 2, await grids.GetRevisionAsync());
            Assert.Equal(census1, await census.GetRevisionAsync());

            await using (var bulk = await census.BeginBulkAsync(Alice, "revision"))
            {
                Assert.True(bulk.Add(Make("4104820101000002")).IsOk);
                await bulk.CommitAsync();
            }
            Assert.True(await census.GetRevisionAsync() > census1);
        }
    }
}
