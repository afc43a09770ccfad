#!/usr/bin/env python3
"""Checks onemap's GCJ-02/BD-09 results against two independent PyPI implementations.

Usage: python3 crs_gcj_check.py CASES.json

CASES.json (written by geo-core/tests/crs_gcj.rs) holds lists of [[lon, lat], [lon, lat]]:
  wgs_to_gcj: [wgs, onemap_gcj]   wgs_to_bd: [wgs, onemap_bd]
  gcj_to_wgs: [gcj, onemap_wgs]   bd_to_wgs: [bd, onemap_wgs]

`coord-convert` (sshuair) implements the formula with the constants of the leaked
original (Krasovsky a = 6378245 m), as `coordtransform` does: onemap must match it to
1 mm both ways, its iterative gcj2wgs included, and the inverses must round-trip through
its forward functions to 1 mm.

`eviltransform` (googollee) scales the offset with a = 6378137 m instead, which moves
its answers by 1-2 cm; it is held to 5 cm, and its 0.1 m bisection gcj2wgs_exact to 0.5 m.

Prints the worst distance (metres) of each check as JSON and exits 1 when one is over its
limit (a missing package exits non-zero too).
"""
import json
import math
import sys

import coord_convert.transform as cc
import eviltransform as ev

MM = 0.001
EVIL = 0.05
EVIL_BISECTION = 0.5


def metres(a, b):
    """Distance between two nearby [lon, lat] points."""
    k = 6378137.0 * math.pi / 180.0
    dx = (a[0] - b[0]) * k * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = (a[1] - b[1]) * k
    return math.hypot(dx, dy)


def ev_xy(f, p):
    """Calls an eviltransform function, which takes and returns (lat, lng)."""
    lat, lng = f(p[1], p[0])
    return [lng, lat]


def main():
    cases = json.load(open(sys.argv[1]))
    worst, limits = {}, {}

    def note(name, value, limit=None):
        worst[name] = max(worst.get(name, 0.0), value)
        if limit is not None:
            limits[name] = limit

    for wgs, gcj in cases["wgs_to_gcj"]:
        note("cc_wgs2gcj", metres(gcj, cc.wgs2gcj(*wgs)), MM)
        note("ev_wgs2gcj", metres(gcj, ev_xy(ev.wgs2gcj, wgs)), EVIL)
    for wgs, bd in cases["wgs_to_bd"]:
        note("cc_wgs2bd", metres(bd, cc.wgs2bd(*wgs)), MM)
        note("ev_wgs2bd", metres(bd, ev_xy(ev.wgs2bd, wgs)), EVIL)
    for gcj, wgs in cases["gcj_to_wgs"]:
        note("cc_gcj2wgs", metres(wgs, cc.gcj2wgs(*gcj)), MM)
        note("cc_gcj2wgs_round_trip", metres(gcj, cc.wgs2gcj(*wgs)), MM)
        note("ev_gcj2wgs_round_trip", metres(gcj, ev_xy(ev.wgs2gcj, wgs)), EVIL)
        note("ev_gcj2wgs_exact", metres(wgs, ev_xy(ev.gcj2wgs_exact, gcj)), EVIL_BISECTION)
        # Not checks: how far the published one-step inverse is off, for the report.
        note("published_gcj2wgs_error", metres(wgs, ev_xy(ev.gcj2wgs, gcj)))
    for bd, wgs in cases["bd_to_wgs"]:
        note("cc_bd2wgs_round_trip", metres(bd, cc.wgs2bd(*wgs)), MM)
        note("ev_bd2wgs_round_trip", metres(bd, ev_xy(ev.wgs2bd, wgs)), EVIL)
        note("published_bd2wgs_error", metres(wgs, cc.bd2wgs(*bd)))
    counts = {k: len(v) for k, v in cases.items()}
    failed = sorted(k for k, limit in limits.items() if not worst[k] <= limit)
    json.dump({"counts": counts, "worst_m": worst, "failed": failed}, sys.stdout)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
