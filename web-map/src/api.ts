// Typed calls to onemap's HTTP API, all on the page's own origin.

export type BBox = [number, number, number, number];

/** A class (category or status) with its names. */
export interface ClassName {
  id: string;
  zh: string;
  en: string;
}

/** GET /api/summary */
export interface Summary {
  counts: Record<string, number>;
  extent: BBox;
  incident_time: { from: string; to: string };
  categories: ClassName[];
  statuses: ClassName[];
}

/** An admin unit or grid as the drill-down lists it. */
export interface Unit {
  code: string;
  name: string;
  level: string;
  bbox: BBox;
}

/** GET /api/admin and /api/admin/{code}/children */
export interface UnitChildren {
  unit: Unit | null;
  children: Unit[];
}

/** One search hit. */
export interface SearchHit {
  layer: string;
  key: string;
  name: string;
  level?: string;
  bbox: BBox;
}

/** Figures of a grid or admin unit. */
export interface Stats {
  code: string;
  name: string;
  level: string;
  incidents: {
    total: number;
    by_category: Record<string, number>;
    by_status: Record<string, number>;
    due: number;
    closed: number;
    closed_on_time: number;
    closure_rate: number | null;
    on_time_rate: number | null;
  };
  cameras: { total: number; online: number };
  workers: Array<{ id: string; name: string }>;
  households?: number;
  population?: number;
}

/** One ranked grid. */
export interface RankedGrid {
  code: string;
  name: string;
  incidents: number;
  closure_rate: number | null;
  on_time_rate: number | null;
}

/** A camera near an incident. */
export interface NearCamera {
  id: string;
  name: string;
  lon: number;
  lat: number;
  distance_m: number;
  facing_deg: number | null;
  fov_deg: number | null;
  range_m: number | null;
  faces_incident?: boolean;
  status?: string;
}

/** A worker with a position. */
export interface NearWorker {
  id: string;
  name: string;
  lon?: number;
  lat?: number;
  distance_m?: number;
  seen_at?: string;
}

/** GET /api/incidents/{id} */
export interface Incident {
  id: string;
  category: string;
  subcategory?: string;
  /** The subcategory's Chinese name, when the server gives it. */
  subcategory_zh?: string;
  status: string;
  lon: number;
  lat: number;
  history: Array<{ step: string; at: string }>;
  deadline?: string | null;
  grid?: { code: string; name: string } | null;
  workers: NearWorker[];
  cameras: NearCamera[];
  nearest_worker?: NearWorker | null;
}

/** An HTTP answer that was not 2xx. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
  ) {
    super(`${path}: HTTP ${status}`);
  }
}

/** GET a JSON document from the server. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const r = await fetch(path, { signal, headers: { Accept: "application/json" } });
  if (!r.ok) throw new HttpError(r.status, path);
  return (await r.json()) as T;
}

/** Query string from the defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

const FALLBACK_CATEGORIES = ["dispute", "public_security", "fire_hazard", "safety_hazard", "environment", "petition", "other"];
const FALLBACK_STATUSES = [
  "reported", "accepted", "filed", "dispatched", "handling", "verifying", "closed", "cancelled", "postponed", "sent_back",
];

interface Collection {
  extent?: { spatial?: { bbox?: number[][] }; temporal?: { interval?: Array<Array<string | null>> } };
}

/** The map's summary; built from /ready and /collections when /api/summary is absent. */
export async function summary(): Promise<Summary> {
  try {
    return await getJson<Summary>("/api/summary");
  } catch (e) {
    if (!(e instanceof HttpError) || e.status !== 404) throw e;
  }
  const ready = await getJson<{ counts: Record<string, number> }>("/ready");
  const admin = await getJson<Collection>("/collections/admin");
  const inc = await getJson<Collection>("/collections/incidents");
  const bbox = admin.extent?.spatial?.bbox?.[0] ?? [73, 18, 135, 54];
  const interval = inc.extent?.temporal?.interval?.[0] ?? [];
  const to = interval[1] ?? new Date().toISOString();
  const from = interval[0] ?? new Date(Date.parse(to) - 365 * 864e5).toISOString();
  const named = (ids: string[]) => ids.map((id) => ({ id, zh: "", en: "" }));
  return {
    counts: ready.counts,
    extent: [bbox[0], bbox[1], bbox[2], bbox[3]],
    incident_time: { from, to },
    categories: named(FALLBACK_CATEGORIES),
    statuses: named(FALLBACK_STATUSES),
  };
}

/** How many incidents match a filter (OGC API Features numberMatched). */
export async function incidentCount(f: IncidentFilter, bbox?: BBox | null, signal?: AbortSignal): Promise<number> {
  const q = qs({
    limit: 1,
    datetime: `${f.from}/${f.to}`,
    category: f.category,
    status: f.status,
    bbox: bbox ? bbox.join(",") : undefined,
  });
  const fc = await getJson<{ numberMatched?: number }>(`/collections/incidents/items${q}`, signal);
  return fc.numberMatched ?? 0;
}

/** The filters every incident query and tile shares. */
export interface IncidentFilter {
  from: string;
  to: string;
  /** Comma list, or undefined for all. */
  category?: string;
  /** Comma list, or undefined for all. */
  status?: string;
}

/** The county roots of the drill-down. */
export function adminRoots(): Promise<UnitChildren> {
  return getJson<UnitChildren>("/api/admin");
}

/** An admin unit and its children (a village's children are its grids). */
export function adminChildren(code: string): Promise<UnitChildren> {
  return getJson<UnitChildren>(`/api/admin/${encodeURIComponent(code)}/children`);
}

/** Search by code prefix or name. */
export function search(q: string, limit: number, signal?: AbortSignal): Promise<{ results: SearchHit[] }> {
  return getJson(`/api/search${qs({ q, limit })}`, signal);
}

/** Figures of a grid (15-digit code) or admin unit under the filter. */
export function stats(code: string, f: IncidentFilter, signal?: AbortSignal): Promise<Stats> {
  const path = code.length === 15 ? `/api/grids/${code}/stats` : `/api/admin/${code}/stats`;
  return getJson<Stats>(`${path}${qs({ from: f.from, to: f.to, category: f.category, status: f.status })}`, signal);
}

/** Ranking of grids under a unit. */
export function ranking(
  parent: string,
  f: IncidentFilter,
  by: string,
  limit: number,
  signal?: AbortSignal,
): Promise<{ grids: RankedGrid[] }> {
  return getJson(`/api/ranking${qs({ parent, from: f.from, to: f.to, by, limit })}`, signal);
}

interface IncidentFeature {
  id: string | number;
  geometry: { coordinates: [number, number] };
  properties: Record<string, string | number | null>;
}

/** An incident with its grid, workers and nearest cameras; assembled from the feature,
 * /api/locate and /api/nearest/* when /api/incidents/{id} is absent. */
export async function incident(id: string | number): Promise<Incident> {
  try {
    return await getJson<Incident>(`/api/incidents/${id}`);
  } catch (e) {
    if (!(e instanceof HttpError) || e.status !== 404) throw e;
  }
  const f = await getJson<IncidentFeature>(`/collections/incidents/items/${id}`);
  const [lon, lat] = f.geometry.coordinates;
  const p = f.properties;
  const steps = ["reported", "accepted", "filed", "dispatched", "handling", "verifying", "closed", "cancelled", "postponed", "sent_back"];
  const history = steps
    .filter((s) => typeof p[`${s}_at`] === "string")
    .map((s) => ({ step: s, at: String(p[`${s}_at`]) }))
    .sort((a, b) => a.at.localeCompare(b.at));
  const [loc, cams, wks] = await Promise.all([
    getJson<{ grid?: { code: string; name: string }; workers?: NearWorker[] }>(`/api/locate${qs({ lon, lat, at: String(p.reported_at ?? "") })}`),
    getJson<{ cameras: NearCamera[] }>(`/api/nearest/cameras${qs({ lon, lat, k: 5 })}`),
    getJson<{ workers: NearWorker[] }>(`/api/nearest/workers${qs({ lon, lat, k: 1 })}`),
  ]);
  return {
    id: String(f.id),
    category: String(p.category),
    subcategory: p.subcategory ? String(p.subcategory) : undefined,
    status: String(p.status),
    lon,
    lat,
    history,
    deadline: p.deadline ? String(p.deadline) : null,
    grid: loc.grid ?? null,
    workers: loc.workers ?? [],
    cameras: cams.cameras,
    nearest_worker: wks.workers[0] ?? null,
  };
}

/** Where a point falls: admin chain and grid. */
export function locate(lon: number, lat: number): Promise<{
  grid?: { code: string; name: string };
  village?: { code: string; name: string };
  township?: { code: string; name: string };
  county?: { code: string; name: string };
}> {
  return getJson(`/api/locate${qs({ lon, lat })}`);
}

/** The optional web config (config.json beside index.html): a basemap drawn beneath. */
export interface WebConfig {
  basemap?: {
    /** Raster XYZ URL templates (Tianditu Web Mercator layers: vec_w then cva_w). */
    tiles?: string[];
    /** More raster layers drawn above the first (e.g. Tianditu's annotation layer). */
    overlays?: string[][];
    /** A PMTiles file (raster) served by onemap, e.g. "basemap.pmtiles". */
    pmtiles?: string;
    tileSize?: number;
    maxzoom?: number;
    attribution?: string;
  } | null;
}

/** The web config: config.json beside index.html, else the basemap that
 * `onemap serve --basemap URL` puts in /style.json. */
export async function webConfig(): Promise<WebConfig> {
  let config: WebConfig = {};
  try {
    config = await getJson<WebConfig>("./config.json");
  } catch {
    /* no config.json: defaults */
  }
  if (config.basemap) return config;
  try {
    const style = await getJson<{ sources?: Record<string, { tiles?: string[]; tileSize?: number }> }>("/style.json");
    const bm = style.sources?.basemap;
    if (bm?.tiles?.length) config.basemap = { tiles: bm.tiles, tileSize: bm.tileSize };
  } catch {
    /* an older server without /style.json */
  }
  return config;
}
