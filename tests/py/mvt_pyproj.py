"""Project lon/lat pairs to EPSG:3857 with pyproj, the reference for onemap's tile math.

Reads a JSON list of [lon, lat] on stdin, prints a JSON list of [x, y] metres.
"""

import json
import sys

from pyproj import Transformer


def main():
    points = json.load(sys.stdin)
    t = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    xs, ys = t.transform([p[0] for p in points], [p[1] for p in points])
    json.dump([[x, y] for x, y in zip(xs, ys)], sys.stdout)


if __name__ == "__main__":
    main()
