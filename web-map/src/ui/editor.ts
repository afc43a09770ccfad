// The grid editor: pick a grid, then one tool at a time — move a vertex, reshape, split,
// merge, reassign workers, create, retire — each previewed live (findings drawn on the
// map, impact listed), saved with a reason, and browsed in the grid's history (diff on the
// map, revert, undo of the last save).
//
// Why terra-draw draws and onemap glues. terra-draw (with its MapLibre adapter) gives the
// split line, a new grid's polygon and the reshape handles (drag, insert by midpoint,
// delete) without a home-grown drawing state machine. But terra-draw edits one polygon
// at a time, and grids tile their village: a vertex neighbours share moved in one grid
// alone opens a gap and an overlap. So shared vertices stay onemap's own glue: the
// "move vertex" tool drags a single point and the server's `move_vertex` moves it in every
// grid holding it; in reshape, a drag of a shared vertex is refused by terra-draw's
// validation hook and routed to that same `move_vertex` (as long as the reshape has no
// other change pending), and only the grid's own, unshared vertices go out as `reshape`.
// Snapping is onemap's too (terra-draw's `toCustom` hook calls it): to a neighbour's
// vertex within SNAP_PX, else to the nearest point on a neighbour's edge, in screen
// pixels, against the grids loaded with the edited one (terra-draw's own snapping knows
// only the features in its store, not the grids drawn from vector tiles).
//
// Every request carries `base`, the revision each touched grid had when the edit was drawn:
// a grid someone else changed meanwhile makes the commit a 409, shown with both revisions
// and a reload.

import type { GeoJSONSource, Map, MapMouseEvent } from "maplibre-gl";
import {
  TerraDraw,
  TerraDrawLineStringMode,
  TerraDrawPolygonMode,
  TerraDrawSelectMode,
  type GeoJSONStoreFeatures,
  type TerraDrawMouseEvent,
} from "terra-draw";
import { TerraDrawMapLibreGLAdapter } from "terra-draw-maplibre-gl-adapter";
import { bumpTiles } from "../mapstyle";
import { state } from "../state";
import { onLang, t, type Key } from "../i18n";
import { fill, h } from "./dom";

type Pos = [number, number];
type Geo = { type: string; coordinates: unknown };
interface Feature { id?: string; type: "Feature"; geometry: Geo; properties: Record<string, unknown> }
/** An edit as the API takes it, without the reason. */
type Req = { op: string; base: Record<string, number>; [field: string]: unknown };
type Tool = "vertex" | "reshape" | "split" | "merge" | "reassign" | "create" | "retire";
const TOOLS: Tool[] = ["vertex", "reshape", "split", "merge", "reassign", "create", "retire"];
interface Stale { grid: string; base: number; current: number | null }

/** Screen distance (px) within which a dragged or drawn point snaps to a neighbour. */
const SNAP_PX = 10;
/** terra-draw's reach (px) for grabbing a reshape handle. */
const GRAB_PX = 14;
/** Decimals terra-draw keeps (it refuses features with more); ~1 cm. */
const PRECISION = 10;
/** Two positions closer than this (degrees) are the same point of one drawing. */
const SAME = 1e-9;
/**
 * Vertices of two grids closer than this (degrees, ~1 cm) are one shared vertex: the
 * server's `move_vertex` uses the same tolerance (SAME_VERTEX_DEG), and a split or merge
 * leaves float noise (~1e-11) on the vertices it rewrites, so exact equality misses them.
 */
const SHARED = 1e-7;

function polygons(g: Geo): Pos[][][] {
  return (g.type === "Polygon" ? [g.coordinates] : g.coordinates) as Pos[][][];
}

function positions(g: Geo): Pos[] {
  return polygons(g).flatMap((p) => p.flatMap((r) => r.slice(0, -1)));
}

function same(a: Pos, b?: Pos | null): boolean {
  return !!b && Math.abs(a[0] - b[0]) < SAME && Math.abs(a[1] - b[1]) < SAME;
}

function round(p: Pos): Pos {
  return [Number(p[0].toFixed(PRECISION)), Number(p[1].toFixed(PRECISION))];
}

/** Even-odd point in polygon over every ring. */
function contains(g: Geo, p: Pos): boolean {
  let inside = false;
  for (const poly of polygons(g)) {
    for (const ring of poly) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
  }
  return inside;
}

async function json(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let b: any = null;
  try {
    b = await r.json();
  } catch {
    /* empty body */
  }
  return { status: r.status, body: b };
}

const EMPTY = { type: "FeatureCollection", features: [] } as GeoJSON.FeatureCollection;

/** A loaded grid with what snapping needs at hand. */
interface Near { f: Feature; code: string; bbox: [number, number, number, number]; rings: Pos[][] }

function near(f: Feature): Near {
  const rings = polygons(f.geometry).flat();
  const pts = rings.flat();
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return { f, code: String(f.id), bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], rings };
}

export class Editor {
  readonly el: HTMLElement;
  readonly button: HTMLButtonElement;
  private code = "";
  private grid: Feature | null = null;
  private neighbours: Feature[] = [];
  private near: Near[] = [];
  /** Each loaded vertex by its terra-draw rounding, to map drawn positions back. */
  private byRounded = new globalThis.Map<string, Pos>();
  private tool: Tool = "vertex";
  private dragging: { from: Pos; to: Pos } | null = null;
  private pending: Req | null = null;
  private inFlight = false;
  /** The last preview's answer and the request it answered (tests read it). */
  lastPreview: any = null;
  status = "";
  private history: any[] = [];
  /** The revisions the last save ended: undo reverts all of them together. */
  private lastSaved: Array<{ code: string; revision: number }> = [];
  /** A refused commit's stale grids (409): shown with both revisions and a reload. */
  private conflict: Stale[] | null = null;
  private draw: TerraDraw | null = null;
  /** terra-draw's id of the reshaped grid's polygon. */
  private drawnId: string | number | null = null;
  /** Merge: the other grids picked. */
  private mergeWith: string[] = [];
  /** Reassign: the workers picked, in order, and those offered. */
  private workers: string[] = [];
  private nearbyWorkers: Array<{ id: string; name: string; grids: string[] }> = [];
  private createName = "";
  /** Reshape: the vertex the pointer went down on (terra-draw does not say which). */
  private grabbed: Pos | null = null;
  private loads = 0;
  /** The reason typed so far (kept across re-renders). */
  private reason = "";
  private retireConfirmed = false;
  /** How many previews ran (tests wait on it). */
  previews = 0;
  /** Drags started on a vertex (tests tell a missed mousedown from a failed preview). */
  drags = 0;
  /** Drawings terra-draw finished (a split line, a polygon, a reshape drag). */
  finished = 0;

  constructor(private map: Map) {
    this.el = h("section", { class: "importer editor", hidden: true, testid: "editor" });
    this.button = h("button", { class: "import-open", testid: "editor-open", onclick: () => this.toggle() }, t("editOpen"));
    onLang(() => {
      this.button.textContent = t("editOpen");
      if (!this.el.hidden) this.render();
    });
    state.on("selection", () => {
      const c = state.selected?.code ?? "";
      if (!this.el.hidden && this.tool === "vertex" && c.length === 15 && c !== this.code) void this.load(c);
    });
  }

  toggle(): void {
    this.el.hidden = !this.el.hidden;
    if (!this.el.hidden) {
      this.ensureLayers();
      this.ensureDraw();
      const c = state.selected?.code ?? "";
      if (c.length === 15) void this.load(c);
      else this.render();
    } else {
      this.setTool("vertex");
      this.clear();
      // terra-draw's modes turn double-click zoom off while it runs.
      this.draw?.stop();
      this.draw = null;
      this.map.doubleClickZoom.enable();
    }
  }

  /** Opens grid `code` for editing (any edit in progress is dropped). */
  async load(code: string): Promise<void> {
    this.ensureLayers();
    // Only the newest load applies (a selection and a call can race).
    const seq = ++this.loads;
    this.code = code;
    this.lastPreview = null;
    this.pending = null;
    this.conflict = null;
    this.dragging = null;
    const r = await json("GET", `/collections/grids/items/${code}`);
    if (seq !== this.loads) return;
    if (r.status !== 200) {
      this.grid = null;
      this.status = `${t("editNotFound")} ${code}`;
      this.clear();
      this.render();
      return;
    }
    this.grid = r.body as Feature;
    const own = near(this.grid);
    const pad = 0.002;
    const bbox = [own.bbox[0] - pad, own.bbox[1] - pad, own.bbox[2] + pad, own.bbox[3] + pad];
    const n = await json("GET", `/collections/grids/items?bbox=${bbox.join(",")}&limit=500`);
    if (seq !== this.loads) return;
    this.setNeighbours(((n.body?.features ?? []) as Feature[]).filter((f) => f.properties.valid_to == null));
    this.mergeWith = [];
    this.workers = ((this.grid.properties.workers as string[] | undefined) ?? []).slice();
    this.retireConfirmed = false;
    await this.loadHistory();
    if (seq !== this.loads) return;
    // Clear of the editor panel on the left.
    this.map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: { top: 60, bottom: 110, left: 420, right: 60 }, duration: 0 });
    this.clear();
    this.status = "";
    this.startTool();
    this.render();
  }

  private async loadHistory(): Promise<void> {
    const r = await json("GET", `/api/grids/${this.code}/revisions`);
    this.history = r.status === 200 ? r.body.revisions : [];
  }

  private clear(): void {
    for (const id of ["edit-vertices", "edit-result", "edit-markers", "edit-diff"]) {
      (this.map.getSource(id) as GeoJSONSource | undefined)?.setData(EMPTY);
    }
  }

  private ensureLayers(): void {
    if (this.map.getSource("edit-vertices")) return;
    for (const id of ["edit-result", "edit-markers", "edit-diff", "edit-vertices"]) {
      this.map.addSource(id, { type: "geojson", data: EMPTY });
    }
    this.map.addLayer({ id: "edit-diff-fill", type: "fill", source: "edit-diff", paint: { "fill-color": ["match", ["get", "role"], "added", "#2f9e44", "removed", "#e03131", "#000000"], "fill-opacity": ["match", ["get", "role"], "added", 0.35, "removed", 0.35, 0] } });
    this.map.addLayer({ id: "edit-diff-line", type: "line", source: "edit-diff", paint: { "line-color": ["match", ["get", "role"], "old", "#868e96", "#1971c2"], "line-width": 2, "line-dasharray": [2, 1] } });
    this.map.addLayer({ id: "edit-result-fill", type: "fill", source: "edit-result", paint: { "fill-color": "#f08c00", "fill-opacity": 0.12 } });
    this.map.addLayer({ id: "edit-result-line", type: "line", source: "edit-result", paint: { "line-color": "#f08c00", "line-width": 2.5 } });
    this.map.addLayer({ id: "edit-markers-fill", type: "fill", source: "edit-markers", paint: { "fill-color": "#e03131", "fill-opacity": 0.5 } });
    this.map.addLayer({ id: "edit-markers-line", type: "line", source: "edit-markers", paint: { "line-color": "#e03131", "line-width": 2 } });
    // A finding at a point (a self-intersection, a sliver's spot) as a red dot.
    this.map.addLayer({ id: "edit-markers-point", type: "circle", source: "edit-markers", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 6, "circle-color": "#e03131", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
    this.map.addLayer({ id: "edit-vertices", type: "circle", source: "edit-vertices", paint: { "circle-radius": ["case", ["get", "shared"], 4, 5], "circle-color": ["case", ["get", "active"], "#f08c00", ["get", "shared"], "#1971c2", "#ffffff"], "circle-stroke-color": "#1971c2", "circle-stroke-width": 2 } });
    this.map.on("mouseenter", "edit-vertices", () => {
      if (this.tool === "vertex") this.map.getCanvas().style.cursor = "move";
    });
    this.map.on("mouseleave", "edit-vertices", () => {
      if (this.tool === "vertex") this.map.getCanvas().style.cursor = "";
    });
    this.map.on("mousedown", "edit-vertices", (e) => this.startDrag(e));
    // Captured before terra-draw's own listener sees the pointer-down.
    this.map.getCanvas().addEventListener("pointerdown", (ev) => this.grab(ev), { capture: true });
    // Merge: a shift-click adds (or drops) the grid under the pointer.
    this.map.on("click", (e) => {
      if (this.tool !== "merge" || !e.originalEvent.shiftKey) return;
      const hit = this.near.find((n) => n.code !== this.code && contains(n.f.geometry, [e.lngLat.lng, e.lngLat.lat]));
      if (hit) this.toggleMerge(hit.code);
    });
    this.ensureDraw();
  }

  /** terra-draw over the map: the split line, the new polygon and the reshape handles. */
  private ensureDraw(): void {
    if (this.draw) return;
    const snapping = { toCustom: (e: TerraDrawMouseEvent) => this.snapEvent(e) };
    const draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map: this.map, coordinatePrecision: PRECISION, prefixId: "edit-td" }),
      modes: [
        new TerraDrawLineStringMode({ snapping, styles: { lineStringColor: "#d6336c", lineStringWidth: 3, closingPointColor: "#d6336c" } }),
        new TerraDrawPolygonMode({ snapping, styles: { fillColor: "#2f9e44", fillOpacity: 0.2, outlineColor: "#2f9e44", outlineWidth: 2 } }),
        new TerraDrawSelectMode({
          pointerDistance: GRAB_PX,
          allowManualDeselection: false,
          flags: {
            polygon: {
              feature: {
                validation: (f) => this.validateReshape(f),
                coordinates: { draggable: true, deletable: true, midpoints: true, snappable: snapping },
              },
            },
          },
          styles: {
            selectedPolygonColor: "#f08c00",
            selectedPolygonFillOpacity: 0.12,
            selectedPolygonOutlineColor: "#f08c00",
            selectedPolygonOutlineWidth: 2,
            selectionPointColor: "#ffffff",
            selectionPointOutlineColor: "#f08c00",
            selectionPointWidth: 5,
            selectionPointOutlineWidth: 2,
            midPointColor: "#f08c00",
            midPointWidth: 3,
          },
        }),
      ],
    });
    draw.start();
    // onemap's vertex markers above terra-draw's handles: the shared ones stay visible.
    this.map.moveLayer("edit-vertices");
    draw.on("finish", (id, ctx) => this.onFinish(id, ctx.mode));
    draw.on("change", (ids, type) => {
      // Live preview while a reshape handle is dragged.
      if (this.tool === "reshape" && type === "update" && this.drawnId !== null && ids.includes(this.drawnId)) this.queueReshape();
    });
    this.draw = draw;
  }

  /** What terra-draw holds now (tests follow a drawing through it). */
  drawing(): GeoJSONStoreFeatures[] {
    return this.draw?.getSnapshot() ?? [];
  }

  /** Whether the reshape handles are up on the loaded grid. */
  get reshaping(): boolean {
    return this.tool === "reshape" && this.drawnId !== null;
  }

  /** Leaves the current tool and starts `tool` on the loaded grid. */
  setTool(tool: Tool): void {
    this.tool = tool;
    this.lastPreview = null;
    this.pending = null;
    this.dragging = null;
    this.conflict = null;
    this.status = "";
    this.clear();
    this.startTool();
    this.render();
  }

  private startTool(): void {
    const tool = this.tool;
    state.mapCaptured = !this.el.hidden && tool !== "vertex";
    const d = this.draw;
    if (d) {
      d.setMode("static");
      d.clear();
      this.drawnId = null;
    }
    this.drawVertices();
    if (!this.grid && tool !== "create") return;
    if (tool === "split") d?.setMode("linestring");
    else if (tool === "create") {
      d?.setMode("polygon");
      // No grid open (a village picked instead): the grids in view are what snapping needs.
      if (!this.grid && this.near.length === 0) void this.loadInView();
    }
    else if (tool === "reshape" && d && this.grid) {
      const polys = polygons(this.grid.geometry);
      if (polys.length !== 1 || polys[0].length !== 1) {
        this.status = t("editReshapeSimpleOnly");
        return;
      }
      const [res] = d.addFeatures([
        { type: "Feature", geometry: { type: "Polygon", coordinates: [polys[0][0].map(round)] }, properties: { mode: "polygon" } } as GeoJSONStoreFeatures,
      ]);
      if (!res?.valid || res.id === undefined) {
        this.status = `${t("editReshapeSimpleOnly")} (${res?.reason ?? "?"})`;
        return;
      }
      this.drawnId = res.id;
      d.setMode("select");
      d.selectFeature(res.id);
    } else if (tool === "retire") this.queuePreview({ op: "retire", grid: this.code, base: this.baseOf([this.code]) });
    else if (tool === "reassign") void this.loadWorkers();
  }

  private async loadInView(): Promise<void> {
    const b = this.map.getBounds();
    const n = await json("GET", `/collections/grids/items?bbox=${[b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].join(",")}&limit=500`);
    this.setNeighbours(((n.body?.features ?? []) as Feature[]).filter((f) => f.properties.valid_to == null));
  }

  private setNeighbours(list: Feature[]): void {
    this.neighbours = list;
    this.near = list.map(near);
    this.byRounded.clear();
    for (const n of this.near) for (const r of n.rings) for (const q of r) this.byRounded.set(round(q).join(","), q);
  }

  /** The revisions `codes` had when loaded: the edit was drawn on them. */
  private baseOf(codes: string[]): Record<string, number> {
    const base: Record<string, number> = {};
    for (const c of codes) {
      const f = c === this.code && this.grid ? this.grid : this.neighbours.find((n) => String(n.id) === c);
      if (f) base[c] = Number(f.properties.revision);
    }
    return base;
  }

  /** The loaded grids holding vertex `p`. */
  private holders(p: Pos): string[] {
    const close = (q: Pos) => Math.abs(q[0] - p[0]) <= SHARED && Math.abs(q[1] - p[1]) <= SHARED;
    return this.near
      .filter((n) => p[0] >= n.bbox[0] - SHARED && p[0] <= n.bbox[2] + SHARED && p[1] >= n.bbox[1] - SHARED && p[1] <= n.bbox[3] + SHARED)
      .filter((n) => n.rings.some((r) => r.some(close)))
      .map((n) => n.code);
  }

  private isShared(p: Pos): boolean {
    return this.holders(p).some((c) => c !== this.code);
  }

  /** The grid's vertices: all of them to drag in the vertex tool, the shared ones in reshape. */
  private drawVertices(active?: Pos): void {
    const src = this.map.getSource("edit-vertices") as GeoJSONSource | undefined;
    if (!src) return;
    if (!this.grid || (this.tool !== "vertex" && this.tool !== "reshape")) {
      src.setData(EMPTY);
      return;
    }
    const from = this.dragging?.from;
    const features = positions(this.grid.geometry)
      .map((p) => ({ p, shared: this.isShared(p), on: !!active && same(p, from) }))
      .filter((v) => this.tool === "vertex" || v.shared)
      .map((v) => ({
        type: "Feature" as const,
        geometry: { type: "Point", coordinates: v.on ? active : v.p },
        properties: { active: v.on, shared: this.tool === "reshape" && v.shared },
      }));
    src.setData({ type: "FeatureCollection", features } as any);
  }

  private startDrag(e: MapMouseEvent & { features?: any[] }): void {
    const f = e.features?.[0];
    if (!f || this.tool !== "vertex" || !this.grid) return;
    e.preventDefault();
    this.drags += 1;
    const from = f.geometry.coordinates as Pos;
    // The vertex as the grid has it (rendered features are rounded).
    const exact = positions(this.grid.geometry).reduce((best, p) =>
      Math.hypot(p[0] - from[0], p[1] - from[1]) < Math.hypot(best[0] - from[0], best[1] - from[1]) ? p : best,
    );
    this.dragging = { from: exact, to: exact };
    this.map.dragPan.disable();
    const move = (ev: MapMouseEvent) => {
      if (!this.dragging) return;
      this.dragging.to = this.snap([ev.lngLat.lng, ev.lngLat.lat], { skip: this.dragging.from }) ?? [ev.lngLat.lng, ev.lngLat.lat];
      this.drawVertices(this.dragging.to);
      this.queueMove(this.dragging);
    };
    const up = () => {
      this.map.off("mousemove", move);
      this.map.dragPan.enable();
      if (this.dragging) this.queueMove(this.dragging);
    };
    this.map.on("mousemove", move);
    this.map.once("mouseup", up);
  }

  /**
   * A neighbour's vertex within SNAP_PX of `p`, else the nearest point on a neighbour's
   * edge within SNAP_PX, else null. `skip`: the vertex being dragged (its own edges move
   * with it); `skipCode`: a grid not to snap to (the one being reshaped).
   */
  snap(p: Pos, opts: { skip?: Pos; skipCode?: string } = {}): Pos | null {
    const at = this.map.project(p);
    const a = this.map.unproject([at.x - SNAP_PX, at.y + SNAP_PX]);
    const b = this.map.unproject([at.x + SNAP_PX, at.y - SNAP_PX]);
    const box = [Math.min(a.lng, b.lng), Math.min(a.lat, b.lat), Math.max(a.lng, b.lng), Math.max(a.lat, b.lat)];
    const inBox = (q: Pos) => q[0] >= box[0] && q[0] <= box[2] && q[1] >= box[1] && q[1] <= box[3];
    const cands = this.near.filter(
      (n) => n.code !== opts.skipCode && n.bbox[0] <= box[2] && n.bbox[2] >= box[0] && n.bbox[1] <= box[3] && n.bbox[3] >= box[1],
    );
    let best: Pos | null = null;
    let bestD = SNAP_PX;
    for (const n of cands) {
      for (const r of n.rings) {
        for (const q of r) {
          if (!inBox(q) || same(q, opts.skip)) continue;
          const s = this.map.project(q);
          const d = Math.hypot(s.x - at.x, s.y - at.y);
          if (d < bestD) {
            bestD = d;
            best = q;
          }
        }
      }
    }
    if (best) return best;
    for (const n of cands) {
      for (const r of n.rings) {
        for (let i = 0; i + 1 < r.length; i++) {
          const [q0, q1] = [r[i], r[i + 1]];
          if (same(q0, opts.skip) || same(q1, opts.skip)) continue;
          if (Math.max(q0[0], q1[0]) < box[0] || Math.min(q0[0], q1[0]) > box[2] || Math.max(q0[1], q1[1]) < box[1] || Math.min(q0[1], q1[1]) > box[3]) continue;
          const s0 = this.map.project(q0);
          const s1 = this.map.project(q1);
          const dx = s1.x - s0.x;
          const dy = s1.y - s0.y;
          const len2 = dx * dx + dy * dy;
          if (len2 === 0) continue;
          const k = Math.max(0, Math.min(1, ((at.x - s0.x) * dx + (at.y - s0.y) * dy) / len2));
          const d = Math.hypot(s0.x + k * dx - at.x, s0.y + k * dy - at.y);
          if (d < bestD) {
            bestD = d;
            best = [q0[0] + k * (q1[0] - q0[0]), q0[1] + k * (q1[1] - q0[1])];
          }
        }
      }
    }
    return best;
  }

  private snapEvent(e: TerraDrawMouseEvent): Pos | undefined {
    // In reshape the dragged vertex must not snap back to where it was (neighbours hold it).
    const s = this.snap([e.lng, e.lat], this.tool === "reshape" ? { skipCode: this.code, skip: this.grabbed ?? undefined } : {});
    return s ? round(s) : undefined;
  }

  /** Reshape: the grid's vertex nearest a pointer-down, within terra-draw's reach. */
  private grab(ev: PointerEvent): void {
    this.grabbed = null;
    if (this.tool !== "reshape" || !this.grid) return;
    const r = this.map.getCanvas().getBoundingClientRect();
    const at = { x: ev.clientX - r.left, y: ev.clientY - r.top };
    let best = GRAB_PX;
    for (const p of positions(this.grid.geometry)) {
      const s = this.map.project(p);
      const d = Math.hypot(s.x - at.x, s.y - at.y);
      if (d < best) {
        best = d;
        this.grabbed = p;
      }
    }
  }

  /** A drawn position as the grids have it, when it is one of their vertices. */
  private exact(p: Pos): Pos {
    return this.byRounded.get(round(p).join(",")) ?? p;
  }

  /** The reshaped ring as exact positions (terra-draw keeps PRECISION decimals). */
  private drawnRing(): Pos[] | null {
    if (this.drawnId === null || !this.draw) return null;
    const f = this.draw.getSnapshotFeature(this.drawnId);
    if (!f || f.geometry.type !== "Polygon") return null;
    return (f.geometry.coordinates[0] as Pos[]).map((p) => this.exact(p));
  }

  /**
   * terra-draw's validation hook in reshape: a change that moves or deletes a shared
   * vertex is refused, and a drag of one becomes a `move_vertex` (the glue above).
   */
  private validateReshape(f: GeoJSONStoreFeatures): { valid: boolean; reason?: string } {
    if (this.tool !== "reshape" || !this.grid || f.geometry.type !== "Polygon") return { valid: true };
    const old = this.drawnRing();
    if (!old) return { valid: true };
    const now = (f.geometry.coordinates[0] as Pos[]).map((p) => this.exact(p));
    const lost = old.slice(0, -1).filter((p) => this.isShared(p) && !now.some((q) => same(q, p)));
    if (lost.length === 0) return { valid: true };
    if (lost.length === 1 && now.length === old.length) {
      const i = old.findIndex((p) => same(p, lost[0]));
      const to = now[i];
      const untouched = this.reshapeChanged() === false;
      if (untouched) {
        this.dragging = { from: lost[0], to };
        this.drawVertices(to);
        this.queueMove(this.dragging);
        return { valid: false, reason: "shared vertex: move_vertex" };
      }
      this.status = t("editSharedPending");
      this.render();
      return { valid: false, reason: "shared vertex" };
    }
    this.status = t("editSharedFixed");
    this.render();
    return { valid: false, reason: "shared vertex" };
  }

  /** Whether the reshaped polygon differs from the loaded grid. */
  private reshapeChanged(): boolean {
    const ring = this.drawnRing();
    if (!ring || !this.grid) return false;
    const orig = polygons(this.grid.geometry)[0][0];
    return ring.length !== orig.length || ring.some((p, i) => !same(p, orig[i]));
  }

  private queueReshape(): void {
    const ring = this.drawnRing();
    if (!ring || !this.reshapeChanged()) return;
    this.dragging = null;
    this.drawVertices();
    this.queuePreview({ op: "reshape", grid: this.code, geometry: { type: "Polygon", coordinates: [ring] }, base: this.baseOf([this.code]) });
  }

  private onFinish(id: string | number, mode: string): void {
    this.finished += 1;
    const f = this.draw?.getSnapshotFeature(id);
    if (!f) return;
    if (mode === "linestring" && this.tool === "split" && f.geometry.type === "LineString") {
      const line = (f.geometry.coordinates as Pos[]).map((p) => this.exact(p));
      this.queuePreview({ op: "split", grid: this.code, line: { type: "LineString", coordinates: line }, base: this.baseOf([this.code]) });
    } else if (mode === "polygon" && this.tool === "create" && f.geometry.type === "Polygon") {
      const ring = (f.geometry.coordinates[0] as Pos[]).map((p) => this.exact(p));
      this.queuePreview({ op: "create", village: this.village(), name: this.createName, geometry: { type: "Polygon", coordinates: [ring] }, workers: [], base: {} });
    } else if (this.tool === "reshape") {
      if (this.dragging) this.queueMove(this.dragging);
      else this.queueReshape();
    }
  }

  /** The village a new grid goes in: the loaded grid's, or the selected village. */
  private village(): string {
    if (this.code.length === 15) return this.code.slice(0, 12);
    const s = state.selected?.code ?? "";
    return s.length === 12 ? s : "";
  }

  /** Moves the vertex at `from` to `to` (what a drag does), previewing it. */
  async moveVertex(from: Pos, to: Pos): Promise<void> {
    this.dragging = { from, to };
    this.drawVertices(to);
    this.queueMove({ from, to });
    await this.settled();
  }

  /** Resolves when no preview is queued or running. */
  async settled(): Promise<void> {
    while (this.inFlight || this.pending) await new Promise((r) => setTimeout(r, 20));
  }

  private queueMove(d: { from: Pos; to: Pos }): void {
    // Every grid holding the vertex is touched: each one's revision goes in `base`.
    this.queuePreview({ op: "move_vertex", from: d.from, to: d.to, base: this.baseOf(this.holders(d.from)) });
  }

  /** One preview in flight at a time; the newest edit waits for it. */
  private queuePreview(req: Req): void {
    this.pending = req;
    if (this.inFlight) return;
    void this.runPreviews();
  }

  private async runPreviews(): Promise<void> {
    this.inFlight = true;
    while (this.pending) {
      const req = this.pending;
      this.pending = null;
      const r = await json("POST", "/api/edits/preview", req);
      this.previews += 1;
      if (r.status === 200) {
        this.lastPreview = { ...r.body, req };
        (this.map.getSource("edit-result") as GeoJSONSource).setData(r.body.result);
        (this.map.getSource("edit-markers") as GeoJSONSource).setData(r.body.markers);
        this.status = "";
      } else {
        this.lastPreview = null;
        (this.map.getSource("edit-result") as GeoJSONSource).setData(EMPTY);
        this.status = `${t("editPreviewFailed")}: ${r.body?.description ?? String(r.status)}`;
      }
      this.render();
    }
    this.inFlight = false;
  }

  /** Saves the previewed edit with `reason`. */
  async save(reason: string): Promise<boolean> {
    const p = this.lastPreview;
    if (!p) return false;
    const req: Req = p.req;
    const r = await json("POST", "/api/edits/commit", { ...req, reason });
    if (r.status === 409) {
      this.conflict = (r.body?.detail?.stale ?? []) as Stale[];
      this.status = `${t("editConflict")}: ${r.body?.description ?? ""}`;
      this.render();
      return false;
    }
    if (r.status !== 200) {
      this.status = `${r.status}: ${r.body?.description ?? ""}`;
      this.render();
      return false;
    }
    const ended = (r.body.ended as any[]).map((e) => ({ code: String(e.code), revision: Number(e.revision) }));
    const made = (r.body.revisions as any[]).map((e) => String(e.code));
    // Undo is one revert of every grid the save touched: those it ended back to the
    // revision they had, a code it made (split, create) to revision 0, which retires it.
    this.lastSaved = [...ended, ...made.filter((c) => !ended.some((e) => e.code === c)).map((code) => ({ code, revision: 0 }))];
    this.clear();
    bumpTiles(this.map, state.filter);
    this.reason = "";
    if (req.op === "retire") {
      // A retired grid has no current revision: the editor keeps its history, its village
      // (to draw a grid in its place) and the neighbours (to snap to).
      this.grid = null;
      this.neighbours = this.neighbours.filter((f) => String(f.id) !== this.code);
      this.near = this.near.filter((n) => n.code !== this.code);
      this.lastPreview = null;
      this.tool = "vertex";
      this.startTool();
      await this.loadHistory();
    } else {
      const next = made.includes(this.code) ? this.code : (made[0] ?? this.code);
      // Reshape goes on with the next drag; the other tools are done.
      this.tool = this.tool === "reshape" ? "reshape" : "vertex";
      await this.load(next);
    }
    this.status = t("editSaved");
    this.render();
    return true;
  }

  /** Drops the edit and reads the grid and its neighbours again (after a 409). */
  async reload(): Promise<void> {
    await this.load(this.code);
  }

  /** Reverts what the last save changed (every grid it moved, together). */
  async undo(): Promise<boolean> {
    const [first, ...rest] = this.lastSaved;
    if (!first) return false;
    const w: Record<string, number> = {};
    for (const x of rest) w[x.code] = x.revision;
    const r = await json("POST", `/api/grids/${first.code}/revert?to=${first.revision}`, { reason: "undo", with: w });
    this.status = r.status === 200 ? t("editReverted") : `${r.status}: ${r.body?.description ?? ""}`;
    if (r.status === 200) {
      // The grid open may be one the undo retired (the piece a split made): open one that
      // came back instead, or none (an undone create).
      const back = this.lastSaved.find((x) => x.revision > 0 && x.code === this.code) ?? this.lastSaved.find((x) => x.revision > 0);
      this.lastSaved = [];
      bumpTiles(this.map, state.filter);
      if (back) {
        await this.load(back.code);
      } else {
        this.grid = null;
        this.lastPreview = null;
        await this.loadHistory();
      }
      this.status = t("editReverted");
    }
    this.render();
    return r.status === 200;
  }

  private async revertTo(revision: number): Promise<void> {
    const current = this.history.find((h) => h.current)?.revision;
    const body: Record<string, unknown> = { reason: "revert" };
    if (typeof current === "number") body.base = current;
    const r = await json("POST", `/api/grids/${this.code}/revert?to=${revision}`, body);
    if (r.status === 409) this.conflict = (r.body?.detail?.stale ?? []) as Stale[];
    this.status = r.status === 200 ? t("editReverted") : `${r.status}: ${r.body?.description ?? ""}`;
    if (r.status === 200) {
      bumpTiles(this.map, state.filter);
      await this.load(this.code);
      this.status = t("editReverted");
    }
    this.render();
  }

  private async showDiff(revision: number): Promise<void> {
    const r = await json("GET", `/api/grids/${this.code}/diff?from=${revision}`);
    if (r.status === 200) (this.map.getSource("edit-diff") as GeoJSONSource).setData(r.body);
  }

  /** Current grids sharing a vertex or an edge with the loaded one (merge candidates). */
  private adjacent(): Feature[] {
    if (!this.grid) return [];
    const own = positions(this.grid.geometry);
    const v = this.code.slice(0, 12);
    return this.neighbours.filter((f) => {
      const c = String(f.id);
      if (c === this.code || c.slice(0, 12) !== v) return false;
      return positions(f.geometry).some((p) => own.some((q) => same(p, q)));
    });
  }

  toggleMerge(code: string): void {
    this.mergeWith = this.mergeWith.includes(code) ? this.mergeWith.filter((c) => c !== code) : [...this.mergeWith, code];
    if (this.mergeWith.length === 0) {
      this.lastPreview = null;
      this.clear();
      this.render();
      return;
    }
    const grids = [this.code, ...this.mergeWith];
    this.queuePreview({ op: "merge", grids, base: this.baseOf(grids) });
    this.render();
  }

  private async loadWorkers(): Promise<void> {
    if (!this.grid) return;
    const b = near(this.grid).bbox;
    const pad = 0.01;
    const r = await json("GET", `/collections/workers/items?bbox=${[b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad].join(",")}&limit=200`);
    const village = this.code.slice(0, 12);
    const list = ((r.body?.features ?? []) as Feature[]).map((f) => ({
      id: String(f.id),
      name: String(f.properties.name ?? ""),
      grids: ((f.properties.grids as string[] | undefined) ?? []).map(String),
    }));
    // The grid's own workers first, then the village's, then the others nearby.
    const rank = (w: { id: string; grids: string[] }) => (this.workers.includes(w.id) ? 0 : w.grids.some((g) => g.startsWith(village)) ? 1 : 2);
    list.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
    for (const id of this.workers) if (!list.some((w) => w.id === id)) list.unshift({ id, name: "", grids: [this.code] });
    this.nearbyWorkers = list;
    this.render();
  }

  toggleWorker(id: string): void {
    this.workers = this.workers.includes(id) ? this.workers.filter((w) => w !== id) : [...this.workers, id];
    this.queuePreview({ op: "reassign", grid: this.code, workers: this.workers, base: this.baseOf([this.code]) });
    this.render();
  }

  private toolPanel(): HTMLElement | null {
    const tool = this.tool;
    if (tool === "merge") {
      const adj = this.adjacent();
      return h(
        "div",
        { testid: "edit-merge" },
        h("p", { class: "muted" }, t("editMergeHint")),
        adj.length === 0 ? h("p", { class: "muted" }, t("editMergeNone")) : null,
        h(
          "ul",
          { class: "picks" },
          adj.map((f) => {
            const c = String(f.id);
            const box = h("input", { type: "checkbox", testid: `edit-merge-${c}`, checked: this.mergeWith.includes(c), onchange: () => this.toggleMerge(c) });
            return h("li", {}, h("label", {}, box, ` ${c} ${String(f.properties.name ?? "")}`));
          }),
        ),
      );
    }
    if (tool === "reassign") {
      return h(
        "div",
        { testid: "edit-reassign" },
        h("p", { class: "muted" }, t("editReassignHint")),
        h("p", { testid: "edit-workers-now" }, `${t("editWorkersNow")}: ${this.workers.join(", ") || "–"}`),
        h(
          "ul",
          { class: "picks" },
          this.nearbyWorkers.map((w) => {
            const box = h("input", { type: "checkbox", testid: `edit-worker-${w.id}`, checked: this.workers.includes(w.id), onchange: () => this.toggleWorker(w.id) });
            return h("li", {}, h("label", {}, box, ` ${w.name || w.id} `, h("small", { class: "muted" }, `${w.id} · ${w.grids.join(", ")}`)));
          }),
        ),
      );
    }
    if (tool === "create") {
      const name = h("input", { type: "text", placeholder: t("editCreateName"), testid: "edit-create-name", value: this.createName }) as HTMLInputElement;
      name.addEventListener("input", () => (this.createName = name.value));
      return h("div", { testid: "edit-create", class: "form" }, h("p", { class: "muted" }, `${t("editCreateHint")} ${this.village() || "–"}`), name);
    }
    if (tool === "retire") {
      const box = h("input", { type: "checkbox", testid: "edit-retire-confirm", checked: this.retireConfirmed }) as HTMLInputElement;
      box.addEventListener("change", () => {
        this.retireConfirmed = box.checked;
        this.render();
      });
      return h("div", { testid: "edit-retire" }, h("p", { class: "muted" }, t("editRetireHint")), h("label", {}, box, ` ${t("editRetireConfirm")} ${this.code}`));
    }
    const hints: Partial<Record<Tool, Key>> = { vertex: "editHint", reshape: "editReshapeHint", split: "editSplitHint" };
    const k = hints[tool];
    return k ? h("p", { class: "muted" }, t(k)) : null;
  }

  render(): void {
    const p = this.lastPreview;
    const findings = (p?.findings ?? []) as any[];
    const im = p?.impact;
    const stale = (p?.stale ?? []) as Stale[];
    const reason = h("input", { type: "text", placeholder: t("editReason"), testid: "edit-reason", value: this.reason }) as HTMLInputElement;
    reason.addEventListener("input", () => (this.reason = reason.value));
    const toolKey = (x: Tool) => `editTool_${x}` as Key;
    // A stale base is refused by the server anyway: reload first.
    const blocked = !p || p.blocking || !!this.conflict || (this.tool === "retire" && !this.retireConfirmed);
    fill(
      this.el,
      h("header", {}, h("h2", {}, t("editTitle")), h("button", { onclick: () => this.toggle() }, "×")),
      h("p", { class: "muted", testid: "edit-grid" }, this.grid ? `${this.code} · ${String(this.grid.properties.name)} · r${String(this.grid.properties.revision)}${this.grid.properties.valid_to == null ? "" : ` · ${t("editRetiredNow")}`}` : t("editPick")),
      h(
        "div",
        { class: "tools", testid: "edit-tools" },
        TOOLS.map((x) =>
          h("button", { class: this.tool === x ? "on" : "", testid: `edit-tool-${x}`, disabled: !this.grid && x !== "create", onclick: () => this.setTool(x) }, t(toolKey(x))),
        ),
      ),
      // What went wrong comes first: the panel scrolls.
      this.status ? h("p", { testid: "edit-status" }, this.status) : null,
      this.conflict ? this.conflictBox(this.conflict) : stale.length ? this.conflictBox(stale, true) : null,
      this.toolPanel(),
      p
        ? h(
            "div",
            { testid: "edit-preview" },
            h("p", { class: "muted", testid: "edit-result-count" }, `${t("editResult")}: ${(p.result?.features ?? []).length}`),
            h("h3", {}, t("editFindings")),
            findings.length === 0
              ? h("p", { testid: "edit-valid" }, t("editValid"))
              : h("ul", { testid: "edit-findings" }, findings.map((f) => h("li", { class: f.severity }, `${t(("check_" + f.check) as any) || f.check}: ${f.message}`))),
            h("h3", {}, t("editImpact")),
            h(
              "ul",
              { testid: "edit-impact" },
              h("li", {}, `${t("editIncidentsMoved")}: ${im.incidents.total} (${t("editOpenClosed")} ${im.incidents_open}/${im.incidents_closed})`),
              h("li", {}, `${t("editCamerasMoved")}: ${im.cameras.total}`),
              h("li", {}, `${t("editPatrolMinutes")}: ${im.patrol_minutes_moved.toFixed(0)}`),
              h("li", {}, `${t("editHouseholds")}: ${im.households[0]} → ${im.households[1]}`),
              (im.workers as any[]).map((w) => h("li", {}, `${w.name || w.worker}: ${t("editOpenIncidents")} ${w.before.open_incidents} → ${w.after.open_incidents}`)),
            ),
            h(
              "div",
              { class: "form" },
              reason,
              h("button", { testid: "edit-save", disabled: blocked, onclick: () => void this.save(reason.value) }, this.tool === "retire" ? t("editRetireSave") : t("editSave")),
            ),
          )
        : null,
      this.lastSaved.length ? h("button", { testid: "edit-undo", onclick: () => void this.undo() }, t("editUndo")) : null,
      this.history.length
        ? h(
            "div",
            { testid: "edit-history" },
            h("h3", {}, t("editHistory")),
            h(
              "ul",
              {},
              this.history.map((r) =>
                h(
                  "li",
                  { testid: `edit-rev-${r.revision}` },
                  `r${r.revision} ${new Date(r.valid_from * 1000).toISOString().slice(0, 16).replace("T", " ")}${r.current ? " ✓" : ""} `,
                  h("button", { testid: `edit-diff-${r.revision}`, onclick: () => void this.showDiff(r.revision) }, t("editDiff")),
                  r.current ? null : h("button", { testid: `edit-revert-${r.revision}`, onclick: () => void this.revertTo(r.revision) }, t("editRevert")),
                ),
              ),
            ),
          )
        : null,
    );
  }

  /** A stale base: each grid's revision the edit was drawn on and the current one. */
  private conflictBox(stale: Stale[], warning = false): HTMLElement {
    return h(
      "div",
      { class: "conflict", testid: warning ? "edit-stale" : "edit-conflict" },
      h("b", {}, warning ? t("editStaleWarning") : t("editConflict")),
      h(
        "ul",
        {},
        stale.map((s) =>
          h("li", {}, `${s.grid}: ${t("editYours")} r${s.base} · ${t("editTheirs")} ${s.current === null ? t("editRetiredNow") : `r${s.current}`}`),
        ),
      ),
      h("button", { testid: "edit-reload", onclick: () => void this.reload() }, t("editReload")),
    );
  }
}
