using System.Diagnostics;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.Storage.GeoPackage;
using Microsoft.Data.Sqlite;

namespace Geo.Storage.Tests.GeoPackage;

/// <summary>
/// The census contract suite against the GeoPackage store, plus what only a GeoPackage has to prove: GDAL reads the
/// components layer (and validate_gpkg.py accepts the file), and it shares the file and revision with the grid store.
/// </summary>
public sealed class GeoPackageCensusStoreTests : CensusStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("geo-census-tests-").FullName;

    protected override async Task<ICensusStore> CreateEmptyStoreAsync() => await GeoPackageCensusStore.OpenAsync(NewPath());

    protected override async Task<(ICensusStore Census, GridService.Storage.IGridStore Grids)> CreateEmptyPairAsync()
    {
        var path = NewPath();
        var grids = await GeoPackageGridStore.OpenAsync(path);
        return (await GeoPackageCensusStore.OpenAsync(path), grids);
    }

    private string NewPath() => Path.Combine(_directory, $"census-{Guid.NewGuid():N}.gpkg");

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }


    [Fact]
    public async Task Gdal_ReadsTheComponentsLayer_WithSpatialFilter_AndValidatesTheFile()
    {
        var path = NewPath();
        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
        {
            await using var bulk = await census.BeginBulkAsync(Alice, "test");
            bulk.Add(Make("4104820101000001", "POINT (112.845 34.167)"));
            bulk.Add(Make("4104820101000002", "POINT (112.745 34.067)"));
            bulk.Add(Make("4104820603000001", "LINESTRING (112.84 34.16, 112.85 34.17)", name: "护栏"));
            await bulk.CommitAsync();
        }
        SqliteConnection.ClearAllPools();
        var info = Run("ogrinfo", $"-ro -so {path} components");
        Assert.Contains("Feature Count: 3", info);
        // -spat goes through the R*Tree: the batched index maintenance of the bulk import must have filled it.
        var filtered = Run("ogrinfo", $"-ro -q -spat 112.84 34.16 112.85 34.17 {path} components");
        Assert.Contains("4104820101000001", filtered);
        Assert.Contains("4104820603000001", filtered);
        Assert.DoesNotContain("4104820101000002", filtered);
        Assert.Contains("status (String) = 完好", filtered);
        var validate = Run("python3", $"/usr/share/doc/python3-gdal/examples/validate_gpkg.py {path}", allowFail: true);
        Assert.DoesNotContain("Error", validate);
    }

    [Fact]
    public async Task RtreeTrigger_IsBackAfterABulkImport_SoSingleInsertsAreIndexedToo()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        await using (var bulk = await census.BeginBulkAsync(Alice, null))
        {
            bulk.Add(Make("4104820101000001"));
            await bulk.CommitAsync();
        }
        await census.AddComponentAsync(Make("4104820101000002", "POINT (112.8 34.1)"), Alice);
        using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM rtree_components_geom; ";
        Assert.Equal(2L, cmd.ExecuteScalar());
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'rtree_components_geom_insert';";
        Assert.Equal(1L, cmd.ExecuteScalar());
    }

    [Fact]
    public async Task LargeBulkImport_PacksTheRtree_WhichSqliteChecks_AndAnswersLikeABruteForceScan()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        var points = await ImportRandomPointsAsync(census, 30_000, firstSerial: 1, seed: 1); // over the index-drop threshold

        using var c = OpenReadOnly(path);
        AssertRtreeHolds(c, 30_000L);
        foreach (var name in new[] { "ix_components_status", "ix_components_grid", "components_check_insert", "components_check_update", "rtree_components_geom_insert" })
            Assert.Equal(1L, Scalar(c, $"SELECT count(*) FROM sqlite_master WHERE name = '{name}';"));
        Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM component_grids;")); // points: their one grid is grid_code
        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check;"));

        // A window through the R*Tree finds exactly the points a scan finds (boxes are rounded outwards to float:
        // the window is chosen so no point lies within a float step of its edge).
        var (x0, x1, y0, y1) = (112.80, 112.86, 34.12, 34.17);
        var expected = points.Count(p => p.X >= x0 && p.X <= x1 && p.Y >= y0 && p.Y <= y1 && Math.Abs(p.X - x0) > 1e-5 && Math.Abs(p.X - x1) > 1e-5
                                         && Math.Abs(p.Y - y0) > 1e-5 && Math.Abs(p.Y - y1) > 1e-5);
        var near = points.Count(p => new[] { p.X - x0, p.X - x1, p.Y - y0, p.Y - y1 }.Any(d => Math.Abs(d) <= 1e-5));
        var found = (long)Scalar(c, $"SELECT count(*) FROM rtree_components_geom WHERE maxx >= {x0} AND minx <= {x1} AND maxy >= {y0} AND miny <= {y1};")!;
        Assert.InRange(found, expected, expected + near);
        Assert.True(expected > 1000);
        // GDAL's spatial filter uses the same index.
        SqliteConnection.ClearAllPools();
        Assert.Contains($"Feature Count: {found}", Run("ogrinfo", $"-ro -so -spat {x0} {y0} {x1} {y1} {path} components"));
    }

    [Fact]
    public async Task ImportsOverExistingRows_KeepTheOldEntries_WhetherTheTreeIsRebuiltOrAppendedTo()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        await ImportRandomPointsAsync(census, 1_000, firstSerial: 1, seed: 2);
        await ImportRandomPointsAsync(census, 5_000, firstSerial: 1_001, seed: 3); // larger than the table: packed rebuild
        await ImportRandomPointsAsync(census, 10, firstSerial: 6_001, seed: 4);    // small: inserted into the tree
        using var c = OpenReadOnly(path);
        AssertRtreeHolds(c, 6_010L);
        Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM components k LEFT JOIN rtree_components_geom r ON r.id = k.fid WHERE r.id IS NULL;"));
    }

    [Fact]
    public async Task LargeBulkImport_NotCommitted_LeavesTheOldTreeAndIndexes()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        await ImportRandomPointsAsync(census, 1_000, firstSerial: 1, seed: 5);
        await using (var bulk = await census.BeginBulkAsync(Alice, null))
        {
            var rnd = new Random(6);
            for (var i = 0; i < 25_000; i++)
                Assert.True(bulk.Add(Make($"4104820101{1_001 + i:D6}", RandomPoint(rnd))).IsOk);
            // disposed without commit: the indexes it dropped and the tree must come back as they were
        }
        using var c = OpenReadOnly(path);
        Assert.Equal(1_000L, Scalar(c, "SELECT count(*) FROM components;"));
        AssertRtreeHolds(c, 1_000L);
        Assert.Equal(5L, Scalar(c, """
            SELECT count(*) FROM sqlite_master WHERE name IN ('ix_components_status', 'ix_components_grid', 'components_check_insert', 'components_check_update', 'rtree_components_geom_insert');
            """));
    }

    [Fact]
    public async Task PipelinedBulkImport_FindsDuplicatesInMemory_CountsSerials_AndWritesLinesGridRows()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        Assert.True((await census.AddComponentAsync(Make("4104820101900000"), Alice)).IsOk); // stored before the import
        var rnd = new Random(9);
        const int rows = 21_037; // past the largest pipeline threshold (20,000), not a multiple of the batch or statement size
        var lines = 0;
        await using (var bulk = await census.BeginBulkAsync(Alice, "pipelined"))
        {
            for (var i = 1; i <= rows; i++)
            {
                var line = i % 100 == 0;
                lines += line ? 1 : 0;
                var added = bulk.Add(line
                    ? Make($"4104820603{i:D6}", "LINESTRING (112.84 34.16, 112.85 34.17)", "41048200100101 41048200100102", name: "护栏")
                    : Make($"4104820101{i:D6}", RandomPoint(rnd)));
                Assert.True(added.IsOk);
            }
            Assert.Equal(CensusCodes.Duplicate, bulk.Add(Make("4104820101900000")).Failure.Code);   // in the store
            Assert.Equal(CensusCodes.Duplicate, bulk.Add(Make("4104820101000005")).Failure.Code);   // earlier in this import (direct part)
            Assert.Equal(CensusCodes.Duplicate, bulk.Add(Make("4104820101021001")).Failure.Code);   // earlier in this import (pipelined part)
            Assert.Equal(900_001, bulk.NextSerial(Ruzhou, Cover));
            Assert.Equal(rows / 100 * 100 + 1, bulk.NextSerial(Ruzhou, ClassCode.Parse("C0603").Value));
            Assert.Equal(rows, bulk.Count);
            await bulk.CommitAsync();
        }
        Assert.Equal(rows + 1L, await census.CountAsync());
        var grid2 = await census.QueryAsync(new ComponentQuery(Grid: GridCode.FromTrusted("41048200100102"), Limit: 1000));
        Assert.Equal(lines, grid2.Items.Count);
        Assert.Equal(rows + 1L + lines, (await census.StatisticsAsync()).Sum(r => r.Count)); // a line counts in both grids
        using var c = OpenReadOnly(path);
        Assert.Equal(2L * lines, Scalar(c, "SELECT count(*) FROM component_grids;"));
        AssertRtreeHolds(c, rows + 1L);
        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check;"));
    }

    [Fact]
    public async Task BulkImportIntoAnEmptyTable_TurnsPipelinedAfterOneBatch_AndFindsDuplicatesAndNextSerialsOnBothSides()
    {
        // An empty table has no stored codes to read: the writer thread takes over from the second batch (2,048 rows),
        // long before 20,000 rows, and the status and grid indexes are kept up to date row by row (not dropped).
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        var rnd = new Random(12);
        const int rows = 5_003;
        await using (var bulk = await census.BeginBulkAsync(Alice, "small"))
        {
            for (var i = 1; i <= rows; i++) Assert.True(bulk.Add(Make($"4104820101{i:D6}", RandomPoint(rnd))).IsOk);
            Assert.Equal(CensusCodes.Duplicate, bulk.Add(Make("4104820101000007")).Failure.Code); // before the switch
            Assert.Equal(CensusCodes.Duplicate, bulk.Add(Make("4104820101004999")).Failure.Code); // after it
            Assert.Equal(rows + 1, bulk.NextSerial(Ruzhou, Cover));
            await bulk.CommitAsync();
        }
        Assert.Equal(rows, await census.CountAsync());
        using var c = OpenReadOnly(path);
        AssertRtreeHolds(c, (long)rows);
        Assert.Equal(2L, Scalar(c, "SELECT count(*) FROM sqlite_master WHERE name IN ('ix_components_status', 'ix_components_grid');"));
        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check;"));
    }

    [Fact]
    public async Task PipelinedBulkImport_StoresEachRowsOwnValues_WhenColumnsRepeatChangeOrTurnNullFromRowToRow()
    {
        // The writer binds a column again only when its value is not the very string it holds already; these patterns
        // cross the 16-row statements' slots: one string instance in runs, null, an equal but distinct string, others.
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        var rnd = new Random(11);
        const string shared = "汝州市自来水公司";
        const int rows = 20_777;
        var expected = new List<Component>(rows);
        await using (var bulk = await census.BeginBulkAsync(Alice, "values"))
        {
            for (var i = 1; i <= rows; i++)
            {
                var line = i % 50 == 0;
                var k = (line
                    ? Make($"4104820603{i:D6}", "LINESTRING (112.84 34.16, 112.85 34.17)", "41048200100101 41048200100102")
                    : Make($"4104820101{i:D6}", RandomPoint(rnd))) with
                {
                    Name = i / 16 % 2 == 0 ? "上水井盖" : $"井盖{i % 3}",
                    Owner = i % 5 == 0 ? null : i % 3 == 0 ? new string(shared.AsSpan()) : i % 7 == 0 ? $"权属{i % 4}" : shared,
                    Maintainer = i % 6 == 0 ? null : DepartmentCode.FromTrusted(i % 4 == 0 ? "SZ" : "SW"),
                    CompetentDepartment = i % 19 == 0 ? null : DepartmentCode.FromTrusted("SW"),
                    Status = (ComponentStatus)(i / 3 % 4),
                    LastChanged = new DateOnly(2024, 6, 1 + i % 3),
                    Source = (DataSource)(i % 17 % 4),
                    Photos = i % 4 == 0 ? [] : [$"photos/{i % 2}.jpg"],
                    Remarks = i % 17 < 8 ? null : i % 2 == 0 ? "备注" : $"备注{i}",
                    AttributesJson = i % 9 == 0 ? null : """{"材质":"铸铁"}""",
                };
                Assert.True(bulk.Add(k).IsOk);
                expected.Add(k);
            }
            await bulk.CommitAsync();
        }
        var stored = new Dictionary<long, Component>();
        foreach (var chunk in expected.Chunk(1000))
            foreach (var k in await census.GetComponentsAsync(chunk.Select(x => x.Code).ToArray()))
                stored.Add(k.Code.Number, k);
        Assert.Equal(rows, stored.Count);
        foreach (var want in expected)
        {
            var got = stored[want.Code.Number];
            Assert.Equal((want.Code, want.Name, want.Owner, want.Maintainer, want.CompetentDepartment, want.Status, want.FirstRecorded, want.LastChanged,
                want.Source, want.Remarks, want.AttributesJson, 1L), (got.Code, got.Name, got.Owner, got.Maintainer, got.CompetentDepartment, got.Status,
                got.FirstRecorded, got.LastChanged, got.Source, got.Remarks, got.AttributesJson, got.Version));
            Assert.Equal(want.Photos, got.Photos);
            Assert.Equal(want.GridCodes, got.GridCodes);
            Assert.True(want.Geometry.EqualsExact(got.Geometry), $"{want.Code}: {got.Geometry} != {want.Geometry}");
        }
        using var c = OpenReadOnly(path);
        Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM components WHERE class_code != substr(code, 7, 4) OR fid != CAST(code AS INTEGER);"));
    }

    [Fact]
    public async Task BulkImport_ReturnsOnceItsRowsAreDurableInTheWal_AndTheirPagesReachTheDatabaseFileAfterwards()
    {
        var path = NewPath();
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        await ImportRandomPointsAsync(census, 21_000, firstSerial: 1, seed: 3);
        Assert.Equal(21_000L, await census.CountAsync()); // readable at once (from the WAL)
        await census.WhenCheckpointedAsync();
        using var c = OpenReadOnly(path);
        var pages = (long)Scalar(c, "PRAGMA page_count;")! * (long)Scalar(c, "PRAGMA page_size;")!;
        Assert.Equal(pages, new FileInfo(path).Length); // every page copied from the WAL into the file
        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check;"));
    }

    [Fact]
    public async Task Migration5_KeepsTheDataOfAStoreAtSchema4_AndGdalStillReadsIt()
    {
        // A store as schema 4 left it (AUTOINCREMENT fids unrelated to the codes, CHECKs, unique code index,
        // component_grids by code for every component), with a point, a line over two grids and a polygon.
        var path = NewPath();
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            Exec(c, null, $"PRAGMA application_id = {GeoPackageSchema.ApplicationId}; PRAGMA journal_mode = WAL;");
            GeoPackageBlob.RegisterFunctions(c);
            using var tx = c.BeginTransaction();
            Exec(c, tx, "CREATE TABLE geo_schema_migrations (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at DATETIME NOT NULL);");
            foreach (var m in GeoPackageSchema.Migrations.Where(m => m.Version <= 4))
            {
                m.Apply(c, tx);
                Exec(c, tx, $"INSERT INTO geo_schema_migrations VALUES ({m.Version}, 'v{m.Version}', '2026-01-01T00:00:00.000Z');");
            }
            Exec(c, tx, "INSERT INTO census_imports (imported_at, actor, source, row_count) VALUES ('2026-01-02T03:04:05.678Z', 'key:bob', 'old.csv', 1);");
            void Insert(long fid, string code, string wkt, string grids, long? importId)
            {
                using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = """
                    INSERT INTO components (fid, geom, code, class_code, name, grid_code, grid_codes, maintainer, status, first_recorded, last_changed,
                      data_source, remarks, version, import_id)
                    VALUES ($fid, $geom, $code, substr($code, 7, 4), '旧部件', $grid, $grids, 'SZ', '破损', '2025-05-06', '2025-06-07', '调绘', '备注', 3, $import);
                    """;
                cmd.Parameters.AddWithValue("$fid", fid);
                cmd.Parameters.AddWithValue("$geom", ComponentBlob.Write(FromWkt(wkt)));
                cmd.Parameters.AddWithValue("$code", code);
                cmd.Parameters.AddWithValue("$grid", grids.Split(' ')[0]);
                cmd.Parameters.AddWithValue("$grids", grids);
                cmd.Parameters.AddWithValue("$import", (object?)importId ?? DBNull.Value);
                cmd.ExecuteNonQuery();
                foreach (var g in grids.Split(' '))
                    Exec(c, tx, $"INSERT INTO component_grids (grid_code, code) VALUES ('{g}', '{code}');");
            }
            Insert(7, "4104820101000009", "POINT (112.845 34.167)", "41048200100101", 1);
            Insert(8, "4104820603000002", "LINESTRING (112.84 34.16, 112.85 34.17)", "41048200100101 41048200100102", null);
            Insert(12, "4104820501000001", "POLYGON ((112.80 34.10, 112.81 34.10, 112.81 34.11, 112.80 34.10))", "41048200100103", null);
            Exec(c, tx, """
                INSERT INTO component_audit (code, action, actor, at, version, before, after)
                VALUES ('4104820603000002', 'updated', 'key:bob', '2026-01-03T00:00:00.000Z', 3, '{}', '{}');
                """);
            tx.Commit();
        }

        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
        {
            var point = await census.GetComponentAsync(ComponentCode.Parse("4104820101000009").Value);
            Assert.NotNull(point);
            Assert.Equal(("旧部件", ComponentStatus.Damaged, DataSource.FieldMapping, 3L, "备注"), (point.Name, point.Status, point.Source, point.Version, point.Remarks));
            Assert.Equal(new DateOnly(2025, 5, 6), point.FirstRecorded);
            Assert.Equal("POINT (112.845 34.167)", point.Geometry.AsText());
            var line = await census.GetComponentAsync(ComponentCode.Parse("4104820603000002").Value);
            Assert.Equal(["41048200100101", "41048200100102"], line!.GridCodes.Select(g => g.Value));
            Assert.Equal(2, (await census.QueryAsync(new ComponentQuery(Grid: GridCode.FromTrusted("41048200100101")))).Items.Count);
            Assert.Equal("4104820603000002", Assert.Single((await census.QueryAsync(new ComponentQuery(Grid: GridCode.FromTrusted("41048200100102")))).Items).Code.Value);
            Assert.Equal("4104820101000009", Assert.Single((await census.QueryAsync(new ComponentQuery(Class: Cover))).Items).Code.Value);
            Assert.Equal(2, (await census.QueryAsync(new ComponentQuery(Bbox: new NetTopologySuite.Geometries.Envelope(112.84, 112.85, 34.16, 34.17)))).Items.Count);
            Assert.Equal(4L, (await census.StatisticsAsync()).Sum(r => r.Count)); // the line counts in both of its grids
            var audit = await census.GetAuditAsync(ComponentCode.Parse("4104820101000009").Value);
            Assert.Equal(("imported", "key:bob"), (Assert.Single(audit).Action, audit[0].Actor));
            Assert.Equal("updated", Assert.Single(await census.GetAuditAsync(line.Code)).Action);
            Assert.Equal(10, await census.NextSerialAsync(Ruzhou, Cover)); // serial 9 stored
            // Writes after the migration: single and bulk.
            Assert.True((await census.AddComponentAsync(Make("4104820101000010"), Alice)).IsOk);
            Assert.Equal(CensusCodes.Duplicate, (await census.AddComponentAsync(Make("4104820101000009"), Alice)).Failure.Code);
            await using (var bulk = await census.BeginBulkAsync(Alice, "after"))
            {
                Assert.True(bulk.Add(Make("4104820101000011", "POINT (112.846 34.168)")).IsOk);
                Assert.Equal(CensusCodes.Duplicate, bulk.Add(Make("4104820603000002")).Failure.Code);
                await bulk.CommitAsync();
            }
            Assert.Equal(5L, await census.CountAsync());
        }

        using (var c = OpenReadOnly(path))
        {
            Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM components WHERE fid != CAST(code AS INTEGER);"));
            Assert.Equal("ok", Scalar(c, "SELECT rtreecheck('rtree_components_geom');"));
            Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM components k LEFT JOIN rtree_components_geom r ON r.id = k.fid WHERE r.id IS NULL;"));
            Assert.Equal(2L, Scalar(c, "SELECT count(*) FROM component_grids;")); // only the line's two grids
            Assert.Equal(6L, Scalar(c, "SELECT max(version) FROM geo_schema_migrations;"));
            Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check;"));
        }
        SqliteConnection.ClearAllPools();
        Assert.Contains("Feature Count: 5", Run("ogrinfo", $"-ro -so {path} components"));
        Assert.Contains("4104820603000002", Run("ogrinfo", $"-ro -q -spat 112.84 34.16 112.85 34.17 {path} components"));
        Assert.DoesNotContain("Error", Run("python3", $"/usr/share/doc/python3-gdal/examples/validate_gpkg.py {path}", allowFail: true));
    }

    [Fact]
    public async Task OtherEditorsOfTheFile_CannotStoreARowWhoseFidIsNotItsCode_OrABadStatus()
    {
        var path = NewPath();
        await using (var census = await GeoPackageCensusStore.OpenAsync(path))
            Assert.True((await census.AddComponentAsync(Make("4104820101000001"), Alice)).IsOk);
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        GeoPackageBlob.RegisterFunctions(c);
        const string columns = "geom, code, class_code, name, grid_code, grid_codes, status, first_recorded, last_changed, data_source, version";
        var blob = Convert.ToHexString(ComponentBlob.WritePoint(112.8, 34.1));
        var noFid = Assert.Throws<SqliteException>(() => Exec(c, null,
            $"INSERT INTO components ({columns}) VALUES (x'{blob}', '4104820101000002', '0101', 'n', 'g', 'g', '完好', '2026-01-01', '2026-01-01', '实测', 1);"));
        Assert.Contains("fid must be the 16-digit code", noFid.Message);
        Assert.Throws<SqliteException>(() => Exec(c, null,
            $"INSERT INTO components (fid, {columns}) VALUES (4104820101000002, x'{blob}', '4104820101000002', '0101', 'n', 'g', 'g', 'bad', '2026-01-01', '2026-01-01', '实测', 1);"));
        Assert.Throws<SqliteException>(() => Exec(c, null, "UPDATE components SET status = 'broken' WHERE fid = 4104820101000001;"));
        Exec(c, null, $"INSERT INTO components (fid, {columns}) VALUES (4104820101000002, x'{blob}', '4104820101000002', '0101', 'n', 'g', 'g', '完好', '2026-01-01', '2026-01-01', '实测', 1);");
        Assert.Equal(2L, Scalar(c, "SELECT count(*) FROM rtree_components_geom;"));
    }

    private static void Exec(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static async Task<List<(double X, double Y)>> ImportRandomPointsAsync(ICensusStore census, int count, int firstSerial, int seed)
    {
        var rnd = new Random(seed);
        var points = new List<(double X, double Y)>(count);
        await using var bulk = await census.BeginBulkAsync(Alice, "test");
        for (var i = 0; i < count; i++)
        {
            var wkt = RandomPoint(rnd);
            var p = (NetTopologySuite.Geometries.Point)FromWkt(wkt);
            points.Add((p.X, p.Y));
            Assert.True(bulk.Add(Make($"4104820101{firstSerial + i:D6}", wkt)).IsOk);
        }
        await bulk.CommitAsync();
        return points;
    }

    private static string RandomPoint(Random rnd) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"POINT ({112.78 + rnd.NextDouble() * 0.12:F7} {34.10 + rnd.NextDouble() * 0.12:F7})");

    private static SqliteConnection OpenReadOnly(string path)
    {
        var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        c.Open();
        return c;
    }

    /// <summary>The packed R*Tree passes SQLite's own check and holds one box per component.</summary>
    private static void AssertRtreeHolds(SqliteConnection c, long components)
    {
        Assert.Equal("ok", Scalar(c, "SELECT rtreecheck('rtree_components_geom');"));
        Assert.Equal(components, Scalar(c, "SELECT count(*) FROM rtree_components_geom;"));
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static string Run(string file, string args, bool allowFail = false)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (!allowFail) Assert.True(p.ExitCode == 0, output);
        return output;
    }
}
