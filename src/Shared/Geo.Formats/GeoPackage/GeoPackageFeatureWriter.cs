using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.Formats.GeoPackage;

/// <summary>
/// Writes a single-layer GeoPackage 1.2 from scratch: the mandatory gpkg_* tables (as GDAL creates them), one feature
/// table, and the gpkg_rtree_index extension with its maintenance triggers so that GDAL/QGIS can open and edit it.
/// The file is written under a temporary name beside the target and renamed when complete, so a crash never leaves a
/// half-written GeoPackage at <c>path</c>.
/// </summary>
internal static partial class GeoPackageFeatureWriter
{
    private const string Wgs84Wkt = """GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]""";

    public static void Write(string path, string layerName, IEnumerable<VectorFeature> features, int srid, string srsWkt,
        IReadOnlyList<(string Name, Type Type)> columns)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(layerName);
        ArgumentException.ThrowIfNullOrWhiteSpace(srsWkt);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(srid);
        var columnTypes = columns.Select(c => (c.Name, Declared: DeclaredType(c.Type, c.Name))).ToList();
        foreach (var (name, _) in columnTypes)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(columns));
            if (name.Equals("fid", StringComparison.OrdinalIgnoreCase) || name.Equals("geom", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Column name '{name}' is reserved for the feature id / geometry.", nameof(columns));
            }
        }

        if (columnTypes.Select(c => c.Name.ToUpperInvariant()).Distinct().Count() != columnTypes.Count)
        {
            throw new ArgumentException("Column names must be unique (case-insensitively, as in SQLite).", nameof(columns));
        }

        var list = features.ToList();
        var fullPath = Path.GetFullPath(path);
        var temporary = fullPath + ".partial-" + Guid.NewGuid().ToString("N");
        try
        {
            WriteFile(temporary, layerName, list, srid, srsWkt, columnTypes);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static void WriteFile(string path, string layer, List<VectorFeature> features, int srid, string srsWkt,
        List<(string Name, string Declared)> columns)
    {
        var geometries = features.Select(f => f.Geometry).OfType<Geometry>().ToList();
        var hasZ = geometries.Any(g => !g.IsEmpty && !double.IsNaN(g.Coordinate.Z));
        var typeName = GeometryTypeName(geometries);
        var extent = new Envelope();
        foreach (var geometry in geometries)
        {
            extent.ExpandToInclude(geometry.EnvelopeInternal);
        }

        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, "PRAGMA application_id = 1196444487"); // 'GPKG'
        Execute(connection, "PRAGMA user_version = 10200");         // GeoPackage 1.2

        // One transaction: SQLite would otherwise sync after every row. (Plain SQL, so every command joins it.)
        Execute(connection, "BEGIN");
        Execute(connection, """
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
              organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
              description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
              min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
              CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
              srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
              CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),
              CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
              CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
            CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
              scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
            """);
        InsertSrs(connection, "WGS 84 geodetic", 4326, srid == 4326 ? srsWkt : Wgs84Wkt);
        if (srid != 4326)
        {
            InsertSrs(connection, SrsName(srsWkt) ?? "EPSG:" + srid.ToString(CultureInfo.InvariantCulture), srid, srsWkt);
        }

        var t = Sql.Id(layer);
        var rtree = Sql.Id($"rtree_{layer}_geom");
        Execute(connection, $"CREATE TABLE {t} (\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"geom\" {typeName}"
                            + string.Concat(columns.Select(c => $", {Sql.Id(c.Name)} {c.Declared}")) + ")");
        using (var contents = connection.CreateCommand())
        {
            contents.CommandText = """
                INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
                VALUES ($t, 'features', $t, '', $minx, $miny, $maxx, $maxy, $srid);
                INSERT INTO gpkg_geometry_columns VALUES ($t, 'geom', $type, $srid, $z, 0);
                INSERT INTO gpkg_extensions VALUES ($t, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
                """;
            contents.Parameters.AddWithValue("$t", layer);
            contents.Parameters.AddWithValue("$minx", extent.IsNull ? DBNull.Value : extent.MinX);
            contents.Parameters.AddWithValue("$miny", extent.IsNull ? DBNull.Value : extent.MinY);
            contents.Parameters.AddWithValue("$maxx", extent.IsNull ? DBNull.Value : extent.MaxX);
            contents.Parameters.AddWithValue("$maxy", extent.IsNull ? DBNull.Value : extent.MaxY);
            contents.Parameters.AddWithValue("$srid", srid);
            contents.Parameters.AddWithValue("$type", typeName);
            contents.Parameters.AddWithValue("$z", hasZ ? 2 : 0);
            contents.ExecuteNonQuery();
        }

        Execute(connection, $"CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy)");

        using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO {t} (\"geom\"{string.Concat(columns.Select(c => ", " + Sql.Id(c.Name)))}) VALUES ($geom"
                             + string.Concat(columns.Select((_, i) => $", $p{i}")) + ")";
        var geometryParameter = insert.Parameters.Add("$geom", SqliteType.Blob);
        var valueParameters = columns.Select((_, i) => insert.Parameters.Add($"$p{i}", SqliteType.Text)).ToList();
        using var index = connection.CreateCommand();
        index.CommandText = $"INSERT INTO {rtree} VALUES ($id, $minx, $maxx, $miny, $maxy)";
        var indexParameters = new[] { "$id", "$minx", "$maxx", "$miny", "$maxy" }.Select(n => index.Parameters.Add(n, SqliteType.Real)).ToArray();
        indexParameters[0].SqliteType = SqliteType.Integer;

        var writer = new GeoPackageGeoWriter { HandleOrdinates = hasZ ? Ordinates.XYZ : Ordinates.XY };
        using var lastId = connection.CreateCommand();
        lastId.CommandText = "SELECT last_insert_rowid()";
        foreach (var feature in features)
        {
            var geometry = feature.Geometry;
            if (geometry is not null && geometry.SRID != srid)
            {
                geometry = geometry.Copy();
                geometry.SRID = srid; // the blob header's srs_id must match gpkg_geometry_columns
            }

            geometryParameter.Value = geometry is null ? DBNull.Value : writer.Write(geometry);
            for (var i = 0; i < columns.Count; i++)
            {
                var value = feature.Attributes.TryGetValue(columns[i].Name, out var v) ? v : null;
                var (bound, type) = Bind(value);
                valueParameters[i].SqliteType = type;
                valueParameters[i].Value = bound;
            }

            insert.ExecuteNonQuery();
            if (geometry is { IsEmpty: false })
            {
                var e = geometry.EnvelopeInternal;
                indexParameters[0].Value = (long)lastId.ExecuteScalar()!;
                indexParameters[1].Value = e.MinX;
                indexParameters[2].Value = e.MaxX;
                indexParameters[3].Value = e.MinY;
                indexParameters[4].Value = e.MaxY;
                index.ExecuteNonQuery();
            }
        }

        // The standard rtree maintenance triggers (GeoPackage 1.2 F.3). They call ST_* functions that only GDAL/QGIS
        // register, so they are created after our own inserts.
        var g = "\"geom\"";
        Execute(connection, $"""
            CREATE TRIGGER {Sql.Id($"rtree_{layer}_geom_insert")} AFTER INSERT ON {t} WHEN (new.{g} NOT NULL AND NOT ST_IsEmpty(NEW.{g}))
            BEGIN INSERT OR REPLACE INTO {rtree} VALUES (NEW."fid", ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})); END;
            CREATE TRIGGER {Sql.Id($"rtree_{layer}_geom_update1")} AFTER UPDATE OF {g} ON {t} WHEN OLD."fid" = NEW."fid" AND (NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g}))
            BEGIN INSERT OR REPLACE INTO {rtree} VALUES (NEW."fid", ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})); END;
            CREATE TRIGGER {Sql.Id($"rtree_{layer}_geom_update2")} AFTER UPDATE OF {g} ON {t} WHEN OLD."fid" = NEW."fid" AND (NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g}))
            BEGIN DELETE FROM {rtree} WHERE id = OLD."fid"; END;
            CREATE TRIGGER {Sql.Id($"rtree_{layer}_geom_update3")} AFTER UPDATE ON {t} WHEN OLD."fid" != NEW."fid" AND (NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g}))
            BEGIN DELETE FROM {rtree} WHERE id = OLD."fid"; INSERT OR REPLACE INTO {rtree} VALUES (NEW."fid", ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})); END;
            CREATE TRIGGER {Sql.Id($"rtree_{layer}_geom_update4")} AFTER UPDATE ON {t} WHEN OLD."fid" != NEW."fid" AND (NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g}))
            BEGIN DELETE FROM {rtree} WHERE id IN (OLD."fid", NEW."fid"); END;
            CREATE TRIGGER {Sql.Id($"rtree_{layer}_geom_delete")} AFTER DELETE ON {t} WHEN old.{g} NOT NULL
            BEGIN DELETE FROM {rtree} WHERE id = OLD."fid"; END;
            """);
        Execute(connection, "COMMIT");
    }

    private static (object Value, SqliteType Type) Bind(object? value) => value switch
    {
        null => (DBNull.Value, SqliteType.Text),
        string s => (s, SqliteType.Text),
        bool b => (b ? 1L : 0L, SqliteType.Integer),
        long or int or short or sbyte or byte or ushort or uint => (Convert.ToInt64(value, CultureInfo.InvariantCulture), SqliteType.Integer),
        double or float or decimal => (Convert.ToDouble(value, CultureInfo.InvariantCulture), SqliteType.Real),
        DateTime dt => (dt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), SqliteType.Text),
        DateTimeOffset dto => (dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), SqliteType.Text),
        DateOnly d => (d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), SqliteType.Text),
        Guid guid => (guid.ToString("D"), SqliteType.Text),
        byte[] bytes => (bytes, SqliteType.Blob),
        _ => throw new ArgumentException($"Attribute values of type {value.GetType().Name} cannot be written to a GeoPackage.", nameof(value)),
    };

    private static string DeclaredType(Type type, string column)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string) || t == typeof(Guid)) return "TEXT";
        if (t == typeof(bool)) return "BOOLEAN";
        if (t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(sbyte) || t == typeof(byte) || t == typeof(ushort) || t == typeof(uint)) return "INTEGER";
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return "DOUBLE";
        if (t == typeof(DateTime) || t == typeof(DateTimeOffset)) return "DATETIME";
        if (t == typeof(DateOnly)) return "DATE";
        if (t == typeof(byte[])) return "BLOB";
        throw new ArgumentException($"Column '{column}' has type {type.Name}, which has no GeoPackage equivalent.", nameof(type));
    }

    private static string GeometryTypeName(List<Geometry> geometries)
    {
        var types = geometries.Select(g => g.OgcGeometryType).Distinct().ToList();
        return types.Count != 1 ? "GEOMETRY" : types[0] switch
        {
            OgcGeometryType.Point => "POINT",
            OgcGeometryType.LineString => "LINESTRING",
            OgcGeometryType.Polygon => "POLYGON",
            OgcGeometryType.MultiPoint => "MULTIPOINT",
            OgcGeometryType.MultiLineString => "MULTILINESTRING",
            OgcGeometryType.MultiPolygon => "MULTIPOLYGON",
            OgcGeometryType.GeometryCollection => "GEOMETRYCOLLECTION",
            _ => "GEOMETRY",
        };
    }

    private static void InsertSrs(SqliteConnection connection, string name, int srid, string wkt)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO gpkg_spatial_ref_sys VALUES ($name, $id, 'EPSG', $id, $wkt, NULL)";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$id", srid);
        command.Parameters.AddWithValue("$wkt", wkt);
        command.ExecuteNonQuery();
    }

    private static string? SrsName(string wkt)
    {
        var m = WktName().Match(wkt);
        return m.Success ? m.Groups["name"].Value : null;
    }

    [GeneratedRegex(@"^\s*[A-Za-z]+\s*[\[(]\s*""(?<name>[^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex WktName();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
