// The layer panel: a toggle per layer with its feature count and legend.

import type { Map } from "maplibre-gl";
import { className, num, onLang, t, type Key } from "../i18n";
import { CATEGORY_COLORS, HEAT_COLORS, TOGGLES, type Toggle } from "../mapstyle";
import { state } from "../state";
import { fill, h } from "./dom";

const LABELS: Record<Toggle, Key> = {
  admin: "layerAdmin",
  grids: "layerGrids",
  heatmap: "layerHeatmap",
  patrols: "layerPatrols",
  incidents: "layerIncidents",
  cameras: "layerCameras",
  workers: "layerWorkers",
};

const SWATCH: Record<Toggle, string> = {
  admin: "#364fc7",
  grids: "#74c0fc",
  heatmap: HEAT_COLORS[3],
  patrols: "#0ca678",
  incidents: "#e8590c",
  cameras: "#1c7ed6",
  workers: "#0ca678",
};

/** The panel and the way to set a layer's visibility from outside (views). */
export class LayerPanel {
  readonly el = h("section", { class: "panel", testid: "layer-panel" });
  private visible: Record<Toggle, boolean>;
  /** Incidents matching the current filter, when known. */
  private incidentCount: number | null = null;
  /** Heatmap scale breaks now drawn. */
  private heatBreaks: number[] = [];

  constructor(private readonly map: Map) {
    this.visible = Object.fromEntries(
      (Object.keys(TOGGLES) as Toggle[]).map((k) => [k, map.getLayoutProperty(TOGGLES[k][0], "visibility") !== "none"]),
    ) as Record<Toggle, boolean>;
    onLang(() => this.render());
  }

  /** Shows or hides a layer and redraws the panel. */
  set(layer: Toggle, on: boolean): void {
    this.visible[layer] = on;
    for (const id of TOGGLES[layer]) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    }
    this.render();
  }

  isOn(layer: Toggle): boolean {
    return this.visible[layer];
  }

  setIncidentCount(n: number | null): void {
    this.incidentCount = n;
    this.render();
  }

  setHeatBreaks(breaks: number[]): void {
    this.heatBreaks = breaks;
    this.render();
  }

  private count(layer: Toggle): string {
    if (layer === "incidents" || layer === "heatmap") {
      const total = state.summary.counts.incidents;
      if (this.incidentCount === null) return total === undefined ? "" : num(total);
      return `${num(this.incidentCount)} / ${num(total ?? 0)}`;
    }
    const n = state.summary.counts[layer];
    return n === undefined ? "" : num(n);
  }

  private legend(layer: Toggle): HTMLElement | null {
    if (!this.visible[layer]) return null;
    if (layer === "incidents") {
      return h(
        "ul",
        { class: "legend" },
        state.summary.categories.map((c) =>
          h("li", {}, h("i", { class: "dot", style: `background:${CATEGORY_COLORS[c.id] ?? "#868e96"}` }), className(c.id)),
        ),
      );
    }
    if (layer === "heatmap") {
      const b = this.heatBreaks;
      return h(
        "div",
        { class: "legend heat" },
        h("div", { class: "ramp", style: `background:linear-gradient(90deg,${HEAT_COLORS.join(",")})` }),
        h("div", { class: "ramp-labels" }, h("span", {}, b.length ? num(Math.round(b[0])) : ""), h("span", {}, t("hexCount")), h("span", {}, b.length ? num(Math.round(b[b.length - 1])) : "")),
      );
    }
    if (layer === "cameras") {
      return h(
        "ul",
        { class: "legend" },
        h("li", {}, h("i", { class: "dot", style: "background:#1c7ed6" }), t("online_")),
        h("li", {}, h("i", { class: "dot", style: "background:#adb5bd" }), t("offline_")),
      );
    }
    if (layer === "admin") {
      return h(
        "ul",
        { class: "legend" },
        h("li", {}, h("i", { class: "line", style: "border-color:#364fc7;border-width:3px" }), t("levelCounty")),
        h("li", {}, h("i", { class: "line", style: "border-color:#5c7cfa" }), t("levelTownship")),
        h("li", {}, h("i", { class: "line", style: "border-color:#748ffc;border-style:dashed" }), t("levelVillage")),
      );
    }
    return null;
  }

  render(): void {
    fill(
      this.el,
      h("h2", {}, t("layers")),
      h(
        "ul",
        { class: "layers" },
        (Object.keys(TOGGLES) as Toggle[]).map((layer) =>
          h(
            "li",
            {},
            h(
              "label",
              {},
              h("input", {
                type: "checkbox",
                testid: `layer-toggle-${layer}`,
                checked: this.visible[layer],
                onchange: (e: Event) => this.set(layer, (e.target as HTMLInputElement).checked),
              }),
              h("i", { class: "swatch", style: `background:${SWATCH[layer]}` }),
              h("span", { class: "name" }, t(LABELS[layer])),
              h("span", { class: "count", testid: `layer-count-${layer}` }, this.count(layer)),
            ),
            this.legend(layer),
          ),
        ),
      ),
    );
  }
}
