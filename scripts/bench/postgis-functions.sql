-- Function sources of scripts/bench-tiles (re-created on every run), hand-written SQL,
-- the point of the comparison: incidents_filtered (time window, categories, statuses) and
-- heatmap (hexagon counts with PostGIS ST_HexagonGrid: the h3 extension is not packaged in
-- Debian 12; hexagons of H3's edge length at onemap's resolution for the zoom stand in).
-- Both take Martin's query parameters as JSON: from, to (RFC 3339), category, status
-- (comma lists), as onemap's tile URLs do.

-- Unix seconds of an RFC 3339 query parameter (NULL when absent).
CREATE OR REPLACE FUNCTION bench_epoch(query_params json, key text)
RETURNS bigint AS $$
  SELECT extract(epoch FROM (query_params ->> key)::timestamptz)::bigint
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

-- The comma list of a query parameter as an array (NULL when absent).
CREATE OR REPLACE FUNCTION bench_list(query_params json, key text)
RETURNS text[] AS $$
  SELECT string_to_array(query_params ->> key, ',')
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

-- Raw incident points of a tile, filtered: Martin's idiom (ST_TileEnvelope with the
-- buffer as margin for the index test, ST_AsMVTGeom to clip and quantise, ST_AsMVT).
CREATE OR REPLACE FUNCTION incidents_filtered(z integer, x integer, y integer, query_params json)
RETURNS bytea AS $$
DECLARE
  t_from bigint := bench_epoch(query_params, 'from');
  t_to bigint := bench_epoch(query_params, 'to');
  cats text[] := bench_list(query_params, 'category');
  stats text[] := bench_list(query_params, 'status');
  mvt bytea;
BEGIN
  SELECT ST_AsMVT(t, 'incidents', 4096, 'geom', 'fid') INTO mvt FROM (
    SELECT fid, ST_AsMVTGeom(geom, ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom,
           category, subcategory, source, status, supervision, people, reported_at
    FROM incidents
    WHERE geom && ST_TileEnvelope(z, x, y, margin => 64.0 / 4096)
      AND (t_from IS NULL OR reported_at >= t_from)
      AND (t_to IS NULL OR reported_at < t_to)
      AND (cats IS NULL OR category = ANY (cats))
      AND (stats IS NULL OR status = ANY (stats))
  ) t WHERE geom IS NOT NULL;
  RETURN mvt;
END
$$ LANGUAGE plpgsql STABLE PARALLEL SAFE;

-- The H3 resolution onemap's heatmap uses at zoom z (geo-core render/heatmap.rs
-- RESOLUTION_BY_ZOOM: 15 to 40 hexagons across a tile, resolution 9 from z12 on).
CREATE OR REPLACE FUNCTION bench_heatmap_resolution(z integer)
RETURNS integer AS $$
  SELECT (ARRAY[0,0,1,2,3,4,4,5,6,7,8,8,9])[least(z, 12) + 1]
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

-- H3's average hexagon edge at a resolution, metres (h3 getHexagonEdgeLengthAvgM).
CREATE OR REPLACE FUNCTION bench_h3_edge_m(res integer)
RETURNS double precision AS $$
  SELECT (ARRAY[1281256.011, 483056.8391, 182512.9565, 68979.22179, 26071.75968,
                9854.090990, 3724.532667, 1406.475763, 531.414010, 200.786148,
                75.863783, 28.663897, 10.830188, 4.092010, 1.546100, 0.584169])[res + 1]
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

-- Hexagon counts of matching incidents: ST_HexagonGrid over the buffered tile, edge = H3's
-- edge at onemap's resolution for the zoom, scaled to Web Mercator at the tile's latitude;
-- each hexagon counts the incidents inside it through the GiST index (PostGIS's documented
-- hexagon-binning idiom), wherever they lie, so neighbouring tiles agree.
CREATE OR REPLACE FUNCTION heatmap(z integer, x integer, y integer, query_params json)
RETURNS bytea AS $$
DECLARE
  t_from bigint := bench_epoch(query_params, 'from');
  t_to bigint := bench_epoch(query_params, 'to');
  cats text[] := bench_list(query_params, 'category');
  stats text[] := bench_list(query_params, 'status');
  env geometry := ST_TileEnvelope(z, x, y);
  lat double precision := degrees(atan(sinh(pi() * (1 - 2 * (y + 0.5) / (1 << z)))));
  res integer := bench_heatmap_resolution(z);
  edge_m double precision := bench_h3_edge_m(res);
  edge double precision := edge_m / cos(radians(lat));
  -- A regular hexagon's area from its edge, km^2 (for per_km2, as onemap writes it).
  area_km2 double precision := 3 * sqrt(3) / 2 * edge_m * edge_m / 1e6;
  mvt bytea;
BEGIN
  SELECT ST_AsMVT(t, 'heatmap', 4096, 'geom') INTO mvt FROM (
    SELECT ST_AsMVTGeom(h.geom, env, 4096, 64, true) AS geom,
           count(*) AS count, res AS resolution,
           round((count(*) / area_km2)::numeric, 2)::float8 AS per_km2
    FROM ST_HexagonGrid(edge, ST_TileEnvelope(z, x, y, margin => 64.0 / 4096)) AS h
    JOIN incidents i ON i.geom && h.geom AND ST_Intersects(i.geom, h.geom)
    WHERE (t_from IS NULL OR i.reported_at >= t_from)
      AND (t_to IS NULL OR i.reported_at < t_to)
      AND (cats IS NULL OR i.category = ANY (cats))
      AND (stats IS NULL OR i.status = ANY (stats))
    GROUP BY h.geom
  ) t WHERE geom IS NOT NULL;
  RETURN mvt;
END
$$ LANGUAGE plpgsql STABLE PARALLEL SAFE;
