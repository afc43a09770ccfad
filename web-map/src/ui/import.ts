// The import wizard: upload a file for a layer (with its CRS and text encoding when the
// file does not say), see what the checks found (a summary, the findings as a list and on
// the map beside the features), then commit it in one change set or cancel. Nothing is
// written before the commit. Server side: POST /api/imports and /api/imports/{id}/...

import type { GeoJSONSource, LngLatBoundsLike, Map } from "maplibre-gl";
import { qs } from "../api";
import { num, onLang, t, type Key } from "../i18n";
import { bumpTiles } from "../mapstyle";
import { state } from "../state";
import { fill, h } from "./dom";

/** One finding of the report (see geo_core::validate::Finding). */
export interface Finding {
  index: number | null;
  id: string | null;
  check: string;
  severity: "error" | "warning";
  message: string;
  lon: number | null;
  lat: number | null;
  area_m2: number | null;
  other: string | null;
  /** Rows a gathered finding (a default applied, a missing column) concerns. */
  count?: number;
  /** Those rows, unless they are every row of the file. */
  rows?: number[];
}

/** The validation report (geo_core::load::Report). */
export interface ImportReport {
  file: string;
  format: string | null;
  layer: string;
  crs: string | null;
  crs_from: string;
  encoding: string | null;
  encoding_declared: boolean | null;
  features: number;
  accepted: number;
  skipped: number[];
  repairs: string[];
  /** onemap properties the file lacks, set to a stated default. */
  defaults?: string[];
  /** What the coverage cleaning closed (geo_core::validate::Cleaning). */
  cleaning?: Cleaning | null;
  findings: Finding[];
}

/** Misfits closed between neighbours on import. */
export interface Cleaning {
  tolerance_m: number;
  features: number;
  neighbours: number;
  widest_m: number;
  area_m2: number;
  kept: number[];
}

/** The findings of one check and severity (geo_core::load::FindingGroup). */
export interface FindingGroup {
  check: string;
  severity: "error" | "warning";
  findings: number;
  rows: number;
  area_m2: number | null;
  largest_m2: number | null;
  /** Positions in report.findings of the worst, worst first. */
  worst: number[];
}

/** One column of the uploaded file, for the mapping step. */
export interface FileColumn {
  name: string;
  /** The onemap property it was read as (`id` for the key), if any. */
  property: string | null;
  /** Its distinct values (codes) with their rows, most frequent first. */
  values: Array<{ value: string; rows: number }>;
  /** More distinct values than listed. */
  more: boolean;
}

/** A mapping file (geo_core::load::Mapping): file column -> onemap property, and per
 * onemap property file value -> onemap value. */
export interface Mapping {
  layer?: string;
  columns: Record<string, string>;
  values: Record<string, Record<string, string>>;
}

/** A pending import: POST /api/imports and GET /api/imports/{id}. */
export interface PendingImport {
  id: string;
  layer: string;
  file: string;
  errors: number;
  warnings: number;
  groups: FindingGroup[];
  report: ImportReport;
  columns?: FileColumn[];
  /** The properties a column may be mapped to. */
  properties?: string[];
  /** Per enum property, the values a file value may be mapped to. */
  choices?: Record<string, string[]>;
}

/** A mapping with nothing in it. */
function emptyMapping(): Mapping {
  return { columns: {}, values: {} };
}

/** Whether a mapping says anything. */
function mappingUsed(m: Mapping): boolean {
  return Object.keys(m.columns).length > 0 || Object.values(m.values).some((v) => Object.keys(v).length > 0);
}

/** A mapping read from a saved file's text (JSON), or null. */
export function parseMapping(text: string): Mapping | null {
  try {
    const raw = JSON.parse(text) as Partial<Mapping>;
    if (typeof raw !== "object" || raw === null) return null;
    const strings = (o: unknown): Record<string, string> =>
      Object.fromEntries(Object.entries((o ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === "string")) as Record<string, string>;
    const values: Record<string, Record<string, string>> = {};
    for (const [k, v] of Object.entries(raw.values ?? {})) values[k] = strings(v);
    return { ...(typeof raw.layer === "string" ? { layer: raw.layer } : {}), columns: strings(raw.columns), values };
  } catch {
    return null;
  }
}

/** POST /api/imports/{id}/commit */
export interface Committed {
  written: number;
  seq: number | null;
  layers?: string[];
}

type FC = GeoJSON.FeatureCollection;

/** The layers a file can be imported into, with their label keys. */
const LAYERS: Array<[string, Key]> = [
  ["grids", "layerGrids"],
  ["admin", "layerAdmin"],
  ["cameras", "layerCameras"],
  ["incidents", "layerIncidents"],
  ["patrols", "layerPatrols"],
  ["workers", "layerWorkers"],
  ["centers", "importLayerCenters"],
];

/** CRS choices: the file's own, the lon/lat systems, Web Mercator, the Gauss-Kruger zones
 * over Xiangxi (3° CM 108E/111E, 6° zone 19), the obfuscated systems, or any EPSG code. */
const CRSS: Array<[string, string]> = [
  ["", ""],
  ["EPSG:4490", "EPSG:4490 CGCS2000"],
  ["EPSG:4326", "EPSG:4326 WGS 84"],
  ["EPSG:3857", "EPSG:3857 Web Mercator"],
  ["EPSG:4545", "EPSG:4545 CGCS2000 / 3° GK CM 108E"],
  ["EPSG:4546", "EPSG:4546 CGCS2000 / 3° GK CM 111E"],
  ["EPSG:4527", "EPSG:4527 CGCS2000 / 3° GK zone 36"],
  ["EPSG:4528", "EPSG:4528 CGCS2000 / 3° GK zone 37"],
  ["EPSG:4508", "EPSG:4508 CGCS2000 / GK CM 111E"],
  ["EPSG:4497", "EPSG:4497 CGCS2000 / GK zone 19"],
  ["gcj02", ""],
  ["bd09", ""],
  ["custom", ""],
];

const ENCODINGS = ["", "UTF-8", "GBK", "GB18030", "Big5"];

/** The server's upload limit (tile-server routes::import::MAX_UPLOAD). */
const MAX_UPLOAD = 256 * 1024 * 1024;

const SRC_FEATURES = "import-features";
const SRC_FINDINGS = "import-findings";
/** Style layers the wizard adds (and removes when it is done). */
export const IMPORT_LAYERS = [
  "import-features-fill",
  "import-features-line",
  "import-features-points",
  "import-findings-fill",
  "import-findings-line",
  "import-findings-points",
  "import-finding-selected-line",
  "import-finding-selected-point",
] as const;

const SEVERITY_COLOR = ["match", ["get", "severity"], "error", "#e03131", "#f08c00"] as const;

/** Error text from a JSON error body ({code, description}), else the status. */
async function failure(r: Response): Promise<string> {
  try {
    const body = (await r.json()) as { description?: string };
    if (body.description) return body.description;
  } catch {
    /* not JSON */
  }
  return `HTTP ${r.status}`;
}

/** The bounding box of every coordinate in a feature collection, if any. */
function bounds(fc: FC): [number, number, number, number] | null {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === "number" && typeof c[1] === "number") {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
      return;
    }
    for (const x of c) walk(x);
  };
  for (const f of fc.features) {
    const g = f.geometry;
    if (!g) continue;
    if (g.type === "GeometryCollection") for (const x of g.geometries) walk((x as GeoJSON.Point).coordinates);
    else walk(g.coordinates);
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

const EMPTY: FC = { type: "FeatureCollection", features: [] };

/** The wizard: a header button and a panel over the map. */
export class ImportWizard {
  readonly button = h("button", { class: "import-open", testid: "import-open", onclick: () => this.open() });
  readonly el = h("aside", { class: "importer", testid: "import-panel", hidden: true });

  /** Called after a commit with the layer written (main refreshes counts). */
  onCommitted: (layer: string, result: Committed) => void = () => {};

  private file: HTMLInputElement;
  private layer: HTMLSelectElement;
  private crs: HTMLSelectElement;
  private crsCustom: HTMLInputElement;
  private encoding: HTMLSelectElement;
  private table: HTMLInputElement;
  private tolerance: HTMLInputElement;
  private pending: PendingImport | null = null;
  private findingsFc: FC = EMPTY;
  private selected: number | null = null;
  private skipInvalid = false;
  private busy = false;
  private message: { text: string; kind: "error" | "ok" | "info" } | null = null;
  /** The mapping sent with the upload, edited in the mapping step. */
  private mapping: Mapping = emptyMapping();
  private mapLoad: HTMLInputElement;

  constructor(private readonly map: Map) {
    this.file = h("input", { type: "file", testid: "import-file", accept: ".geojson,.json,.ndjson,.zip,.shp,.gpkg,.kml,.kmz,.csv,.txt,.fgb,.gpx" });
    this.layer = h("select", { testid: "import-layer" });
    this.crs = h("select", { testid: "import-crs", onchange: () => this.syncCustom() });
    this.crsCustom = h("input", { type: "text", testid: "import-crs-custom", hidden: true, placeholder: "EPSG:4549" });
    this.encoding = h("select", { testid: "import-encoding" });
    this.table = h("input", { type: "text", testid: "import-table" });
    this.tolerance = h("input", { type: "number", testid: "import-tolerance", min: "0", max: "5", step: "0.1", value: "0.5" });
    this.mapLoad = h("input", { type: "file", testid: "import-map-load", accept: ".json,application/json", onchange: () => void this.loadMapping() });
    onLang(() => this.render());
  }

  /** Opens the panel on its first step (or on the pending import). */
  open(): void {
    this.el.hidden = false;
    this.render();
  }

  /** Closes the panel; a pending import is cancelled on the server. */
  async close(): Promise<void> {
    await this.cancel();
    this.el.hidden = true;
  }

  private syncCustom(): void {
    this.crsCustom.hidden = this.crs.value !== "custom";
  }

  private crsValue(): string {
    return this.crs.value === "custom" ? this.crsCustom.value.trim() : this.crs.value;
  }

  private async upload(): Promise<void> {
    const file = this.file.files?.[0];
    if (!file) {
      this.message = { text: t("importChooseFile"), kind: "error" };
      return this.render();
    }
    if (file.size > MAX_UPLOAD) {
      this.message = { text: `${t("importTooLarge")} (${num(Math.round(file.size / 1048576))} MiB)`, kind: "error" };
      return this.render();
    }
    if (this.pending) await this.cancel();
    this.busy = true;
    this.message = { text: t("importReading"), kind: "info" };
    this.render();
    try {
      const layer = this.layer.value;
      const map = mappingUsed(this.mapping) ? JSON.stringify({ ...this.mapping, layer }) : undefined;
      const q = qs({ layer, name: file.name, crs: this.crsValue(), encoding: this.encoding.value, table: this.table.value.trim(), tolerance_m: this.tolerance.value.trim(), map });
      const r = await fetch(`/api/imports${q}`, { method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" } });
      if (!r.ok) throw new Error(await failure(r));
      this.pending = (await r.json()) as PendingImport;
      this.skipInvalid = false;
      this.selected = null;
      this.message = null;
      await this.draw();
    } catch (e) {
      this.message = { text: e instanceof Error ? e.message : String(e), kind: "error" };
    }
    this.busy = false;
    this.render();
  }

  /** Reads a saved mapping chosen in the file input; with an import pending, checks again. */
  private async loadMapping(): Promise<void> {
    const f = this.mapLoad.files?.[0];
    if (!f) return;
    const m = parseMapping(await f.text());
    this.mapLoad.value = "";
    if (!m) {
      this.message = { text: t("importMapBad"), kind: "error" };
      return this.render();
    }
    this.mapping = { columns: m.columns, values: m.values };
    if (m.layer && LAYERS.some(([l]) => l === m.layer)) this.layer.value = m.layer;
    this.message = { text: `${t("importMapLoaded")}: ${f.name}`, kind: "info" };
    if (this.pending) return this.upload();
    this.render();
  }

  /** Downloads the mapping as a file to reuse (here, or with `onemap import --map`). */
  private saveMapping(): void {
    const layer = this.pending?.layer ?? this.layer.value;
    const text = JSON.stringify({ layer, ...this.mapping }, null, 2);
    const a = h("a", { href: URL.createObjectURL(new Blob([text], { type: "application/json" })), download: `onemap-mapping-${layer}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /** Sets (or, with "", clears) the property file column `column` is read as. */
  private setColumn(column: string, property: string): void {
    if (property) this.mapping.columns[column] = property;
    else delete this.mapping.columns[column];
    this.render();
  }

  /** Sets (or clears) the onemap value of file value `from` of `property`. */
  private setValue(property: string, from: string, to: string): void {
    const values = (this.mapping.values[property] ??= {});
    if (to) values[from] = to;
    else delete values[from];
    if (Object.keys(values).length === 0) delete this.mapping.values[property];
    this.render();
  }

  /** The mapping step: each column with a select of properties; for a column read as an
   * enum property, each of its values with a select of onemap values; the mapping as text. */
  private renderMapping(p: PendingImport): HTMLElement | null {
    const columns = p.columns ?? [];
    const properties = p.properties ?? [];
    if (columns.length === 0 || properties.length === 0) return null;
    const choices = p.choices ?? {};
    const rows = columns.map((c, n) => {
      const chosen = this.mapping.columns[c.name] ?? "";
      const effective = chosen || c.property || "";
      const select = h(
        "select",
        { testid: `import-map-column-${n}`, "data-column": c.name, onchange: (e: Event) => this.setColumn(c.name, (e.target as HTMLSelectElement).value) },
        h("option", { value: "" }, c.property ? `${t("importMapAuto")}: ${c.property}` : `${t("importMapAuto")}: –`),
        properties.map((name) => h("option", { value: name }, name)),
      );
      select.value = chosen;
      const targets = choices[effective];
      const values =
        targets && c.values.length > 0
          ? h(
              "ul",
              { class: "map-values", testid: `import-map-values-${n}` },
              c.values.map((v, k) => {
                const sel = h(
                  "select",
                  { testid: `import-map-value-${n}-${k}`, "data-value": v.value, onchange: (e: Event) => this.setValue(effective, v.value, (e.target as HTMLSelectElement).value) },
                  h("option", { value: "" }, t("importMapKeep")),
                  targets.map((x) => h("option", { value: x }, x)),
                );
                sel.value = this.mapping.values[effective]?.[v.value] ?? "";
                return h("li", {}, h("code", {}, v.value), h("small", {}, ` ×${num(v.rows)} `), sel);
              }),
              c.more ? h("li", { class: "muted" }, t("importMapMore")) : null,
            )
          : null;
      return h("tr", {}, h("th", {}, c.name), h("td", {}, select, values));
    });
    const text = JSON.stringify({ layer: p.layer, ...this.mapping }, null, 2);
    return h(
      "details",
      { class: "mapping", testid: "import-mapping", open: mappingUsed(this.mapping) || p.errors > 0 },
      h("summary", {}, t("importMapping")),
      h("p", { class: "muted" }, t("importMappingHint")),
      h("table", { class: "kv" }, h("tr", {}, h("th", {}, t("importMapColumn")), h("th", {}, t("importMapProperty"))), rows),
      h("pre", { testid: "import-mapping-text" }, text),
      h(
        "div",
        { class: "actions" },
        h("button", { testid: "import-map-apply", disabled: this.busy, onclick: () => void this.upload() }, t("importMapApply")),
        h("button", { testid: "import-map-save", onclick: () => this.saveMapping() }, t("importMapSave")),
        h("label", { class: "file" }, h("span", {}, t("importMapLoad")), this.mapLoad),
      ),
    );
  }

  /** Loads the features and findings of the pending import onto the map and fits to them. */
  private async draw(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    const get = async (what: string): Promise<FC> => {
      const r = await fetch(`/api/imports/${encodeURIComponent(p.id)}/${what}.geojson`);
      if (!r.ok) throw new Error(await failure(r));
      return (await r.json()) as FC;
    };
    const [features, findings] = await Promise.all([get("features"), get("findings")]);
    this.findingsFc = findings;
    this.ensureLayers();
    (this.map.getSource(SRC_FEATURES) as GeoJSONSource).setData(features);
    (this.map.getSource(SRC_FINDINGS) as GeoJSONSource).setData(findings);
    this.highlight(null);
    const b = bounds(features) ?? bounds(findings);
    if (b) {
      this.map.fitBounds(b as LngLatBoundsLike, { padding: { top: 40, bottom: 120, left: 380, right: 60 }, maxZoom: 16, duration: 0 });
    }
  }

  /** Adds the wizard's sources and layers on top of the style, once. */
  private ensureLayers(): void {
    const m = this.map;
    if (!m.getSource(SRC_FEATURES)) m.addSource(SRC_FEATURES, { type: "geojson", data: EMPTY });
    if (!m.getSource(SRC_FINDINGS)) m.addSource(SRC_FINDINGS, { type: "geojson", data: EMPTY });
    if (m.getLayer(IMPORT_LAYERS[0])) return;
    const polys = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
    const lines = ["match", ["geometry-type"], ["Polygon", "MultiPolygon", "LineString", "MultiLineString"], true, false];
    const points = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
    const color = SEVERITY_COLOR as unknown as string;
    // Features left out for their errors are drawn in the error colour.
    const featureColor = ["match", ["get", "import"], "skipped", "#c92a2a", "#5f3dc4"] as unknown as string;
    const layers = [
      // Findings beneath the outlines: a gap piece can cover a whole village.
      { id: "import-findings-fill", type: "fill", source: SRC_FINDINGS, filter: polys, paint: { "fill-color": color, "fill-opacity": ["match", ["get", "severity"], "error", 0.5, 0.18] } },
      { id: "import-features-fill", type: "fill", source: SRC_FEATURES, filter: polys, paint: { "fill-color": featureColor, "fill-opacity": 0.16 } },
      { id: "import-findings-line", type: "line", source: SRC_FINDINGS, filter: lines, paint: { "line-color": color, "line-width": 1.5 } },
      { id: "import-features-line", type: "line", source: SRC_FEATURES, filter: lines, paint: { "line-color": featureColor, "line-width": 2 } },
      { id: "import-features-points", type: "circle", source: SRC_FEATURES, filter: points, paint: { "circle-color": featureColor, "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
      { id: "import-findings-points", type: "circle", source: SRC_FINDINGS, filter: points, paint: { "circle-color": color, "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } },
      { id: "import-finding-selected-line", type: "line", source: SRC_FINDINGS, filter: ["==", ["get", "finding"], -1], paint: { "line-color": "#212529", "line-width": 3.5, "line-dasharray": [2, 1] } },
      { id: "import-finding-selected-point", type: "circle", source: SRC_FINDINGS, filter: ["==", ["get", "finding"], -1], paint: { "circle-radius": 11, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#212529", "circle-stroke-width": 3 } },
    ];
    for (const l of layers) m.addLayer(l as Parameters<Map["addLayer"]>[0]);
  }

  private removeLayers(): void {
    const m = this.map;
    for (const id of IMPORT_LAYERS) if (m.getLayer(id)) m.removeLayer(id);
    for (const id of [SRC_FEATURES, SRC_FINDINGS]) if (m.getSource(id)) m.removeSource(id);
    this.findingsFc = EMPTY;
  }

  /** Outlines finding `n` (or none). */
  private highlight(n: number | null): void {
    this.selected = n;
    const one = ["==", ["get", "finding"], n ?? -1];
    // A circle layer would ring every vertex of a polygon: points only there.
    const filters: Array<[string, unknown]> = [
      ["import-finding-selected-line", one],
      ["import-finding-selected-point", ["all", ["==", ["geometry-type"], "Point"], one]],
    ];
    for (const [id, f] of filters) {
      if (this.map.getLayer(id)) this.map.setFilter(id, f as Parameters<Map["setFilter"]>[1]);
    }
  }

  /** Flies to finding `n` and outlines it. */
  private pick(n: number): void {
    this.highlight(n);
    const feature = this.findingsFc.features.find((f) => f.properties?.finding === n);
    const b = feature ? bounds({ type: "FeatureCollection", features: [feature] }) : null;
    if (b && (b[2] - b[0] > 1e-6 || b[3] - b[1] > 1e-6)) {
      this.map.fitBounds(b as LngLatBoundsLike, { padding: { top: 80, bottom: 160, left: 420, right: 100 }, maxZoom: 16 });
    } else if (b) {
      this.map.flyTo({ center: [b[0], b[1]], zoom: Math.max(this.map.getZoom(), 16) });
    }
    this.render();
  }

  private async commit(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    this.busy = true;
    this.message = { text: t("importWriting"), kind: "info" };
    this.render();
    try {
      const r = await fetch(`/api/imports/${encodeURIComponent(p.id)}/commit`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ skip_invalid: this.skipInvalid }),
      });
      if (!r.ok) throw new Error(await failure(r));
      const done = (await r.json()) as Committed;
      this.pending = null;
      this.removeLayers();
      // The server dropped its cached tiles of the layer; the browser's copies go too.
      bumpTiles(this.map, state.filter);
      this.message = { text: `${t("importWritten")} ${num(done.written)}`, kind: "ok" };
      this.onCommitted(p.layer, done);
    } catch (e) {
      this.message = { text: e instanceof Error ? e.message : String(e), kind: "error" };
    }
    this.busy = false;
    this.render();
  }

  /** Forgets the pending import, here and on the server. */
  private async cancel(): Promise<void> {
    const p = this.pending;
    this.pending = null;
    this.removeLayers();
    this.message = null;
    this.render();
    if (p) {
      try {
        await fetch(`/api/imports/${encodeURIComponent(p.id)}`, { method: "DELETE" });
      } catch {
        /* it expires on its own */
      }
    }
  }

  render(): void {
    this.button.textContent = t("importOpen");
    this.crsCustom.placeholder = t("importCrsCustom");
    this.table.placeholder = t("importTableHint");
    this.fillSelects();
    const header = h(
      "header",
      {},
      h("h2", {}, t("importTitle")),
      h("button", { class: "close", title: t("close"), testid: "import-close", onclick: () => void this.close() }, "×"),
    );
    const msg = this.message ? h("p", { class: `msg ${this.message.kind}`, testid: "import-status", "data-kind": this.message.kind }, this.message.text) : null;
    const p = this.pending;
    this.el.dataset.state = this.busy ? "busy" : p ? "report" : "form";
    if (!p) {
      fill(
        this.el,
        header,
        h(
          "div",
          { class: "form" },
          h("label", {}, h("span", {}, t("importFile")), this.file),
          h("label", {}, h("span", {}, t("importLayer")), this.layer),
          h("label", {}, h("span", {}, t("importCrs")), this.crs),
          this.crsCustom,
          h("label", {}, h("span", {}, t("importEncoding")), this.encoding),
          h("label", {}, h("span", {}, t("importTable")), this.table),
          h("label", { title: t("importToleranceHint") }, h("span", {}, t("importTolerance")), this.tolerance),
          h("label", {}, h("span", {}, t("importMapLoad")), this.mapLoad),
          mappingUsed(this.mapping) ? h("pre", { testid: "import-mapping-text" }, JSON.stringify(this.mapping, null, 2)) : null,
          h("p", { class: "muted" }, t("importHint")),
          h("button", { class: "primary", testid: "import-upload", disabled: this.busy, onclick: () => void this.upload() }, t("importUpload")),
        ),
        msg,
      );
      return;
    }
    this.renderReport(header, msg, p);
  }

  private renderReport(header: HTMLElement, msg: HTMLElement | null, p: PendingImport): void {
    const r = p.report;
    const row = (k: string, v: string, testid?: string) => h("tr", {}, h("th", {}, k), h("td", { testid }, v));
    const layerKey = LAYERS.find(([l]) => l === p.layer)?.[1];
    const blocked = p.errors > 0 && !this.skipInvalid;
    fill(
      this.el,
      header,
      h(
        "table",
        { class: "kv", testid: "import-summary" },
        row(t("importFile"), `${r.file}${r.format ? ` (${r.format})` : ""}`),
        row(t("importLayer"), layerKey ? t(layerKey) : p.layer),
        row(t("importFeatures"), num(r.features), "import-features"),
        row(t("importErrors"), num(p.errors), "import-errors"),
        row(t("importWarnings"), num(p.warnings), "import-warnings"),
        row(t("importCrs"), `${r.crs ?? "–"} · ${t(r.crs_from === "option" ? "importFromOption" : r.crs_from === "file" ? "importFromFile" : "importFromDefault")}`),
        row(t("importEncoding"), r.encoding ? `${r.encoding}${r.encoding_declared ? "" : ` · ${t("importDetected")}`}` : "–"),
        row(t("importAccepted"), `${num(r.accepted)} / ${num(r.features)}`, "import-accepted"),
      ),
      r.repairs.length ? h("ul", { class: "repairs" }, r.repairs.map((x) => h("li", {}, x))) : null,
      r.defaults?.length ? h("p", { class: "defaults", testid: "import-defaults" }, `${t("importDefaults")}: ${r.defaults.join(", ")}`) : null,
      r.cleaning && (r.cleaning.features > 0 || r.cleaning.kept.length > 0) ? cleaningLine(r.cleaning) : null,
      this.renderMapping(p),
      h("h3", {}, t("importFindings"), h("small", {}, ` ${num(r.findings.length)}`)),
      r.findings.length === 0
        ? h("p", { class: "muted", testid: "import-no-findings" }, t("importClean"))
        : h(
            "div",
            { class: "findings", testid: "import-findings" },
            p.groups.map((g) => this.renderGroup(g, r.findings)),
          ),
      p.errors > 0
        ? h(
            "label",
            { class: "skip" },
            h("input", {
              type: "checkbox",
              testid: "import-skip-invalid",
              checked: this.skipInvalid,
              onchange: (e: Event) => {
                this.skipInvalid = (e.target as HTMLInputElement).checked;
                this.render();
              },
            }),
            `${t("importSkipInvalid")} (${num(r.accepted)})`,
          )
        : null,
      h(
        "div",
        { class: "actions" },
        h("button", { class: "primary", testid: "import-commit", disabled: blocked || this.busy, onclick: () => void this.commit() }, t("importCommit")),
        h("button", { testid: "import-cancel", disabled: this.busy, onclick: () => void this.cancel() }, t("importCancel")),
      ),
      msg,
    );
  }

  /** One check's findings: how many, how much area, and the worst as buttons to fly to. */
  private renderGroup(g: FindingGroup, findings: Finding[]): HTMLElement {
    const more = g.findings - g.worst.length;
    return h(
      "details",
      { class: `group ${g.severity}`, testid: `import-group-${g.severity}-${g.check}`, "data-count": String(g.findings), open: g.severity === "error" || (this.selected !== null && g.worst.includes(this.selected)) || undefined },
      h(
        "summary",
        {},
        h("b", { title: g.check }, checkName(g.check)),
        h("small", {}, ` ×${num(g.findings)}`),
        g.rows > g.findings ? h("small", {}, ` · ${num(g.rows)} ${t("importRows")}`) : null,
        g.area_m2 !== null && g.largest_m2 !== null ? h("small", {}, ` · ${num(Math.round(g.area_m2))} m² · ${t("importLargest")} ${num(Math.round(g.largest_m2))} m²`) : null,
      ),
      h(
        "ol",
        {},
        g.worst.map((n) => {
          const f = findings[n];
          return h(
            "li",
            { class: `${f.severity}${this.selected === n ? " on" : ""}` },
            h(
              "button",
              { testid: `import-finding-${n}`, "data-check": f.check, "data-severity": f.severity, onclick: () => this.pick(n) },
              f.id ? h("small", {}, `${f.id} `) : f.index !== null ? h("small", {}, `#${f.index} `) : null,
              f.area_m2 !== null ? h("small", {}, `${num(Math.round(f.area_m2))} m² · `) : null,
              h("span", {}, f.message),
              f.count !== undefined ? h("small", { "data-count": String(f.count) }, ` ×${num(f.count)}`) : null,
            ),
          );
        }),
      ),
      more > 0 ? h("p", { class: "muted more" }, `${t("importMore")} ${num(more)}`) : null,
    );
  }

  /** (Re)labels the selects in the current language, keeping the choices made. */
  private fillSelects(): void {
    const keep = (sel: HTMLSelectElement, options: Array<[string, string]>) => {
      const v = sel.value;
      fill(sel, options.map(([value, label]) => h("option", { value }, label)));
      if (v && options.some(([o]) => o === v)) sel.value = v;
    };
    keep(this.layer, LAYERS.map(([l, k]) => [l, t(k)]));
    keep(
      this.crs,
      CRSS.map(([value, label]) => [
        value,
        value === "" ? t("importCrsAuto") : value === "gcj02" ? t("importCrsGcj") : value === "bd09" ? t("importCrsBd") : value === "custom" ? t("importCrsOther") : label,
      ]),
    );
    keep(this.encoding, ENCODINGS.map((e) => [e, e === "" ? t("importEncodingAuto") : e]));
    this.syncCustom();
  }
}

/** What the coverage cleaning closed, in one line. */
function cleaningLine(c: Cleaning): HTMLElement {
  const kept = c.kept.length ? ` · ${t("importCleanKept")} ${num(c.kept.length)}` : "";
  return h(
    "p",
    { class: "cleaning", testid: "import-cleaning", "data-features": String(c.features) },
    `${t("importCleaned")} ${c.tolerance_m} m: ${num(c.features)} ${t("importCleanFeatures")}, ${num(Math.round(c.area_m2))} m², ${t("importWidest")} ${c.widest_m.toFixed(2)} m${kept}`,
  );
}

/** A finding's check in the interface language; the report's own name when unknown. */
function checkName(check: string): string {
  const key = `check_${check}` as Key;
  const name = t(key);
  return name === key || name === undefined ? check : name;
}
