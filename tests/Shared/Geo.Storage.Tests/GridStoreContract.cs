using Geo.GridService.Access;
using Geo.GridService.Codes;
using Geo.GridService.Departments;
using Geo.GridService.Grids;
using Geo.GridService.Responsibility;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="IGridStore"/> backend must show. A backend's test class derives from this and only
/// says how to make an empty store; every fact here runs against it. Geometry is WKT around Ruzhou (112.8-112.9 E,
/// 34.1-34.2 N), EPSG:4490.
/// </summary>
public abstract class GridStoreContract
{
    /// <summary>A new, empty store that no other test uses.</summary>
    protected abstract Task<IGridStore> CreateEmptyStoreAsync();

    protected static readonly DateOnly Jan1 = new(2024, 1, 1);
    protected static readonly DateOnly Jul1 = new(2024, 7, 1);

    private static readonly WKTReader Wkt = new(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4490));

    protected static Geometry FromWkt(string wkt)
    {
        var g = Wkt.Read(wkt);
        g.SRID = 4490;
        return g;
    }

    /// <summary>An axis-aligned square grid cell, <paramref name="size"/> degrees wide, south-west corner at (x, y).</summary>
    protected static Grid Square(string code, double x, double y, double size = 0.01, string? name = null) =>
        new(GridCode.FromTrusted(code), name ?? "网格 " + code[^2..], "洗耳河街道", "望嵩社区",
            FromWkt(FormattableString.Invariant(
                $"POLYGON (({x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y}))")));

    protected static IReadOnlyList<Grid> VersionOneGrids() =>
    [
        Square("41048200100101", 112.80, 34.10),
        Square("41048200100102", 112.81, 34.10),
        Square("41048200100201", 112.82, 34.10),
    ];

    protected static Department Dept(string code, string name, string? contact = null, string? phone = null) =>
        new(DepartmentCode.FromTrusted(code), name, contact, phone);

    protected static ResponsibilityRule Rule(string id, string? grid, string? @class, string department, string? note = null) =>
        new(id, grid is null ? null : GridCode.FromTrusted(grid), @class is null ? null : ClassCode.Parse(@class).Value,
            DepartmentCode.FromTrusted(department), note);

    protected static ApiKey Key(string id, string hash, Role role = Role.Gis) =>
        new(id, "GIS 科 " + id, role, hash[..8], hash, new DateTimeOffset(2024, 3, 1, 8, 30, 15, 123, TimeSpan.FromHours(8)), null);

    private static string Hash(char c) => new(c, 64);

    // ---- empty ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task EmptyStore_ListsNothing()
    {
        await using var store = await CreateEmptyStoreAsync();
        Assert.Empty(await store.ListGridVersionsAsync());
        Assert.Empty(await store.GetGridsAsync(1));
        Assert.Empty(await store.ListDepartmentsAsync());
        Assert.Empty(await store.ListRulesAsync());
        Assert.Empty(await store.ListApiKeysAsync());
    }

    // ---- grid versions -------------------------------------------------------------------------------------------

    [Fact]
    public async Task FirstVersion_IsNumberOne_OpenEnded()
    {
        await using var store = await CreateEmptyStoreAsync();
        var added = await store.AddGridVersionAsync(Jan1, VersionOneGrids(), "2024 普查.shp", "首版");

        Assert.True(added.IsOk, added.IsOk ? "" : added.Failure.ToString());
        var v = Assert.Single(await store.ListGridVersionsAsync());
        Assert.Equal(added.Value, v);
        Assert.Equal(1, v.Number);
        Assert.Equal(Jan1, v.ValidFrom);
        Assert.Null(v.ValidTo);
        Assert.Equal(3, v.GridCount);
        Assert.Equal("2024 普查.shp", v.Source);
        Assert.Equal("首版", v.Note);
    }

    [Fact]
    public async Task SecondVersion_ClosesFirstAtItsStart_BothStayQueryable()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null);
        var v2 = await store.AddGridVersionAsync(Jul1, [Square("41048200100101", 112.80, 34.10, 0.02)], null, null);

        Assert.True(v2.IsOk);
        Assert.Equal(2, v2.Value.Number);
        var versions = await store.ListGridVersionsAsync();
        Assert.Equal([1, 2], versions.Select(v => v.Number));
        Assert.Equal(Jul1, versions[0].ValidTo);
        Assert.Null(versions[1].ValidTo);
        Assert.Equal(3, (await store.GetGridsAsync(1)).Count);
        var g2 = Assert.Single(await store.GetGridsAsync(2));
        Assert.Equal(0.0004, g2.Geometry.Area, 10);
    }

    [Fact]
    public async Task Grids_RoundTrip_GeometryAndAttributes_OrderedByCode()
    {
        await using var store = await CreateEmptyStoreAsync();
        Grid[] grids =
        [
            new(GridCode.FromTrusted("41048200200301"), "广成路西段", null, null,
                FromWkt("MULTIPOLYGON (((112.85 34.15, 112.86 34.15, 112.86 34.16, 112.85 34.16, 112.85 34.15)), ((112.87 34.15, 112.88 34.15, 112.88 34.16, 112.87 34.15)))")),
            new(GridCode.FromTrusted("41048200100101"), "丹阳路网格", "煤山街道", "丹阳社区",
                FromWkt("POLYGON ((112.80 34.10, 112.83 34.10, 112.83 34.13, 112.80 34.13, 112.80 34.10), (112.81 34.11, 112.81 34.12, 112.82 34.12, 112.81 34.11))")),
            new(GridCode.FromTrusted("410482001001002"), "十五位代码网格", "煤山街道", "丹阳社区",
                FromWkt("POLYGON ((112.8912345678 34.1987654321, 112.8999999999 34.1987654321, 112.8999999999 34.1999999999, 112.8912345678 34.1987654321))")),
        ];

        Assert.True((await store.AddGridVersionAsync(Jan1, grids, null, null)).IsOk);
        var back = await store.GetGridsAsync(1);

        var expected = grids.OrderBy(g => g.Code.Value, StringComparer.Ordinal).ToArray();
        Assert.Equal(expected.Length, back.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Code, back[i].Code);
            Assert.Equal(expected[i].Name, back[i].Name);
            Assert.Equal(expected[i].SubdistrictName, back[i].SubdistrictName);
            Assert.Equal(expected[i].CommunityName, back[i].CommunityName);
            Assert.Equal(expected[i].Geometry.GeometryType, back[i].Geometry.GeometryType);
            Assert.True(expected[i].Geometry.EqualsExact(back[i].Geometry), $"{back[i].Code}: {back[i].Geometry}");
            Assert.Equal(4490, back[i].Geometry.SRID);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task VersionNotAfterCurrent_IsConflict_AndNothingChanges(int daysAfterCurrent)
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.AddGridVersionAsync(Jul1, VersionOneGrids(), null, null);
        var revision = await store.GetRevisionAsync();

        var result = await store.AddGridVersionAsync(Jul1.AddDays(daysAfterCurrent), [Square("41048200100101", 112.8, 34.1)], null, null);

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.Conflict, result.Failure.Kind);
        Assert.Equal("grid_version_date", result.Failure.Code);
        var v = Assert.Single(await store.ListGridVersionsAsync());
        Assert.Null(v.ValidTo);
        Assert.Equal(3, (await store.GetGridsAsync(1)).Count);
        Assert.Empty(await store.GetGridsAsync(2));
        Assert.Equal(revision, await store.GetRevisionAsync());
    }

    [Fact]
    public async Task FailingGridWrite_DuplicateCodeInTheList_LeavesStoreUnchanged()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null);
        var revision = await store.GetRevisionAsync();
        var before = await store.GetGridsAsync(1);

        // The last element repeats the first code: everything before it (the version row, the closing of version 1,
        // 199 grids) was already written inside the transaction and must be rolled back.
        var grids = Enumerable.Range(1, 199).Select(i => Square($"410482001{i / 100 + 1:000}{i % 100:00}", 112.80 + i * 0.0005, 34.15, 0.0004))
            .Append(Square("41048200100101", 112.85, 34.19)).ToList();
        Result<GridVersion> result;
        try
        {
            result = await store.AddGridVersionAsync(Jul1, grids, null, null);
        }
        catch (Exception)
        {
            result = Failure.Conflict("thrown", "The store threw, which the contract allows.");
        }

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.Conflict, result.Failure.Kind);
        var v = Assert.Single(await store.ListGridVersionsAsync());
        Assert.Null(v.ValidTo);
        Assert.Empty(await store.GetGridsAsync(2));
        Assert.Equal(before.Select(g => g.Code), (await store.GetGridsAsync(1)).Select(g => g.Code));
        Assert.Equal(revision, await store.GetRevisionAsync());
    }

    [Fact]
    public async Task DuplicateGridCode_IsReportedAsGridCodeDuplicate_WithItsPosition()
    {
        await using var store = await CreateEmptyStoreAsync();
        var result = await store.AddGridVersionAsync(Jan1,
            [Square("41048200100101", 112.80, 34.10), Square("41048200100102", 112.81, 34.10), Square("41048200100101", 112.82, 34.10)],
            null, null);

        Assert.False(result.IsOk);
        Assert.Equal("grid_code_duplicate", result.Failure.Code);
        Assert.Contains("41048200100101", result.Failure.Location);
        Assert.Empty(await store.ListGridVersionsAsync());
    }

    [Fact]
    public async Task TenThousandGrids_AreStoredInOneVersion()
    {
        await using var store = await CreateEmptyStoreAsync();
        var grids = new List<Grid>(10_000);
        for (var i = 0; i < 10_000; i++)
            grids.Add(Square($"410482{i / 1000 + 1:000}{i / 100 % 10 + 1:000}{i % 100:00}", 112.80 + i % 100 * 0.001, 34.10 + i / 100 * 0.001, 0.001));

        var result = await store.AddGridVersionAsync(Jan1, grids, null, null);

        Assert.True(result.IsOk, result.IsOk ? "" : result.Failure.ToString());
        Assert.Equal(10_000, result.Value.GridCount);
        Assert.Equal(10_000, (await store.GetGridsAsync(1)).Count);
    }

    // ---- revision ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Revision_IncreasesOnEveryWrite()
    {
        await using var store = await CreateEmptyStoreAsync();
        var seen = new List<long> { await store.GetRevisionAsync() };
        async Task Next() => seen.Add(await store.GetRevisionAsync());

        await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null); await Next();
        await store.UpsertDepartmentsAsync([Dept("CGJ", "汝州市城市管理局")]); await Next();
        await store.ReplaceRulesAsync([Rule("R1", null, null, "CGJ")]); await Next();
        await store.ReplaceRulesAsync([]); await Next();
        await store.DeleteDepartmentAsync(DepartmentCode.FromTrusted("CGJ")); await Next();
        await store.AddApiKeyAsync(Key("k1", Hash('a'))); await Next();
        await store.RevokeApiKeyAsync("k1", DateTimeOffset.UtcNow); await Next();

        for (var i = 1; i < seen.Count; i++) Assert.True(seen[i] > seen[i - 1], $"write {i}: {string.Join(", ", seen)}");
    }

    // ---- departments ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task Departments_Upsert_InsertsThenUpdatesByCode()
    {
        await using var store = await CreateEmptyStoreAsync();
        var inserted = await store.UpsertDepartmentsAsync([Dept("CGJ", "汝州市城市管理局", "值班室", "0375-6800000"), Dept("GD-01", "供电公司")]);
        var updated = await store.UpsertDepartmentsAsync([Dept("CGJ", "汝州市城市管理局（综合执法）", null, "12319")]);

        Assert.Equal(2, inserted.Value);
        Assert.Equal(1, updated.Value);
        Assert.Equal(
            [Dept("CGJ", "汝州市城市管理局（综合执法）", null, "12319"), Dept("GD-01", "供电公司")],
            await store.ListDepartmentsAsync());
    }

    [Fact]
    public async Task DeleteDepartment_RemovesIt()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.UpsertDepartmentsAsync([Dept("CGJ", "城管局"), Dept("SW", "水务公司")]);

        var deleted = await store.DeleteDepartmentAsync(DepartmentCode.FromTrusted("SW"));

        Assert.True(deleted.IsOk);
        Assert.Equal(["CGJ"], (await store.ListDepartmentsAsync()).Select(d => d.Code.Value));
    }

    [Fact]
    public async Task DeleteUnknownDepartment_IsNotFound()
    {
        await using var store = await CreateEmptyStoreAsync();
        var result = await store.DeleteDepartmentAsync(DepartmentCode.FromTrusted("NOPE"));

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.NotFound, result.Failure.Kind);
        Assert.Equal("department_not_found", result.Failure.Code);
    }

    [Fact]
    public async Task DeleteDepartmentInUse_IsConflict_AndKeepsIt()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.UpsertDepartmentsAsync([Dept("SW", "水务公司")]);
        await store.ReplaceRulesAsync([Rule("R-water", null, "C0101", "SW")]);

        var result = await store.DeleteDepartmentAsync(DepartmentCode.FromTrusted("SW"));

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.Conflict, result.Failure.Kind);
        Assert.Equal("department_in_use", result.Failure.Code);
        Assert.Single(await store.ListDepartmentsAsync());
    }

    // ---- rules ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Rules_RoundTrip_WithNullGridAndNullClass()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.UpsertDepartmentsAsync([Dept("CGJ", "城管局"), Dept("SW", "水务公司"), Dept("XEH", "洗耳河街道办")]);
        ResponsibilityRule[] rules =
        [
            Rule("R1", null, null, "CGJ", "兜底"),
            Rule("R2", null, "C0101", "SW"),
            Rule("R3", "41048200100101", null, "XEH"),
            Rule("R4", "41048200100101", "E01", "CGJ", "私搭乱建"),
        ];

        var replaced = await store.ReplaceRulesAsync(rules);

        Assert.Equal(4, replaced.Value);
        Assert.Equal(rules, (await store.ListRulesAsync()).OrderBy(r => r.Id, StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReplaceRules_ReplacesTheWholeMatrix()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.UpsertDepartmentsAsync([Dept("CGJ", "城管局"), Dept("SW", "水务公司")]);
        await store.ReplaceRulesAsync([Rule("R1", null, null, "CGJ"), Rule("R2", null, "C0101", "SW")]);

        await store.ReplaceRulesAsync([Rule("R9", null, "E0101", "CGJ")]);

        Assert.Equal([Rule("R9", null, "E0101", "CGJ")], await store.ListRulesAsync());
    }

    [Fact]
    public async Task ReplaceRules_UnknownDepartment_IsConflict_AndOldMatrixStays()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.UpsertDepartmentsAsync([Dept("CGJ", "城管局")]);
        ResponsibilityRule[] old = [Rule("R1", null, null, "CGJ")];
        await store.ReplaceRulesAsync(old);
        var revision = await store.GetRevisionAsync();

        var result = await store.ReplaceRulesAsync([Rule("R1", null, null, "CGJ"), Rule("R2", null, "C0101", "GHOST")]);

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.Conflict, result.Failure.Kind);
        Assert.Equal("rule_department_unknown", result.Failure.Code);
        Assert.Contains("R2", result.Failure.Location);
        Assert.Equal(old, await store.ListRulesAsync());
        Assert.Equal(revision, await store.GetRevisionAsync());
    }

    // ---- API keys --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ApiKeys_AddListRevoke()
    {
        await using var store = await CreateEmptyStoreAsync();
        var gis = Key("k-gis", Hash('a'));
        var admin = Key("k-admin", Hash('b'), Role.Admin);
        Assert.True((await store.AddApiKeyAsync(gis)).IsOk);
        Assert.True((await store.AddApiKeyAsync(admin)).IsOk);
        Assert.Equal(new[] { admin, gis }.OrderBy(k => k.Id), (await store.ListApiKeysAsync()).OrderBy(k => k.Id));

        var at = new DateTimeOffset(2024, 5, 4, 10, 0, 0, TimeSpan.Zero);
        var revoked = await store.RevokeApiKeyAsync("k-gis", at);

        Assert.True(revoked.IsOk);
        Assert.Equal(gis with { RevokedAt = at }, revoked.Value);
        var listed = (await store.ListApiKeysAsync()).ToDictionary(k => k.Id);
        Assert.Equal(at, listed["k-gis"].RevokedAt);
        Assert.Null(listed["k-admin"].RevokedAt);
    }

    [Fact]
    public async Task ApiKey_DuplicateHash_IsConflict()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.AddApiKeyAsync(Key("k1", Hash('c')));

        var result = await store.AddApiKeyAsync(Key("k2", Hash('c')));

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.Conflict, result.Failure.Kind);
        Assert.Equal("api_key_duplicate", result.Failure.Code);
        Assert.Single(await store.ListApiKeysAsync());
    }

    [Fact]
    public async Task RevokeUnknownApiKey_IsNotFound()
    {
        await using var store = await CreateEmptyStoreAsync();
        var result = await store.RevokeApiKeyAsync("nope", DateTimeOffset.UtcNow);

        Assert.False(result.IsOk);
        Assert.Equal(FailureKind.NotFound, result.Failure.Kind);
        Assert.Equal("api_key_not_found", result.Failure.Code);
    }

    // ---- concurrency -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ConcurrentWritesAndReads_AllSucceed_AndEachWriteCounts()
    {
        await using var store = await CreateEmptyStoreAsync();
        await store.AddGridVersionAsync(Jan1, VersionOneGrids(), null, null);
        var start = await store.GetRevisionAsync();

        var writes = Enumerable.Range(0, 16).Select(i => Task.Run(() => store.UpsertDepartmentsAsync([Dept($"D{i}", $"部门{i}")])));
        var reads = Enumerable.Range(0, 16).Select(_ => Task.Run(async () => (await store.GetGridsAsync(1)).Count));
        var written = await Task.WhenAll(writes);
        var counts = await Task.WhenAll(reads);

        Assert.All(written, r => Assert.True(r.IsOk));
        Assert.All(counts, c => Assert.Equal(3, c));
        Assert.Equal(16, (await store.ListDepartmentsAsync()).Count);
        Assert.Equal(start + 16, await store.GetRevisionAsync());
    }
}
