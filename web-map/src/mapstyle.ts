// The map's style, built here (the web map owns its look): one vector source per onemap
// tile layer on the page's own origin, glyphs served by onemap, an optional basemap beneath.

import type { ExpressionSpecification, LayerSpecification, Map, SourceSpecification, StyleSpecification, VectorTileSource } from "maplibre-gl";
import type { IncidentFilter, WebConfig } from "./api";
import { qs } from "./api";

/** The fontstack whose glyph PBFs the build ships (web-map/scripts/glyphs.mjs). */
export const FONT = "Noto Sans Regular";

/** The tile layers of label points beside the admin and grid polygons (TileJSON lists them). */
export const ADMIN_LABELS = "admin_label";
export const GRID_LABELS = "grids_label";

/** Toggleable layers, in panel order; each names the style layers it shows or hides. */
export const TOGGLES = {
  admin: ["admin-fill", "admin-line-village", "admin-line-township", "admin-line-county", "admin-label", "county-label"],
  grids: ["grids-fill", "grids-line", "grids-label"],
  heatmap: ["heatmap-fill", "heatmap-line"],
  patrols: ["patrols-line"],
  incidents: ["incidents-clusters", "incidents-cluster-count", "incidents-points"],
  cameras: ["cameras-points"],
  workers: ["workers-points"],
} as const;

export type Toggle = keyof typeof TOGGLES;

/** Category colours (legend and points). */
export const CATEGORY_COLORS: Record<string, string> = {
  dispute: "#e8590c",
  public_security: "#1c7ed6",
  fire_hazard: "#e03131",
  safety_hazard: "#f59f00",
  environment: "#2f9e44",
  petition: "#7048e8",
  other: "#868e96",
};

/** Heatmap ramp, low to high. */
export const HEAT_COLORS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];

/** Layers whose tiles take the incident filter. */
export const FILTERED: readonly string[] = ["incidents", "heatmap", "patrols"];

/** Bumped by each write made from this page (an import): a new tile URL, so that the
 * browser does not reuse tiles it cached before the write (the server ignores `v`). */
let tileVersion = 0;

/** The tile URL template of a layer under a filter. */
export function tileUrl(layer: string, f: IncidentFilter | null): string {
  const filter = f && FILTERED.includes(layer) ? { from: f.from, to: f.to, category: f.category, status: f.status } : {};
  const q = qs({ ...filter, v: tileVersion || undefined });
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${q}`;
}

/** Reloads every tile source after a write (the server has dropped its stale tiles). */
export function bumpTiles(map: Map, f: IncidentFilter): void {
  tileVersion++;
  for (const [id, src] of Object.entries(map.getStyle().sources)) {
    if (src.type === "vector") (map.getSource(id) as VectorTileSource | undefined)?.setTiles([tileUrl(id, f)]);
  }
}

function vector(layer: string, f: IncidentFilter, minzoom = 0): SourceSpecification {
  return { type: "vector", tiles: [tileUrl(layer, f)], minzoom, maxzoom: 16 };
}

const categoryColor: ExpressionSpecification = [
  "match",
  ["get", "category"],
  ...Object.entries(CATEGORY_COLORS).flat(),
  "#868e96",
] as unknown as ExpressionSpecification;

/** The heatmap fill colour for a count scale (the five break values). */
export function heatColor(breaks: number[]): ExpressionSpecification {
  const stops: Array<number | string> = [];
  let last = -Infinity;
  breaks.forEach((b, i) => {
    const v = Math.max(b, last + 1e-6);
    stops.push(v, HEAT_COLORS[i]);
    last = v;
  });
  return ["interpolate", ["linear"], ["get", "count"], ...stops] as unknown as ExpressionSpecification;
}

/** Builds the whole style over the current filter and the optional basemap. */
export function buildStyle(f: IncidentFilter, config: WebConfig): StyleSpecification {
  const sources: Record<string, SourceSpecification> = {
    admin: vector("admin", f),
    grids: vector("grids", f, 9),
    heatmap: vector("heatmap", f),
    patrols: vector("patrols", f, 10),
    incidents: vector("incidents", f),
    cameras: vector("cameras", f, 12),
    workers: vector("workers", f, 11),
    focus: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
  };
  const layers: LayerSpecification[] = [
    { id: "background", type: "background", paint: { "background-color": "#eef1f3" } },
  ];
  const bm = config.basemap;
  if (bm && (bm.tiles?.length || bm.pmtiles)) {
    const base = {
      tileSize: bm.tileSize ?? 256,
      maxzoom: bm.maxzoom ?? 18,
      attribution: bm.attribution ?? "",
    };
    sources.basemap = bm.pmtiles
      ? { type: "raster", url: `pmtiles://${new URL(bm.pmtiles, location.href).href}`, ...base }
      : { type: "raster", tiles: bm.tiles ?? [], ...base };
    layers.push({ id: "basemap", type: "raster", source: "basemap" });
    (bm.overlays ?? []).forEach((tiles, i) => {
      sources[`basemap-${i}`] = { type: "raster", tiles, ...base };
      layers.push({ id: `basemap-${i}`, type: "raster", source: `basemap-${i}` });
    });
  }
  layers.push(
    {
      id: "admin-fill",
      type: "fill",
      source: "admin",
      "source-layer": "admin",
      filter: ["==", ["get", "level"], "county"],
      paint: { "fill-color": "#ffffff", "fill-opacity": bm ? 0 : 0.55 },
    },
    {
      id: "grids-fill",
      type: "fill",
      source: "grids",
      "source-layer": "grids",
      minzoom: 10,
      paint: {
        "fill-color": ["match", ["get", "kind"], "basic", "#74c0fc", "#ffa94d"],
        "fill-opacity": ["interpolate", ["linear"], ["zoom"], 10, 0.08, 15, 0.18],
      },
    },
    {
      id: "heatmap-fill",
      type: "fill",
      source: "heatmap",
      "source-layer": "heatmap",
      layout: { visibility: "none" },
      // Rescaled to the counts on screen (ui/heatscale.ts).
      paint: { "fill-color": heatColor([1, 5, 20, 50, 200]), "fill-opacity": 0.72 },
    },
    {
      id: "heatmap-line",
      type: "line",
      source: "heatmap",
      "source-layer": "heatmap",
      layout: { visibility: "none" },
      paint: { "line-color": "#ffffff", "line-width": 0.4, "line-opacity": 0.6 },
    },
    {
      id: "grids-line",
      type: "line",
      source: "grids",
      "source-layer": "grids",
      minzoom: 10,
      paint: {
        "line-color": "#1971c2",
        "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.3, 15, 1.2],
        "line-opacity": 0.7,
      },
    },
    {
      id: "admin-line-village",
      type: "line",
      source: "admin",
      "source-layer": "admin",
      minzoom: 11,
      filter: ["==", ["get", "level"], "village"],
      paint: { "line-color": "#748ffc", "line-width": 0.8, "line-dasharray": [2, 2] },
    },
    {
      id: "admin-line-township",
      type: "line",
      source: "admin",
      "source-layer": "admin",
      minzoom: 8,
      filter: ["==", ["get", "level"], "township"],
      paint: { "line-color": "#5c7cfa", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.6, 13, 1.6] },
    },
    {
      id: "admin-line-county",
      type: "line",
      source: "admin",
      "source-layer": "admin",
      filter: ["==", ["get", "level"], "county"],
      paint: { "line-color": "#364fc7", "line-width": ["interpolate", ["linear"], ["zoom"], 6, 1.2, 12, 3] },
    },
    {
      id: "selected-line",
      type: "line",
      source: "admin",
      "source-layer": "admin",
      filter: ["==", ["get", "code"], ""],
      paint: { "line-color": "#f03e3e", "line-width": 3 },
    },
    {
      id: "selected-grid-line",
      type: "line",
      source: "grids",
      "source-layer": "grids",
      filter: ["==", ["get", "code"], ""],
      paint: { "line-color": "#f03e3e", "line-width": 3 },
    },
    {
      id: "patrols-line",
      type: "line",
      source: "patrols",
      "source-layer": "patrols",
      minzoom: 10,
      layout: { visibility: "none" },
      paint: { "line-color": "#0ca678", "line-width": 1.5, "line-opacity": 0.8 },
    },
    {
      id: "incidents-clusters",
      type: "circle",
      source: "incidents",
      "source-layer": "incidents",
      filter: ["has", "count"],
      paint: {
        "circle-color": "#e8590c",
        "circle-opacity": 0.55,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
        "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 4, 10, 12, 40, 26],
      },
    },
    {
      id: "incidents-cluster-count",
      type: "symbol",
      source: "incidents",
      "source-layer": "incidents",
      filter: ["all", ["has", "count"], [">=", ["get", "count"], 10]],
      minzoom: 9,
      layout: {
        "text-field": ["to-string", ["get", "count"]],
        "text-font": [FONT],
        "text-size": 11,
        "text-allow-overlap": false,
      },
      paint: { "text-color": "#5c1a00", "text-halo-color": "#ffffff", "text-halo-width": 1 },
    },
    {
      id: "incidents-points",
      type: "circle",
      source: "incidents",
      "source-layer": "incidents",
      filter: ["!", ["has", "count"]],
      paint: {
        "circle-color": categoryColor,
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 14, 4, 17, 7],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
      },
    },
    {
      id: "cameras-points",
      type: "circle",
      source: "cameras",
      "source-layer": "cameras",
      minzoom: 12,
      layout: { visibility: "none" },
      paint: {
        "circle-color": ["match", ["get", "status"], "online", "#1c7ed6", "#adb5bd"],
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 1.5, 16, 4],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 0.5,
      },
    },
    {
      id: "workers-points",
      type: "circle",
      source: "workers",
      "source-layer": "workers",
      minzoom: 11,
      layout: { visibility: "none" },
      paint: {
        "circle-color": "#0ca678",
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 11, 2, 16, 5],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
      },
    },
    // Names are drawn from the label points the server puts beside the polygons (one per
    // feature, inside it, in the one tile holding it): a symbol layer over the polygons
    // themselves draws a name once per tile the polygon crosses.
    {
      id: "grids-label",
      type: "symbol",
      source: "grids",
      "source-layer": GRID_LABELS,
      minzoom: 14,
      layout: { "text-field": ["get", "name"], "text-font": [FONT], "text-size": 11 },
      paint: { "text-color": "#1864ab", "text-halo-color": "#ffffff", "text-halo-width": 1.2 },
    },
    {
      id: "admin-label",
      type: "symbol",
      source: "admin",
      "source-layer": ADMIN_LABELS,
      filter: [
        "any",
        ["all", ["==", ["get", "level"], "village"], [">=", ["zoom"], 12.5]],
      ],
      layout: {
        "text-field": ["get", "name"],
        "text-font": [FONT],
        "text-size": ["match", ["get", "level"], "county", 15, "township", 13, 12],
      },
      paint: { "text-color": "#1b2a4a", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
    },
    {
      id: "county-label",
      type: "symbol",
      source: "admin",
      "source-layer": ADMIN_LABELS,
      filter: [
        "any",
        ["all", ["==", ["get", "level"], "county"], ["<", ["zoom"], 10]],
        ["all", ["==", ["get", "level"], "township"], [">=", ["zoom"], 10], ["<", ["zoom"], 12.5]],
      ],
      layout: {
        "text-field": ["get", "name"],
        "text-font": [FONT],
        "text-size": ["match", ["get", "level"], "county", 16, 13],
      },
      paint: { "text-color": "#1b2a4a", "text-halo-color": "#ffffff", "text-halo-width": 2 },
    },
    {
      id: "focus-sectors",
      type: "fill",
      source: "focus",
      filter: ["==", ["get", "kind"], "sector"],
      paint: {
        "fill-color": ["case", ["get", "faces"], "#1c7ed6", "#adb5bd"],
        "fill-opacity": 0.3,
        "fill-outline-color": "#1864ab",
      },
    },
    {
      id: "focus-lines",
      type: "line",
      source: "focus",
      filter: ["==", ["get", "kind"], "link"],
      paint: {
        "line-color": ["match", ["get", "to"], "worker", "#0ca678", "#1c7ed6"],
        "line-width": 1.5,
        "line-dasharray": [3, 2],
      },
    },
    {
      id: "focus-points",
      type: "circle",
      source: "focus",
      filter: ["==", ["geometry-type"], "Point"],
      paint: {
        "circle-color": ["match", ["get", "kind"], "incident", "#f03e3e", "worker", "#0ca678", "#1c7ed6"],
        "circle-radius": ["match", ["get", "kind"], "incident", 8, 6],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
      },
    },
    {
      id: "focus-labels",
      type: "symbol",
      source: "focus",
      filter: ["all", ["==", ["geometry-type"], "Point"], ["has", "label"]],
      layout: {
        "text-field": ["get", "label"],
        "text-font": [FONT],
        "text-size": 12,
        "text-offset": [0, 1.3],
        "text-anchor": "top",
      },
      paint: { "text-color": "#212529", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
    },
  );
  return {
    version: 8,
    name: "onemap",
    // onemap serves the build at `/`, so its fonts folder is /fonts (as in /style.json).
    glyphs: `${location.origin}/fonts/{fontstack}/{range}.pbf`,
    sources,
    layers,
  };
}
