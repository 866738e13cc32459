using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// The schema of the grid store file: the OGC GeoPackage 1.3 core tables (which this store creates itself, as the
/// spec's Annex C defines them), the R*Tree spatial index extension on <c>grids.geom</c>, the feature table
/// <c>grids</c>, and the attribute tables of the service.
/// <para>Versioning: <c>PRAGMA user_version</c> belongs to the GeoPackage spec (10300 = 1.3.0), so the store's own
/// schema version lives in <c>geo_schema_migrations</c> (one row per applied migration). A later issue adds a
/// migration at the end of <see cref="Migrations"/>; applied migrations are never edited.</para>
/// </summary>
internal static class GeoPackageSchema
{
    /// <summary>'GPKG' in ASCII: the SQLite application id that marks a GeoPackage 1.2+ file.</summary>
    public const int ApplicationId = 0x47504B47;

    /// <summary>GeoPackage 1.3.0, written to <c>PRAGMA user_version</c> as the spec requires.</summary>
    public const int GeoPackageVersion = 10300;

    /// <summary>CGCS2000 geographic; the only CRS grids are stored in.</summary>
    public const int Srid = 4490;

    public const string GridsTable = "grids";
    public const string GridVersionsTable = "grid_versions";
    public const string DepartmentsTable = "departments";
    public const string RulesTable = "responsibility_rules";
    public const string ApiKeysTable = "api_keys";

    /// <summary>
    /// Application ids accepted on an existing file: 0 (a fresh or plain SQLite file), 'GPKG' and the GeoPackage
    /// 1.0 / 1.1 ids 'GP10' and 'GP11'. Anything else is some other application's database and is not touched.
    /// </summary>
    private static readonly int[] AcceptedApplicationIds = [0, ApplicationId, 0x47503130, 0x47503131];

    // From `projinfo EPSG:4490 -o WKT1_GDAL` / `EPSG:4326` (PROJ 9); WKT 1 as GeoPackage 1.3 gpkg_spatial_ref_sys requires.
    private const string Wgs84Wkt =
        """GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]""";

    private const string Cgcs2000Wkt =
        """GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]""";

    /// <summary>One schema step: applied once, in order, inside the migration transaction.</summary>
    internal sealed record Migration(int Version, string Description, Action<SqliteConnection, SqliteTransaction> Apply);

    internal static readonly Migration[] Migrations =
    [
        new(1, "GeoPackage 1.3 core tables, grids feature table with R*Tree index, service attribute tables", ApplyV1),
        new(2, "surveys feature table (valid-data footprints, EPSG:4490) with R*Tree index", GeoPackageSurveySchema.ApplyV2),
        new(3, "Component census: classes, components feature table with R*Tree index, component grids, audit, imports", GeoPackageCensusSchema.ApplyV3),
        new(4, "Change findings: runs, findings and permits feature tables with R*Tree indexes, reviews, dispatch outbox", GeoPackageFindingSchema.ApplyV4),
        new(5, "Component census for bulk loads: fid = code (no AUTOINCREMENT, no separate code and class indexes), checks as triggers, component grids by fid",
            GeoPackageCensusSchema.ApplyV5),
        new(6, "The census's own revision (census_revision), moved by census writes only", GeoPackageCensusSchema.ApplyV6),
    ];

    /// <summary>The newest schema version this build knows.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>
    /// Brings the file to <see cref="LatestVersion"/>: WAL journal, GeoPackage header ids, then every missing
    /// migration in one IMMEDIATE transaction (so two processes opening the same new file do not both create it).
    /// Idempotent on an up-to-date file.
    /// </summary>
    public static void Migrate(SqliteConnection connection)
    {
        var applicationId = Convert.ToInt32(Scalar(connection, null, "PRAGMA application_id;"), CultureInfo.InvariantCulture);
        if (Array.IndexOf(AcceptedApplicationIds, applicationId) < 0)
            throw new InvalidDataException(
                $"The file is not a GeoPackage (SQLite application_id 0x{applicationId:X8}); refusing to modify it.");

        // Persistent in the file; cannot change inside a transaction.
        var mode = (string?)Scalar(connection, null, "PRAGMA journal_mode = WAL;");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Could not switch the GeoPackage to WAL journal mode (got '{mode}').");

        using var tx = connection.BeginTransaction(deferred: false);
        Execute(connection, tx, """
            CREATE TABLE IF NOT EXISTS geo_schema_migrations (
              version INTEGER NOT NULL PRIMARY KEY,
              description TEXT NOT NULL,
              applied_at DATETIME NOT NULL
            );
            """);
        var current = Convert.ToInt32(Scalar(connection, tx, "SELECT coalesce(max(version), 0) FROM geo_schema_migrations;"),
            CultureInfo.InvariantCulture);
        if (current > LatestVersion)
            throw new InvalidDataException(
                $"The GeoPackage has store schema version {current}, newer than this software's {LatestVersion}; upgrade the software.");

        foreach (var migration in Migrations)
        {
            if (migration.Version <= current) continue;
            migration.Apply(connection, tx);
            using var record = connection.CreateCommand();
            record.Transaction = tx;
            record.CommandText =
                "INSERT INTO geo_schema_migrations (version, description, applied_at) VALUES ($version, $description, $at);";
            record.Parameters.AddWithValue("$version", migration.Version);
            record.Parameters.AddWithValue("$description", migration.Description);
            record.Parameters.AddWithValue("$at", SqlText.FromTimestamp(DateTimeOffset.UtcNow));
            record.ExecuteNonQuery();
        }

        // Header ids: PRAGMA arguments cannot be parameters; both values are compile-time constants.
        Execute(connection, tx, $"PRAGMA application_id = {ApplicationId.ToString(CultureInfo.InvariantCulture)};");
        Execute(connection, tx, $"PRAGMA user_version = {GeoPackageVersion.ToString(CultureInfo.InvariantCulture)};");
        tx.Commit();
    }

    private static void ApplyV1(SqliteConnection c, SqliteTransaction tx)
    {
        // GeoPackage 1.3 core (Annex C). IF NOT EXISTS: a GeoPackage made by GDAL or QGIS already has them.
        Execute(c, tx, """
            CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
              srs_name TEXT NOT NULL,
              srs_id INTEGER NOT NULL PRIMARY KEY,
              organization TEXT NOT NULL,
              organization_coordsys_id INTEGER NOT NULL,
              definition TEXT NOT NULL,
              description TEXT
            );
            CREATE TABLE IF NOT EXISTS gpkg_contents (
              table_name TEXT NOT NULL PRIMARY KEY,
              data_type TEXT NOT NULL,
              identifier TEXT UNIQUE,
              description TEXT DEFAULT '',
              last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
              min_x DOUBLE,
              min_y DOUBLE,
              max_x DOUBLE,
              max_y DOUBLE,
              srs_id INTEGER,
              CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
            );
            CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
              table_name TEXT NOT NULL,
              column_name TEXT NOT NULL,
              geometry_type_name TEXT NOT NULL,
              srs_id INTEGER NOT NULL,
              z TINYINT NOT NULL,
              m TINYINT NOT NULL,
              CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
              CONSTRAINT uk_gc_table_name UNIQUE (table_name),
              CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
              CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
            );
            CREATE TABLE IF NOT EXISTS gpkg_extensions (
              table_name TEXT,
              column_name TEXT,
              extension_name TEXT NOT NULL,
              definition TEXT NOT NULL,
              scope TEXT NOT NULL,
              CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
            );
            """);

        using (var srs = c.CreateCommand())
        {
            srs.Transaction = tx;
            srs.CommandText = """
                INSERT OR IGNORE INTO gpkg_spatial_ref_sys
                  (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
                VALUES ($name, $id, $org, $orgId, $definition, $description);
                """;
            var name = srs.Parameters.Add("$name", SqliteType.Text);
            var id = srs.Parameters.Add("$id", SqliteType.Integer);
            var org = srs.Parameters.Add("$org", SqliteType.Text);
            var orgId = srs.Parameters.Add("$orgId", SqliteType.Integer);
            var definition = srs.Parameters.Add("$definition", SqliteType.Text);
            var description = srs.Parameters.Add("$description", SqliteType.Text);
            foreach (var row in (ReadOnlySpan<(string Name, int Id, string Org, int OrgId, string Definition, string Description)>)
                     [
                         ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
                         ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
                         ("WGS 84 geodetic", 4326, "EPSG", 4326, Wgs84Wkt,
                             "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
                         ("China Geodetic Coordinate System 2000", Srid, "EPSG", Srid, Cgcs2000Wkt,
                             "CGCS2000 longitude/latitude in decimal degrees (EPSG:4490), the CRS of the grids"),
                     ])
            {
                name.Value = row.Name;
                id.Value = row.Id;
                org.Value = row.Org;
                orgId.Value = row.OrgId;
                definition.Value = row.Definition;
                description.Value = row.Description;
                srs.ExecuteNonQuery();
            }
        }

        // The store's own tables. Column types are the GeoPackage ones (TEXT, INTEGER, DOUBLE, DATE, DATETIME) so GDAL
        // maps them to OGR field types; DATE is 'yyyy-MM-dd', DATETIME 'yyyy-MM-ddTHH:mm:ss.fffZ' (UTC), per the spec.
        // Attribute tables need an INTEGER PRIMARY KEY AUTOINCREMENT (GeoPackage Req 119, checked by GDAL's
        // validate_gpkg.py), so natural keys (department code, rule id, key id) are UNIQUE NOT NULL beside a fid.
        Execute(c, tx, """
            CREATE TABLE grid_versions (
              number INTEGER PRIMARY KEY AUTOINCREMENT CHECK (number >= 1),
              valid_from DATE NOT NULL,
              valid_to DATE,
              imported_at DATETIME NOT NULL,
              grid_count INTEGER NOT NULL,
              source TEXT,
              note TEXT
            );
            CREATE TABLE grids (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              geom MULTIPOLYGON NOT NULL,
              version INTEGER NOT NULL REFERENCES grid_versions(number),
              code TEXT NOT NULL,
              name TEXT NOT NULL,
              subdistrict_code TEXT NOT NULL,
              subdistrict_name TEXT,
              community_code TEXT NOT NULL,
              community_name TEXT,
              CONSTRAINT uk_grids_version_code UNIQUE (version, code)
            );
            CREATE TABLE departments (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              code TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL,
              contact TEXT,
              phone TEXT
            );
            CREATE TABLE responsibility_rules (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              id TEXT NOT NULL UNIQUE,
              grid_code TEXT,
              class_code TEXT,
              department_code TEXT NOT NULL REFERENCES departments(code),
              note TEXT
            );
            CREATE INDEX ix_responsibility_rules_department ON responsibility_rules(department_code);
            CREATE TABLE api_keys (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              id TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL,
              role TEXT NOT NULL CHECK (role IN ('viewer', 'dispatch', 'gis', 'admin')),
              prefix TEXT NOT NULL,
              sha256_hex TEXT NOT NULL UNIQUE,
              created_at DATETIME NOT NULL,
              revoked_at DATETIME
            );
            CREATE TABLE geo_revision (
              id INTEGER PRIMARY KEY CHECK (id = 1),
              revision INTEGER NOT NULL
            );
            INSERT INTO geo_revision (id, revision) VALUES (1, 0);
            """);

        using (var contents = c.CreateCommand())
        {
            contents.Transaction = tx;
            contents.CommandText = """
                INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
                VALUES ($table, $type, $identifier, $description, $srs);
                """;
            var table = contents.Parameters.Add("$table", SqliteType.Text);
            var type = contents.Parameters.Add("$type", SqliteType.Text);
            var identifier = contents.Parameters.Add("$identifier", SqliteType.Text);
            var description = contents.Parameters.Add("$description", SqliteType.Text);
            var srs = contents.Parameters.Add("$srs", SqliteType.Integer);
            foreach (var row in (ReadOnlySpan<(string Table, string Type, string Description, int? Srs)>)
                     [
                         (GridsTable, "features", "责任网格 responsibility grids, every version (filter on version)", Srid),
                         (GridVersionsTable, "attributes", "网格版本 grid versions: valid_from <= day < valid_to", null),
                         (DepartmentsTable, "attributes", "责任部门 departments", null),
                         (RulesTable, "attributes", "责任矩阵 responsibility matrix (null grid/class = every)", null),
                         (ApiKeysTable, "attributes", "API keys (SHA-256 of the key only)", null),
                     ])
            {
                table.Value = row.Table;
                type.Value = row.Type;
                identifier.Value = row.Table;
                description.Value = row.Description;
                srs.Value = row.Srs is { } s ? s : DBNull.Value;
                contents.ExecuteNonQuery();
            }
        }

        Execute(c, tx, $"""
            INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
            VALUES ('{GridsTable}', 'geom', 'MULTIPOLYGON', {Srid}, 0, 0);
            INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
            VALUES ('{GridsTable}', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
            """);

        // R*Tree spatial index extension (GeoPackage 1.3, F.3): the table and the six standard triggers, so an edit made
        // in QGIS or GDAL keeps the index right too. The triggers call ST_IsEmpty / ST_MinX... which GDAL provides and
        // this store registers on its own connections (GeoPackageBlob.RegisterFunctions).
        Execute(c, tx, """
            CREATE VIRTUAL TABLE rtree_grids_geom USING rtree(id, minx, maxx, miny, maxy);

            CREATE TRIGGER rtree_grids_geom_insert AFTER INSERT ON grids
              WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN
              INSERT OR REPLACE INTO rtree_grids_geom VALUES (
                NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
            END;

            CREATE TRIGGER rtree_grids_geom_update1 AFTER UPDATE OF geom ON grids
              WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN
              INSERT OR REPLACE INTO rtree_grids_geom VALUES (
                NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
            END;

            CREATE TRIGGER rtree_grids_geom_update2 AFTER UPDATE OF geom ON grids
              WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN
              DELETE FROM rtree_grids_geom WHERE id = OLD.fid;
            END;

            CREATE TRIGGER rtree_grids_geom_update3 AFTER UPDATE ON grids
              WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN
              DELETE FROM rtree_grids_geom WHERE id = OLD.fid;
              INSERT OR REPLACE INTO rtree_grids_geom VALUES (
                NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
            END;

            CREATE TRIGGER rtree_grids_geom_update4 AFTER UPDATE ON grids
              WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN
              DELETE FROM rtree_grids_geom WHERE id IN (OLD.fid, NEW.fid);
            END;

            CREATE TRIGGER rtree_grids_geom_delete AFTER DELETE ON grids
              WHEN old.geom NOT NULL
            BEGIN
              DELETE FROM rtree_grids_geom WHERE id = OLD.fid;
            END;
            """);
    }

    /// <summary>Runs constant DDL/PRAGMA text. Never used with values from outside: those go through parameters.</summary>
    internal static void Execute(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
