// The grid editor: pick a grid, drag one of its vertices (every grid sharing the vertex
// moves with it, on the server), snapping to the neighbours' vertices; a live preview
// (findings drawn on the map, impact listed) while dragging; save with a reason; the grid's
// history with a diff on the map and revert. Shared vertices are onemap's own glue: the
// server's move_vertex moves them in every grid, so the client drags a single point.

import type { GeoJSONSource, Map, MapMouseEvent } from "maplibre-gl";
import { bumpTiles } from "../mapstyle";
import { state } from "../state";
import { t } from "../i18n";
import { fill, h } from "./dom";

type Pos = [number, number];
type Geo = { type: string; coordinates: unknown };
interface Feature { id?: string; type: "Feature"; geometry: Geo; properties: Record<string, unknown> }

/** Screen distance (px) within which a dragged vertex snaps to a neighbour's vertex. */
const SNAP_PX = 10;

function positions(g: Geo): Pos[] {
  const polys = (g.type === "Polygon" ? [g.coordinates] : g.coordinates) as Pos[][][];
  return polys.flatMap((p) => p.flatMap((r) => r.slice(0, -1)));
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

export class Editor {
  readonly el: HTMLElement;
  readonly button: HTMLButtonElement;
  private code = "";
  private grid: Feature | null = null;
  private neighbours: Feature[] = [];
  private dragging: { from: Pos; to: Pos } | null = null;
  private pending: { from: Pos; to: Pos } | null = null;
  private inFlight = false;
  private lastPreview: any = null;
  private status = "";
  private history: any[] = [];
  /** The revisions the last save ended: undo reverts all of them together. */
  private lastSaved: Array<{ code: string; revision: number }> = [];
  /** Set by tests: the last preview's answer and how many previews ran. */
  previews = 0;
  /** Drags started on a vertex (tests tell a missed mousedown from a failed preview). */
  drags = 0;

  constructor(private map: Map) {
    this.el = h("section", { class: "importer editor", hidden: true, testid: "editor" });
    this.button = h("button", { class: "import-open", testid: "editor-open", onclick: () => this.toggle() }, t("editOpen"));
    state.on("selection", () => {
      const c = state.selected?.code ?? "";
      if (!this.el.hidden && c.length === 15 && c !== this.code) void this.load(c);
    });
  }

  toggle(): void {
    this.el.hidden = !this.el.hidden;
    if (!this.el.hidden) {
      this.ensureLayers();
      const c = state.selected?.code ?? "";
      if (c.length === 15) void this.load(c);
      else this.render();
    } else {
      this.clear();
    }
  }

  /** Opens grid `code` for editing. */
  async load(code: string): Promise<void> {
    this.ensureLayers();
    this.code = code;
    this.lastPreview = null;
    const r = await json("GET", `/collections/grids/items/${code}`);
    if (r.status !== 200) {
      this.status = `${t("editNotFound")} ${code}`;
      this.render();
      return;
    }
    this.grid = r.body as Feature;
    const pts = positions(this.grid.geometry);
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const pad = 0.002;
    const bbox = [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad];
    const n = await json("GET", `/collections/grids/items?bbox=${bbox.join(",")}&limit=500`);
    this.neighbours = ((n.body?.features ?? []) as Feature[]).filter((f) => f.properties.valid_to == null);
    await this.loadHistory();
    this.map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 60, duration: 0 });
    this.drawGrid();
    this.status = "";
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
    this.map.addLayer({ id: "edit-result-line", type: "line", source: "edit-result", paint: { "line-color": "#f08c00", "line-width": 2.5 } });
    this.map.addLayer({ id: "edit-markers-fill", type: "fill", source: "edit-markers", paint: { "fill-color": "#e03131", "fill-opacity": 0.5 } });
    this.map.addLayer({ id: "edit-vertices", type: "circle", source: "edit-vertices", paint: { "circle-radius": 5, "circle-color": ["case", ["get", "active"], "#f08c00", "#ffffff"], "circle-stroke-color": "#1971c2", "circle-stroke-width": 2 } });
    this.map.on("mouseenter", "edit-vertices", () => (this.map.getCanvas().style.cursor = "move"));
    this.map.on("mouseleave", "edit-vertices", () => (this.map.getCanvas().style.cursor = ""));
    this.map.on("mousedown", "edit-vertices", (e) => this.startDrag(e));
  }

  private drawGrid(active?: Pos): void {
    if (!this.grid) return;
    const features = positions(this.grid.geometry).map((p) => ({
      type: "Feature" as const,
      geometry: { type: "Point", coordinates: active && this.same(p, this.dragging?.from) ? active : p },
      properties: { active: !!active && this.same(p, this.dragging?.from) },
    }));
    (this.map.getSource("edit-vertices") as GeoJSONSource).setData({ type: "FeatureCollection", features } as any);
  }

  private same(a: Pos, b?: Pos): boolean {
    return !!b && Math.abs(a[0] - b[0]) < 1e-9 && Math.abs(a[1] - b[1]) < 1e-9;
  }

  private startDrag(e: MapMouseEvent & { features?: any[] }): void {
    const f = e.features?.[0];
    if (!f) return;
    e.preventDefault();
    this.drags += 1;
    const from = f.geometry.coordinates as Pos;
    // The vertex as the grid has it (rendered features are rounded).
    const exact = positions(this.grid!.geometry).reduce((best, p) =>
      Math.hypot(p[0] - from[0], p[1] - from[1]) < Math.hypot(best[0] - from[0], best[1] - from[1]) ? p : best,
    );
    this.dragging = { from: exact, to: exact };
    this.map.dragPan.disable();
    const move = (ev: MapMouseEvent) => {
      if (!this.dragging) return;
      this.dragging.to = this.snap([ev.lngLat.lng, ev.lngLat.lat]);
      this.drawGrid(this.dragging.to);
      this.queuePreview({ ...this.dragging });
    };
    const up = () => {
      this.map.off("mousemove", move);
      this.map.dragPan.enable();
      if (this.dragging) this.queuePreview({ ...this.dragging });
    };
    this.map.on("mousemove", move);
    this.map.once("mouseup", up);
  }

  /** A neighbour's vertex within SNAP_PX of `p`, else `p`. */
  private snap(p: Pos): Pos {
    const at = this.map.project(p);
    let best: Pos = p;
    let bestD = SNAP_PX;
    for (const f of this.neighbours) {
      for (const q of positions(f.geometry)) {
        if (this.dragging && this.same(q, this.dragging.from)) continue;
        const s = this.map.project(q);
        const d = Math.hypot(s.x - at.x, s.y - at.y);
        if (d < bestD) {
          bestD = d;
          best = q;
        }
      }
    }
    return best;
  }

  /** Moves the vertex at `from` to `to` (what a drag does), previewing it. */
  async moveVertex(from: Pos, to: Pos): Promise<void> {
    this.dragging = { from, to };
    this.drawGrid(to);
    this.queuePreview({ from, to });
    while (this.inFlight || this.pending) await new Promise((r) => setTimeout(r, 20));
  }

  private body(d: { from: Pos; to: Pos }, reason = ""): any {
    const base: Record<string, number> = {};
    for (const f of this.neighbours) {
      if (positions(f.geometry).some((p) => this.same(p, d.from))) base[String(f.id)] = Number(f.properties.revision);
    }
    return { op: "move_vertex", from: d.from, to: d.to, reason, base };
  }

  /** One preview in flight at a time; the newest position waits for it. */
  private queuePreview(d: { from: Pos; to: Pos }): void {
    this.pending = d;
    if (this.inFlight) return;
    void this.runPreviews();
  }

  private async runPreviews(): Promise<void> {
    this.inFlight = true;
    while (this.pending) {
      const d = this.pending;
      this.pending = null;
      const r = await json("POST", "/api/edits/preview", this.body(d));
      this.previews += 1;
      if (r.status === 200) {
        this.lastPreview = { ...r.body, move: d };
        (this.map.getSource("edit-result") as GeoJSONSource).setData(r.body.result);
        (this.map.getSource("edit-markers") as GeoJSONSource).setData(r.body.markers);
        this.status = "";
      } else {
        this.lastPreview = null;
        this.status = r.body?.description ?? String(r.status);
      }
      this.render();
    }
    this.inFlight = false;
  }

  /** Saves the previewed move with `reason`. */
  async save(reason: string): Promise<boolean> {
    const p = this.lastPreview;
    if (!p) return false;
    const r = await json("POST", "/api/edits/commit", this.body(p.move, reason));
    if (r.status !== 200) {
      this.status = `${r.status}: ${r.body?.description ?? ""}`;
      this.render();
      return false;
    }
    this.lastSaved = r.body.ended.map((e: any) => ({ code: e.code, revision: e.revision }));
    this.status = t("editSaved");
    this.dragging = null;
    this.clear();
    bumpTiles(this.map, state.filter);
    await this.load(this.code);
    this.status = t("editSaved");
    this.render();
    return true;
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
      this.lastSaved = [];
      bumpTiles(this.map, state.filter);
      await this.load(this.code);
      this.status = t("editReverted");
    }
    this.render();
    return r.status === 200;
  }

  private async revertTo(revision: number): Promise<void> {
    const r = await json("POST", `/api/grids/${this.code}/revert?to=${revision}`, { reason: "revert" });
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

  render(): void {
    const p = this.lastPreview;
    const findings = (p?.findings ?? []) as any[];
    const im = p?.impact;
    const reason = h("input", { type: "text", placeholder: t("editReason"), testid: "edit-reason" }) as HTMLInputElement;
    fill(
      this.el,
      h("header", {}, h("h2", {}, t("editTitle")), h("button", { onclick: () => this.toggle() }, "×")),
      h("p", { class: "muted" }, this.grid ? `${this.code} · ${String(this.grid.properties.name)} · r${String(this.grid.properties.revision)}` : t("editPick")),
      h("p", { class: "muted" }, t("editHint")),
      this.status ? h("p", { testid: "edit-status" }, this.status) : null,
      p
        ? h(
            "div",
            { testid: "edit-preview" },
            h("h3", {}, t("editFindings")),
            findings.length === 0
              ? h("p", { testid: "edit-valid" }, t("editValid"))
              : h("ul", {}, findings.map((f) => h("li", { class: f.severity }, `${t(("check_" + f.check) as any) || f.check}: ${f.message}`))),
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
            h("div", { class: "form" }, reason, h("button", { testid: "edit-save", disabled: p.blocking, onclick: () => void this.save(reason.value) }, t("editSave"))),
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
                  {},
                  `r${r.revision} ${new Date(r.valid_from * 1000).toISOString().slice(0, 16).replace("T", " ")}${r.current ? " ✓" : ""} `,
                  h("button", { onclick: () => void this.showDiff(r.revision) }, t("editDiff")),
                  r.current ? null : h("button", { onclick: () => void this.revertTo(r.revision) }, t("editRevert")),
                ),
              ),
            ),
          )
        : null,
    );
  }
}
