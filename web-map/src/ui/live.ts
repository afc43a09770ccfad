// The live map: /api/live (Server-Sent Events). New incidents flash where they are
// reported and the incident layers re-tile; moving workers move; edits and imports re-tile
// what they touched; the header's counters (today's incidents, overdue ones) follow.
// The browser's EventSource reconnects by itself and sends Last-Event-ID, so the server
// replays exactly what was missed.

import type { GeoJSONSource, Map } from "maplibre-gl";
import { counters, type Counters } from "../api";
import { num, onLang, t } from "../i18n";
import { bumpTiles } from "../mapstyle";
import { state } from "../state";
import { h } from "./dom";

/** One event of the feed (the server's LiveEvent). */
export interface LiveEvent {
  seq: number;
  kind: string;
  layers: string[];
  dirty: [number, number, number, number] | null;
  incidents: Array<GeoJSON.Feature<GeoJSON.Point, Record<string, unknown>>>;
  workers: Array<{ id: string; lon: number; lat: number; seen_at: string | null }>;
}

/** How long a fresh incident keeps flashing, milliseconds. */
const FRESH_MS = 90_000;
/** At most one re-tile per this many milliseconds, however fast events come. */
const RETILE_MS = 2_000;

/** The live feed's state on the page, and the header's counters. */
export class Live {
  readonly el = h("span", { class: "counters", testid: "live-counters" });
  /** Events received (tests and the console read it). */
  readonly events: LiveEvent[] = [];
  private fresh: Array<{ at: number; f: GeoJSON.Feature }> = [];
  private moved = new globalThis.Map<string, GeoJSON.Feature>();
  private retileDue = false;
  private retileTimer: number | null = null;
  private counts: Counters | null = null;
  private source: EventSource | null = null;

  constructor(private readonly map: Map) {
    onLang(() => this.render());
    this.render();
  }

  /** Opens the feed (after the map's style is loaded). */
  start(): void {
    this.ensureLayers();
    const es = new EventSource("/api/live");
    this.source = es;
    for (const kind of ["report", "step", "positions", "edit", "revert", "import", "users", "migrate"]) {
      es.addEventListener(kind, (m) => this.receive(JSON.parse((m as MessageEvent).data) as LiveEvent));
    }
    es.onopen = () => {
      this.el.dataset.live = "open";
      this.render();
    };
    es.onerror = () => {
      this.el.dataset.live = "reconnecting";
      this.render();
    };
    void this.refreshCounters();
    window.setInterval(() => void this.refreshCounters(), 60_000);
    window.setInterval(() => this.expire(), 5_000);
  }

  stop(): void {
    this.source?.close();
  }

  private receive(e: LiveEvent): void {
    this.events.push(e);
    if (this.events.length > 500) this.events.shift();
    const now = Date.now();
    for (const f of e.incidents) this.fresh.push({ at: now, f: { ...f, properties: { ...f.properties, kind: "fresh" } } });
    for (const w of e.workers) {
      this.moved.set(w.id, { type: "Feature", geometry: { type: "Point", coordinates: [w.lon, w.lat] }, properties: { id: w.id } });
    }
    this.draw();
    this.scheduleRetile();
    if (e.kind === "report" || e.kind === "step" || e.kind === "import") void this.refreshCounters();
  }

  /** Re-tiles soon, at most once per RETILE_MS. */
  private scheduleRetile(): void {
    this.retileDue = true;
    if (this.retileTimer !== null) return;
    this.retileTimer = window.setTimeout(() => {
      this.retileTimer = null;
      if (!this.retileDue) return;
      this.retileDue = false;
      bumpTiles(this.map, state.filter);
    }, RETILE_MS);
  }

  private expire(): void {
    const cut = Date.now() - FRESH_MS;
    const before = this.fresh.length;
    this.fresh = this.fresh.filter((x) => x.at >= cut);
    if (this.fresh.length !== before) this.draw();
  }

  private ensureLayers(): void {
    if (!this.map.getSource("live")) {
      this.map.addSource("live", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      this.map.addLayer({
        id: "live-workers",
        type: "circle",
        source: "live",
        filter: ["!=", ["get", "kind"], "fresh"],
        paint: { "circle-color": "#0ca678", "circle-radius": 5, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 },
      });
      this.map.addLayer({
        id: "live-fresh",
        type: "circle",
        source: "live",
        filter: ["==", ["get", "kind"], "fresh"],
        paint: {
          "circle-color": "#f03e3e",
          "circle-radius": 9,
          "circle-opacity": 0.35,
          "circle-stroke-color": "#f03e3e",
          "circle-stroke-width": 2,
        },
      });
    }
  }

  private draw(): void {
    const features = [...this.moved.values(), ...this.fresh.map((x) => x.f)];
    (this.map.getSource("live") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
  }

  private async refreshCounters(): Promise<void> {
    try {
      this.counts = await counters();
      this.render();
    } catch {
      /* the next event or minute tries again */
    }
  }

  private render(): void {
    const c = this.counts;
    const dot = h("i", { class: `live-dot ${this.el.dataset.live === "open" ? "on" : ""}`, title: t("liveFeed") });
    this.el.replaceChildren(
      dot,
      h("span", { testid: "count-today" }, `${t("today")} ${c ? num(c.today) : "–"}`),
      " · ",
      h("span", { class: c && c.overdue > 0 ? "overdue" : "", testid: "count-overdue" }, `${t("overdue")} ${c ? num(c.overdue) : "–"}`),
    );
  }
}
