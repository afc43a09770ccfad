// Incident panel: opened by clicking an incident on the map. Shows its category, status
// history, grid, workers, the nearest cameras (drawn with their view sectors) and the
// nearest worker (drawn with a link to the incident).

import type { GeoJSONSource, Map } from "maplibre-gl";
import { incident as fetchIncident, takeStep, type Incident, type NearCamera } from "../api";
import { className, currentLang, dist, onLang, t, when, type Key } from "../i18n";
import { CATEGORY_COLORS } from "../mapstyle";
import { fill, h } from "./dom";
import { state } from "../state";

type Feature = GeoJSON.Feature<GeoJSON.Geometry, Record<string, unknown>>;

const M_PER_DEG = 111_320;

/** The point `m` metres from (lon, lat) towards `bearing` degrees (clockwise from north). */
function offset(lon: number, lat: number, bearing: number, m: number): [number, number] {
  const b = (bearing * Math.PI) / 180;
  return [lon + (m * Math.sin(b)) / (M_PER_DEG * Math.cos((lat * Math.PI) / 180)), lat + (m * Math.cos(b)) / M_PER_DEG];
}

/** A camera's view as a polygon: a sector when it has a field of view, else a disc (PTZ). */
export function sector(c: NearCamera): GeoJSON.Polygon {
  const range = c.range_m ?? 60;
  const ring: Array<[number, number]> = [];
  if (c.fov_deg && c.facing_deg !== null && c.fov_deg < 360) {
    ring.push([c.lon, c.lat]);
    const a0 = c.facing_deg - c.fov_deg / 2;
    for (let i = 0; i <= 16; i++) ring.push(offset(c.lon, c.lat, a0 + (c.fov_deg * i) / 16, range));
    ring.push([c.lon, c.lat]);
  } else {
    for (let i = 0; i <= 32; i++) ring.push(offset(c.lon, c.lat, (360 * i) / 32, range));
  }
  return { type: "Polygon", coordinates: [ring] };
}

/** The features drawn for an open incident. */
export function focusFeatures(inc: Incident): Feature[] {
  const out: Feature[] = [];
  for (const c of inc.cameras) {
    out.push({ type: "Feature", geometry: sector(c), properties: { kind: "sector", faces: c.faces_incident === true, id: c.id } });
    out.push({
      type: "Feature",
      geometry: { type: "LineString", coordinates: [[c.lon, c.lat], [inc.lon, inc.lat]] },
      properties: { kind: "link", to: "camera" },
    });
    out.push({ type: "Feature", geometry: { type: "Point", coordinates: [c.lon, c.lat] }, properties: { kind: "camera", id: c.id } });
  }
  const w = inc.nearest_worker;
  if (w && w.lon !== undefined && w.lat !== undefined) {
    out.push({
      type: "Feature",
      geometry: { type: "LineString", coordinates: [[w.lon, w.lat], [inc.lon, inc.lat]] },
      properties: { kind: "link", to: "worker" },
    });
    out.push({ type: "Feature", geometry: { type: "Point", coordinates: [w.lon, w.lat] }, properties: { kind: "worker", label: w.name ?? w.id } });
  }
  out.push({ type: "Feature", geometry: { type: "Point", coordinates: [inc.lon, inc.lat] }, properties: { kind: "incident" } });
  return out;
}

/** The panel on the right of the map. */
export class IncidentPanel {
  readonly el = h("aside", { class: "detail", testid: "incident-panel", hidden: true });
  private inc: Incident | null = null;
  private error: string | null = null;
  private actionError: string | null = null;
  private seq = 0;

  constructor(private readonly map: Map) {
    onLang(() => this.render());
  }

  /** Loads and shows an incident, and draws its cameras and worker. */
  async open(id: string | number): Promise<void> {
    const seq = ++this.seq;
    this.el.hidden = false;
    this.el.dataset.state = "loading";
    this.inc = null;
    this.error = null;
    this.render();
    try {
      const inc = await fetchIncident(id);
      if (seq !== this.seq) return;
      this.inc = inc;
      this.draw(focusFeatures(inc));
      // Keep the incident and its cameras in view beside the panel, not under it.
      this.map.easeTo({ center: [inc.lon, inc.lat], offset: [-(this.el.offsetWidth / 2 + 20), 0], duration: 400 });
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = String(e);
    }
    this.el.dataset.state = this.error ? "error" : "ready";
    this.render();
  }

  /** Takes a workflow step and shows the incident as it is after it. */
  private async act(id: string | number, step: string): Promise<void> {
    try {
      await takeStep(id, step);
      this.actionError = null;
      await this.open(id);
    } catch (e) {
      this.actionError = e instanceof Error ? e.message : String(e);
      this.render();
    }
  }

  close(): void {
    this.seq++;
    this.inc = null;
    this.el.hidden = true;
    this.draw([]);
  }

  private draw(features: Feature[]): void {
    (this.map.getSource("focus") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
  }

  private camera(c: NearCamera): HTMLElement {
    return h(
      "li",
      { class: c.faces_incident ? "faces" : "" },
      h("span", {}, c.name),
      h(
        "small",
        {},
        `${dist(c.distance_m)}`,
        c.faces_incident === undefined ? "" : ` · ${c.faces_incident ? t("facesIt") : t("notFacing")}`,
      ),
    );
  }

  render(): void {
    const inc = this.inc;
    const header = h(
      "header",
      {},
      h("h2", {}, t("incident"), inc ? ` #${inc.id}` : ""),
      h("button", { class: "close", title: t("close"), testid: "incident-close", onclick: () => this.close() }, "×"),
    );
    if (!inc) {
      fill(this.el, header, h("p", { class: "muted" }, this.error ?? t("loading")));
      return;
    }
    const row = (k: string, v: Node | string, testid?: string) => h("tr", {}, h("th", {}, k), h("td", { testid }, v));
    fill(
      this.el,
      header,
      h(
        "table",
        { class: "kv" },
        row(t("category"), h("span", {}, h("i", { class: "dot", style: `background:${CATEGORY_COLORS[inc.category] ?? "#868e96"}` }), className(inc.category)), "incident-category"),
        inc.subcategory ? row(t("subcategory"), currentLang() === "zh" && inc.subcategory_zh ? inc.subcategory_zh : inc.subcategory) : null,
        row(
          t("status"),
          h("span", {}, className(inc.status), inc.overdue ? h("b", { class: "overdue", testid: "incident-overdue" }, ` ${t("overdueBadge")}`) : ""),
          "incident-status",
        ),
        row(t("reportedAt"), when(inc.history[0]?.at)),
        row(t("deadline"), when(inc.deadline)),
        row(t("grid"), inc.grid ? `${inc.grid.name} (${inc.grid.code})` : "–", "incident-grid"),
        row(t("workers"), inc.workers.map((w) => w.name ?? w.id).join("、") || "–"),
        row(
          t("nearestWorker"),
          inc.nearest_worker ? `${inc.nearest_worker.name ?? inc.nearest_worker.id}${inc.nearest_worker.distance_m !== undefined ? ` · ${dist(inc.nearest_worker.distance_m)}` : ""}` : "–",
          "incident-nearest-worker",
        ),
      ),
      h("h3", {}, t("history")),
      h(
        "ol",
        { class: "history", testid: "incident-history" },
        (inc.steps && inc.steps.length > 0 ? inc.steps : inc.history).map((s) =>
          h(
            "li",
            {},
            h("b", {}, className(s.step)),
            h("small", {}, when(s.at)),
            "worker" in s && s.worker ? h("small", {}, ` → ${s.worker}`) : "",
            "note" in s && s.note ? h("small", { class: "note" }, ` ${s.note}`) : "",
          ),
        ),
      ),
      inc.next && inc.next.length > 0 && state.me?.may.workflow ? h("h3", {}, t("workflow")) : null,
      inc.next && inc.next.length > 0 && state.me?.may.workflow
        ? h(
            "div",
            { class: "actions", testid: "incident-actions" },
            inc.next.map((step) =>
              h("button", { testid: `step-${step}`, onclick: () => void this.act(inc.id, step) }, t(`act_${step}` as Key)),
            ),
            this.actionError ? h("p", { class: "error", testid: "step-error" }, `${t("stepFailed")}: ${this.actionError}`) : null,
          )
        : null,
      h("h3", {}, t("nearestCameras")),
      h("ul", { class: "cameras", testid: "incident-cameras" }, inc.cameras.map((c) => this.camera(c))),
    );
  }
}
