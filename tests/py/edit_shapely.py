#!/usr/bin/env python3
"""Cross-checks onemap's grid edits against shapely.

Input: a JSON file {"cases": [...]} (geometries as WKT, lon/lat; areas compared in
degrees², which is fine for ratios), each case one of:
- {"kind": "coverage", "name", "before": [wkt], "after": [wkt]}: the edited grids after a
  shared-vertex move cover exactly what they covered (symmetric difference of the unions
  ~0) and do not overlap one another;
- {"kind": "split", "name", "grid": wkt, "line": wkt, "pieces": [wkt]}: the pieces tile
  the grid (areas sum to it within 0.01%, no overlap) and match shapely.ops.split of the
  grid by the line (same total area per side: every shapely piece lies in one of ours);
- {"kind": "merge", "name", "parts": [wkt], "merged": wkt}: the merged grid equals the
  union of the parts (area within 0.01%, symmetric difference ~0).
Exits 1 on any mismatch, 2 if shapely is missing.
"""
import json
import sys

try:
    import shapely
    from shapely import wkt
    from shapely.ops import split, unary_union
except ImportError as e:  # the Rust test must fail, not skip
    print(f"shapely missing: {e}", file=sys.stderr)
    sys.exit(2)

REL = 1e-4  # 0.01%


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    bad = 0

    def fail(name, msg):
        nonlocal bad
        bad += 1
        print(f"MISMATCH {name}: {msg}")

    for c in cases:
        name = c["name"]
        if c["kind"] == "coverage":
            before = [wkt.loads(s) for s in c["before"]]
            after = [wkt.loads(s) for s in c["after"]]
            for g in after:
                if not g.is_valid:
                    fail(name, f"invalid after: {shapely.is_valid_reason(g)}")
            ub, ua = unary_union(before), unary_union(after)
            diff = ub.symmetric_difference(ua).area
            if diff > ub.area * 1e-9:
                fail(name, f"union changed by {diff / ub.area:.3e} of its area")
            for i in range(len(after)):
                for j in range(i + 1, len(after)):
                    o = after[i].intersection(after[j]).area
                    if o > ub.area * 1e-9:
                        fail(name, f"pieces {i} and {j} overlap by {o / ub.area:.3e}")
        elif c["kind"] == "split":
            grid = wkt.loads(c["grid"])
            line = wkt.loads(c["line"])
            pieces = [wkt.loads(s) for s in c["pieces"]]
            total = sum(p.area for p in pieces)
            if abs(total - grid.area) > grid.area * REL:
                fail(name, f"pieces sum to {total} of {grid.area}")
            if pieces[0].intersection(pieces[1]).area > grid.area * 1e-9:
                fail(name, "pieces overlap")
            theirs = list(split(grid, line).geoms)
            if len(theirs) < 2:
                fail(name, f"shapely split gives {len(theirs)} piece(s)")
            sides = [0.0, 0.0]
            for t in theirs:
                pt = t.representative_point()
                side = [k for k, p in enumerate(pieces) if p.buffer(1e-12).contains(pt)]
                if len(side) != 1:
                    fail(name, f"shapely piece at {pt} lies in {len(side)} of onemap's pieces")
                    continue
                sides[side[0]] += t.area
            for k in range(2):
                if abs(sides[k] - pieces[k].area) > grid.area * REL:
                    fail(name, f"side {k}: shapely {sides[k]} onemap {pieces[k].area}")
        elif c["kind"] == "merge":
            parts = [wkt.loads(s) for s in c["parts"]]
            merged = wkt.loads(c["merged"])
            u = unary_union(parts)
            if abs(u.area - merged.area) > u.area * REL:
                fail(name, f"merged area {merged.area} union {u.area}")
            # i_overlay rounds to a fixed-point grid: ~1e-9 of the area (under 0.01 m²).
            if u.symmetric_difference(merged).area > u.area * 1e-7:
                fail(name, f"merged differs from the union by {u.symmetric_difference(merged).area / u.area:.3e}")
            if not merged.is_valid:
                fail(name, f"merged invalid: {shapely.is_valid_reason(merged)}")
        else:
            fail(name, f"unknown kind {c['kind']}")
    print(f"shapely {shapely.__version__}: {len(cases)} edit cases, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
