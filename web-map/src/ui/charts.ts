// Small hand-drawn SVG charts: horizontal bars and a rate ring.

import { num, pct } from "../i18n";
import { s } from "./dom";

/** One bar. */
export interface Bar {
  label: string;
  value: number;
  color: string;
}

/** Horizontal bars, longest first, labelled with their values. */
export function bars(items: Bar[], width = 280): SVGElement {
  const rows = items.filter((b) => b.value > 0).sort((a, b) => b.value - a.value);
  const rowH = 20;
  const labelW = 92;
  const valueW = 56;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const svg = s("svg", { width, height: Math.max(rowH, rows.length * rowH), class: "chart bars", role: "img" });
  rows.forEach((r, i) => {
    const y = i * rowH;
    const w = Math.max(1, ((width - labelW - valueW) * r.value) / max);
    svg.append(
      s("text", { x: labelW - 6, y: y + 14, "text-anchor": "end", class: "lbl" }, r.label),
      s("rect", { x: labelW, y: y + 4, width: w, height: rowH - 8, rx: 2, fill: r.color }),
      s("text", { x: labelW + w + 4, y: y + 14, class: "val" }, num(r.value)),
    );
  });
  return svg;
}

/** A ring showing a 0..1 rate with its percentage in the middle. */
export function ring(rate: number | null | undefined, color: string, size = 76): SVGElement {
  const r = size / 2 - 6;
  const c = 2 * Math.PI * r;
  const v = rate === null || rate === undefined || Number.isNaN(rate) ? 0 : Math.max(0, Math.min(1, rate));
  return s(
    "svg",
    { width: size, height: size, class: "chart ring", role: "img" },
    s("circle", { cx: size / 2, cy: size / 2, r, fill: "none", stroke: "#e9ecef", "stroke-width": 8 }),
    s("circle", {
      cx: size / 2,
      cy: size / 2,
      r,
      fill: "none",
      stroke: color,
      "stroke-width": 8,
      "stroke-dasharray": `${c * v} ${c}`,
      transform: `rotate(-90 ${size / 2} ${size / 2})`,
    }),
    s("text", { x: size / 2, y: size / 2 + 5, "text-anchor": "middle", class: "ringval" }, pct(rate)),
  );
}
