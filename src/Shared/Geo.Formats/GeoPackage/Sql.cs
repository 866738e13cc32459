namespace Geo.Formats.GeoPackage;

internal static class Sql
{
    /// <summary>Quotes an SQLite identifier. Table and column names come from files or callers: never splice them raw.</summary>
    public static string Id(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
