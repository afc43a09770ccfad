#!/usr/bin/env python3
"""Checks onemap's label points against shapely: each lies strictly inside its polygon.

Input: a JSON file {"features": [{"id": str, "geometry": GeoJSON (Multi)Polygon,
"label": [lon, lat]}, ...]}. Prints "N labels, K centroids outside, 0 outside" and exits 0
when every label point is in its polygon's interior (shapely `contains`, which is false on
the boundary); lists the first misses and exits 1 otherwise; exits 2 if shapely is missing.
"""
import json
import sys

try:
    from shapely.geometry import Point, shape
except ImportError as e:  # the Rust test must fail, not skip
    print(f"shapely missing: {e}", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        feats = json.load(f)["features"]
    outside = []
    centroids_outside = 0
    for ft in feats:
        poly = shape(ft["geometry"])
        if not poly.contains(Point(ft["label"])):
            outside.append(ft["id"])
        if not poly.contains(poly.centroid):
            centroids_outside += 1
    print(f"{len(feats)} labels, {centroids_outside} centroids outside, {len(outside)} outside")
    if outside:
        print(f"label points outside their polygon: {outside[:10]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
