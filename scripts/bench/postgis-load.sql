-- PostGIS side of scripts/bench-tiles: what a fair Martin setup adds after ogr2ogr has
-- loaded onemap's layers reprojected to EPSG:3857 (so Martin's tile envelope meets the
-- geometry column's own SRID and its GiST index without a per-row ST_Transform).
--
-- - GiST index on every geometry column; incidents are physically clustered on theirs
--   (neighbouring points on neighbouring pages: a tile reads few pages);
-- - a btree on incidents.reported_at for the time-window filter.
--
-- The function sources are in postgis-functions.sql.

CREATE INDEX IF NOT EXISTS admin_geom_idx ON admin USING gist (geom);
CREATE INDEX IF NOT EXISTS grids_geom_idx ON grids USING gist (geom);
CREATE INDEX IF NOT EXISTS cameras_geom_idx ON cameras USING gist (geom);
CREATE INDEX IF NOT EXISTS patrols_geom_idx ON patrols USING gist (geom);
CREATE INDEX IF NOT EXISTS incidents_geom_idx ON incidents USING gist (geom);
CREATE INDEX IF NOT EXISTS incidents_reported_at_idx ON incidents (reported_at);
CLUSTER incidents USING incidents_geom_idx;
ANALYZE;

