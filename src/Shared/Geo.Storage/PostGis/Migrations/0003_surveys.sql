-- Migration 3: survey records (the Cloud-Optimized GeoTIFFs themselves live in the survey data directory). Applied
-- once, inside the migration transaction; never edited after release.

-- 航测影像: footprint of valid data in EPSG:4490 (x = longitude, y = latitude); bounds in EPSG:4326 degrees.
CREATE TABLE surveys (
  id             text COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  name           text NOT NULL,
  flight_date    date NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('ortho', 'dsm')),
  paired_dsm_id  text COLLATE "C" REFERENCES surveys (id),
  west           double precision NOT NULL,
  south          double precision NOT NULL,
  east           double precision NOT NULL,
  north          double precision NOT NULL,
  gsd_m          double precision NOT NULL CHECK (gsd_m > 0),
  width          integer NOT NULL CHECK (width > 0),
  height         integer NOT NULL CHECK (height > 0),
  epsg           integer NOT NULL,
  sha256         text NOT NULL CHECK (length(sha256) = 64),
  created_at     timestamptz NOT NULL,
  source_name    text,
  file_bytes     bigint NOT NULL CHECK (file_bytes >= 0),
  value_min      double precision,
  value_max      double precision,
  geom           geometry(MultiPolygon, 4490) NOT NULL,
  CONSTRAINT uk_surveys_sha256_kind UNIQUE (sha256, kind)
);
CREATE INDEX ix_surveys_geom ON surveys USING gist (geom);
CREATE INDEX ix_surveys_paired_dsm ON surveys (paired_dsm_id);
