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
  extent: BBox | null;
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
  /** `name` is null below the operator role (personal data). */
  workers: Array<{ id: string; name: string | null }>;
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
  /** Null below the operator role (personal data). */
  name: string | null;
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
  /** The workflow as recorded (who, to whom, why). */
  steps?: StepRecord[];
  /** Open and past its deadline. */
  overdue?: boolean;
  /** The steps that may follow (URL names: accept, file, dispatch...). */
  next?: string[];
  deadline?: string | null;
  grid?: { code: string; name: string } | null;
  workers: NearWorker[];
  cameras: NearCamera[];
  nearest_worker?: NearWorker | null;
}

/** GET /api/counters: the one-map view's live counters. */
export interface Counters {
  as_of: string;
  seq: number;
  today: number;
  open: number;
  overdue: number;
}

/** Today's incidents (UTC+8), open and overdue ones. */
export function counters(): Promise<Counters> {
  return getJson<Counters>("/api/counters");
}

/** One workflow step as recorded. */
export interface StepRecord {
  step: string;
  at: string;
  author: string;
  worker: string | null;
  note: string;
}

/** POST /api/incidents/{id}/{step}: takes a workflow step; throws with the server's message. */
export async function takeStep(id: string | number, step: string, body: Record<string, unknown> = {}): Promise<void> {
  const r = await fetch(`/api/incidents/${encodeURIComponent(String(id))}/${step}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) {
    let msg = `HTTP ${r.status}`;
    try {
      msg = ((await r.json()) as { description?: string }).description ?? msg;
    } catch {
      /* not JSON */
    }
    throw new Error(msg);
  }
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

/** The map's summary: layer counts, extent, incident time span, class names. */
export function summary(): Promise<Summary> {
  return getJson<Summary>("/api/summary");
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

/** Ranking of the grids under a unit, under the same filter as the map. */
export function ranking(
  parent: string,
  f: IncidentFilter,
  by: string,
  limit: number,
  signal?: AbortSignal,
): Promise<{ grids: RankedGrid[] }> {
  return getJson(`/api/ranking${qs({ parent, from: f.from, to: f.to, category: f.category, status: f.status, by, limit })}`, signal);
}

/** An incident with its status history, grid, workers, nearest cameras and worker. */
export function incident(id: string | number): Promise<Incident> {
  return getJson<Incident>(`/api/incidents/${encodeURIComponent(String(id))}`);
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

/** Who the server says the page's user is, and what the page may offer them. */
export interface Me {
  mode: "open" | "login";
  user: { name: string; role: string; unit: string | null } | null;
  may: { personal: boolean; report: boolean; workflow: boolean; positions: boolean; edit: boolean; import: boolean; users: boolean; audit: boolean };
}

/** The signed-in user (`user: null` when anonymous). */
export function me(): Promise<Me> {
  return getJson<Me>("/api/me");
}

/** Signs in with a token: the server keeps it in an HTTP-only cookie. */
export async function login(token: string): Promise<{ ok: boolean; message: string }> {
  const r = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }) });
  if (r.ok) return { ok: true, message: "" };
  const body = (await r.json().catch(() => ({}))) as { description?: string };
  return { ok: false, message: body.description ?? `HTTP ${r.status}` };
}

/** Signs out (drops the cookie). */
export async function logout(): Promise<void> {
  await fetch("/api/logout", { method: "POST" });
}
