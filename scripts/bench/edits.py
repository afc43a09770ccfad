#!/usr/bin/env python3
"""Grid edit latency over HTTP (issue 11): preview and commit of shared-vertex moves, splits
and merges against a running onemap, each commit followed by a read of a cached grid tile
over the edit (it must have been dropped and re-rendered: the tile's ETag changes).

Usage: edits.py BASE_URL [N]   (N edits of each kind, default 20). Prints a Markdown table.
"""
import os
import json
import math
import statistics
import sys
import time
import urllib.error
import urllib.request


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"content-type": "application/json",
                                          "authorization": "Bearer " + os.environ.get("ONEMAP_TOKEN", "")})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            out = r.read()
            status, etag = r.status, r.headers.get("etag")
    except urllib.error.HTTPError as e:
        out, status, etag = e.read(), e.code, None
    ms = (time.perf_counter() - t) * 1e3
    try:
        doc = json.loads(out) if out else None
    except ValueError:
        doc = None
    return status, doc, ms, etag


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def rings(g):
    polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
    for p in polys:
        for r in p:
            yield r


def main():
    base = sys.argv[1].rstrip("/")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    _, page, _, _ = call(base, "GET", "/collections/grids/items?limit=10000")
    grids = [f for f in page["features"] if f["properties"]["valid_to"] is None]
    by = {}
    for f in grids:
        for r in rings(f["geometry"]):
            for c in r:
                by.setdefault((c[0], c[1]), set()).add(f["id"])
    nodes = sorted(k for k, v in by.items() if len(v) >= 3)
    step = max(1, len(nodes) // (n * 3))
    nodes = nodes[::step]
    figures = {}

    def record(name, ms):
        figures.setdefault(name, []).append(ms)

    used = set()
    done = {"move_vertex": 0, "split": 0, "merge": 0}
    for (x, y) in nodes:
        holders = sorted(by[(x, y)])
        if used & set(holders):
            continue
        feats = {f["id"]: f for f in grids if f["id"] in holders}
        first = feats[holders[0]]
        pts = [c for r in rings(first["geometry"]) for c in r]
        cx = sum(p[0] for p in pts) / len(pts)
        cy = sum(p[1] for p in pts) / len(pts)
        kind = min(done, key=done.get)
        if done[kind] >= n:
            break
        if kind == "move_vertex":
            body = {"op": "move_vertex", "from": [x, y],
                    "to": [x + (cx - x) * 0.05, y + (cy - y) * 0.05], "reason": "bench"}
        elif kind == "split":
            xs = [p[0] for p in pts]
            body = {"op": "split", "grid": holders[0], "reason": "bench",
                    "line": {"type": "LineString", "coordinates": [[min(xs) - 0.001, cy], [max(xs) + 0.001, cy + 0.0005]]}}
        else:
            pair = next(((a, b) for a in holders for b in holders
                         if a < b and a[:12] == b[:12]), None)
            if pair is None:
                continue
            body = {"op": "merge", "grids": list(pair), "reason": "bench"}
        z, tx, ty = tile_of(x, y, 14)
        tile = f"/tiles/grids/{z}/{tx}/{ty}.mvt"
        _, _, _, tag0 = call(base, "GET", tile)
        s, p, ms, _ = call(base, "POST", "/api/edits/preview", body)
        if s != 200 or p["blocking"]:
            continue
        record(f"preview {kind} (client)", ms)
        record(f"preview {kind} (server)", p["took_ms"])
        s, c, ms, _ = call(base, "POST", "/api/edits/commit", body)
        if s != 200:
            print(f"commit {kind} answered {s}: {c}", file=sys.stderr)
            continue
        record(f"commit {kind} (acknowledged, durable, core and tiles updated)", ms)
        _, _, ms, tag1 = call(base, "GET", tile)
        record("grid tile over the edit, re-rendered after the commit", ms)
        if tag0 is not None and tag0 == tag1:
            print(f"STALE TILE {tile} after {kind}", file=sys.stderr)
            sys.exit(1)
        used |= set(holders)
        done[kind] += 1
    print("| measurement | n | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, v in figures.items():
        v = sorted(v)
        p95 = v[min(len(v) - 1, int(len(v) * 0.95))]
        print(f"| {name} | {len(v)} | {statistics.median(v):.1f} | {p95:.1f} | {v[-1]:.1f} |")


if __name__ == "__main__":
    main()
