// onemap web map: one map, heatmap, incident panel and grid dashboard over onemap's API.
// Everything it loads comes from the page's own origin (tiles, glyphs, the MapLibre
// worker); CJK labels are drawn with the browser's local fonts.

import * as maplibregl from "maplibre-gl";
import type { Map, VectorTileSource } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import { HttpError, incidentCount, me, summary, webConfig } from "./api";
import { currentLang, learnClasses, onLang, setLang, t } from "./i18n";
import { buildStyle, FILTERED, tileUrl, type Toggle } from "./mapstyle";
import { state, type View } from "./state";
import "./style.css";
import { accountControl, loginForm } from "./ui/account";
import { installClicks } from "./ui/clicks";
import { Dashboard } from "./ui/dashboard";
import { Editor } from "./ui/editor";
import { fill, h } from "./ui/dom";
import { DrillPanel } from "./ui/drill";
import { installHeatScale } from "./ui/heatscale";
import { IncidentPanel } from "./ui/incident";
import { ImportWizard } from "./ui/import";
import { LayerPanel } from "./ui/layers";
import { Live } from "./ui/live";
import { SearchBox } from "./ui/search";
import { FilterPanel, TimeBar } from "./ui/timebar";

/** What tests and the console can reach: `window.onemap.map` is the MapLibre map. */
interface OnemapHandle {
  map: Map;
  state: typeof state;
  layers: LayerPanel;
  incident: IncidentPanel;
  live: Live;
  editor: Editor;
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

async function main(): Promise<void> {
  const app = document.getElementById("app") as HTMLElement;
  const status = h("p", { class: "boot" }, t("loading"));
  app.append(status);
  await waitReady(status);
  const who = await me();
  state.me = who;
  if (who.mode === "login" && !who.user) {
    // Nothing but the login until someone signs in: every layer needs a user.
    status.remove();
    app.append(loginForm(true));
    return;
  }
  const [sum, config] = await Promise.all([summary(), webConfig()]);
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
  // A unit with nothing mapped yet has no extent: the map opens on China.
  const [w, s, e, n] = sum.extent ?? [73.5, 18.0, 135.1, 53.6];
  const map = new maplibregl.Map({
    container: mapEl,
    style: buildStyle(state.filter, config),
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
  // The import wizard: after a commit the layer counts are read again (tiles are re-fetched by the wizard).
  const importer = new ImportWizard(map);
  importer.onCommitted = () => {
    void summary().then((s) => {
      state.summary.counts = s.counts;
      layers.render();
    });
  };
  const live = new Live(map);
  const editor = new Editor(map);
  // Tools the user's role may not use are not offered (the server refuses them anyway).
  header.append(
    search.el,
    live.el,
    h("span", { class: "demo" }),
    ...(who.may.edit ? [editor.button] : []),
    ...(who.may.import ? [importer.button] : []),
    accountControl(who),
    langBtn,
  );
  const layers = new LayerPanel(map);
  const drill = new DrillPanel(map);
  const filters = new FilterPanel();
  const dashboard = new Dashboard(map);
  const incident = new IncidentPanel(map);
  const timebar = new TimeBar();
  (body.querySelector(".mapwrap") as HTMLElement).append(timebar.el, incident.el, importer.el, editor.el);

  window.onemap = { map, state, layers, incident, live, editor, ready: false };

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
    (header.querySelector(".demo") as HTMLElement).textContent = who.mode === "open" ? t("localDemo") : "";
    const account = header.querySelector('[data-testid="account"]');
    if (account) account.replaceWith(accountControl(who));
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
      src?.setTiles([tileUrl(id, f)]);
    }
  };
  state.on("filter", () => {
    retile();
    void recount();
  });

  installHeatScale(map, layers);
  installClicks(map, layers, incident);

  // The selected unit is outlined on the map.
  state.on("selection", () => {
    const code = state.selected?.code ?? "";
    map.setFilter("selected-line", ["==", ["get", "code"], code.length === 15 ? "" : code]);
    map.setFilter("selected-grid-line", ["==", ["get", "code"], code.length === 15 ? code : ""]);
  });

  await recount();
  live.start();
  window.onemap.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  console.error(e);
  const app = document.getElementById("app");
  if (app) app.textContent = `onemap: ${String(e)}`;
});
