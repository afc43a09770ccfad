// The heatmap's colour ramp follows what is on screen: its breaks are quantiles of the
// counts of the hexagons drawn, so a day and a year both use the whole ramp.

import type { Map } from "maplibre-gl";
import { heatColor } from "../mapstyle";
import type { LayerPanel } from "./layers";

/** Rescales the heatmap colours whenever the map settles, and tells the legend. */
export function installHeatScale(map: Map, layers: LayerPanel): void {
  let drawn = "";
  map.on("idle", () => {
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
    // Setting the same paint again would trigger another render and another idle.
    if (key === drawn) return;
    drawn = key;
    map.setPaintProperty("heatmap-fill", "fill-color", heatColor(breaks));
    layers.setHeatBreaks(breaks);
  });
}
