-- Migration 1: the grid service schema (grids and their versions, departments, the responsibility matrix, API keys)
-- and the store's revision counter. Applied once, inside the migration transaction; never edited after release (the
-- runner records a SHA-256 of this file and refuses to start when an applied migration changed).
--
-- Conventions: geometries are EPSG:4490 (CGCS2000, x = longitude, y = latitude), enforced by the column type;
-- codes are text in the "C" collation so ORDER BY is ordinal, the order the domain types define; timestamps are
-- timestamptz kept to the millisecond by the application (the same precision as the embedded GeoPackage store,
-- so a copy between the two loses nothing).

CREATE EXTENSION IF NOT EXISTS postgis;

-- The revision grows with every committed write; caches compare it. One row. Every write transaction updates it
-- first, which also serialises writers across processes (the row lock is held until commit).
CREATE TABLE geo_revision (
  id        smallint PRIMARY KEY CHECK (id = 1),
  revision  bigint NOT NULL CHECK (revision >= 0)
);
INSERT INTO geo_revision (id, revision) VALUES (1, 0);

-- 网格版本: a version answers for valid_from <= day < valid_to (valid_to null = current).
CREATE TABLE grid_versions (
  number       integer PRIMARY KEY CHECK (number >= 1),
  valid_from   date NOT NULL,
  valid_to     date CHECK (valid_to IS NULL OR valid_to > valid_from),
  imported_at  timestamptz NOT NULL,
  grid_count   integer NOT NULL CHECK (grid_count >= 0),
  source       text,
  note         text
);
-- At most one open (current) version.
CREATE UNIQUE INDEX ux_grid_versions_one_current ON grid_versions ((valid_to IS NULL)) WHERE valid_to IS NULL;

-- 责任网格: every version's grids. A Polygon is stored as a one-part MultiPolygon (the column type).
CREATE TABLE grids (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version           integer NOT NULL REFERENCES grid_versions (number),
  code              text COLLATE "C" NOT NULL CHECK (code ~ '^[0-9]{14,15}$'),
  name              text NOT NULL CHECK (name <> ''),
  subdistrict_code  text COLLATE "C" NOT NULL,
  subdistrict_name  text,
  community_code    text COLLATE "C" NOT NULL,
  community_name    text,
  geom              geometry(MultiPolygon, 4490) NOT NULL,
  CONSTRAINT uk_grids_version_code UNIQUE (version, code)
);
CREATE INDEX ix_grids_geom ON grids USING gist (geom);

-- 责任部门
CREATE TABLE departments (
  code     text COLLATE "C" PRIMARY KEY CHECK (code <> ''),
  name     text NOT NULL,
  contact  text,
  phone    text
);

-- 责任矩阵: grid x class -> department; null grid / class = every grid / the default. seq keeps the stored order.
CREATE TABLE responsibility_rules (
  seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               text COLLATE "C" NOT NULL UNIQUE,
  grid_code        text COLLATE "C" CHECK (grid_code ~ '^[0-9]{14,15}$'),
  class_code       text COLLATE "C",
  department_code  text COLLATE "C" NOT NULL REFERENCES departments (code),
  note             text
);
CREATE INDEX ix_responsibility_rules_department ON responsibility_rules (department_code);

-- API keys: the SHA-256 of the key only; the key itself is shown once at creation and never stored.
CREATE TABLE api_keys (
  id          text COLLATE "C" PRIMARY KEY,
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('viewer', 'dispatch', 'gis', 'admin')),
  prefix      text NOT NULL,
  sha256_hex  text NOT NULL UNIQUE CHECK (sha256_hex ~ '^[0-9a-f]{64}$'),
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
