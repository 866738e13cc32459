using System.Diagnostics;
using System.Globalization;
using System.Text;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Census;
using Geo.GridService.Host.Samples;
using Geo.Storage.GeoPackage;
using NetTopologySuite.Geometries;

namespace Geo.Benchmarks;

/// <summary>
/// Timed census benchmark (issue #3), one run end to end on real files:
/// 1. import N point rows from a CSV (EPSG:4490) into a GeoPackage holding the sample grids: parse (Sep), validate
///    (code, class, departments, grid from geometry), write (the store's pipelined bulk writer, one transaction), each
///    round into a fresh copy of the store and followed by the peer, <c>ogr2ogr -f GPKG</c> of the same CSV; the
///    medians, their ratio and the load average are printed (<c>--rounds R</c>, default 1);
/// 2. build the in-memory <see cref="CensusIndex"/> from the store;
/// 3. per-query latencies of nearest-5-of-a-class and 300 m bbox pages (limit 100) on the index, and the same bbox
///    pages through SQLite's R*Tree (<see cref="ICensusStore.QueryAsync"/>) as the peer.
/// Run: <c>dotnet run -c Release -- census 500000 [--import-only] [--rounds 3]</c>; <c>--write-to DIR</c> only writes the
/// CSV and the store it is imported into (<c>points.csv</c>, <c>template.gpkg</c>) there, for timing the CLI.
/// </summary>
public static class CensusBench
{
    public static async Task<int> RunAsync(int rows, bool importOnly = false, int rounds = 1, string? writeTo = null)
    {
        var dir = writeTo ?? Path.Combine(Path.GetTempPath(), "geo-census-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var open = new List<IAsyncDisposable>();
        try
        {
            var samples = Path.Combine(dir, "samples");
            RuzhouSamples.Write(samples);
            var gpkg = Path.Combine(dir, "census.gpkg");
            var county = CountyCode.Parse("410482").Value;
            var grids = await GeoPackageGridStore.OpenAsync(gpkg);
            var store = await GeoPackageCensusStore.OpenAsync(gpkg);
            var ownership = new OwnershipService(grids);
            var loaded = await SampleLoader.LoadAsync(grids, ownership, samples, county);
            if (!loaded.IsOk) throw new InvalidOperationException(string.Join("; ", loaded.Failures));
            await TaxonomyFile.EnsureSeededAsync(store);
            var service = new CensusService(store, grids, ownership, county);
            var snapshot = await ownership.RefreshAsync(true);
            var index = snapshot.Index(snapshot.Current!.Number);
            var classes = (await store.ListClassesAsync()).Where(c => c.Code.Tree == ClassTree.Component).Select(c => c.Code.Digits).ToArray();

            // A CSV of points inside the grids, codes spread over every component class.
            var csv = Path.Combine(dir, "points.csv");
            var env = new Envelope();
            foreach (var g in index.Grids) env.ExpandToInclude(g.Geometry.EnvelopeInternal);
            var rnd = new Random(7);
            var serial = new int[classes.Length];
            await using (var w = new StreamWriter(csv, false, new UTF8Encoding(false), 1 << 16))
            {
                w.WriteLine("code,name,x,y,status,maintainer,data_source");
                string[] statuses = ["完好", "完好", "完好", "破损", "丢失", "占用"];
                for (var i = 0; i < rows;)
                {
                    // Rounded as written (7 decimals), so a point on the city's edge is checked where it will be read.
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
            Console.WriteLine($"csv: {rows:N0} rows, {new FileInfo(csv).Length / 1e6:F1} MB");

            // Rounds alternate ours and the peer, each into a fresh file (ours: a copy of the store holding the grids and the
            // taxonomy), so a change in machine load hits both; the medians and their ratio are what to compare.
            await store.DisposeAsync();
            await grids.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var template = Path.Combine(dir, "template.gpkg");
            File.Move(gpkg, template);
            if (writeTo is not null)
            {
                // Inputs for timing the CLI in fresh processes: copy template.gpkg, then ./geo components import points.csv.
                Console.WriteLine($"wrote {csv} and {template} (grids, departments, taxonomy)");
                return 0;
            }
            GeoPackageCensusStore? last = null;
            CensusService? lastService = null;
            var ours = new List<double>();
            var withCheckpoint = new List<double>();
            var peers = new List<double>();
            for (var round = 1; round <= rounds; round++)
            {
                if (last is not null) await last.DisposeAsync();
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                if (File.Exists(gpkg)) File.Delete(gpkg);
                File.Copy(template, gpkg);
                var roundGrids = await GeoPackageGridStore.OpenAsync(gpkg);
                open.Add(roundGrids);
                last = await GeoPackageCensusStore.OpenAsync(gpkg);
                open.Add(last);
                var roundOwnership = new OwnershipService(roundGrids);
                await roundOwnership.RefreshAsync(true);
                lastService = new CensusService(last, roundGrids, roundOwnership, county);
                Console.WriteLine($"round {round}: load average before: {LoadAverage()}");

                GC.Collect();
                var allocated0 = GC.GetTotalAllocatedBytes(true);
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                CensusImportReport report;
                await using (var s = new FileStream(csv, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                {
                    var r = await new CensusImport(lastService).ImportCsvAsync(s, new CensusImportOptions(Geo.Spatial.Crs.CrsId.Cgcs2000));
                    if (!r.IsOk) throw new InvalidOperationException(string.Join("; ", r.Failures.Take(5)));
                    report = r.Value;
                }
                sw.Stop();
                // The import returns once its rows are durable in the WAL; copying them into the database file follows
                // on another connection. Timed too (untimed above), and waited for before the peer runs.
                var checkpoint = Stopwatch.StartNew();
                await last.WhenCheckpointedAsync();
                checkpoint.Stop();
                if (report.Stored != rows) throw new InvalidOperationException($"Stored {report.Stored} of {rows} rows.");
                var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                var peak = Process.GetCurrentProcess().PeakWorkingSet64;
                ours.Add(sw.Elapsed.TotalSeconds);
                withCheckpoint.Add(sw.Elapsed.TotalSeconds + checkpoint.Elapsed.TotalSeconds);
                Console.WriteLine($"round {round} import: {report.Stored:N0} stored in {sw.Elapsed.TotalSeconds:F2} s = {report.Stored / sw.Elapsed.TotalSeconds:N0} rows/s " +
                                  $"; + WAL checkpoint after it {checkpoint.Elapsed.TotalSeconds:F2} s ({report.Stored / (sw.Elapsed.TotalSeconds + checkpoint.Elapsed.TotalSeconds):N0} rows/s with it)" +
                                  $"; CPU {cpu:F2} s = {report.Stored / cpu:N0} rows per CPU-second " +
                                  $"(allocated {(GC.GetTotalAllocatedBytes(true) - allocated0) / 1e6:N0} MB, peak working set {peak / 1e6:N0} MB, file {new FileInfo(gpkg).Length / 1e6:N0} MB)");

                // The peer on the same CSV: GDAL's own GeoPackage writer (ogr2ogr, no validation, no unique code, no grid
                // derivation, its R*Tree bulk loader), i.e. roughly the cost of getting rows into a GeoPackage.
                var peerGpkg = Path.Combine(dir, "peer.gpkg");
                if (File.Exists(peerGpkg)) File.Delete(peerGpkg);
                var ogr = Stopwatch.StartNew();
                using (var p = Process.Start(new ProcessStartInfo("ogr2ogr",
                           ["-f", "GPKG", peerGpkg, csv, "-nln", "components", "-a_srs", "EPSG:4490", "-oo", "X_POSSIBLE_NAMES=x", "-oo", "Y_POSSIBLE_NAMES=y",
                            "-oo", "KEEP_GEOM_COLUMNS=NO"]) { RedirectStandardError = true })!)
                {
                    var err = await p.StandardError.ReadToEndAsync();
                    await p.WaitForExitAsync();
                    if (p.ExitCode != 0) throw new InvalidOperationException("ogr2ogr failed: " + err);
                }
                ogr.Stop();
                peers.Add(ogr.Elapsed.TotalSeconds);
                Console.WriteLine($"round {round} peer: ogr2ogr CSV -> GPKG {rows / ogr.Elapsed.TotalSeconds:N0} rows/s ({ogr.Elapsed.TotalSeconds:F2} s); " +
                                  $"ours / peer = {ogr.Elapsed.TotalSeconds / sw.Elapsed.TotalSeconds:F2}; load average after: {LoadAverage()}");
            }
            var (mo, mp) = (Median(ours), Median(peers));
            Console.WriteLine($"census_import rows={rows} rounds={rounds} ours_s={mo:F2} ours_rows_per_s={rows / mo:F0} ogr2ogr_s={mp:F2} " +
                              $"ogr2ogr_rows_per_s={rows / mp:F0} ratio={mp / mo:F2} with_checkpoint_s={Median(withCheckpoint):F2} " +
                              $"ratio_with_checkpoint={mp / Median(withCheckpoint):F2} load=\"{LoadAverage()}\"");
            store = last!;
            service = lastService!;
            if (importOnly) return 0;
            var timer = Stopwatch.StartNew();
            var census = await service.IndexAsync();
            Console.WriteLine($"load average while measuring: {LoadAverage()}");
            Console.WriteLine($"index build: {census.Count:N0} components in {timer.Elapsed.TotalSeconds:F2} s");

            const int queries = 20_000;
            var lat0 = (env.MinY + env.MaxY) / 2;
            var dLon = 300 / (111_320 * Math.Cos(lat0 * Math.PI / 180));
            var dLat = 300 / 110_574.0;
            var times = new double[queries];
            var found = 0L;
            for (var q = 0; q < queries; q++)
            {
                var x = env.MinX + rnd.NextDouble() * env.Width;
                var y = env.MinY + rnd.NextDouble() * env.Height;
                var cls = ClassCode.Create(ClassTree.Component, classes[q % classes.Length]);
                var t0 = Stopwatch.GetTimestamp();
                found += census.Nearest(x, y, 5, cls).Count;
                times[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Report("nearest 5 of a class (in-memory index)", times, found);

            for (var q = 0; q < queries; q++)
            {
                var x = env.MinX + rnd.NextDouble() * (env.Width - dLon);
                var y = env.MinY + rnd.NextDouble() * (env.Height - dLat);
                var t0 = Stopwatch.GetTimestamp();
                found += census.InBox(new Envelope(x, x + dLon, y, y + dLat), 100).Codes.Count;
                times[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Report("bbox 300 m page of 100 codes (in-memory index)", times, found);

            var peer = new double[2000];
            found = 0;
            for (var q = 0; q < peer.Length; q++)
            {
                var x = env.MinX + rnd.NextDouble() * (env.Width - dLon);
                var y = env.MinY + rnd.NextDouble() * (env.Height - dLat);
                var t0 = Stopwatch.GetTimestamp();
                found += (await store.QueryAsync(new ComponentQuery(Bbox: new Envelope(x, x + dLon, y, y + dLat), Limit: 100))).Items.Count;
                peer[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Report("peer: bbox 300 m page of 100 full records (SQLite R*Tree, QueryAsync)", peer, found);

            var full = new double[2000];
            found = 0;
            for (var q = 0; q < full.Length; q++)
            {
                var x = env.MinX + rnd.NextDouble() * (env.Width - dLon);
                var y = env.MinY + rnd.NextDouble() * (env.Height - dLat);
                var t0 = Stopwatch.GetTimestamp();
                var page = census.InBox(new Envelope(x, x + dLon, y, y + dLat), 100);
                found += (await store.GetComponentsAsync(page.Codes)).Count;
                full[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Report("bbox 300 m page of 100 full records (index + GetComponentsAsync)", full, found);
            return 0;
        }
        finally
        {
            foreach (var d in open) await d.DisposeAsync(); // a store disposed twice returns at once
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (writeTo is null) try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

    private static double Median(List<double> values)
    {
        var a = values.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    private static void Report(string what, double[] ms, long found)
    {
        var sorted = (double[])ms.Clone();
        Array.Sort(sorted);
        double P(double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        Console.WriteLine($"{what}: n={ms.Length:N0} p50={P(0.50):F3} ms p99={P(0.99):F3} ms max={sorted[^1]:F3} ms (results {found:N0})");
    }
}
