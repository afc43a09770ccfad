#!/usr/bin/env python3
"""Cross-checks onemap's point -> grid answers against shapely (STRtree + within/covered_by).

Input: a JSON file {"grids": GeoJSON FeatureCollection (properties.index),
"points": [[lon, lat], ...], "answers": [grid index or null, ...]}.
Rules: the answer covers the point; a grid whose interior holds the point is the answer;
no answer means no grid's interior holds the point. Exits 1 on any mismatch, 2 if shapely
is missing.
"""
import json
import sys

try:
    import numpy as np
    import shapely
    from shapely import STRtree
    from shapely.geometry import shape
except ImportError as e:  # the Rust test must fail, not skip
    print(f"shapely/numpy missing: {e}", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    feats = data["grids"]["features"]
    geoms = [shape(ft["geometry"]) for ft in feats]
    ids = [ft["properties"]["index"] for ft in feats]
    invalid = [ids[i] for i, g in enumerate(geoms) if not g.is_valid]
    if invalid:
        print(f"warning: {len(invalid)} invalid grid geometries, e.g. {invalid[:5]}")
    pts = shapely.points(np.array(data["points"], dtype=float))
    answers = data["answers"]
    tree = STRtree(geoms)
    covered = [set() for _ in answers]
    within = [set() for _ in answers]
    for pi, gi in tree.query(pts, predicate="covered_by").T:
        covered[pi].add(ids[gi])
    for pi, gi in tree.query(pts, predicate="within").T:
        within[pi].add(ids[gi])
    bad = 0
    shared = 0
    for i, ans in enumerate(answers):
        if ans is None:
            ok = not within[i]
        else:
            ok = ans in covered[i] and within[i] <= {ans}
            shared += len(covered[i]) >= 2
        if not ok:
            bad += 1
            if bad <= 10:
                print(f"MISMATCH point {data['points'][i]}: onemap {ans}, "
                      f"covered_by {sorted(covered[i])}, within {sorted(within[i])}")
    print(f"shapely {shapely.__version__}: {len(answers)} points, {len(geoms)} grids, "
          f"{shared} on shared boundaries, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
