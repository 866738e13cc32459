using Microsoft.Data.Sqlite;

namespace Geo.Storage.GeoPackage;

/// <summary>Schema step 2: the <c>surveys</c> feature layer (footprint of valid data, MULTIPOLYGON EPSG:4490) with its
/// R*Tree index, registered in the GeoPackage tables so QGIS and GDAL list it.</summary>
internal static class GeoPackageSurveySchema
{
    public const string SurveysTable = "surveys";

    public static void ApplyV2(SqliteConnection c, SqliteTransaction tx)
    {
        GeoPackageSchema.Execute(c, tx, $"""
            CREATE TABLE {SurveysTable} (
              fid INTEGER PRIMARY KEY AUTOINCREMENT,
              geom MULTIPOLYGON NOT NULL,
              id TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL,
              flight_date DATE NOT NULL,
              kind TEXT NOT NULL CHECK (kind IN ('ortho', 'dsm')),
              paired_dsm_id TEXT REFERENCES {SurveysTable}(id),
              west DOUBLE NOT NULL,
              south DOUBLE NOT NULL,
              east DOUBLE NOT NULL,
              north DOUBLE NOT NULL,
              gsd_m DOUBLE NOT NULL,
              width INTEGER NOT NULL,
              height INTEGER NOT NULL,
              epsg INTEGER NOT NULL,
              sha256 TEXT NOT NULL,
              created_at DATETIME NOT NULL,
              source_name TEXT,
              file_bytes INTEGER NOT NULL,
              value_min DOUBLE,
              value_max DOUBLE,
              UNIQUE (sha256, kind)
            );
            INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
            VALUES ('{SurveysTable}', 'features', '{SurveysTable}', '航测影像 drone surveys: footprint of valid data (COG files in the survey directory)', {GeoPackageSchema.Srid});
            INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
            VALUES ('{SurveysTable}', 'geom', 'MULTIPOLYGON', {GeoPackageSchema.Srid}, 0, 0);
            INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
            VALUES ('{SurveysTable}', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

            CREATE VIRTUAL TABLE rtree_surveys_geom USING rtree(id, minx, maxx, miny, maxy);
            CREATE TRIGGER rtree_surveys_geom_insert AFTER INSERT ON surveys
              WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN
              INSERT OR REPLACE INTO rtree_surveys_geom VALUES (
                NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
            END;
            CREATE TRIGGER rtree_surveys_geom_update1 AFTER UPDATE OF geom ON surveys
              WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN
              INSERT OR REPLACE INTO rtree_surveys_geom VALUES (
                NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
            END;
            CREATE TRIGGER rtree_surveys_geom_update2 AFTER UPDATE OF geom ON surveys
              WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN
              DELETE FROM rtree_surveys_geom WHERE id = OLD.fid;
            END;
            CREATE TRIGGER rtree_surveys_geom_update3 AFTER UPDATE ON surveys
              WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN
              DELETE FROM rtree_surveys_geom WHERE id = OLD.fid;
              INSERT OR REPLACE INTO rtree_surveys_geom VALUES (
                NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
            END;
            CREATE TRIGGER rtree_surveys_geom_update4 AFTER UPDATE ON surveys
              WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN
              DELETE FROM rtree_surveys_geom WHERE id IN (OLD.fid, NEW.fid);
            END;
            CREATE TRIGGER rtree_surveys_geom_delete AFTER DELETE ON surveys
              WHEN old.geom NOT NULL
            BEGIN
              DELETE FROM rtree_surveys_geom WHERE id = OLD.fid;
            END;
            """);
    }
}
