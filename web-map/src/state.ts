// The page's shared state: current view, the incident filter (time window, categories,
// statuses) and the selected unit. Parts subscribe to the events they draw from.

import type { IncidentFilter, Me, Summary, Unit } from "./api";

export type View = "onemap" | "heatmap" | "dashboard";
export type Step = "day" | "week" | "month";

type Event = "view" | "filter" | "selection";

const DAY = 86_400_000;

/** The state and its listeners. */
class State {
  view: View = "onemap";
  summary!: Summary;
  /** Who is signed in, and what the page may offer them. */
  me!: Me;
  /** First day of the data, UTC midnight (ms). */
  dataStart = 0;
  /** Last instant of the data (ms). */
  dataEnd = 0;
  /** Window start, UTC midnight (ms). */
  windowStart = 0;
  step: Step = "month";
  categories = new Set<string>();
  statuses = new Set<string>();
  /** The selected admin unit or grid, if any. */
  selected: Unit | null = null;
  /** Set while the grid editor draws or picks on the map: map clicks are its own then. */
  mapCaptured = false;
  private listeners: Record<Event, Array<() => void>> = { view: [], filter: [], selection: [] };

  /** Sets the data's time span and a default window: the last step of it. */
  init(summary: Summary): void {
    this.summary = summary;
    this.dataStart = Math.floor(Date.parse(summary.incident_time.from) / DAY) * DAY;
    this.dataEnd = Date.parse(summary.incident_time.to);
    for (const c of summary.categories) this.categories.add(c.id);
    for (const s of summary.statuses) this.statuses.add(s.id);
    this.windowStart = this.clampStart(Math.floor(this.dataEnd / DAY) * DAY - 30 * DAY);
  }

  on(ev: Event, f: () => void): void {
    this.listeners[ev].push(f);
  }

  emit(ev: Event): void {
    for (const f of this.listeners[ev]) f();
  }

  setView(v: View): void {
    if (this.view === v) return;
    this.view = v;
    this.emit("view");
  }

  /** Days from the data's first day to its last (slider range). */
  get dayCount(): number {
    return Math.max(1, Math.floor((this.dataEnd - this.dataStart) / DAY));
  }

  /** The window's end for a start (exclusive). */
  windowEnd(start = this.windowStart): number {
    if (this.step === "day") return start + DAY;
    if (this.step === "week") return start + 7 * DAY;
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  }

  clampStart(ms: number): number {
    return Math.max(this.dataStart, Math.min(ms, Math.floor(this.dataEnd / DAY) * DAY));
  }

  setWindowStart(ms: number): void {
    const next = this.clampStart(Math.floor(ms / DAY) * DAY);
    if (next === this.windowStart) return;
    this.windowStart = next;
    this.emit("filter");
  }

  setStep(step: Step): void {
    this.step = step;
    this.emit("filter");
  }

  /** Moves the window one step on; false when it already reached the end. */
  advance(): boolean {
    const next = this.windowEnd();
    if (next > this.dataEnd) return false;
    this.setWindowStart(next);
    return true;
  }

  setClasses(kind: "categories" | "statuses", ids: Set<string>): void {
    this[kind] = ids;
    this.emit("filter");
  }

  /** The filter as the API and the tiles take it (all classes selected = no filter). */
  get filter(): IncidentFilter {
    // The panel keeps at least one class of each kind selected.
    const list = (sel: Set<string>, all: Array<{ id: string }>) =>
      sel.size >= all.length || sel.size === 0 ? undefined : [...sel].join(",");
    return {
      from: new Date(this.windowStart).toISOString().replace(".000Z", "Z"),
      to: new Date(this.windowEnd()).toISOString().replace(".000Z", "Z"),
      category: list(this.categories, this.summary.categories),
      status: list(this.statuses, this.summary.statuses),
    };
  }

  select(unit: Unit | null): void {
    this.selected = unit;
    this.emit("selection");
  }
}

/** The one state of the page. */
export const state = new State();
