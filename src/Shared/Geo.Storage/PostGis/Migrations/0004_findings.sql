-- Change-detection findings (issue #5) in the production store: runs, findings, permits, reviews, dispatch outbox.
-- Geometries EPSG:4490 (x = longitude, y = latitude) with GiST indexes. Every write also bumps geo_revision first (the
-- store's write path), so writers of all instances are serialised: outbox sequences are therefore handed out in
-- commit order, which is what makes them a safe cursor for the dispatch side.
CREATE TABLE change_runs (
  id                text PRIMARY KEY,
  before_survey     text NOT NULL,
  after_survey      text NOT NULL,
  before_path       text NOT NULL,
  after_path        text NOT NULL,
  before_dsm_path   text,
  after_dsm_path    text,
  after_date        date NOT NULL,
  area_grids        text[],
  area              geometry(Polygon, 4490),
  parameters        text NOT NULL,
  software_version  text NOT NULL,
  state             text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
  started_at        timestamptz NOT NULL,
  finished_at       timestamptz,
  finding_count     integer NOT NULL DEFAULT 0 CHECK (finding_count >= 0),
  problem           text,
  started_by        text
);
CREATE INDEX ix_change_runs_running ON change_runs (id) WHERE state = 'running';

CREATE TABLE findings (
  id               text PRIMARY KEY,
  run_id           text NOT NULL REFERENCES change_runs (id),
  geom             geometry(Polygon, 4490) NOT NULL,
  area_m2          double precision NOT NULL CHECK (area_m2 >= 0),
  kind             text NOT NULL CHECK (kind IN ('new_structure', 'extension', 'demolition', 'other')),
  mean_dh          double precision,
  max_dh           double precision,
  confidence       double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  grid_code        text,
  department_code  text,
  permitted        boolean NOT NULL,
  permit_number    text,
  review           text NOT NULL CHECK (review IN ('pending', 'confirmed', 'dismissed')),
  reviewer         text,
  review_comment   text,
  reviewed_at      timestamptz
);
CREATE INDEX ix_findings_geom ON findings USING gist (geom);
CREATE INDEX ix_findings_run ON findings (run_id, id);
CREATE INDEX ix_findings_grid ON findings (grid_code, id);
CREATE INDEX ix_findings_department ON findings (department_code, id);

CREATE TABLE permits (
  number       text PRIMARY KEY,
  holder       text NOT NULL,
  valid_from   date NOT NULL,
  valid_to     date,
  geom         geometry(MultiPolygon, 4490) NOT NULL,
  source       text,
  imported_at  timestamptz NOT NULL,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX ix_permits_geom ON permits USING gist (geom);

CREATE TABLE finding_reviews (
  id          bigserial PRIMARY KEY,
  finding_id  text NOT NULL REFERENCES findings (id),
  decision    text NOT NULL CHECK (decision IN ('confirm', 'dismiss')),
  reviewer    text NOT NULL,
  comment     text,
  at          timestamptz NOT NULL
);
CREATE INDEX ix_finding_reviews_finding ON finding_reviews (finding_id, id);

CREATE TABLE dispatch_outbox (
  sequence     bigserial PRIMARY KEY,
  finding_id   text NOT NULL UNIQUE REFERENCES findings (id),
  event_class  text NOT NULL,
  created_at   timestamptz NOT NULL,
  payload      text NOT NULL
);
