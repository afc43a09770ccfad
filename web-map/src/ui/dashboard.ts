// Grid dashboard: the selected grid's or admin unit's figures (counts by category and
// status, closure and on-time rates, cameras, workers) with small charts, and a ranking of
// the grids under it. Follows the selection and the time/category/status filter.

import type { Map } from "maplibre-gl";
import { HttpError, ranking, search, stats, type RankedGrid, type Stats } from "../api";
import { className, levelName, num, onLang, pct, t } from "../i18n";
import { CATEGORY_COLORS } from "../mapstyle";
import { state } from "../state";
import { bars, ring } from "./charts";
import { fill, h } from "./dom";
import { zoomTo } from "./drill";

const STATUS_COLOR = "#5c7cfa";
type RankBy = "incidents" | "closure_rate" | "on_time_rate";

/** The dashboard panel. */
export class Dashboard {
  readonly el = h("section", { class: "panel dashboard", testid: "grid-dashboard" });
  private stats: Stats | null = null;
  private grids: RankedGrid[] = [];
  private error: string | null = null;
  private rankError: string | null = null;
  private by: RankBy = "incidents";
  private abort: AbortController | null = null;
  private timer: number | null = null;
  private loading = false;

  constructor(private readonly map: Map) {
    onLang(() => this.render());
    state.on("selection", () => this.refresh());
    state.on("filter", () => this.refresh());
    state.on("view", () => this.refresh());
  }

  /** Reloads (debounced) when the dashboard is on screen. */
  refresh(): void {
    if (state.view !== "dashboard") return;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.load(), 150);
  }

  private async load(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const sel = state.selected;
    const f = state.filter;
    this.loading = true;
    this.render();
    const parent = sel ? (sel.level === "grid" ? sel.code.slice(0, 12) : sel.code) : null;
    const [st, rk] = await Promise.allSettled([
      sel ? stats(sel.code, f, abort.signal) : Promise.resolve(null),
      // The ranking is of the grids under a unit: none until one is selected.
      parent ? ranking(parent, f, this.by, 20, abort.signal) : Promise.resolve({ grids: [] }),
    ]);
    if (abort.signal.aborted) return;
    this.loading = false;
    const why = (e: unknown) => (e instanceof HttpError && e.status === 404 ? t("unavailable") : String(e));
    this.stats = st.status === "fulfilled" ? st.value : null;
    this.error = st.status === "rejected" ? why(st.reason) : null;
    this.grids = rk.status === "fulfilled" ? rk.value.grids : [];
    this.rankError = rk.status === "rejected" ? why(rk.reason) : null;
    this.render();
  }

  private async pick(code: string): Promise<void> {
    try {
      const r = await search(code, 1);
      const hit = r.results.find((x) => x.key === code) ?? r.results[0];
      if (hit) {
        state.select({ code, name: hit.name, level: "grid", bbox: hit.bbox });
        zoomTo(this.map, hit);
      }
    } catch {
      /* the ranking still shows; nothing to zoom to */
    }
  }

  private figures(st: Stats): HTMLElement {
    const inc = st.incidents;
    const cats = state.summary.categories.map((c) => ({
      label: className(c.id),
      value: inc.by_category[c.id] ?? 0,
      color: CATEGORY_COLORS[c.id] ?? "#868e96",
    }));
    const sts = Object.entries(inc.by_status).map(([id, v]) => ({ label: className(id), value: v, color: STATUS_COLOR }));
    const fig = (label: string, value: string, testid?: string) => h("div", { class: "fig", testid }, h("small", {}, label), h("strong", {}, value));
    return h(
      "div",
      { class: "figures" },
      h("h3", {}, st.name, h("small", {}, ` ${levelName(st.level)} · ${st.code}`)),
      h(
        "div",
        { class: "figs" },
        fig(t("incidents"), num(inc.total), "dash-incidents"),
        fig(t("due"), num(inc.due)),
        fig(t("closed"), num(inc.closed)),
        fig(t("cameras"), `${num(st.cameras.total)} (${num(st.cameras.online)} ${t("online")})`, "dash-cameras"),
        st.households !== undefined ? fig(t("households"), num(st.households)) : null,
        st.population !== undefined ? fig(t("population"), num(st.population)) : null,
      ),
      h(
        "div",
        { class: "rings" },
        h("div", { testid: "dash-closure" }, ring(inc.closure_rate, "#2f9e44"), h("small", {}, t("closureRate"))),
        h("div", { testid: "dash-ontime" }, ring(inc.on_time_rate, "#1c7ed6"), h("small", {}, t("onTimeRate"))),
      ),
      h("h4", {}, t("byCategory")),
      inc.total ? bars(cats) : h("p", { class: "muted" }, t("noData")),
      h("h4", {}, t("byStatus")),
      inc.total ? bars(sts) : h("p", { class: "muted" }, t("noData")),
      h("h4", {}, t("workers")),
      st.workers.length ? h("ul", { class: "workers" }, st.workers.map((w) => h("li", {}, w.name ?? "", h("small", {}, ` ${w.id}`)))) : h("p", { class: "muted" }, "–"),
    );
  }

  private rankingTable(): HTMLElement {
    const opts: Array<[RankBy, string]> = [
      ["incidents", t("rankIncidents")],
      ["closure_rate", t("rankClosure")],
      ["on_time_rate", t("rankOnTime")],
    ];
    return h(
      "div",
      { class: "ranking", testid: "grid-ranking" },
      h(
        "h4",
        {},
        t("ranking"),
        h(
          "select",
          {
            testid: "rank-by",
            "aria-label": t("rankBy"),
            onchange: (e: Event) => {
              this.by = (e.target as HTMLSelectElement).value as RankBy;
              void this.load();
            },
          },
          opts.map(([v, label]) => h("option", { value: v, selected: v === this.by }, label)),
        ),
      ),
      this.rankError ? h("p", { class: "muted" }, this.rankError) : null,
      h(
        "ol",
        {},
        this.grids.map((g) =>
          h(
            "li",
            { class: state.selected?.code === g.code ? "on" : "" },
            h(
              "button",
              { class: "unit", onclick: () => void this.pick(g.code), testid: `rank-${g.code}` },
              h("span", {}, g.name),
              h("small", {}, `${num(g.incidents)} · ${pct(g.closure_rate)} · ${pct(g.on_time_rate)}`),
            ),
          ),
        ),
      ),
    );
  }

  render(): void {
    fill(
      this.el,
      h("h2", {}, t("dashboard")),
      this.loading ? h("p", { class: "muted" }, t("loading")) : null,
      !state.selected ? h("p", { class: "muted" }, t("dashboardHint")) : null,
      this.error ? h("p", { class: "muted" }, this.error) : null,
      this.stats ? this.figures(this.stats) : null,
      this.rankingTable(),
    );
  }
}
