// Time range slider with day/week/month steps and playback, and the category and status
// filters. Every change re-filters the tiles and the counts together (state "filter").

import { className, num, onLang, t, when } from "../i18n";
import { state, type Step } from "../state";
import { fill, h } from "./dom";

const DAY = 86_400_000;
/** Playback: one step per this many ms (tiles of a step load well within it). */
const PLAY_MS = 1200;

/** The time bar at the bottom of the map. */
export class TimeBar {
  readonly el = h("div", { class: "timebar", testid: "timebar" });
  private timer: number | null = null;
  private count: number | null = null;
  private slider!: HTMLInputElement;
  private label!: HTMLElement;
  private countEl!: HTMLElement;

  constructor() {
    onLang(() => this.render());
    state.on("filter", () => this.update());
  }

  setCount(n: number | null): void {
    this.count = n;
    this.update();
  }

  get playing(): boolean {
    return this.timer !== null;
  }

  play(): void {
    if (this.timer !== null) return;
    // At the end of the data, playback starts again from its first day.
    if (state.windowEnd() > state.dataEnd) state.setWindowStart(state.dataStart);
    this.timer = window.setInterval(() => {
      if (!state.advance()) this.stop();
    }, PLAY_MS);
    this.render();
  }

  stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.render();
  }

  private update(): void {
    if (!this.slider) return;
    this.slider.value = String(Math.round((state.windowStart - state.dataStart) / DAY));
    this.label.textContent = `${when(state.windowStart / 1000, false)} – ${when((state.windowEnd() - 1) / 1000, false)}`;
    this.countEl.textContent = this.count === null ? "…" : num(this.count);
  }

  render(): void {
    this.slider = h("input", {
      type: "range",
      min: 0,
      max: state.dayCount,
      step: 1,
      testid: "time-range",
      "aria-label": t("timeRange"),
      oninput: (e: Event) => state.setWindowStart(state.dataStart + Number((e.target as HTMLInputElement).value) * DAY),
    });
    this.label = h("span", { class: "window", testid: "time-window" });
    this.countEl = h("strong", { testid: "incident-count" });
    const steps: Step[] = ["day", "week", "month"];
    fill(
      this.el,
      h(
        "button",
        { class: "play", testid: "time-play", onclick: () => (this.playing ? this.stop() : this.play()) },
        this.playing ? `❚❚ ${t("pause")}` : `▶ ${t("play")}`,
      ),
      h(
        "div",
        { class: "steps", role: "group", "aria-label": t("step") },
        steps.map((s) =>
          h(
            "button",
            { class: state.step === s ? "on" : "", testid: `time-step-${s}`, onclick: () => { state.setStep(s); this.render(); } },
            t(`step${s.charAt(0).toUpperCase()}${s.slice(1)}` as "stepDay"),
          ),
        ),
      ),
      h("div", { class: "slider" }, this.slider, h("div", { class: "ends" }, h("span", {}, when(state.dataStart / 1000, false)), this.label, h("span", {}, when(state.dataEnd / 1000, false)))),
      h("div", { class: "tally" }, h("small", {}, t("incidentsInWindow")), this.countEl),
    );
    this.update();
  }
}

/** Category and status filters (a checkbox per class; at least one stays on). */
export class FilterPanel {
  readonly el = h("section", { class: "panel", testid: "filters" });

  constructor() {
    onLang(() => this.render());
  }

  private group(kind: "categories" | "statuses", testid: string, title: string): HTMLElement {
    const all = kind === "categories" ? state.summary.categories : state.summary.statuses;
    const set = state[kind];
    const toggle = (id: string, on: boolean) => {
      const next = new Set(set);
      if (on) next.add(id);
      else next.delete(id);
      if (next.size === 0) return this.render();
      state.setClasses(kind, next);
      this.render();
    };
    return h(
      "fieldset",
      { class: "classes", testid },
      h(
        "legend",
        {},
        title,
        h("button", { class: "link", onclick: () => { state.setClasses(kind, new Set(all.map((c) => c.id))); this.render(); } }, t("all")),
      ),
      all.map((c) =>
        h(
          "label",
          {},
          h("input", {
            type: "checkbox",
            value: c.id,
            testid: `${testid}-${c.id}`,
            checked: set.has(c.id),
            onchange: (e: Event) => toggle(c.id, (e.target as HTMLInputElement).checked),
          }),
          className(c.id),
        ),
      ),
    );
  }

  render(): void {
    fill(this.el, this.group("categories", "category-filter", t("categories")), this.group("statuses", "status-filter", t("statuses")));
  }
}
