// County and township names: one label point each (bbox centre) from the drill-down API,
// where tile polygons would repeat a name in every tile they cross.

import type { GeoJSONSource, Map } from "maplibre-gl";
import { adminChildren, adminRoots } from "../api";

/** Feeds the "labels" source (8 + 1 requests for a prefecture). */
export async function labelUnits(map: Map): Promise<void> {
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
  } catch (e) {
    // The map works without these labels; the outlines still show the units.
    console.warn("county and township labels unavailable:", e);
  }
}
