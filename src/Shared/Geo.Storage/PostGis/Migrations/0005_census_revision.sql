-- 普查修订号: the census's own revision, moved by every census write (components, classes, imports, restore) besides
-- the shared geo_revision, so in-memory views of the census (the nearest/map index, the components tile layer) are
-- re-read only when the census changed, not after every grid, matrix, finding or key write.
CREATE TABLE census_revision (
  id        smallint PRIMARY KEY CHECK (id = 1),
  revision  bigint NOT NULL CHECK (revision >= 0)
);
INSERT INTO census_revision (id, revision) SELECT 1, revision FROM geo_revision WHERE id = 1;
