using System.Globalization;
using Geo.Spatial.Failures;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Formats.GeoPackage;

/// <summary>
/// Reads one feature table of a GeoPackage with plain SQL (no spatialite, no GDAL). The file is opened read-only and
/// only real tables are queried: a view as metadata table or layer is refused, because a crafted view can run
/// arbitrary (e.g. endlessly recursive) SQL.
/// </summary>
internal static class GeoPackageFeatureReader
{
    private static readonly string[] RequiredTables = ["gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"];

    public static Result<VectorFeatureSet> Read(string path, VectorReadLimits limits, string? layer)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString();

        using var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA trusted_schema = OFF");
            return ReadOpen(connection, limits, layer);
        }
        catch (SqliteException ex)
        {
            // SQLITE_NOTADB (26), SQLITE_CORRUPT (11), a missing column, ...: the file is not a usable GeoPackage.
            return Failure.Invalid("gpkg_corrupt", $"The GeoPackage could not be read (SQLite error {ex.SqliteErrorCode}).", "file");
        }
    }

    private static Result<VectorFeatureSet> ReadOpen(SqliteConnection connection, VectorReadLimits limits, string? layer)
    {
        foreach (var table in RequiredTables)
        {
            if (ObjectType(connection, table) != "table")
            {
                return Failure.Invalid("gpkg_corrupt", $"The file is SQLite but not a GeoPackage: table '{table}' is missing.", table);
            }
        }

        using var layerCommand = connection.CreateCommand();
        layerCommand.CommandText = """
            SELECT c.table_name, g.column_name, g.srs_id
            FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g ON lower(g.table_name) = lower(c.table_name)
            WHERE c.data_type = 'features' AND ($layer IS NULL OR lower(c.table_name) = lower($layer))
            ORDER BY c.rowid LIMIT 1
            """;
        layerCommand.Parameters.AddWithValue("$layer", (object?)layer ?? DBNull.Value);
        string tableName, geometryColumn;
        long srsId;
        using (var r = layerCommand.ExecuteReader())
        {
            if (!r.Read())
            {
                return layer is null
                    ? Failure.Invalid("gpkg_no_feature_layer", "The GeoPackage has no feature layer (gpkg_contents has no data_type 'features').", "gpkg_contents")
                    : Failure.NotFound("gpkg_layer_not_found", $"The GeoPackage has no feature layer named '{FormatFailures.Printable(layer)}'.", FormatFailures.Printable(layer));
            }

            tableName = r.GetString(0);
            if (r.IsDBNull(1))
            {
                return Failure.Invalid("gpkg_corrupt", $"Layer '{FormatFailures.Printable(tableName)}' has no row in gpkg_geometry_columns.", tableName);
            }

            geometryColumn = r.GetString(1);
            srsId = r.IsDBNull(2) ? 0 : r.GetInt64(2);
        }

        var kind = ObjectType(connection, tableName);
        if (kind != "table")
        {
            return kind is null
                ? Failure.Invalid("gpkg_corrupt", $"Layer '{FormatFailures.Printable(tableName)}' is listed in gpkg_contents but its table is missing.", tableName)
                : Failure.Invalid("gpkg_layer_unsupported", $"Layer '{FormatFailures.Printable(tableName)}' is a {kind}; only tables are read.", tableName);
        }

        var crs = CrsHint(connection, srsId);
        var columns = Columns(connection, tableName);
        var pk = columns.FirstOrDefault(c => c.IsPrimaryKey)?.Name;
        var attributeColumns = columns
            .Where(c => !c.IsPrimaryKey && !string.Equals(c.Name, geometryColumn, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (!columns.Any(c => string.Equals(c.Name, geometryColumn, StringComparison.OrdinalIgnoreCase)))
        {
            return Failure.Invalid("gpkg_corrupt", $"Layer '{FormatFailures.Printable(tableName)}' has no geometry column '{FormatFailures.Printable(geometryColumn)}'.", tableName);
        }

        var key = pk is null ? "rowid" : Sql.Id(pk);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Sql.Id(geometryColumn)}{string.Concat(attributeColumns.Select(c => ", " + Sql.Id(c.Name)))} FROM {Sql.Id(tableName)} ORDER BY {key}";

        var geometryReader = new GeoPackageGeoReader { HandleSRID = true };
        var features = new List<VectorFeature>();
        var failures = new List<Failure>();
        using var reader = command.ExecuteReader();
        for (var index = 0; reader.Read() && failures.Count < FormatFailures.MaxCollected; index++)
        {
            if (index >= limits.MaxFeatures)
            {
                return FormatFailures.TooManyFeatures(limits.MaxFeatures);
            }

            Geometry? geometry = null;
            if (!reader.IsDBNull(0))
            {
                if (reader.GetValue(0) is not byte[] blob)
                {
                    failures.Add(FormatFailures.Feature("geometry_malformed", "The geometry value is not a GeoPackage binary blob.", index));
                    continue;
                }

                try
                {
                    geometry = geometryReader.Read(blob);
                }
                catch (Exception ex) when (FormatFailures.IsParserFault(ex))
                {
                    failures.Add(FormatFailures.Feature("geometry_malformed", "The geometry blob is not a valid GeoPackage geometry.", index));
                    continue;
                }

                if (geometry.NumPoints > limits.MaxVerticesPerFeature)
                {
                    failures.Add(FormatFailures.TooManyVertices(index, geometry.NumPoints, limits.MaxVerticesPerFeature));
                    continue;
                }
            }

            var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < attributeColumns.Count; i++)
            {
                attributes[attributeColumns[i].Name] = Value(reader, i + 1, attributeColumns[i].DeclaredType);
            }

            features.Add(new VectorFeature(index, geometry, attributes));
        }

        return failures.Count > 0 ? Result<VectorFeatureSet>.Fail(failures) : new VectorFeatureSet(crs, features);
    }

    /// <summary>GeoPackage column types are declared (BOOLEAN, DATE, DATETIME...) but stored as SQLite storage classes.</summary>
    private static object? Value(SqliteDataReader reader, int ordinal, string declaredType)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        var value = reader.GetValue(ordinal);
        return (declaredType.ToUpperInvariant(), value) switch
        {
            ("BOOLEAN", long l) => l != 0,
            ("DATETIME", string s) when DateTime.TryParse(s, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt) => dt,
            ("DATE", string s) when DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d,
            _ => value,
        };
    }

    private static string? CrsHint(SqliteConnection connection, long srsId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = $id";
        command.Parameters.AddWithValue("$id", srsId);
        using var r = command.ExecuteReader();
        if (!r.Read() || r.IsDBNull(0) || r.IsDBNull(1))
        {
            return null;
        }

        var organization = r.GetString(0).Trim();
        var code = r.GetInt64(1);
        // srs_id -1 and 0 are the spec's "undefined cartesian/geographic" rows (organization NONE).
        if (organization.Equals("NONE", StringComparison.OrdinalIgnoreCase) || code <= 0)
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{FormatFailures.Printable(organization).ToUpperInvariant()}:{code}");
    }

    private sealed record Column(string Name, string DeclaredType, bool IsPrimaryKey);

    private static List<Column> Columns(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA table_info({Sql.Id(table)})";
        using var r = command.ExecuteReader();
        var columns = new List<Column>();
        while (r.Read())
        {
            var declared = r.IsDBNull(2) ? "" : r.GetString(2);
            var isPk = r.GetInt64(5) == 1 && declared.Equals("INTEGER", StringComparison.OrdinalIgnoreCase);
            columns.Add(new Column(r.GetString(1), declared, isPk));
        }

        return columns;
    }

    private static string? ObjectType(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT type FROM sqlite_master WHERE lower(name) = lower($name) AND type IN ('table', 'view')";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as string;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
