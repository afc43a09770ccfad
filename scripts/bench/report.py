#!/usr/bin/env python3
"""Markdown tables of scripts/bench-tiles from its raw figures.

  report.py RAW_TSV CHECK_TSV CACHE_FLAG "median PATH BYTES"

RAW_TSV lines (cycle.lua): scale, connections, mode, line, server, requests, seconds,
tiles/s, p50, p90, p99, max (ms), socket errors, non-2xx/3xx answers.
"""

import os
import sys
from datetime import datetime, timezone

LINES = ["admin", "grids", "cameras", "patrols", "incidents_raw", "incidents",
         "incidents_filtered_raw", "incidents_filtered", "heatmap", "mixed_raw", "mixed"]
# Martin has no incident policy: its raw tiles stand for the policy lines.
MARTIN_LINE = {"incidents": "incidents_raw", "incidents_filtered": "incidents_filtered_raw",
               "mixed": "mixed_raw"}
LABEL = {
    "incidents_raw": "incidents, raw=1",
    "incidents": "incidents, onemap policy (Martin raw)",
    "incidents_filtered_raw": "incidents filtered, raw=1",
    "incidents_filtered": "incidents filtered, onemap policy (Martin raw)",
    "heatmap": "heatmap (half filtered)",
    "mixed_raw": "**mixed, incidents raw**",
    "mixed": "**mixed, onemap incident policy**",
}


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 14:
                continue
            scale, conc, mode, name, server = p[:5]
            runs[(int(conc), mode, name, server)] = {
                "scale": scale, "n": int(p[5]), "rps": float(p[7]), "p50": float(p[8]),
                "p99": float(p[10]), "max": float(p[11]), "err": int(p[12]) + int(p[13])}
    return runs


def fmt_ms(v):
    return f"{v:.2f}" if v < 10 else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def cell(r):
    if r is None:
        return "-", "-", "-"
    if r["err"]:
        return f"{r['rps']:.0f} ({r['err']} errors)", fmt_ms(r["p50"]), fmt_ms(r["p99"])
    return f"{r['rps']:.0f}", fmt_ms(r["p50"]), fmt_ms(r["p99"])


def main():
    raw, check, cache_flag, median = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
    runs = load(raw)
    if not runs:
        sys.exit("report: no figures")
    scale = next(iter(runs.values()))["scale"]
    martin = any(k[3] == "martin" for k in runs)
    load1, load5, _ = os.getloadavg()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# Tiles side by side: {scale} demo, {now}, load average at the end "
          f"{load1:.1f} / {load5:.1f} (1 / 5 min)\n")
    if not cache_flag:
        print("onemap had no tile cache in this build (`--tile-cache-mb` missing): its "
              "'cached' figures are the uncached server again.\n")
    print("Per line: tiles/s, p50 and p99 latency in ms as wrk measured them; ratio = "
          "onemap tiles/s / Martin tiles/s. Martin serves raw incident points at every "
          "zoom, so its raw figure stands on the onemap-policy lines too.\n")

    for conc in sorted({k[0] for k in runs}):
        for mode in ("uncached", "cached"):
            if not any(k[0] == conc and k[1] == mode for k in runs):
                continue
            print(f"## {conc} connection{'s' if conc > 1 else ''}, {mode}\n")
            if martin:
                print("| line | onemap tiles/s | p50 | p99 | Martin tiles/s | p50 | p99 | ratio |")
                print("|---|---|---|---|---|---|---|---|")
            else:
                print("| line | onemap tiles/s | p50 | p99 | requests |")
                print("|---|---|---|---|---|")
            for line in LINES:
                o = runs.get((conc, mode, line, "onemap"))
                if o is None:
                    continue
                label = LABEL.get(line, line)
                if martin:
                    m = runs.get((conc, mode, MARTIN_LINE.get(line, line), "martin"))
                    ratio = (f"{o['rps'] / m['rps']:.1f}x"
                             if m and m["rps"] > 0 and not o["err"] else "-")
                    print(f"| {label} | " + " | ".join(cell(o)) + " | "
                          + " | ".join(cell(m)) + f" | {ratio} |")
                else:
                    print(f"| {label} | " + " | ".join(cell(o)) + f" | {o['n']} |")
            print()

    bare = {k[0]: r for k, r in runs.items() if k[3] == "bare"}
    if bare:
        parts = median.split()
        print("## onemap cached against a bare axum handler\n")
        if len(parts) == 3:
            print(f"One tile, `{parts[1]}` ({parts[2]} bytes: the list's median non-empty "
                  "onemap tile), requested over and over from onemap's cached server and "
                  "from `tile-server/examples/bare_tile.rs` serving the same bytes from "
                  "memory (no middleware). Target: onemap >= 80% of bare.\n")
        print("| connections | onemap cached tiles/s | p99 | bare axum tiles/s | p99 | onemap / bare |")
        print("|---|---|---|---|---|---|")
        for conc, b in sorted(bare.items()):
            o = runs.get((conc, "cached", "one_tile", "onemap"))
            if o:
                print(f"| {conc} | {o['rps']:.0f} | {fmt_ms(o['p99'])} | {b['rps']:.0f} | "
                      f"{fmt_ms(b['p99'])} | {100 * o['rps'] / b['rps']:.0f}% |")
        print()

    print("## Against SPEC 12\n")
    for conc in sorted({k[0] for k in runs}):
        un = {k[2]: r for k, r in runs.items()
              if k[0] == conc and k[1] == "uncached" and k[3] == "onemap"}
        worst = max(((r["p99"], n) for n, r in un.items() if not r["err"]), default=None)
        over = [f"{LABEL.get(n, n).strip('*')} {fmt_ms(r['p99'])}" for n, r in un.items()
                if r["p99"] > 10 and not r["err"]]
        if worst:
            print(f"- c{conc}, uncached p99 <= 10 ms: worst line {fmt_ms(worst[0])} ms "
                  f"({LABEL.get(worst[1], worst[1]).strip('*')}): "
                  + ("**met**" if not over else "**missed** on " + "; ".join(over)))
        if "heatmap" in un and not un["heatmap"]["err"]:
            h = un["heatmap"]["p99"]
            print(f"- c{conc}, heatmap p99 ({scale}): {fmt_ms(h)} ms "
                  + ("(target 30 ms at province scale: "
                     + ("**met**" if h <= 30 else "**missed**") + ")"
                     if scale == "province" else "(the 30 ms target is for province data)"))
        if martin:
            for line in ("mixed_raw", "mixed"):
                o = un.get(line)
                m = runs.get((conc, "uncached", "mixed_raw", "martin"))
                if o and m and m["rps"] > 0 and not o["err"]:
                    r = o["rps"] / m["rps"]
                    print(f"- c{conc}, uncached {LABEL[line].strip('*')}: {r:.1f}x Martin "
                          + ("**met**" if r >= 10 else "**missed**") + " (target >= 10x)")
        b = bare.get(conc)
        o = runs.get((conc, "cached", "one_tile", "onemap"))
        if b and o:
            r = o["rps"] / b["rps"]
            print(f"- c{conc}, cached {100 * r:.0f}% of bare axum: "
                  + ("**met**" if r >= 0.8 else "**missed**") + " (target >= 80%)")
    print()

    if os.path.exists(check):
        print("## Answers (every tile fetched once before measuring)\n")
        print("| server | kind | tiles | 200 | 204 | other | mean bytes (200) | slowest ms |")
        print("|---|---|---|---|---|---|---|---|")
        with open(check) as f:
            next(f)
            for line in f:
                print("| " + " | ".join(line.rstrip("\n").split("\t")) + " |")
        print()


if __name__ == "__main__":
    main()
