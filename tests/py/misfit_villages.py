"""Village outlines as merged county data has them: each village digitised on its own.

Reads onemap's admin export (GeoJSON), keeps the villages of the first townships, and
writes them as a county office's merge would: every village's copy of a shared border
drawn separately (each vertex moved by up to --noise-m, extra vertices on one side only),
coordinates rounded to 1e-6 degree, Chinese column names. With --plant-m, one village's
vertex on a shared border is pushed that far into its neighbour: a real overlap.

usage: misfit_villages.py ADMIN.geojson OUT.geojson [--townships N] [--noise-m M] [--plant-m M]
prints: villages written, and the planted village's code (or -)
"""

import argparse
import json
import math
import random

from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape

M_PER_DEG = 111_320.0


def jitter(rng, lon, lat, noise_m):
    r = noise_m * math.sqrt(rng.random())
    a = rng.random() * math.tau
    k = math.cos(math.radians(lat))
    return lon + r * math.cos(a) / (M_PER_DEG * k), lat + r * math.sin(a) / M_PER_DEG


def redraw(ring, rng, noise_m):
    out = []
    pts = ring[:-1]
    for i, (x, y) in enumerate(pts):
        out.append(jitter(rng, x, y, noise_m))
        # Digitised separately: this copy of the border has a vertex the other lacks.
        if rng.random() < 0.3:
            nx, ny = pts[(i + 1) % len(pts)]
            out.append(jitter(rng, (x + nx) / 2, (y + ny) / 2, noise_m))
    out = [(round(x, 6), round(y, 6)) for x, y in out]
    dedup = [p for i, p in enumerate(out) if i == 0 or p != out[i - 1]]
    dedup.append(dedup[0])
    return dedup


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--townships", type=int, default=2)
    ap.add_argument("--noise-m", type=float, default=0.12)
    ap.add_argument("--plant-m", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    feats = json.load(open(a.src, encoding="utf-8"))["features"]
    for f in feats:
        f["code"] = str(f.get("id", f["properties"].get("code")))
    villages = [f for f in feats if f["properties"].get("level") == "village"]
    towns = sorted({f["code"][:9] for f in villages})[: a.townships]
    chosen = [f for f in villages if f["code"][:9] in towns]
    out = []
    planted = "-"
    for n, f in enumerate(chosen):
        g = shape(f["geometry"])
        polys = list(g.geoms) if isinstance(g, MultiPolygon) else [g]
        drawn = []
        for p in polys:
            ext = redraw(list(p.exterior.coords), rng, a.noise_m)
            holes = [redraw(list(h.coords), rng, a.noise_m) for h in p.interiors]
            drawn.append(Polygon(ext, holes))
        if a.plant_m > 0 and planted == "-" and n > 0:
            # Push the vertex nearest the previous village outward into it.
            other = shape(chosen[n - 1]["geometry"])
            ext = list(drawn[0].exterior.coords)[:-1]
            i = min(range(len(ext)), key=lambda j: other.boundary.distance(Point(ext[j])))
            c = drawn[0].centroid
            x, y = ext[i]
            dx, dy = (x - c.x) * math.cos(math.radians(y)), y - c.y
            d = math.hypot(dx, dy)
            k = math.cos(math.radians(y))
            ext[i] = (x + a.plant_m * dx / d / (M_PER_DEG * k), y + a.plant_m * dy / d / M_PER_DEG)
            ext.append(ext[0])
            drawn[0] = Polygon(ext, [list(h.coords) for h in drawn[0].interiors])
            planted = f["code"]
        geom = MultiPolygon(drawn)
        out.append({
            "type": "Feature",
            "geometry": mapping(geom),
            "properties": {
                "代码": f["code"],
                "名称": f["properties"]["name"],
                "上级代码": f["code"][:9],
            },
        })
    json.dump({"type": "FeatureCollection", "features": out}, open(a.out, "w", encoding="utf-8"), ensure_ascii=False)
    print(len(out), planted)


if __name__ == "__main__":
    main()
