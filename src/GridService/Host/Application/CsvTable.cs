using nietras.SeparatedValues;
using Geo.Spatial.Failures;

namespace Geo.GridService.Host.Application;

/// <summary>
/// A small, bounded CSV table (departments, the matrix, point lists): UTF-8, comma-separated, header row required,
/// quoted fields unescaped, cells trimmed. Backed by Sep. Large census imports stream rows instead (issue 3).
/// </summary>
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(Dictionary<string, int> columns, List<string[]> rows)
    {
        _columns = columns;
        Rows = rows;
    }

    public IReadOnlyList<string[]> Rows { get; }

    public const int MaxRows = 1_000_000;

    public static Result<CsvTable> Read(Stream stream, int maxRows = MaxRows)
    {
        try
        {
            using var reader = Sep.Reader(o => o with { Unescape = true, Trim = SepTrim.All, HasHeader = true }).From(stream);
            var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var names = reader.Header.ColNames;
            for (var i = 0; i < names.Count; i++)
                columns.TryAdd(names[i].Trim().TrimStart('\uFEFF'), i);
            var rows = new List<string[]>();
            foreach (var row in reader)
            {
                if (rows.Count >= maxRows)
                    return Failure.TooLarge("too_many_rows", $"At most {maxRows} rows are accepted.");
                var cells = new string[names.Count];
                for (var i = 0; i < names.Count && i < row.ColCount; i++) cells[i] = row[i].ToString();
                rows.Add(cells);
            }
            return new CsvTable(columns, rows);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            return Failure.Invalid("csv_malformed", $"The CSV could not be read: {e.Message}");
        }
    }

    /// <summary>Index of the first column whose name is one of <paramref name="names"/>, or -1.</summary>
    public int Column(params string[] names)
    {
        foreach (var n in names)
            if (_columns.TryGetValue(n, out var i)) return i;
        return -1;
    }

    public static string? Cell(string[] row, int column) =>
        column < 0 || column >= row.Length || string.IsNullOrWhiteSpace(row[column]) ? null : row[column];
}
