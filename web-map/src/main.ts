// onemap web map: one map, heatmap, incident panel and grid dashboard over onemap's API.
// Everything it loads comes from the page's own origin (tiles, glyphs, the MapLibre
// worker); CJK labels are drawn with the browser's local fonts.

import * as maplibregl from "maplibre-gl";
import type { GeoJSONSource, Map, MapGeoJSONFeature, VectorTileSource } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import { adminChildren, adminRoots, type BBox, HttpError, incidentCount, summary, webConfig } from "./api";
import { currentLang, learnClasses, num, onLang, setLang, t } from "./i18n";
import { buildStyle, FILTERED, heatColor, tileUrl, type Toggle } from "./mapstyle";
import { state, type View } from "./state";
import "./style.css";
import { Dashboard } from "./ui/dashboard";
import { fill, h } from "./ui/dom";
import { DrillPanel } from "./ui/drill";
import { IncidentPanel } from "./ui/incident";
import { LayerPanel } from "./ui/layers";
import { SearchBox } from "./ui/search";
import { FilterPanel, TimeBar } from "./ui/timebar";

/** What tests and the console can reach: `window.onemap.map` is the MapLibre map. */
interface OnemapHandle {
  map: Map;
  state: typeof state;
  layers: LayerPanel;
  incident: IncidentPanel;
  /** True once the style, the panels and the first counts are in place. */
  ready: boolean;
}

declare global {
  interface Window {
    onemap: OnemapHandle;
  }
}

maplibregl.setWorkerUrl(workerUrl);

/** Fonts tried, in order, for CJK labels (drawn locally, never downloaded). */
const CJK_FONTS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', 'Hiragino Sans GB', sans-serif";

/** Which layers each view shows when it is opened. */
const VIEW_LAYERS: Record<View, Partial<Record<Toggle, boolean>>> = {
  onemap: { heatmap: false, incidents: true, admin: true, grids: true },
  heatmap: { heatmap: true, incidents: false, admin: true, grids: false, cameras: false, workers: false, patrols: false },
  dashboard: { heatmap: false, incidents: true, admin: true, grids: true },
};

async function waitReady(status: HTMLElement): Promise<void> {
  for (;;) {
    try {
      const r = await fetch("/ready");
      if (r.ok) return;
    } catch {
      /* the server may be starting */
    }
    status.textContent = t("notReady");
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** Does the server have H3 heatmap tiles? (Else the heatmap draws incident clusters.) */
async function hasHeatmapTiles(): Promise<boolean> {
  try {
    const r = await fetch("/tiles/heatmap/0/0/0.mvt");
    return r.status === 200 || r.status === 204;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const app = document.getElementById("app") as HTMLElement;
  const status = h("p", { class: "boot" }, t("loading"));
  app.append(status);
  await waitReady(status);
  const [sum, config, hex] = await Promise.all([summary(), webConfig(), hasHeatmapTiles()]);
  learnClasses([...sum.categories, ...sum.statuses].filter((c) => c.zh && c.en));
  state.init(sum);

  const mapEl = h("div", { id: "map" });
  const side = h("aside", { class: "side" });
  const tabs = h("nav", { class: "tabs" });
  const langBtn = h("button", { class: "lang", testid: "lang-switch", onclick: () => setLang(currentLang() === "zh" ? "en" : "zh") });
  const titleEl = h("h1", {});
  const header = h("header", { class: "top" }, titleEl, tabs);
  const body = h("main", {}, side, h("div", { class: "mapwrap" }, mapEl));
  status.remove();
  app.append(header, body);

  if (config.basemap?.pmtiles) {
    // Before the map exists: its style names a pmtiles:// source.
    const { Protocol } = await import("pmtiles");
    maplibregl.addProtocol("pmtiles", new Protocol().tile);
  }
  const [w, s, e, n] = sum.extent;
  const map = new maplibregl.Map({
    container: mapEl,
    style: buildStyle(state.filter, config, hex ? "heatmap" : "incidents"),
    bounds: [[w, s], [e, n]],
    // Room for the time bar at the bottom.
    fitBoundsOptions: { padding: { top: 20, left: 20, right: 20, bottom: 100 } },
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: false,
    hash: "map",
    maxZoom: 18,
    // Keeps the drawing buffer so that screenshots show the map.
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  if (config.basemap?.attribution) map.addControl(new maplibregl.AttributionControl({ compact: true }), "top-left");
  await new Promise<void>((res) => map.once("load", () => res()));

  const search = new SearchBox(map);
  search.onPick = (hit) => {
    if (hit.layer === "cameras") layers.set("cameras", true);
  };
  header.append(search.el, h("span", { class: "demo" }), langBtn);
  const layers = new LayerPanel(map);
  const drill = new DrillPanel(map);
  const filters = new FilterPanel();
  const dashboard = new Dashboard(map);
  const incident = new IncidentPanel(map);
  const timebar = new TimeBar();
  (body.querySelector(".mapwrap") as HTMLElement).append(timebar.el, incident.el);

  window.onemap = { map, state, layers, incident, ready: false };

  // Views: the side panel's sections and the layers each view opens with.
  const sections: Record<View, HTMLElement[]> = {
    onemap: [layers.el, drill.el],
    heatmap: [layers.el, filters.el],
    dashboard: [drill.el, dashboard.el],
  };
  const showView = () => {
    fill(side, sections[state.view]);
    for (const [layer, on] of Object.entries(VIEW_LAYERS[state.view])) layers.set(layer as Toggle, on);
    document.body.dataset.view = state.view;
    renderHeader();
  };
  const renderHeader = () => {
    fill(titleEl, "onemap ", h("span", {}, t("title")), h("small", {}, t("subtitle")));
    langBtn.textContent = t("langSwitch");
    (header.querySelector(".demo") as HTMLElement).textContent = location.hostname === "127.0.0.1" || location.hostname === "localhost" ? t("localDemo") : "";
    const views: Array<[View, "viewOnemap" | "viewHeatmap" | "viewDashboard"]> = [
      ["onemap", "viewOnemap"],
      ["heatmap", "viewHeatmap"],
      ["dashboard", "viewDashboard"],
    ];
    fill(
      tabs,
      views.map(([v, key]) =>
        h("button", { class: state.view === v ? "on" : "", testid: `view-${v}`, onclick: () => state.setView(v) }, t(key)),
      ),
    );
  };
  state.on("view", showView);
  onLang(renderHeader);
  const asked = new URLSearchParams(location.search).get("view");
  if (asked === "heatmap" || asked === "dashboard") state.view = asked;
  showView();

  // The filter re-tiles the filtered sources and recounts, together.
  let countAbort: AbortController | null = null;
  const recount = async () => {
    countAbort?.abort();
    const abort = new AbortController();
    countAbort = abort;
    timebar.setCount(null);
    try {
      const c = await incidentCount(state.filter, null, abort.signal);
      if (abort.signal.aborted) return;
      timebar.setCount(c);
      layers.setIncidentCount(c);
    } catch (err) {
      if (!abort.signal.aborted && !(err instanceof HttpError)) console.warn(err);
    }
  };
  const retile = () => {
    const f = state.filter;
    for (const id of FILTERED) {
      const src = map.getSource(id) as VectorTileSource | undefined;
      const layer = id === "heatmap" && !hex ? "incidents" : id;
      src?.setTiles([tileUrl(layer, f)]);
    }
  };
  state.on("filter", () => {
    retile();
    void recount();
  });

  // Heatmap colours follow what is on screen: the ramp spans the visible counts.
  const rescale = () => {
    if (!layers.isOn("heatmap")) return;
    const counts = map
      .queryRenderedFeatures({ layers: ["heatmap-fill"] })
      .map((f) => Number(f.properties.count))
      .filter((c) => c > 0)
      .sort((a, b) => a - b);
    if (counts.length === 0) return;
    const q = (p: number) => counts[Math.min(counts.length - 1, Math.floor(p * counts.length))];
    const breaks = [counts[0], q(0.5), q(0.75), q(0.9), counts[counts.length - 1]];
    const key = breaks.join(",");
    if (map.getLayer("heatmap-fill")?.type === "fill") {
      if ((map as unknown as { _heatKey?: string })._heatKey === key) return;
      (map as unknown as { _heatKey?: string })._heatKey = key;
      map.setPaintProperty("heatmap-fill", "fill-color", heatColor(breaks));
    } else {
      map.setPaintProperty("heatmap-fill", "circle-color", heatColor(breaks));
    }
    layers.setHeatBreaks(breaks);
  };
  map.on("idle", rescale);

  // Clicks: an incident opens its panel; a cluster zooms in; in the dashboard view a grid
  // is selected.
  const clickable = ["incidents-points", "incidents-clusters", "focus-points", "cameras-points", "workers-points"];
  map.on("click", (ev) => {
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
          : h("div", { class: "pop" }, h("b", {}, String(p.name)), h("small", {}, `${t("layerWorkers")} · ${String(p.id)}`));
      new maplibregl.Popup({ closeButton: true, maxWidth: "260px" })
        .setLngLat(thing.geometry.coordinates as [number, number])
        .setDOMContent(body)
        .addTo(map);
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

  // The selected unit is outlined on the map.
  state.on("selection", () => {
    const code = state.selected?.code ?? "";
    map.setFilter("selected-line", ["==", ["get", "code"], code.length === 15 ? "" : code]);
    map.setFilter("selected-grid-line", ["==", ["get", "code"], code.length === 15 ? code : ""]);
  });

  // County and township names at their bbox centres, from the drill-down API.
  void labelUnits(map);

  await recount();
  window.onemap.ready = true;
  document.body.dataset.ready = "true";
}

/** Feeds the "labels" source with one point per county and township (8 + 1 requests for
 * a prefecture); without the drill-down API the tile polygons carry those labels. */
async function labelUnits(map: Map): Promise<void> {
  try {
    let top = (await adminRoots()).children;
    // A single root above the counties (the prefecture): its children are the counties.
    if (top.length === 1 && top[0].level !== "county") top = (await adminChildren(top[0].code)).children;
    const counties = top.filter((u) => u.level === "county");
    const townships = (await Promise.all(counties.map((c) => adminChildren(c.code)))).flatMap((r) => r.children);
    (map.getSource("labels") as GeoJSONSource).setData({
      type: "FeatureCollection",
      features: [...counties, ...townships].map((u) => ({
        type: "Feature",
        geometry: { type: "Point", coordinates: [(u.bbox[0] + u.bbox[2]) / 2, (u.bbox[1] + u.bbox[3]) / 2] },
        properties: { name: u.name, code: u.code, level: u.level },
      })),
    });
  } catch {
    const f = map.getFilter("admin-label") as unknown[];
    map.setFilter("admin-label", [
      ...f,
      ["all", ["==", ["get", "level"], "county"], ["<", ["zoom"], 10]],
      ["all", ["==", ["get", "level"], "township"], [">=", ["zoom"], 10], ["<", ["zoom"], 12.5]],
    ] as never);
  }
}

main().catch((e) => {
  console.error(e);
  const app = document.getElementById("app");
  if (app) app.textContent = `onemap: ${String(e)}`;
});
