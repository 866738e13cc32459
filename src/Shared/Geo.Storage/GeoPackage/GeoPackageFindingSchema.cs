using Microsoft.Data.Sqlite;

namespace Geo.Storage.GeoPackage;

/// <summary>
/// Schema migration 4: change-detection findings in the same GeoPackage file as the grids. <c>findings</c> (POLYGON)
/// and <c>permits</c> (MULTIPOLYGON) are GeoPackage feature tables in EPSG:4490 with the standard R*Tree index and its
/// triggers, so QGIS and GDAL open them; <c>change_runs</c>, <c>finding_reviews</c> and <c>dispatch_outbox</c> are
/// registered attribute tables. The outbox's <c>fid</c> (AUTOINCREMENT: increasing, never reused) is the dispatch cursor.
/// </summary>
internal static class GeoPackageFindingSchema
{
    public const string RunsTable = "change_runs";
    public const string FindingsTable = "findings";
    public const string PermitsTable = "permits";
    public const string ReviewsTable = "finding_reviews";
    public const string OutboxTable = "dispatch_outbox";

    public static void ApplyV4(SqliteConnection c, SqliteTransaction tx)
    {
        GeoPackageSchema.Execute(c, tx, """
            CREATE TABLE change_runs (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              id TEXT NOT NULL UNIQUE,
              before_survey TEXT NOT NULL,
              after_survey TEXT NOT NULL,
              before_path TEXT NOT NULL,
              after_path TEXT NOT NULL,
              before_dsm_path TEXT,
              after_dsm_path TEXT,
              after_date DATE NOT NULL,
              area_grids TEXT,
              area_wkt TEXT,
              parameters TEXT NOT NULL,
              software_version TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
              started_at DATETIME NOT NULL,
              finished_at DATETIME,
              finding_count INTEGER NOT NULL DEFAULT 0,
              problem TEXT,
              started_by TEXT
            );
            CREATE INDEX ix_change_runs_state ON change_runs(state);
            CREATE TABLE findings (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              geom POLYGON NOT NULL,
              id TEXT NOT NULL UNIQUE,
              run_id TEXT NOT NULL REFERENCES change_runs(id),
              area_m2 DOUBLE NOT NULL,
              kind TEXT NOT NULL CHECK (kind IN ('new_structure', 'extension', 'demolition', 'other')),
              mean_dh DOUBLE,
              max_dh DOUBLE,
              confidence DOUBLE NOT NULL,
              grid_code TEXT,
              department_code TEXT,
              permitted INTEGER NOT NULL CHECK (permitted IN (0, 1)),
              permit_number TEXT,
              review TEXT NOT NULL CHECK (review IN ('pending', 'confirmed', 'dismissed')),
              reviewer TEXT,
              review_comment TEXT,
              reviewed_at DATETIME
            );
            CREATE INDEX ix_findings_run ON findings(run_id, id);
            CREATE INDEX ix_findings_grid ON findings(grid_code, id);
            CREATE INDEX ix_findings_department ON findings(department_code, id);
            CREATE TABLE permits (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              geom MULTIPOLYGON NOT NULL,
              number TEXT NOT NULL UNIQUE,
              holder TEXT NOT NULL,
              valid_from DATE NOT NULL,
              valid_to DATE,
              source TEXT,
              imported_at DATETIME NOT NULL
            );
            CREATE TABLE finding_reviews (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              finding_id TEXT NOT NULL REFERENCES findings(id),
              decision TEXT NOT NULL CHECK (decision IN ('confirm', 'dismiss')),
              reviewer TEXT NOT NULL,
              comment TEXT,
              at DATETIME NOT NULL
            );
            CREATE INDEX ix_finding_reviews_finding ON finding_reviews(finding_id, fid);
            CREATE TABLE dispatch_outbox (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              finding_id TEXT NOT NULL UNIQUE REFERENCES findings(id),
              event_class TEXT NOT NULL,
              created_at DATETIME NOT NULL,
              payload TEXT NOT NULL
            );

            INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
              ('findings', 'features', 'findings', '变化发现 change-detection findings (review state, grid, department, permit), EPSG:4490', 4490),
              ('permits', 'features', 'permits', '建设许可 approved-construction permits, EPSG:4490', 4490),
              ('change_runs', 'attributes', 'change_runs', '变化检测任务 detection runs: inputs, parameters, software version, state', NULL),
              ('finding_reviews', 'attributes', 'finding_reviews', '核查记录 review history (who, when, decision, comment)', NULL),
              ('dispatch_outbox', 'attributes', 'dispatch_outbox', '派遣发件箱 case payloads for the dispatch system (fid = cursor)', NULL);
            INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES
              ('findings', 'geom', 'POLYGON', 4490, 0, 0),
              ('permits', 'geom', 'MULTIPOLYGON', 4490, 0, 0);
            INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
              ('findings', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only'),
              ('permits', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
            """);
        GeoPackageSchema.Execute(c, tx, Rtree(FindingsTable));
        GeoPackageSchema.Execute(c, tx, Rtree(PermitsTable));
    }

    /// <summary>The R*Tree table and the six standard triggers of GeoPackage 1.3 F.3 for <c>{table}.geom</c>.</summary>
    private static string Rtree(string table) => $"""
        CREATE VIRTUAL TABLE rtree_{table}_geom USING rtree(id, minx, maxx, miny, maxy);
        CREATE TRIGGER rtree_{table}_geom_insert AFTER INSERT ON {table}
          WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
        BEGIN
          INSERT OR REPLACE INTO rtree_{table}_geom VALUES (
            NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
        END;
        CREATE TRIGGER rtree_{table}_geom_update1 AFTER UPDATE OF geom ON {table}
          WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
        BEGIN
          INSERT OR REPLACE INTO rtree_{table}_geom VALUES (
            NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
        END;
        CREATE TRIGGER rtree_{table}_geom_update2 AFTER UPDATE OF geom ON {table}
          WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
        BEGIN
          DELETE FROM rtree_{table}_geom WHERE id = OLD.fid;
        END;
        CREATE TRIGGER rtree_{table}_geom_update3 AFTER UPDATE ON {table}
          WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
        BEGIN
          DELETE FROM rtree_{table}_geom WHERE id = OLD.fid;
          INSERT OR REPLACE INTO rtree_{table}_geom VALUES (
            NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
        END;
        CREATE TRIGGER rtree_{table}_geom_update4 AFTER UPDATE ON {table}
          WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
        BEGIN
          DELETE FROM rtree_{table}_geom WHERE id IN (OLD.fid, NEW.fid);
        END;
        CREATE TRIGGER rtree_{table}_geom_delete AFTER DELETE ON {table}
          WHEN old.geom NOT NULL
        BEGIN
          DELETE FROM rtree_{table}_geom WHERE id = OLD.fid;
        END;
        """;
}
