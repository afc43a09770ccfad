#!/usr/bin/env python3
"""Fetches every tile of the list once from each server: checks the answers (status and
size per kind), warms the cached servers, and picks the bare-axum tile.

  check.py LISTS_DIR OUT_TSV name=URL [name=URL ...]

Writes OUT_TSV: server, kind, tiles, 200, 204, other statuses, mean bytes of 200s, slowest
ms. Prints the path and size of the median non-empty onemap tile of the default-policy
kinds (the bare peer's bytes) as the last line: `median <path> <bytes>`.
"""

import http.client
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

WORKERS = 4


def fetch_all(base, paths):
    """(status, bytes, ms) per path, over a few keep-alive connections."""
    u = urlsplit(base)
    chunks = [paths[i::WORKERS] for i in range(WORKERS)]

    def run(chunk):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        out = {}
        for p in chunk:
            t = time.perf_counter()
            try:
                conn.request("GET", p)
                r = conn.getresponse()
                body = r.read()
                out[p] = (r.status, len(body), (time.perf_counter() - t) * 1000)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
                out[p] = (0, 0, (time.perf_counter() - t) * 1000)
        conn.close()
        return out

    res = {}
    with ThreadPoolExecutor(WORKERS) as ex:
        for part in ex.map(run, chunks):
            res.update(part)
    return res


def main():
    lists, out_tsv, servers = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = []
    with open(f"{lists}/tiles.tsv") as f:
        next(f)
        for line in f:
            kind, _z, _x, _y, onemap, martin = line.rstrip("\n").split("\t")
            rows.append((kind, onemap, martin))
    lines = []
    median = None
    for spec in servers:
        name, url = spec.split("=", 1)
        col = 1 if name.startswith("onemap") else 2
        paths = sorted({r[col] for r in rows})
        t = time.perf_counter()
        res = fetch_all(url, paths)
        print(f"check: {name}: {len(paths)} tiles in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)
        for kind in dict.fromkeys(r[0] for r in rows):
            got = [res[r[col]] for r in rows if r[0] == kind]
            ok = [g for g in got if g[0] == 200]
            lines.append("\t".join(str(v) for v in (
                name, kind, len(got), len(ok), sum(g[0] == 204 for g in got),
                sum(g[0] not in (200, 204) for g in got),
                round(sum(g[1] for g in ok) / len(ok)) if ok else 0,
                round(max(g[2] for g in got), 1))))
        if col == 1 and median is None:
            # What a map client asks by default: every kind but the forced raw incidents.
            default = {r[1] for r in rows if not r[0].endswith("_raw")}
            sized = sorted((res[p][1], p) for p in default if res[p][0] == 200)
            if sized:
                median = sized[len(sized) // 2]
    with open(out_tsv, "w") as f:
        f.write("server\tkind\ttiles\t200\t204\tother\tmean_bytes\tslowest_ms\n")
        f.writelines(line + "\n" for line in lines)
    if median:
        print(f"median {median[1]} {median[0]}")


if __name__ == "__main__":
    main()
