using System.Diagnostics;
using System.Globalization;
using System.Text;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Census;
using Geo.GridService.Host.Samples;
using Geo.GridService.Storage;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;
using NetTopologySuite.Geometries;
using Npgsql;

namespace Geo.Benchmarks;

/// <summary>
/// Census bulk import, embedded store vs PostGIS, on the same CSV (issue #6): N point rows (EPSG:4490, codes over every
/// component class) imported end to end through <see cref="CensusImport"/> — Sep streaming, validation with grid
/// derivation, then the store's bulk writer: the GeoPackage's prepared INSERTs in one IMMEDIATE transaction (batched
/// R*Tree fill at commit) vs PostGIS's binary COPY into the GiST-indexed <c>components</c> table in one transaction.
/// Each round imports into a fresh store holding the sample grids; the backends alternate (G, P, G, P, ...) so a
/// change in machine load hits both. Reports wall clock and CPU time of this process per round, the medians and their
/// ratio, and the load average. Needs GEO_BENCH_PG (a server whose database <c>bench_tpl</c> has PostGIS;
/// benchmarks/store-import/run.sh census starts one).
/// Run: <c>dotnet run -c Release -- census-import 200000 3</c>.
/// </summary>
public static class CensusImportBench
{
    public static async Task<int> RunAsync(int rows, int rounds)
    {
        var server = Environment.GetEnvironmentVariable("GEO_BENCH_PG") is { Length: > 0 } s ? s
            : throw new InvalidOperationException("Set GEO_BENCH_PG (benchmarks/store-import/run.sh census does).");
        var dir = Path.Combine(Path.GetTempPath(), "geo-census-import-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        try
        {
            var samples = Path.Combine(dir, "samples");
            RuzhouSamples.Write(samples);
            var county = CountyCode.Parse("410482").Value;
            var csv = Path.Combine(dir, "points.csv");
            await WriteCsvAsync(csv, samples, county, rows);
            Console.WriteLine($"csv: {rows:N0} rows, {new FileInfo(csv).Length / 1e6:F1} MB; load average before: {LoadAverage()}");

            var results = new List<(string Backend, double Wall, double Cpu)>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var backend in new[] { "GeoPackage", "PostGIS" })
                {
                    var (wall, cpu, stored) = backend == "GeoPackage"
                        ? await GeoPackageRoundAsync(Path.Combine(dir, $"r{round}.gpkg"), samples, county, csv)
                        : await PostGisRoundAsync(server, samples, county, csv);
                    if (stored != rows) throw new InvalidOperationException($"{backend} stored {stored} of {rows} rows.");
                    results.Add((backend, wall, cpu));
                    Console.WriteLine($"round {round} {backend,-10}: {wall:F2} s wall = {rows / wall:N0} rows/s; CPU (client) {cpu:F2} s; load {LoadAverage()}");
                }
            }
            double Median(IEnumerable<double> v)
            {
                var a = v.Order().ToArray();
                return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
            }
            var g = Median(results.Where(r => r.Backend == "GeoPackage").Select(r => r.Wall));
            var p = Median(results.Where(r => r.Backend == "PostGIS").Select(r => r.Wall));
            Console.WriteLine($"median wall: GeoPackage {g:F2} s ({rows / g:N0} rows/s), PostGIS COPY {p:F2} s ({rows / p:N0} rows/s); " +
                              $"PostGIS/GeoPackage time ratio {p / g:F2} (PostGIS {g / p:F2}x the embedded store's rate)");
            Console.WriteLine($"census_import rows={rows} geopackage_s={g:F3} postgis_s={p:F3} speedup={g / p:F2} load=\"{LoadAverage()}\"");
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

    private static async Task<(double Wall, double Cpu, long Stored)> GeoPackageRoundAsync(string path, string samples, CountyCode county, string csv)
    {
        await using var grids = await GeoPackageGridStore.OpenAsync(path);
        await using var census = await GeoPackageCensusStore.OpenAsync(path);
        return await ImportAsync(grids, census, samples, county, csv);
    }

    private static async Task<(double Wall, double Cpu, long Stored)> PostGisRoundAsync(string server, string samples, CountyCode county, string csv)
    {
        var database = $"bench_{Guid.NewGuid():N}"[..20];
        var admin = new NpgsqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString;
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\" TEMPLATE bench_tpl", c);
            await create.ExecuteNonQueryAsync();
        }
        try
        {
            await using var grids = await PostGisGridStore.OpenAsync(new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString);
            await using var census = PostGisCensusStore.On(grids);
            return await ImportAsync(grids, census, samples, county, csv);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(admin);
            await c.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", c);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Loads the sample grids and taxonomy (untimed), then times the import of the CSV.</summary>
    private static async Task<(double Wall, double Cpu, long Stored)> ImportAsync(IGridStore grids, ICensusStore census, string samples,
        CountyCode county, string csv)
    {
        var ownership = new OwnershipService(grids);
        var loaded = await SampleLoader.LoadAsync(grids, ownership, samples, county);
        if (!loaded.IsOk) throw new InvalidOperationException(string.Join("; ", loaded.Failures));
        await TaxonomyFile.EnsureSeededAsync(census);
        var service = new CensusService(census, grids, ownership, county);
        await ownership.RefreshAsync(true);
        GC.Collect();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        await using var stream = new FileStream(csv, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var r = await new CensusImport(service).ImportCsvAsync(stream, new CensusImportOptions(Geo.Spatial.Crs.CrsId.Cgcs2000));
        sw.Stop();
        if (!r.IsOk) throw new InvalidOperationException(string.Join("; ", r.Failures.Take(5)));
        return (sw.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds, r.Value.Stored);
    }

    /// <summary>The same CSV as <see cref="CensusBench"/>: points inside the sample grids (seed 7), codes over every class.</summary>
    private static async Task WriteCsvAsync(string csv, string samples, CountyCode county, int rows)
    {
        var dir = Path.GetDirectoryName(csv)!;
        var path = Path.Combine(dir, "layout.gpkg");
        await using var grids = await GeoPackageGridStore.OpenAsync(path);
        await using var store = await GeoPackageCensusStore.OpenAsync(path);
        var ownership = new OwnershipService(grids);
        var loaded = await SampleLoader.LoadAsync(grids, ownership, samples, county);
        if (!loaded.IsOk) throw new InvalidOperationException(string.Join("; ", loaded.Failures));
        await TaxonomyFile.EnsureSeededAsync(store);
        var snapshot = await ownership.RefreshAsync(true);
        var index = snapshot.Index(snapshot.Current!.Number);
        var classes = (await store.ListClassesAsync()).Where(c => c.Code.Tree == ClassTree.Component).Select(c => c.Code.Digits).ToArray();
        var env = new Envelope();
        foreach (var g in index.Grids) env.ExpandToInclude(g.Geometry.EnvelopeInternal);
        var rnd = new Random(7);
        var serial = new int[classes.Length];
        await using var w = new StreamWriter(csv, false, new UTF8Encoding(false), 1 << 16);
        w.WriteLine("code,name,x,y,status,maintainer,data_source");
        string[] statuses = ["完好", "完好", "完好", "破损", "丢失", "占用"];
        for (var i = 0; i < rows;)
        {
            var x = Math.Round(env.MinX + rnd.NextDouble() * env.Width, 7);
            var y = Math.Round(env.MinY + rnd.NextDouble() * env.Height, 7);
            if (!index.Locate(x, y).Found) continue;
            var k = i % classes.Length;
            w.Write("410482"); w.Write(classes[k]); w.Write((++serial[k]).ToString("D6", CultureInfo.InvariantCulture));
            w.Write(",部件,");
            w.Write(x.ToString("F7", CultureInfo.InvariantCulture)); w.Write(',');
            w.Write(y.ToString("F7", CultureInfo.InvariantCulture)); w.Write(',');
            w.Write(statuses[i % statuses.Length]); w.WriteLine(",SZ,实测");
            i++;
        }
    }
}
