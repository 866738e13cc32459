using System.Globalization;
using System.Text;
using Geo.GridService.Codes;
using Geo.GridService.Host.Http;
using Geo.GridService.Ownership;
using Geo.Spatial.Failures;
using nietras.SeparatedValues;
using Spectre.Console;

namespace Geo.GridService.Host.Cli;

/// <summary>
/// Answers every point of a CSV (columns x, y, optional class and id; coordinates in --crs) and writes one output row
/// per input row: id,x,y,class,grid_code,grid_name,department_code,department_name,rule_id,on_boundary,error.
/// Rows stream through (memory does not grow with the file); a progress bar runs on stderr when it is a terminal.
/// </summary>
internal static class OwnershipCsv
{
    public static async Task<int> RunAsync(OwnershipSnapshot snapshot, string input, string? output, string? crs, string? cls, string? at, CancellationToken ct)
    {
        var common = OwnershipApi.ParseCommon(crs, cls, at);
        if (!common.IsOk) return CliOutput.Fail(common.Failures);
        var (crsId, defaultClass, day) = common.Value;
        if (!File.Exists(input)) return CliOutput.Fail(Failure.NotFound("file_not_found", $"{input} does not exist."));

        await using var file = File.OpenRead(input);
        using var reader = Sep.Reader(o => o with { Unescape = true, Trim = SepTrim.All }).From(file);
        if (!reader.Header.TryIndexOf("x", out var xi) || !reader.Header.TryIndexOf("y", out var yi))
            return CliOutput.Fail(Failure.Invalid("csv_columns", "The points CSV needs columns x and y (optional: class, id)."));
        var ci = reader.Header.TryIndexOf("class", out var c) ? c : -1;
        var ii = reader.Header.TryIndexOf("id", out var i) ? i : -1;

        await using var writer = output is null
            ? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false))
            : new StreamWriter(output, false, new UTF8Encoding(false));
        await writer.WriteLineAsync("id,x,y,class,grid_code,grid_name,department_code,department_name,rule_id,on_boundary,error");

        var total = new FileInfo(input).Length;
        long rows = 0, failed = 0;
        var showProgress = output is not null && !Console.IsErrorRedirected;

        void Process(Action<double>? progress)
        {
            foreach (var row in reader)
            {
                ct.ThrowIfCancellationRequested();
                rows++;
                var id = ii >= 0 ? row[ii].ToString() : rows.ToString(CultureInfo.InvariantCulture);
                var xs = row[xi].ToString();
                var ys = row[yi].ToString();
                var rowClass = ci >= 0 ? row[ci].ToString() : "";
                string error = "";
                OwnershipAnswer? answer = null;
                ClassCode? k = defaultClass;
                if (rowClass.Length > 0)
                {
                    var pc = ClassCode.Parse(rowClass);
                    if (pc.IsOk) k = pc.Value; else error = pc.Failure.Code;
                }
                if (error.Length == 0)
                {
                    if (double.TryParse(xs, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) &&
                        double.TryParse(ys, NumberStyles.Float, CultureInfo.InvariantCulture, out var y))
                    {
                        var r = snapshot.Answer(new OwnershipQuery(x, y, crsId, k, day));
                        if (r.IsOk) answer = r.Value; else error = r.Failure.Code;
                    }
                    else error = "coordinate_invalid";
                }
                if (error.Length > 0) failed++;
                writer.WriteLine(string.Join(',', Csv(id), Csv(xs), Csv(ys), Csv(k?.ToString() ?? ""),
                    Csv(answer?.Grid.Code ?? ""), Csv(answer?.Grid.Name ?? ""), Csv(answer?.Department?.Code ?? ""),
                    Csv(answer?.Department?.Name ?? ""), Csv(answer?.Rule?.Id ?? ""), answer?.OnBoundary == true ? "true" : "false", error));
                if (progress is not null && (rows & 0x3FFF) == 0) progress(Math.Min(100, 100.0 * file.Position / Math.Max(1, total)));
            }
        }

        if (showProgress)
            AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("归属查询 ownership");
                    Process(p => task.Value = p);
                    task.Value = 100;
                });
        else Process(null);
        await writer.FlushAsync(ct);
        Console.Error.WriteLine($"{rows} points, {rows - failed} answered, {failed} failed");
        return 0;
    }

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
}
