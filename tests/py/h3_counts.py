#!/usr/bin/env python3
"""Per-cell point counts by the Python h3 package (v4): the reference for the heatmap's and
the clusters' counts.

Input: a JSON file {"points": [[lon, lat], ...], "resolutions": [r, ...]}.
Prints JSON {"<res>": {"<cell hex>": count}}: how many points `latlng_to_cell` puts in each
cell at each resolution. Exits 2 if h3 (v4) is missing.
"""
import json
import sys
from collections import Counter

try:
    import h3
except ImportError as e:  # the Rust test must fail, not skip
    print(f"h3 missing: {e}", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    out = {}
    for r in data["resolutions"]:
        counts = Counter(h3.latlng_to_cell(lat, lon, r) for lon, lat in data["points"])
        out[str(r)] = dict(counts)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
