// Admin drill-down: county -> township -> village -> grid, with zoom-to. Selecting a unit
// highlights it on the map and feeds the grid dashboard.

import type { Map } from "maplibre-gl";
import { adminChildren, adminRoots, HttpError, type Unit } from "../api";
import { levelName, onLang, t } from "../i18n";
import { state } from "../state";
import { fill, h, s } from "./dom";

/** A small crosshair icon (no icon font: nothing is fetched). */
function crosshair(): SVGElement {
  return s(
    "svg",
    { width: 14, height: 14, viewBox: "0 0 14 14", fill: "none", stroke: "currentColor", "stroke-width": 1.5 },
    s("circle", { cx: 7, cy: 7, r: 4 }),
    s("path", { d: "M7 0v4M7 10v4M0 7h4M10 7h4" }),
  );
}

/** Fits the map to a unit's bbox. */
export function zoomTo(map: Map, u: { bbox: [number, number, number, number] }): void {
  const [w, s, e, n] = u.bbox;
  if (w === e && s === n) {
    map.flyTo({ center: [w, s], zoom: 16 });
  } else {
    map.fitBounds([[w, s], [e, n]], { padding: { top: 40, left: 40, right: 40, bottom: 110 }, maxZoom: 17, duration: 600 });
  }
}

/** The drill-down panel. */
export class DrillPanel {
  readonly el = h("section", { class: "panel", testid: "drill" });
  /** Units from the root down to the one whose children are listed. */
  private trail: Unit[] = [];
  private children: Unit[] = [];
  private error: string | null = null;
  private loading = false;

  constructor(private readonly map: Map) {
    onLang(() => this.render());
    void this.load(null);
    state.on("selection", () => {
      const u = state.selected;
      if (!u || this.trail.some((x) => x.code === u.code)) return;
      // A selection made elsewhere (search, map click): follow it when it is below us.
      void this.follow(u);
    });
  }

  /** Lists the roots (null) or a unit's children. */
  private async load(unit: Unit | null): Promise<void> {
    this.loading = true;
    this.render();
    try {
      const r = unit ? await adminChildren(unit.code) : await adminRoots();
      this.children = r.children;
      this.error = null;
    } catch (e) {
      this.children = [];
      this.error = e instanceof HttpError && e.status === 404 ? t("unavailable") : String(e);
    }
    this.loading = false;
    this.render();
  }

  /** Rebuilds the trail to reach a unit picked elsewhere, from its code's prefixes. */
  private async follow(u: Unit): Promise<void> {
    const prefixes = [6, 9, 12].filter((n) => n < u.code.length).map((n) => u.code.slice(0, n));
    const trail: Unit[] = [];
    try {
      for (const p of prefixes) {
        const r = await adminChildren(p);
        if (r.unit) trail.push(r.unit);
      }
    } catch {
      return;
    }
    this.trail = u.level === "grid" ? trail : [...trail, u];
    await this.load(this.trail[this.trail.length - 1] ?? null);
  }

  /** Opens a unit: selects it, zooms to it, lists its children. */
  open(u: Unit): void {
    state.select(u);
    zoomTo(this.map, u);
    if (u.level === "grid") {
      this.render();
      return;
    }
    const at = this.trail.findIndex((x) => x.code === u.code);
    this.trail = at >= 0 ? this.trail.slice(0, at + 1) : [...this.trail, u];
    void this.load(u);
  }

  private up(index: number): void {
    if (index < 0) {
      this.trail = [];
      state.select(null);
      void this.load(null);
      return;
    }
    this.open(this.trail[index]);
  }

  render(): void {
    const crumbs = [
      h("button", { class: "crumb", onclick: () => this.up(-1), testid: "drill-root" }, t("drillAll")),
      ...this.trail.flatMap((u, i) => [h("span", { class: "sep" }, "›"), h("button", { class: "crumb", onclick: () => this.up(i) }, u.name)]),
    ];
    const sel = state.selected;
    fill(
      this.el,
      h("h2", {}, t("drill")),
      h("nav", { class: "crumbs" }, crumbs),
      this.error ? h("p", { class: "muted" }, this.error) : null,
      this.loading ? h("p", { class: "muted" }, t("loading")) : null,
      h(
        "ul",
        { class: "units" },
        this.children.map((u) =>
          h(
            "li",
            { class: sel?.code === u.code ? "on" : "" },
            h("button", { class: "unit", testid: `drill-${u.code}`, "data-level": u.level, onclick: () => this.open(u) }, h("span", {}, u.name), h("small", {}, `${levelName(u.level)} · ${u.code}`)),
            h("button", { class: "zoom", title: t("zoomTo"), "aria-label": t("zoomTo"), onclick: () => zoomTo(this.map, u) }, crosshair()),
          ),
        ),
      ),
    );
  }
}
