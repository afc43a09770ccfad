// Map clicks: an incident opens its panel, a cluster zooms in, a camera or worker shows a
// popup, a grid is selected (dashboard view) or named with a way to its dashboard.

import * as maplibregl from "maplibre-gl";
import type { Map, MapGeoJSONFeature } from "maplibre-gl";
import type { BBox } from "../api";
import { num, t } from "../i18n";
import { state } from "../state";
import { h } from "./dom";
import type { IncidentPanel } from "./incident";
import type { LayerPanel } from "./layers";

/** Wires the map's click and hover handlers. */
export function installClicks(map: Map, layers: LayerPanel, incident: IncidentPanel): void {
  const clickable = ["incidents-points", "incidents-clusters", "focus-points", "cameras-points", "workers-points"];
  map.on("click", (ev) => {
    if (state.mapCaptured) return;
    const hits: MapGeoJSONFeature[] = map.queryRenderedFeatures(ev.point, { layers: clickable.filter((l) => map.getLayer(l)) });
    const point = hits.find((f) => f.layer.id === "incidents-points");
    if (point && point.id !== undefined) {
      void incident.open(point.id);
      return;
    }
    const thing = hits.find((f) => f.layer.id === "cameras-points" || f.layer.id === "workers-points");
    if (thing && thing.geometry.type === "Point") {
      const p = thing.properties;
      const body =
        thing.layer.id === "cameras-points"
          ? h("div", { class: "pop" }, h("b", {}, String(p.name)), h("small", {}, `${t("layerCameras")} · ${String(p.id)}`), h("small", {}, p.status === "online" ? t("online_") : t("offline_")))
          : h("div", { class: "pop" }, h("b", { testid: "worker-name" }, String(p.id)), h("small", {}, `${t("layerWorkers")} · ${String(p.id)}`));
      new maplibregl.Popup({ closeButton: true, maxWidth: "260px" })
        .setLngLat(thing.geometry.coordinates as [number, number])
        .setDOMContent(body)
        .addTo(map);
      // Worker tiles carry no names (personal data): the name comes from the API, which
      // gives it to operators and above only.
      if (thing.layer.id === "workers-points") {
        void fetch(`/collections/workers/items/${encodeURIComponent(String(p.id))}`)
          .then((r) => (r.ok ? r.json() : null))
          .then((f) => {
            const name = f?.properties?.name;
            const b = body.querySelector("b");
            if (name && b) b.textContent = String(name);
          })
          .catch(() => undefined);
      }
      return;
    }
    const cluster = hits.find((f) => f.layer.id === "incidents-clusters");
    if (cluster && cluster.geometry.type === "Point") {
      map.easeTo({ center: cluster.geometry.coordinates as [number, number], zoom: Math.min(map.getZoom() + 2, 14.5) });
      return;
    }
    const grid = layers.isOn("grids") ? map.queryRenderedFeatures(ev.point, { layers: ["grids-fill"] })[0] : undefined;
    if (!grid) return;
    const p = grid.properties;
    const b = new maplibregl.LngLatBounds();
    for (const c of JSON.stringify(grid.geometry).match(/-?\d+\.?\d*,-?\d+\.?\d*/g) ?? []) {
      const [x, y] = c.split(",").map(Number);
      b.extend([x, y]);
    }
    const unit = { code: String(p.code), name: String(p.name), level: "grid", bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] as BBox };
    if (state.view === "dashboard") {
      state.select(unit);
      return;
    }
    // Elsewhere a grid click names the grid and offers its dashboard.
    const popup = new maplibregl.Popup({ closeButton: true, maxWidth: "260px" }).setLngLat(ev.lngLat);
    popup
      .setDOMContent(
        h(
          "div",
          { class: "pop", testid: "grid-popup" },
          h("b", {}, unit.name),
          h("small", {}, `${t("levelGrid")} · ${unit.code}`),
          h("small", {}, `${t("households")} ${num(Number(p.households))} · ${t("population")} ${num(Number(p.population))} · ${t("workers")} ${num(Number(p.workers))}`),
          h(
            "button",
            {
              class: "link",
              testid: "grid-popup-dashboard",
              onclick: () => {
                popup.remove();
                state.select(unit);
                state.setView("dashboard");
              },
            },
            `${t("dashboard")} ›`,
          ),
        ),
      )
      .addTo(map);
  });
  for (const l of ["incidents-points", "incidents-clusters", "cameras-points", "workers-points"]) {
    map.on("mouseenter", l, () => (map.getCanvas().style.cursor = "pointer"));
    map.on("mouseleave", l, () => (map.getCanvas().style.cursor = ""));
  }

}
