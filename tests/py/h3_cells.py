#!/usr/bin/env python3
"""Cross-checks onemap's H3 cells (h3o) against the Python h3 package (v4).

Input: a JSON file {"points": [[lon, lat], ...], "cells": {"<res>": ["hex", ...]},
"boundaries": {"hex": [[lon, lat], ...]}} ("boundaries" optional: hexagon vertices, in
order, compared within 1e-9 degrees).
Exits 1 on any mismatch, 2 if h3 (v4) is missing.
"""
import json
import sys

try:
    import h3
except ImportError as e:  # the Rust test must fail, not skip
    print(f"h3 missing: {e}", file=sys.stderr)
    sys.exit(2)

if not hasattr(h3, "latlng_to_cell"):
    print(f"h3 {getattr(h3, '__version__', '?')} is not v4", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    pts = data["points"]
    bad = 0
    checked = 0
    for res, cells in data["cells"].items():
        r = int(res)
        for (lon, lat), got in zip(pts, cells, strict=True):
            want = h3.latlng_to_cell(lat, lon, r)
            checked += 1
            if want != got:
                bad += 1
                if bad <= 10:
                    print(f"MISMATCH ({lon}, {lat}) res {r}: onemap {got}, h3 {want}")
    for cell, got in data.get("boundaries", {}).items():
        want = [(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]
        checked += 1
        same = len(want) == len(got) and all(
            abs(a[0] - b[0]) < 1e-9 and abs(a[1] - b[1]) < 1e-9 for a, b in zip(want, got)
        )
        if not same:
            bad += 1
            if bad <= 10:
                print(f"MISMATCH boundary of {cell}: onemap {got}, h3 {want}")
    print(f"h3 {h3.__version__}: {checked} cells over {len(pts)} points, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
