"""The heatmap hexagon that holds a point, as the tile says and as a recount says.

Usage: python3 heat_cell.py TILE.mvt LON LAT RES < points.json
points.json: a JSON list of [lon, lat] (every incident around the point, from the API).
Prints JSON {"cell": HEX, "tile_count": N or null, "recount": M}: the count the heatmap
tile carries for the resolution-RES cell of (LON, LAT) (its feature id is the cell), and
how many of the points the `h3` package puts in that cell (latlng_to_cell).
"""

import json
import sys

import h3
import mapbox_vector_tile


def main():
    tile, lon, lat, res = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    cell = h3.latlng_to_cell(lat, lon, res)
    with open(tile, "rb") as f:
        data = f.read()
    decoded = mapbox_vector_tile.decode(data) if data else {}
    count = None
    for feature in decoded.get("heatmap", {}).get("features", []):
        if h3.int_to_str(feature["id"]) == cell:
            count = feature["properties"]["count"]
    points = json.load(sys.stdin)
    recount = sum(1 for x, y in points if h3.latlng_to_cell(y, x, res) == cell)
    print(json.dumps({"cell": cell, "tile_count": count, "recount": recount}))


main()
