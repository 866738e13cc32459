using Microsoft.Data.Sqlite;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// Schema migration 3 (reshaped by migration 5, <see cref="ApplyV5"/>): the component census in the same GeoPackage file as the grids. <c>components</c> is a
/// GeoPackage feature table (GEOMETRY: points, lines and polygons; EPSG:4490) with the standard R*Tree index and its
/// triggers, so QGIS and GDAL open and edit it; <c>component_classes</c>, <c>component_audit</c> and
/// <c>census_imports</c> are registered attribute tables. <c>component_grids</c> (grid code, component code) is an
/// unregistered helper table (the grids a component touches), kept in step by the store.
/// </summary>
internal static class GeoPackageCensusSchema
{
    public const string ComponentsTable = "components";
    public const string ClassesTable = "component_classes";
    public const string AuditTable = "component_audit";
    public const string ImportsTable = "census_imports";

    public static void ApplyV3(SqliteConnection c, SqliteTransaction tx)
    {
        GeoPackageSchema.Execute(c, tx, """
            CREATE TABLE component_classes (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              tree TEXT NOT NULL CHECK (tree IN ('component', 'event')),
              code TEXT NOT NULL CHECK (length(code) = 4),
              major_name TEXT NOT NULL,
              name TEXT NOT NULL,
              extension INTEGER NOT NULL CHECK (extension IN (0, 1)),
              source TEXT,
              CONSTRAINT uk_component_classes UNIQUE (tree, code)
            );
            CREATE TABLE census_imports (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              imported_at DATETIME NOT NULL,
              actor TEXT NOT NULL,
              source TEXT,
              row_count INTEGER NOT NULL
            );
            CREATE TABLE components (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              geom GEOMETRY NOT NULL,
              code TEXT NOT NULL UNIQUE CHECK (length(code) = 16),
              class_code TEXT NOT NULL,
              name TEXT NOT NULL,
              grid_code TEXT NOT NULL,
              grid_codes TEXT NOT NULL,
              competent_department TEXT,
              owner TEXT,
              maintainer TEXT,
              status TEXT NOT NULL CHECK (status IN ('完好', '破损', '丢失', '占用')),
              first_recorded DATE NOT NULL,
              last_changed DATE NOT NULL,
              data_source TEXT NOT NULL CHECK (data_source IN ('实测', '地形图', '调绘', '其它')),
              photos TEXT,
              remarks TEXT,
              attributes TEXT,
              version INTEGER NOT NULL CHECK (version >= 1),
              import_id INTEGER
            );
            CREATE INDEX ix_components_class ON components(class_code, code);
            CREATE INDEX ix_components_status ON components(status, code);
            CREATE TABLE component_grids (
              grid_code TEXT NOT NULL,
              code TEXT NOT NULL,
              PRIMARY KEY (grid_code, code)
            ) WITHOUT ROWID;
            CREATE INDEX ix_component_grids_code ON component_grids(code);
            CREATE TABLE component_audit (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              code TEXT NOT NULL,
              action TEXT NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
              actor TEXT NOT NULL,
              at DATETIME NOT NULL,
              version INTEGER,
              before TEXT,
              after TEXT
            );
            CREATE INDEX ix_component_audit_code ON component_audit(code, fid);

            INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
              ('components', 'features', 'components', '城市部件 component census (GB/T 30428), EPSG:4490', 4490),
              ('component_classes', 'attributes', 'component_classes', '部件/事件分类 taxonomy (standard + local extensions)', NULL),
              ('component_audit', 'attributes', 'component_audit', '部件变更记录 audit trail (who, when, before, after)', NULL),
              ('census_imports', 'attributes', 'census_imports', '部件批量导入 bulk imports', NULL);
            INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
            VALUES ('components', 'geom', 'GEOMETRY', 4490, 0, 0);
            INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
            VALUES ('components', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

            CREATE VIRTUAL TABLE rtree_components_geom USING rtree(id, minx, maxx, miny, maxy);
            """);
        GeoPackageSchema.Execute(c, tx, RtreeMaintenanceTriggers);
        GeoPackageSchema.Execute(c, tx, InsertTrigger);
    }

    /// <summary>
    /// Migration 6: the census's own revision (<c>census_revision</c>), moved by every census write besides the shared
    /// <c>geo_revision</c>, so the in-memory census views are re-read only when the census changed. Starts at the
    /// shared revision's value.
    /// </summary>
    public static void ApplyV6(SqliteConnection c, SqliteTransaction tx) =>
        GeoPackageSchema.Execute(c, tx, """
            CREATE TABLE census_revision (
              id INTEGER PRIMARY KEY CHECK (id = 1),
              revision INTEGER NOT NULL
            );
            INSERT INTO census_revision (id, revision) SELECT 1, revision FROM geo_revision WHERE id = 1;
            """);

    /// <summary>Moves the census revision inside a census write transaction.</summary>
    public static void BumpCensusRevision(SqliteConnection c, SqliteTransaction tx) =>
        GeoPackageSchema.Execute(c, tx, "UPDATE census_revision SET revision = revision + 1 WHERE id = 1;");

    /// <summary>
    /// Schema migration 5: <c>components</c> rebuilt for bulk loads (issue #3), keeping every row.
    /// <list type="bullet">
    /// <item>The feature id is the component code as a number (<c>fid = CAST(code AS INTEGER)</c>; 16 digits fit a
    /// 64-bit integer): a plain <c>INTEGER PRIMARY KEY</c> without AUTOINCREMENT. The code's uniqueness is the primary
    /// key itself, lookups, keyset paging and the next free serial are rowid seeks and ranges, and a class (county +
    /// class digits) is a fid range, so the separate unique code index and the class index are gone. A fid is only
    /// ever the fid of that code: nothing can reuse it for another component (the audit trail, imports and grid rows
    /// name components by code or by this fid).</item>
    /// <item>The per-row CHECK constraints (code length, status and data source lists, version) became BEFORE INSERT /
    /// UPDATE triggers (<see cref="CheckTriggers"/>) that also enforce fid = code, so other editors of the file (QGIS,
    /// GDAL) still cannot store a malformed row; a bulk import, whose rows the validator has already checked, drops
    /// them inside its transaction and creates them again at commit, as it does with the R*Tree insert trigger.</item>
    /// <item>The grids of a component: <c>grid_code</c> (its first, lowest-coded grid: a point's only one) is indexed
    /// (<c>ix_components_grid</c>); <c>component_grids</c>, keyed (grid_code, fid), now holds only components touching
    /// several grids (lines, polygons), every grid of each; deletes name the grids they remove. So a bulk load of
    /// points writes no helper rows, only an index built at commit.</item>
    /// </list>
    /// The R*Tree keeps its entries, renumbered to the new fids; the GeoPackage registration (contents, geometry column,
    /// extension) names the table and is unchanged, so GDAL and QGIS open the file as before.
    /// </summary>
    public static void ApplyV5(SqliteConnection c, SqliteTransaction tx)
    {
        GeoPackageSchema.Execute(c, tx, """
            DROP TRIGGER IF EXISTS rtree_components_geom_insert;
            DROP TRIGGER IF EXISTS rtree_components_geom_update1;
            DROP TRIGGER IF EXISTS rtree_components_geom_update2;
            DROP TRIGGER IF EXISTS rtree_components_geom_update3;
            DROP TRIGGER IF EXISTS rtree_components_geom_update4;
            DROP TRIGGER IF EXISTS rtree_components_geom_delete;

            CREATE TABLE components_v5 (
              fid INTEGER PRIMARY KEY,
              geom GEOMETRY NOT NULL,
              code TEXT NOT NULL,
              class_code TEXT NOT NULL,
              name TEXT NOT NULL,
              grid_code TEXT NOT NULL,
              grid_codes TEXT NOT NULL,
              competent_department TEXT,
              owner TEXT,
              maintainer TEXT,
              status TEXT NOT NULL,
              first_recorded DATE NOT NULL,
              last_changed DATE NOT NULL,
              data_source TEXT NOT NULL,
              photos TEXT,
              remarks TEXT,
              attributes TEXT,
              version INTEGER NOT NULL,
              import_id INTEGER
            );
            INSERT INTO components_v5 (fid, geom, code, class_code, name, grid_code, grid_codes, competent_department, owner, maintainer,
              status, first_recorded, last_changed, data_source, photos, remarks, attributes, version, import_id)
            SELECT CAST(code AS INTEGER), geom, code, class_code, name, grid_code, grid_codes, competent_department, owner, maintainer,
              status, first_recorded, last_changed, data_source, photos, remarks, attributes, version, import_id
            FROM components ORDER BY code;

            CREATE TEMP TABLE rtree_components_v5 AS
              SELECT CAST(k.code AS INTEGER) AS id, r.minx, r.maxx, r.miny, r.maxy
              FROM rtree_components_geom r JOIN components k ON k.fid = r.id;
            DELETE FROM rtree_components_geom;
            INSERT INTO rtree_components_geom (id, minx, maxx, miny, maxy)
              SELECT id, minx, maxx, miny, maxy FROM temp.rtree_components_v5 ORDER BY id;
            DROP TABLE temp.rtree_components_v5;

            CREATE TABLE component_grids_v5 (
              grid_code TEXT NOT NULL,
              fid INTEGER NOT NULL,
              PRIMARY KEY (grid_code, fid)
            ) WITHOUT ROWID;
            INSERT INTO component_grids_v5 (grid_code, fid)
              SELECT g.grid_code, CAST(g.code AS INTEGER) FROM component_grids g JOIN components k ON k.code = g.code
              WHERE instr(k.grid_codes, ' ') > 0 ORDER BY g.grid_code, CAST(g.code AS INTEGER);
            DROP TABLE component_grids;
            ALTER TABLE component_grids_v5 RENAME TO component_grids;

            DROP TABLE components;
            ALTER TABLE components_v5 RENAME TO components;
            CREATE INDEX ix_components_status ON components(status);
            CREATE INDEX ix_components_grid ON components(grid_code);
            """);
        GeoPackageSchema.Execute(c, tx, RtreeMaintenanceTriggers);
        GeoPackageSchema.Execute(c, tx, InsertTrigger);
        GeoPackageSchema.Execute(c, tx, CheckTriggers);
    }

    /// <summary>Names of the triggers in <see cref="CheckTriggers"/> (a bulk import drops them and creates them again).</summary>
    public static readonly string[] CheckTriggerNames = ["components_check_insert", "components_check_update"];

    /// <summary>
    /// What the CHECK constraints of migration 3 enforced, plus fid = code, for rows written by anything but the
    /// census import (whose validator checks the same before writing): RAISE(ABORT) undoes the statement.
    /// </summary>
    public const string CheckTriggers = """
        CREATE TRIGGER components_check_insert BEFORE INSERT ON components
          WHEN NEW.code IS NULL OR length(NEW.code) != 16 OR NEW.fid IS NOT CAST(NEW.code AS INTEGER)
            OR NEW.status NOT IN ('完好', '破损', '丢失', '占用') OR NEW.data_source NOT IN ('实测', '地形图', '调绘', '其它')
            OR NEW.version < 1
        BEGIN
          SELECT RAISE(ABORT, 'components: fid must be the 16-digit code as a number; status, data_source or version out of range');
        END;
        CREATE TRIGGER components_check_update BEFORE UPDATE ON components
          WHEN NEW.code IS NULL OR length(NEW.code) != 16 OR NEW.fid IS NOT CAST(NEW.code AS INTEGER)
            OR NEW.status NOT IN ('完好', '破损', '丢失', '占用') OR NEW.data_source NOT IN ('实测', '地形图', '调绘', '其它')
            OR NEW.version < 1
        BEGIN
          SELECT RAISE(ABORT, 'components: fid must be the 16-digit code as a number; status, data_source or version out of range');
        END;
        """;

    /// <summary>
    /// The standard GeoPackage R*Tree triggers that keep <c>rtree_components_geom</c> right on updates and deletes (the
    /// insert trigger is <see cref="InsertTrigger"/>, which bulk loads drop and re-create).
    /// </summary>
    public const string RtreeMaintenanceTriggers = """
        CREATE TRIGGER rtree_components_geom_update1 AFTER UPDATE OF geom ON components
          WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
        BEGIN
          INSERT OR REPLACE INTO rtree_components_geom VALUES (
            NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
        END;

        CREATE TRIGGER rtree_components_geom_update2 AFTER UPDATE OF geom ON components
          WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
        BEGIN
          DELETE FROM rtree_components_geom WHERE id = OLD.fid;
        END;

        CREATE TRIGGER rtree_components_geom_update3 AFTER UPDATE ON components
          WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
        BEGIN
          DELETE FROM rtree_components_geom WHERE id = OLD.fid;
          INSERT OR REPLACE INTO rtree_components_geom VALUES (
            NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
        END;

        CREATE TRIGGER rtree_components_geom_update4 AFTER UPDATE ON components
          WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
        BEGIN
          DELETE FROM rtree_components_geom WHERE id IN (OLD.fid, NEW.fid);
        END;

        CREATE TRIGGER rtree_components_geom_delete AFTER DELETE ON components
          WHEN old.geom NOT NULL
        BEGIN
          DELETE FROM rtree_components_geom WHERE id = OLD.fid;
        END;
        """;

    /// <summary>
    /// The standard R*Tree insert trigger. A bulk import drops it inside its transaction, fills the index in one
    /// statement at commit and creates it again (so other editors keep the index right; a rollback restores it).
    /// </summary>
    public const string InsertTrigger = """
        CREATE TRIGGER rtree_components_geom_insert AFTER INSERT ON components
          WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
        BEGIN
          INSERT OR REPLACE INTO rtree_components_geom VALUES (
            NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
        END;
        """;
}
