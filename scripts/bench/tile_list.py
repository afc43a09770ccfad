#!/usr/bin/env python3
"""The fixed, seeded tile list of scripts/bench-tiles, written once per server.

Reads anchor points straight from onemap's store (a GeoPackage: SQLite tables whose geom
column is a GeoPackage geometry blob), so the tiles sit where the data is and are rarely
empty: cameras at cameras, incidents and heatmap at incidents, patrols at track vertices,
admin and grids at grid vertices and incidents. Zooms 10-16, weighted to 12-15.

Writes, under OUT:
  tiles.tsv                      kind, z, x, y, query, onemap path, martin path
  KIND.onemap.txt / .martin.txt  one request path per line, same tiles, same order

Kinds (each one table line of the benchmark; the mixed lists are the union, shuffled):
  admin grids cameras patrols    plain layers (Martin: table sources)
  incidents_raw                  onemap raw=1; Martin's incidents table source
  incidents                      the same tiles with onemap's default policy (H3 clusters
                                 below z14); Martin has no policy: the same raw tiles
  incidents_filtered_raw         time window + categories + statuses, onemap raw=1;
                                 Martin: the incidents_filtered function source
  incidents_filtered             the same, onemap's default policy
  heatmap                        half unfiltered, half filtered; Martin: the heatmap
                                 function source (ST_HexagonGrid)
  mixed_raw                      every kind above with incidents raw on both servers
  mixed                          the same tiles, onemap's incident tiles by its policy
"""

import argparse
import math
import os
import random
import sqlite3
import struct
import sys
from datetime import datetime, timezone

ZOOM_WEIGHTS = {10: 6, 11: 10, 12: 20, 13: 22, 14: 20, 15: 14, 16: 8}
CATEGORIES = ["dispute", "public_security", "fire_hazard", "safety_hazard",
              "environment", "petition", "other"]
STATUSES = ["reported", "accepted", "filed", "dispatched", "handling", "verifying",
            "closed", "cancelled", "postponed", "sent_back"]
# Time windows a command center asks for: a week, a month, a quarter, a year.
WINDOW_DAYS = [7, 30, 90, 365]
ENVELOPE_BYTES = [0, 32, 48, 48, 64]


def first_xy(blob):
    """The first coordinate of a GeoPackage geometry blob (point, line or multipolygon)."""
    if not blob or blob[:2] != b"GP":
        return None
    flags = blob[3]
    env = ENVELOPE_BYTES[(flags >> 1) & 7] if ((flags >> 1) & 7) < 5 else 0
    wkb = blob[8 + env:]
    return wkb_first_xy(wkb)


def wkb_first_xy(wkb):
    """First x, y of a WKB geometry: walks into the first part of multi geometries."""
    order = "<" if wkb[0] == 1 else ">"
    (gtype,) = struct.unpack(order + "I", wkb[1:5])
    base = gtype % 1000
    if base == 1:
        return struct.unpack(order + "dd", wkb[5:21])
    if base == 2:
        return struct.unpack(order + "dd", wkb[9:25])
    if base == 3:
        return struct.unpack(order + "dd", wkb[13:29])
    if base in (4, 5, 6):
        return wkb_first_xy(wkb[9:])
    return None


def tile_of(lon, lat, z):
    """The XYZ tile holding lon/lat at zoom z."""
    n = 1 << z
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180.0) / 360.0 * n)
    s = math.sin(math.radians(lat))
    y = int((0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def anchors(db, table, where, limit):
    """First coordinates of a deterministic sample of a table's rows."""
    rows = db.execute(
        f"SELECT geom FROM {table} WHERE {where} ORDER BY fid LIMIT {limit}").fetchall()
    pts = [first_xy(r[0]) for r in rows]
    return [p for p in pts if p is not None]


def iso(t):
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_filter(rng, t0, t1):
    """A time window inside the data's span, 1-3 categories, and half the time statuses."""
    days = rng.choice(WINDOW_DAYS)
    span = days * 86400
    start = rng.randint(t0, max(t0, t1 - span))
    q = [("from", iso(start)), ("to", iso(start + span)),
         ("category", ",".join(sorted(rng.sample(CATEGORIES, rng.randint(1, 3)))))]
    if rng.random() < 0.5:
        q.append(("status", ",".join(sorted(rng.sample(STATUSES, rng.randint(2, 5))))))
    return q


def qs(pairs):
    return "&".join(f"{k}={v}" for k, v in pairs)


def pick_tiles(rng, pts, n):
    zooms = list(ZOOM_WEIGHTS)
    weights = [ZOOM_WEIGHTS[z] for z in zooms]
    out = []
    for _ in range(n):
        lon, lat = rng.choice(pts)
        z = rng.choices(zooms, weights)[0]
        x, y = tile_of(lon, lat, z)
        out.append((z, x, y))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2260)
    ap.add_argument("--per-kind", type=int, default=160)
    a = ap.parse_args()

    db = sqlite3.connect(f"file:{a.store}?mode=ro", uri=True)
    # Every k-th row, k chosen so each sample holds a few thousand rows at any scale.
    def sample(table, want):
        n = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        k = max(1, n // want)
        return anchors(db, table, f"fid % {k} = 0", want)

    inc = sample("incidents", 4000)
    cam = sample("cameras", 4000)
    pat = sample("patrols", 2000)
    grd = sample("grids", 2000)
    if not inc or not cam:
        sys.exit(f"tile_list: no incidents or cameras in {a.store}")
    t0, t1 = db.execute("SELECT min(reported_at), max(reported_at) FROM incidents").fetchone()

    rng = random.Random(a.seed)
    n = a.per_kind
    rows = []  # kind, z, x, y, onemap query, martin source, martin query

    def add(kind, tiles, onemap_q, source, martin_q):
        for (z, x, y), oq, mq in zip(tiles, onemap_q, martin_q):
            rows.append((kind, z, x, y, oq, source, mq))

    for kind, pts in [("admin", grd + inc[: len(grd)]), ("grids", grd + inc[: len(grd)]),
                      ("cameras", cam), ("patrols", pat)]:
        add(kind, pick_tiles(rng, pts, n), [""] * n, kind, [""] * n)
    tiles = pick_tiles(rng, inc, n)
    add("incidents_raw", tiles, ["raw=1"] * n, "incidents", [""] * n)
    add("incidents", tiles, [""] * n, "incidents", [""] * n)
    tiles = pick_tiles(rng, inc, n)
    filters = [qs(random_filter(rng, t0, t1)) for _ in range(n)]
    add("incidents_filtered_raw", tiles, ["raw=1&" + f for f in filters],
        "incidents_filtered", filters)
    add("incidents_filtered", tiles, filters, "incidents_filtered", filters)
    tiles = pick_tiles(rng, inc, n)
    filters = [qs(random_filter(rng, t0, t1)) if i % 2 else "" for i in range(n)]
    add("heatmap", tiles, filters, "heatmap", filters)

    def onemap_path(r):
        kind, z, x, y, oq, _, _ = r
        layer = "incidents" if kind.startswith("incidents") else kind
        return f"/tiles/{layer}/{z}/{x}/{y}.mvt" + (f"?{oq}" if oq else "")

    def martin_path(r):
        _, z, x, y, _, source, mq = r
        return f"/{source}/{z}/{x}/{y}" + (f"?{mq}" if mq else "")

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "tiles.tsv"), "w") as f:
        f.write("kind\tz\tx\ty\tonemap\tmartin\n")
        for r in rows:
            f.write(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{onemap_path(r)}\t{martin_path(r)}\n")

    def write(kind, selected):
        for server, path in (("onemap", onemap_path), ("martin", martin_path)):
            with open(os.path.join(a.out, f"{kind}.{server}.txt"), "w") as f:
                f.writelines(path(r) + "\n" for r in selected)

    kinds = []
    for r in rows:
        if r[0] not in kinds:
            kinds.append(r[0])
    for kind in kinds:
        write(kind, [r for r in rows if r[0] == kind])
    # The mixed lists: every kind once (incidents raw, or by onemap's policy), one order.
    raw_kinds = ["admin", "grids", "cameras", "patrols", "incidents_raw",
                 "incidents_filtered_raw", "heatmap"]
    mixed_raw = [r for r in rows if r[0] in raw_kinds]
    order = list(range(len(mixed_raw)))
    rng.shuffle(order)
    mixed_raw = [mixed_raw[i] for i in order]
    policy = {"incidents_raw": "incidents", "incidents_filtered_raw": "incidents_filtered"}
    by_key = {(r[0], r[1], r[2], r[3], r[6]): r for r in rows}
    mixed = [by_key[(policy.get(r[0], r[0]), r[1], r[2], r[3], r[6])] for r in mixed_raw]
    write("mixed_raw", mixed_raw)
    write("mixed", mixed)
    zs = {}
    for r in mixed_raw:
        zs[r[1]] = zs.get(r[1], 0) + 1
    print(f"tile list: {len(rows)} rows, {len(mixed_raw)} tiles per mixed list, zooms "
          + " ".join(f"z{z}:{zs[z]}" for z in sorted(zs)) + f" -> {a.out}")


if __name__ == "__main__":
    main()
