using Geo.Spatial.Failures;
using Geo.Surveys;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="ISurveyStore"/> backend must show (GeoPackage now, PostGIS later): a backend's test
/// class derives from this and only says how to make an empty store.
/// </summary>
public abstract class SurveyStoreContract
{
    protected abstract Task<ISurveyStore> CreateEmptyStoreAsync();

    private static readonly WKTReader Wkt = new(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4490));

    protected static Survey Sample(string sha = "aa", SurveyKind kind = SurveyKind.Ortho, SurveyId? dsm = null, DateOnly? date = null, string name = "东区 2026-04") => new(
        SurveyId.New(), name, date ?? new DateOnly(2026, 4, 12), kind, dsm,
        new LonLatBounds(112.836, 34.164, 112.839, 34.166), 0.1, 2048, 2048, 4547, sha.PadRight(64, '0'),
        new DateTimeOffset(2026, 4, 13, 8, 30, 15, 123, TimeSpan.Zero), "东区.tif", 1_234_567,
        kind == SurveyKind.Dsm ? 95.5 : null, kind == SurveyKind.Dsm ? 121.25 : null,
        Wkt.Read("POLYGON ((112.836 34.164, 112.839 34.164, 112.839 34.166, 112.836 34.1655, 112.836 34.164))"));

    [Fact]
    public async Task A_stored_survey_reads_back_equal()
    {
        var store = await CreateEmptyStoreAsync();
        var s = Sample();
        Assert.True((await store.AddAsync(s)).IsOk);
        var back = await store.GetAsync(s.Id);
        Assert.NotNull(back);
        Assert.Equal(s with { Footprint = back.Footprint }, back);
        Assert.True(s.Footprint.EqualsExact(back.Footprint, 1e-12));
        Assert.Equal(4490, back.Footprint.SRID);
    }

    [Fact]
    public async Task An_unknown_id_is_null() =>
        Assert.Null(await (await CreateEmptyStoreAsync()).GetAsync(SurveyId.New()));

    [Fact]
    public async Task The_same_content_twice_is_a_conflict_naming_the_first()
    {
        var store = await CreateEmptyStoreAsync();
        var first = Sample("bb");
        await store.AddAsync(first);
        var again = await store.AddAsync(Sample("bb"));
        Assert.Equal(SurveyFailureCodes.SurveyExists, again.Failure.Code);
        Assert.Equal(FailureKind.Conflict, again.Failure.Kind);
        Assert.Equal(first.Id.Value, again.Failure.Extensions!["surveyId"]);
        Assert.Single(await store.ListAsync());
    }

    [Fact]
    public async Task The_same_content_as_ortho_and_dsm_are_different_surveys()
    {
        var store = await CreateEmptyStoreAsync();
        Assert.True((await store.AddAsync(Sample("cc", SurveyKind.Dsm))).IsOk);
        Assert.True((await store.AddAsync(Sample("cc"))).IsOk);
    }

    [Fact]
    public async Task Find_by_sha256_matches_kind()
    {
        var store = await CreateEmptyStoreAsync();
        var dsm = Sample("dd", SurveyKind.Dsm);
        await store.AddAsync(dsm);
        Assert.Equal(dsm.Id, (await store.FindBySha256Async(dsm.Sha256, SurveyKind.Dsm))?.Id);
        Assert.Null(await store.FindBySha256Async(dsm.Sha256, SurveyKind.Ortho));
    }

    [Fact]
    public async Task An_ortho_names_a_stored_dsm_only()
    {
        var store = await CreateEmptyStoreAsync();
        var missing = await store.AddAsync(Sample("ee", dsm: SurveyId.New()));
        Assert.Equal(SurveyFailureCodes.PairedDsmMissing, missing.Failure.Code);
        var dsm = Sample("ef", SurveyKind.Dsm);
        await store.AddAsync(dsm);
        var ortho = Sample("eg", dsm: dsm.Id);
        Assert.True((await store.AddAsync(ortho)).IsOk);
        Assert.Equal(dsm.Id, (await store.GetAsync(ortho.Id))!.PairedDsmId);
    }

    [Fact]
    public async Task A_dsm_in_use_cannot_be_deleted_until_its_ortho_is()
    {
        var store = await CreateEmptyStoreAsync();
        var dsm = Sample("f1", SurveyKind.Dsm);
        await store.AddAsync(dsm);
        var ortho = Sample("f2", dsm: dsm.Id);
        await store.AddAsync(ortho);
        Assert.Equal(SurveyFailureCodes.SurveyInUse, (await store.DeleteAsync(dsm.Id)).Failure.Code);
        Assert.True((await store.DeleteAsync(ortho.Id)).Value);
        Assert.True((await store.DeleteAsync(dsm.Id)).Value);
        Assert.False((await store.DeleteAsync(dsm.Id)).Value);
        Assert.Empty(await store.ListAsync());
    }

    [Fact]
    public async Task List_is_newest_flight_first_then_by_name()
    {
        var store = await CreateEmptyStoreAsync();
        var old = Sample("01", date: new DateOnly(2025, 5, 1), name: "b");
        var newB = Sample("02", date: new DateOnly(2026, 5, 1), name: "b");
        var newA = Sample("03", date: new DateOnly(2026, 5, 1), name: "a");
        foreach (var s in new[] { old, newB, newA }) await store.AddAsync(s);
        Assert.Equal([newA.Id, newB.Id, old.Id], (await store.ListAsync()).Select(s => s.Id).ToArray());
    }
}
