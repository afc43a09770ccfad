// Search by code prefix or name over admin units, grids and cameras.

import type { Map } from "maplibre-gl";
import { HttpError, search, type SearchHit } from "../api";
import { levelName, onLang, t } from "../i18n";
import { state } from "../state";
import { fill, h } from "./dom";
import { zoomTo } from "./drill";

/** The search box with its result list. */
export class SearchBox {
  readonly el = h("div", { class: "search" });
  private input: HTMLInputElement;
  private list = h("ul", { class: "results", testid: "search-results", hidden: true });
  private abort: AbortController | null = null;
  private timer: number | null = null;

  /** Called with each picked hit (main turns the cameras layer on for a camera). */
  onPick: (hit: SearchHit) => void = () => {};

  constructor(private readonly map: Map) {
    this.input = h("input", {
      type: "search",
      testid: "search",
      autocomplete: "off",
      oninput: () => this.schedule(),
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Enter") this.first();
        if ((e as KeyboardEvent).key === "Escape") this.hide();
      },
    });
    this.el.append(this.input, this.list);
    onLang(() => (this.input.placeholder = t("searchPlaceholder")));
    document.addEventListener("click", (e) => {
      if (!this.el.contains(e.target as Node)) this.hide();
    });
  }

  private hits: SearchHit[] = [];

  private schedule(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.run(), 180);
  }

  private async run(): Promise<void> {
    const q = this.input.value.trim();
    this.abort?.abort();
    if (!q) return this.hide();
    const abort = new AbortController();
    this.abort = abort;
    let message: string | null = null;
    try {
      this.hits = (await search(q, 12, abort.signal)).results;
    } catch (e) {
      if (abort.signal.aborted) return;
      this.hits = [];
      message = e instanceof HttpError && e.status === 404 ? t("unavailable") : String(e);
    }
    if (abort.signal.aborted) return;
    this.list.hidden = false;
    this.list.dataset.query = q;
    fill(
      this.list,
      this.hits.length === 0 ? h("li", { class: "muted" }, message ?? t("searchNone")) : null,
      this.hits.map((hit) =>
        h(
          "li",
          {},
          h(
            "button",
            { testid: `search-hit-${hit.key}`, onclick: () => this.pick(hit) },
            h("span", {}, hit.name),
            h("small", {}, `${hit.level ? levelName(hit.level) : hit.layer} · ${hit.key}`),
          ),
        ),
      ),
    );
  }

  private first(): void {
    if (this.hits[0]) this.pick(this.hits[0]);
  }

  private pick(hit: SearchHit): void {
    this.hide();
    this.onPick(hit);
    zoomTo(this.map, hit);
    if (hit.layer === "admin" || hit.layer === "grids") {
      state.select({ code: hit.key, name: hit.name, level: hit.level ?? (hit.layer === "grids" ? "grid" : "county"), bbox: hit.bbox });
    }
  }

  private hide(): void {
    this.list.hidden = true;
  }
}
