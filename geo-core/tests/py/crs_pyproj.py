#!/usr/bin/env python3
"""Reference answers from pyproj for onemap's CRS tests (geo-core/tests/crs_pyproj.rs).

Usage: python3 crs_pyproj.py SEED N CODE...

For each EPSG code, N random points inside the code's area of use (China, the zone's
band; for EPSG:3857 a box around China), both ways through
`Transformer.from_crs(..., always_xy=True)` with EPSG:4490 on the other side:
  fwd: [lon, lat, x, y]    x, y = pyproj(4490 -> CODE)(lon, lat)
  inv: [x, y, lon, lat]    x, y rounded to the millimetre as files carry them,
                           lon, lat = pyproj(CODE -> 4490)(x, y)
Prints one JSON object {CODE: {"fwd": [...], "inv": [...]}}. Exits non-zero (failing the
test) when pyproj is missing.
"""
import json
import random
import sys

from pyproj import CRS, Transformer

CHINA = (73.5, 18.0, 134.8, 53.5)


def band(code):
    if code == 3857:
        return CHINA
    a = CRS.from_epsg(code).area_of_use
    # Stay just inside the published area: its edges are rounded outwards.
    return (a.west + 0.01, max(a.south, 3.9) + 0.01, a.east - 0.01, a.north - 0.01)


def main():
    seed, n = int(sys.argv[1]), int(sys.argv[2])
    codes = [int(c) for c in sys.argv[3:]]
    rng = random.Random(seed)
    out = {}
    for code in codes:
        west, south, east, north = band(code)
        fwd_t = Transformer.from_crs(4490, code, always_xy=True)
        inv_t = Transformer.from_crs(code, 4490, always_xy=True)
        fwd, inv = [], []
        for _ in range(n):
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            x, y = fwd_t.transform(lon, lat)
            fwd.append([lon, lat, x, y])
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            x, y = fwd_t.transform(lon, lat)
            x, y = round(x, 3), round(y, 3)
            lon2, lat2 = inv_t.transform(x, y)
            inv.append([x, y, lon2, lat2])
        out[str(code)] = {"fwd": fwd, "inv": inv}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
