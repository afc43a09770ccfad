//! Problems planted in a copy of one township's demo grids, each of which must be reported
//! exactly once, by the right check, on the right feature(s), at a place shapely agrees is
//! in the problem, with overlap and gap areas within 1% of shapely/pyproj's; then the
//! repairs, after which checking again finds nothing of what was repaired.
//!
//! Planted: a bulge of one grid into its neighbour (overlap), a dent in one grid (gap), a
//! 0.5 m wide spike (sliver), a grid with the code of another village (code village
//! mismatch), a bow-tie twist (self-intersection), an unclosed ring in the file (invalid
//! ring), a code used twice, a code of 14 digits, a name garbled by decoding UTF-8 as GBK.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    clippy::many_single_char_names
)]

mod validate_common;

use std::collections::HashMap;

use geo::Contains;
use geo_core::codes::AdminCode;
use geo_core::demo::{generate_partition, DemoConfig};
use geo_core::model::Layer;
use geo_core::validate::{
    area_m2, check_areas, check_geojson_rings, check_spots, repair_areas, Area, Check, Finding,
    ParentArea, Repairs, Severity, Spot, Tolerances,
};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use serde_json::json;
use validate_common::{findings_json, geojson, python, write_json};

/// Metres to degrees near a latitude (planting only needs to be roughly metric).
#[derive(Clone, Copy)]
struct Frame {
    kx: f64,
    ky: f64,
}

impl Frame {
    fn at(lat: f64) -> Self {
        Self {
            kx: 111_320.0 * lat.to_radians().cos(),
            ky: 110_574.0,
        }
    }
    /// `c` moved by `(east, north)` metres.
    fn go(self, c: Coord<f64>, east: f64, north: f64) -> Coord<f64> {
        Coord {
            x: c.x + east / self.kx,
            y: c.y + north / self.ky,
        }
    }
    fn len(self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        ((b.x - a.x) * self.kx).hypot((b.y - a.y) * self.ky)
    }
}

/// What was planted where (positions in the feature list).
#[derive(Debug, Default)]
struct Planted {
    overlap: (usize, usize),
    gap: (usize, usize),
    gap_village: String,
    spike: usize,
    spike_shape: Vec<Coord<f64>>,
    bowtie: usize,
    unclosed: usize,
    duplicate: (usize, usize),
    malformed: usize,
    mismatch: usize,
    mismatch_villages: (String, String),
    garbled: usize,
    garbled_from: String,
}

struct Fixture {
    codes: Vec<String>,
    names: Vec<String>,
    geoms: Vec<MultiPolygon<f64>>,
    /// The file's geometries (one ring left unclosed).
    raw: Vec<geojson::Geometry>,
    villages: Vec<(String, MultiPolygon<f64>)>,
    /// The demo's own grids, before planting.
    original: Vec<MultiPolygon<f64>>,
    original_codes: Vec<String>,
    original_names: Vec<String>,
    planted: Planted,
}

impl Fixture {
    fn areas_of<'a>(&'a self, geoms: &'a [MultiPolygon<f64>]) -> Vec<Area<'a>> {
        (0..self.codes.len())
            .map(|i| Area {
                index: i,
                code: &self.codes[i],
                name: Some(&self.names[i]),
                parent: None,
                geometry: &geoms[i],
            })
            .collect()
    }
    fn parents(&self) -> Vec<ParentArea<'_>> {
        self.villages
            .iter()
            .map(|(c, g)| ParentArea {
                code: c,
                geometry: g,
            })
            .collect()
    }
    /// Every finding: the raw ring check per feature, then all the area checks.
    fn check(&self, geoms: &[MultiPolygon<f64>], raw: bool) -> Vec<Finding> {
        let mut out: Vec<Finding> = if raw {
            self.raw
                .iter()
                .enumerate()
                .filter_map(|(i, g)| check_geojson_rings(i, Some(&self.codes[i]), g))
                .collect()
        } else {
            Vec::new()
        };
        out.extend(check_areas(
            Layer::Grids,
            &self.areas_of(geoms),
            &self.parents(),
            &Tolerances::default(),
        ));
        out
    }
}

fn edge_key(a: Coord<f64>, b: Coord<f64>) -> [u64; 4] {
    let (p, q) = if (a.x, a.y) <= (b.x, b.y) {
        (a, b)
    } else {
        (b, a)
    };
    [p.x.to_bits(), p.y.to_bits(), q.x.to_bits(), q.y.to_bits()]
}

/// The unit normal of edge `a`-`b` (metres) pointing out of `poly`, and the unit tangent.
fn outward(
    poly: &Polygon<f64>,
    f: Frame,
    a: Coord<f64>,
    b: Coord<f64>,
) -> ((f64, f64), (f64, f64)) {
    let (dx, dy) = ((b.x - a.x) * f.kx, (b.y - a.y) * f.ky);
    let l = dx.hypot(dy);
    let t = (dx / l, dy / l);
    let mut n = (-t.1, t.0);
    let m = mid(a, b);
    if poly.contains(&Point::from(f.go(m, n.0, n.1))) {
        n = (-n.0, -n.1);
    }
    (n, t)
}

fn mid(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
    Coord {
        x: f64::midpoint(a.x, b.x),
        y: f64::midpoint(a.y, b.y),
    }
}

/// `poly` with `pts` inserted after vertex `pos` of its exterior.
fn insert(poly: &Polygon<f64>, pos: usize, pts: &[Coord<f64>]) -> MultiPolygon<f64> {
    let mut ring = poly.exterior().0.clone();
    for (k, p) in pts.iter().enumerate() {
        ring.insert(pos + 1 + k, *p);
    }
    MultiPolygon(vec![Polygon::new(
        LineString(ring),
        poly.interiors().to_vec(),
    )])
}

fn as_gbk(s: &str) -> String {
    encoding_rs::GB18030
        .decode_without_bom_handling(s.as_bytes())
        .0
        .into_owned()
}

fn fixture() -> Fixture {
    let d = generate_partition(&DemoConfig::prefecture()).unwrap();
    // The township with the most grids.
    let mut per_town: HashMap<String, usize> = HashMap::new();
    for g in &d.grids {
        *per_town
            .entry(g.code.to_string()[..9].to_owned())
            .or_default() += 1;
    }
    let town = per_town
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(t, _)| t.clone())
        .unwrap();
    let mut grids: Vec<_> = d
        .grids
        .iter()
        .filter(|g| g.code.to_string().starts_with(&town))
        .collect();
    grids.sort_by_key(|g| g.code);
    let villages: Vec<(String, MultiPolygon<f64>)> = d
        .admin
        .iter()
        .filter(|u| {
            matches!(u.code, AdminCode::Village(_)) && u.code.to_string().starts_with(&town)
        })
        .map(|u| (u.code.to_string(), u.geometry.clone()))
        .collect();
    let mut codes: Vec<String> = grids.iter().map(|g| g.code.to_string()).collect();
    let mut names: Vec<String> = grids.iter().map(|g| g.name.clone()).collect();
    let original: Vec<MultiPolygon<f64>> = grids.iter().map(|g| g.geometry.clone()).collect();
    let (original_codes, original_names) = (codes.clone(), names.clone());
    let mut geoms = original.clone();
    let village_of = |i: usize| original_codes[i][..12].to_owned();
    let f = Frame::at(original[0].0[0].exterior().0[0].y);

    // Edges of single-part grids: shared (two grids) or on the township's outline (one).
    let mut edges: HashMap<[u64; 4], Vec<(usize, usize)>> = HashMap::new();
    for (i, g) in original.iter().enumerate() {
        if g.0.len() != 1 {
            continue;
        }
        for (pos, w) in g.0[0].exterior().0.windows(2).enumerate() {
            edges
                .entry(edge_key(w[0], w[1]))
                .or_default()
                .push((i, pos));
        }
    }
    let mut keys: Vec<_> = edges.keys().copied().collect();
    keys.sort_unstable();
    let seg = |i: usize, pos: usize| {
        let r = &original[i].0[0].exterior().0;
        (r[pos], r[pos + 1])
    };
    let mut used: Vec<usize> = Vec::new();
    let mut p = Planted::default();

    // Overlap and gap: long edges shared by two grids of one village.
    let mut shared = keys.iter().filter_map(|k| {
        let e = &edges[k];
        (e.len() == 2 && village_of(e[0].0) == village_of(e[1].0)).then(|| (e[0], e[1]))
    });
    let mut pick_shared = |used: &mut Vec<usize>| loop {
        let ((i, pi), (j, _)) = shared.next().unwrap();
        let (a, b) = seg(i, pi);
        if f.len(a, b) >= 150.0 && !used.contains(&i) && !used.contains(&j) {
            used.extend([i, j]);
            return (i, pi, j);
        }
    };
    let (g1, pos1, h1) = pick_shared(&mut used);
    let (a, b) = seg(g1, pos1);
    let (n, _) = outward(&original[g1].0[0], f, a, b);
    let m = mid(a, b);
    geoms[g1] = insert(&original[g1].0[0], pos1, &[f.go(m, 30.0 * n.0, 30.0 * n.1)]);
    p.overlap = (g1, h1);

    let (g2, pos2, h2) = pick_shared(&mut used);
    let (a, b) = seg(g2, pos2);
    let (n, _) = outward(&original[g2].0[0], f, a, b);
    let m = mid(a, b);
    geoms[g2] = insert(
        &original[g2].0[0],
        pos2,
        &[f.go(m, -30.0 * n.0, -30.0 * n.1)],
    );
    p.gap = (g2, h2);
    p.gap_village = village_of(g2);

    // Spike and bow-tie: on edges of the township's outline (no neighbour in the file).
    let mut outline = keys.iter().filter_map(|k| {
        let e = &edges[k];
        (e.len() == 1).then(|| e[0])
    });
    let mut pick_outline = |used: &mut Vec<usize>| loop {
        let (i, pi) = outline.next().unwrap();
        let (a, b) = seg(i, pi);
        if f.len(a, b) >= 80.0 && !used.contains(&i) {
            used.push(i);
            return (i, pi);
        }
    };
    let (g3, pos3) = pick_outline(&mut used);
    let (a, b) = seg(g3, pos3);
    let (n, t) = outward(&original[g3].0[0], f, a, b);
    let m = mid(a, b);
    let spike = [
        f.go(m, -0.25 * t.0, -0.25 * t.1),
        f.go(m, -0.25 * t.0 + 30.0 * n.0, -0.25 * t.1 + 30.0 * n.1),
        f.go(m, 0.25 * t.0 + 30.0 * n.0, 0.25 * t.1 + 30.0 * n.1),
        f.go(m, 0.25 * t.0, 0.25 * t.1),
    ];
    geoms[g3] = insert(&original[g3].0[0], pos3, &spike);
    p.spike = g3;
    p.spike_shape = spike.to_vec();

    let (g4, pos4) = pick_outline(&mut used);
    let (a, b) = seg(g4, pos4);
    let (n, t) = outward(&original[g4].0[0], f, a, b);
    let m = mid(a, b);
    let twist = [
        f.go(m, -10.0 * t.0, -10.0 * t.1),
        f.go(m, 10.0 * t.0 + 10.0 * n.0, 10.0 * t.1 + 10.0 * n.1),
        f.go(m, -10.0 * t.0 + 10.0 * n.0, -10.0 * t.1 + 10.0 * n.1),
        f.go(m, 10.0 * t.0, 10.0 * t.1),
    ];
    geoms[g4] = insert(&original[g4].0[0], pos4, &twist);
    p.bowtie = g4;

    // Attribute problems on grids away from the rest.
    let mut free = (0..codes.len()).filter(|i| !used.contains(i) && original[*i].0.len() == 1);
    let first = free.next().unwrap();
    p.unclosed = free.next().unwrap();
    let dup = free.next().unwrap();
    p.duplicate = (dup, first);
    p.malformed = free.next().unwrap();
    p.mismatch = free
        .by_ref()
        .find(|&i| villages.iter().any(|(v, _)| *v != village_of(i)))
        .unwrap();
    p.garbled = free
        .by_ref()
        .find(|&i| !as_gbk(&names[i]).contains('\u{FFFD}'))
        .unwrap();
    let source = codes[p.duplicate.1].clone();
    codes[dup] = source;
    codes[p.malformed].truncate(14);
    let lies_in = village_of(p.mismatch);
    let says = villages
        .iter()
        .map(|(v, _)| v.clone())
        .find(|v| *v != lies_in)
        .unwrap();
    codes[p.mismatch] = format!("{says}987");
    p.mismatch_villages = (says, lies_in);
    p.garbled_from.clone_from(&names[p.garbled]);
    names[p.garbled] = as_gbk(&p.garbled_from);

    let raw: Vec<geojson::Geometry> = geoms
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut gj = geojson::Geometry::from(&Geometry::MultiPolygon(g.clone()));
            if i == p.unclosed {
                if let geojson::GeometryValue::MultiPolygon { coordinates } = &mut gj.value {
                    coordinates[0][0].pop();
                }
            }
            gj
        })
        .collect();
    eprintln!(
        "township {town}: {} grids, {} villages; planted {p:?}",
        codes.len(),
        villages.len()
    );
    Fixture {
        codes,
        names,
        geoms,
        raw,
        villages,
        original,
        original_codes,
        original_names,
        planted: p,
    }
}

/// Cross-checks the findings on the planted problems with shapely and pyproj.
const SHAPELY: &str = r#"
import json, math, sys
import shapely
from shapely.geometry import shape, Point, Polygon
from shapely.validation import explain_validity
from pyproj import Geod

G = Geod(ellps="GRS80")
def area(g):
    return abs(G.geometry_area_perimeter(g)[0])
d = json.load(open(sys.argv[1], encoding="utf-8"))
feats = [shape(g) for g in d["features"]]
villages = {c: shape(g) for c, g in d["villages"]}
p = d["planted"]
lat0 = feats[0].centroid.y
kx, ky = 111320.0 * math.cos(math.radians(lat0)), 110574.0
def metres(geom, pt):
    # Distance in metres (local frame): 0 when the point is inside.
    return geom.distance(pt) * min(kx, ky) if not geom.contains(pt) else 0.0
def one(check):
    fs = [f for f in d["findings"] if f["check"] == check]
    assert len(fs) == 1, f"{check}: {fs}"
    return fs[0], Point(fs[0]["lon"], fs[0]["lat"])

# Validity: shapely finds exactly the bow-tie invalid, where onemap says.
invalid = [i for i, g in enumerate(feats) if not g.is_valid]
assert invalid == [p["bowtie"]], f"shapely invalid: {invalid}"
why = explain_validity(feats[p["bowtie"]])
x, y = map(float, why[why.index("[") + 1 : why.index("]")].split())
f, pt = one("self_intersection")
dist = metres(Point(x, y), pt)
assert dist <= 1.0, f"bow-tie: shapely {why}, onemap {pt} ({dist:.2f} m)"
print(f"self_intersection: shapely {why}; onemap {dist:.3f} m from it")

# Overlap: area within 1% of shapely's intersection (pyproj geodesic area), place inside it.
i, j = p["overlap"]
piece = feats[i].intersection(feats[j])
f, pt = one("overlap")
assert {f["index"], f["other_index"]} == {i, j}, f
ref = area(piece)
assert abs(f["area_m2"] - ref) <= 0.01 * ref, f"overlap {f['area_m2']:.2f} m2, shapely {ref:.2f} m2"
assert metres(piece, pt) <= 1.0, "overlap place outside the overlap"
print(f"overlap: onemap {f['area_m2']:.2f} m2, shapely {ref:.2f} m2 ({(f['area_m2'] - ref) / ref:+.2e})")

# Gap: the village less every grid lying in it, as shapely sees it: one piece.
v = villages[p["gap_village"]]
inside = [g for g in feats if v.contains(g.representative_point())]
holes = v.difference(shapely.union_all(inside))
pieces = [h for h in getattr(holes, "geoms", [holes]) if not h.is_empty and area(h) >= 1.0]
assert len(pieces) == 1, f"shapely gap pieces >= 1 m2: {[area(h) for h in pieces]}"
f, pt = one("gap")
ref = area(pieces[0])
assert f["id"] == p["gap_village"], f
assert abs(f["area_m2"] - ref) <= 0.01 * ref, f"gap {f['area_m2']:.2f} m2, shapely {ref:.2f} m2"
assert metres(pieces[0], pt) <= 1.0, "gap place outside the gap"
print(f"gap: onemap {f['area_m2']:.2f} m2, shapely {ref:.2f} m2 ({(f['area_m2'] - ref) / ref:+.2e})")

# Sliver: inside the spike.
spike = Polygon(p["spike_shape"])
f, pt = one("sliver")
assert f["index"] == p["spike"], f
assert metres(spike, pt) <= 1.0, f"sliver place {pt} is {metres(spike, pt):.2f} m from the spike"
print(f"sliver: {metres(spike, pt):.3f} m from the spike polygon")

# Code village mismatch: the place is in the grid and in the village it really lies in.
f, pt = one("code_village_mismatch")
assert f["other"] == p["mismatch_villages"][1], f
assert metres(villages[f["other"]], pt) <= 1.0 and metres(feats[p["mismatch"]], pt) <= 1.0
assert all(c in f["message"] for c in p["mismatch_villages"]), f["message"]

# Every finding about a feature is placed on that feature.
for f in d["findings"]:
    if f["index"] is not None and f["lon"] is not None:
        pt = Point(f["lon"], f["lat"])
        assert metres(feats[f["index"]], pt) <= 1.0, f"{f['check']} of {f['index']} placed {metres(feats[f['index']], pt):.1f} m away"
print("every finding lies on its feature")
"#;

#[test]
fn planted_problems_are_each_reported_once_where_shapely_sees_them() {
    let fx = fixture();
    let p = &fx.planted;
    let findings = fx.check(&fx.geoms, true);
    for f in &findings {
        eprintln!("{f}");
    }
    let mut got: Vec<(Check, Option<usize>)> =
        findings.iter().map(|f| (f.check, f.index)).collect();
    got.sort();
    let mut want = vec![
        (Check::Overlap, Some(p.overlap.0.min(p.overlap.1))),
        (Check::Gap, None),
        (Check::Sliver, Some(p.spike)),
        (Check::SelfIntersection, Some(p.bowtie)),
        (Check::InvalidRing, Some(p.unclosed)),
        (Check::DuplicateCode, Some(p.duplicate.0)),
        (Check::MalformedCode, Some(p.malformed)),
        (Check::CodeVillageMismatch, Some(p.mismatch)),
        (Check::Encoding, Some(p.garbled)),
    ];
    want.sort();
    assert_eq!(got, want);
    let by = |c: Check| findings.iter().find(|f| f.check == c).unwrap();
    assert_eq!(
        by(Check::Overlap).other_index,
        Some(p.overlap.0.max(p.overlap.1))
    );
    assert_eq!(by(Check::DuplicateCode).other_index, Some(p.duplicate.1));
    assert!(by(Check::Encoding).message.contains(&p.garbled_from));
    assert!(by(Check::InvalidRing).message.contains("not closed"));
    for c in [Check::Gap, Check::Sliver] {
        assert_eq!(by(c).severity, Severity::Warning);
    }
    assert!(findings
        .iter()
        .filter(|f| !matches!(f.check, Check::Gap | Check::Sliver))
        .all(|f| f.severity == Severity::Error));

    let dir = tempfile::tempdir().unwrap();
    let input = json!({
        "features": fx.geoms.iter().map(geojson).collect::<Vec<_>>(),
        "villages": fx.villages.iter().map(|(c, g)| json!([c, geojson(g)])).collect::<Vec<_>>(),
        "findings": findings_json(&findings),
        "planted": {
            "overlap": [p.overlap.0, p.overlap.1],
            "gap_village": p.gap_village,
            "spike": p.spike,
            "spike_shape": p.spike_shape.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>(),
            "bowtie": p.bowtie,
            "mismatch": p.mismatch,
            "mismatch_villages": [p.mismatch_villages.0, p.mismatch_villages.1],
        },
    });
    python(SHAPELY, &[&write_json(dir.path(), "planted.json", &input)]);
}

#[test]
fn without_villages_the_dent_is_a_hole_in_the_union() {
    let fx = fixture();
    let p = &fx.planted;
    let with = fx.check(&fx.geoms, false);
    let without = check_areas(
        Layer::Grids,
        &fx.areas_of(&fx.geoms),
        &[],
        &Tolerances::default(),
    );
    for f in &without {
        eprintln!("{f}");
    }
    // Nothing can be said about villages; everything else is the same.
    let mut want: Vec<_> = with
        .iter()
        .filter(|f| f.check != Check::CodeVillageMismatch)
        .map(|f| (f.check, f.index))
        .collect();
    want.sort();
    assert_eq!(kinds(&without), want);
    let gap = |fs: &[Finding]| fs.iter().find(|f| f.check == Check::Gap).cloned().unwrap();
    let (a, b) = (gap(&with), gap(&without));
    assert_eq!(b.id, None);
    assert_eq!(a.id.as_deref(), Some(p.gap_village.as_str()));
    let (x, y) = (a.area_m2.unwrap(), b.area_m2.unwrap());
    assert!((x - y).abs() < 1e-6 * x, "{x} {y}");
}

/// Checks the repaired grids with shapely: all valid, the overlap gone, the village covered.
const SHAPELY_REPAIRED: &str = r#"
import json, math, sys
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

d = json.load(open(sys.argv[1], encoding="utf-8"))
feats = [shape(g) for g in d["features"]]
# What is left is measured as shapely sees it, planar in lon/lat (m2 per square degree at
# this latitude): a sliver whose vertices lie on one lon/lat line has no area there, while
# pyproj's geodesic edges would bow out and give it some.
lat0 = feats[0].centroid.y
m2 = 111320.0 * math.cos(math.radians(lat0)) * 110574.0
def area(g):
    return g.area * m2
for k, g in enumerate(feats):
    assert g.is_valid, f"feature {k}: {explain_validity(g)}"
i, j = d["overlap"]
left = area(feats[i].intersection(feats[j]))
assert left < 1.0, f"overlap left: {left} m2"
msg = f"repaired: all valid, overlap left {left:.2e} m2"
if d["gap_village"]:
    v = shape(d["village"])
    def uncovered(gs):
        inside = [g for g in gs if v.contains(g.representative_point())]
        return area(v.difference(shapely.union_all(inside)))
    base = uncovered([shape(g) for g in d["original"]])
    left = uncovered(feats)
    assert left < base + 1.0, f"gap left: {left} m2 (the demo grids leave {base} m2)"
    msg += f", gap left {left:.2e} m2 (the unmodified grids leave {base:.2e} m2)"
print(msg)
"#;

fn shapely_repaired(fx: &Fixture, geoms: &[MultiPolygon<f64>], gap_closed: bool) {
    let dir = tempfile::tempdir().unwrap();
    let village = fx
        .villages
        .iter()
        .find(|(c, _)| *c == fx.planted.gap_village)
        .map(|(_, g)| geojson(g))
        .unwrap();
    let input = json!({
        "features": geoms.iter().map(geojson).collect::<Vec<_>>(),
        "overlap": [fx.planted.overlap.0, fx.planted.overlap.1],
        "gap_village": gap_closed,
        "village": village,
        "original": fx.original.iter().map(geojson).collect::<Vec<_>>(),
    });
    python(
        SHAPELY_REPAIRED,
        &[&write_json(dir.path(), "repaired.json", &input)],
    );
}

fn kinds(findings: &[Finding]) -> Vec<(Check, Option<usize>)> {
    let mut v: Vec<_> = findings.iter().map(|f| (f.check, f.index)).collect();
    v.sort();
    v
}

#[test]
fn repairs_leave_nothing_of_what_they_repaired() {
    let fx = fixture();
    let p = &fx.planted;
    let findings = fx.check(&fx.geoms, false);
    let untouched = |after: &[Finding], repaired: &[Check]| {
        let mut want: Vec<_> = findings
            .iter()
            .filter(|f| !repaired.contains(&f.check))
            .map(|f| (f.check, f.index))
            .collect();
        want.sort();
        assert_eq!(kinds(after), want, "{after:#?}");
    };

    // Make valid and give the overlap away: the bulge goes back to the neighbour.
    let mut geoms = fx.geoms.clone();
    let lines = repair_areas(
        &mut geoms,
        &findings,
        &Repairs {
            make_valid: true,
            assign_overlaps: true,
            ..Repairs::default()
        },
    );
    for l in &lines {
        eprintln!("repair: {l}");
    }
    assert_eq!(lines.len(), 2);
    let after = fx.check(&geoms, false);
    untouched(&after, &[Check::SelfIntersection, Check::Overlap]);
    let (g, h) = p.overlap;
    let gained = area_m2(&geoms[h]) - area_m2(&fx.original[h]);
    let kept = area_m2(&geoms[g]) - area_m2(&fx.original[g]);
    eprintln!("after AssignOverlap: bulging grid {kept:+.3} m² from its original, neighbour {gained:+.3} m²");
    assert!(kept.abs() < 0.5 && gained.abs() < 0.5, "{kept} {gained}");
    // The bow-tie's two lobes are kept.
    assert!(area_m2(&geoms[p.bowtie]) > area_m2(&fx.original[p.bowtie]));
    shapely_repaired(&fx, &geoms, false);

    // Make valid and snap within 35 m: the bulge and the dent (30 m) close.
    let mut geoms = fx.geoms.clone();
    let lines = repair_areas(
        &mut geoms,
        &findings,
        &Repairs {
            make_valid: true,
            snap_m: Some(35.0),
            ..Repairs::default()
        },
    );
    for l in &lines {
        eprintln!("repair: {l}");
    }
    let after = fx.check(&geoms, false);
    untouched(
        &after,
        &[Check::SelfIntersection, Check::Overlap, Check::Gap],
    );
    for k in [p.gap.0, p.gap.1, p.overlap.0, p.overlap.1] {
        let change = area_m2(&geoms[k]) - area_m2(&fx.original[k]);
        eprintln!("after Snap: feature {k} {change:+.3} m² from its original");
        assert!(change.abs() < 0.5, "feature {k}: {change} m²");
    }
    shapely_repaired(&fx, &geoms, true);
}

#[test]
fn the_demo_township_is_clean_and_a_declared_village_field_is_checked() {
    let fx = fixture();
    let areas: Vec<Area<'_>> = (0..fx.original.len())
        .map(|i| Area {
            index: i,
            code: &fx.original_codes[i],
            name: Some(&fx.original_names[i]),
            parent: Some(&fx.original_codes[i][..12]),
            geometry: &fx.original[i],
        })
        .collect();
    let tol = Tolerances::default();
    let findings = check_areas(Layer::Grids, &areas, &fx.parents(), &tol);
    assert!(findings.is_empty(), "{findings:#?}");
    // The village field says one village, the code another.
    let i = 3;
    let other = fx
        .villages
        .iter()
        .map(|(c, _)| c.as_str())
        .find(|c| *c != &fx.original_codes[i][..12])
        .unwrap();
    let mut areas = areas;
    areas[i].parent = Some(other);
    let findings = check_areas(Layer::Grids, &areas, &fx.parents(), &tol);
    assert_eq!(
        kinds(&findings),
        vec![(Check::CodeVillageMismatch, Some(i))]
    );
    assert!(findings[0].message.contains(other));
    assert!(findings[0].message.contains(&fx.original_codes[i][..12]));
}

#[test]
fn camera_ids_names_and_places() {
    // 6 characters, 18 UTF-8 bytes: read as GBK they leave no replacement character.
    let garbled = as_gbk("吉首市乾州街");
    let spots = [
        ("43310100001320000001", Some("乾州街道1号"), (109.7, 28.3)),
        ("4331010000132000000", None, (109.7, 28.3)),
        ("43310100001320000001", None, (109.71, 28.31)),
        (
            "43310100001320000003",
            Some(garbled.as_str()),
            (109.72, 28.32),
        ),
        ("43310100001320000004", None, (3_500_000.0, 500_000.0)),
        ("43310100001320000005", None, (f64::NAN, 28.0)),
    ];
    let spots: Vec<Spot<'_>> = spots
        .iter()
        .enumerate()
        .map(|(i, (code, name, (x, y)))| Spot {
            index: i,
            code,
            name: *name,
            location: Point::new(*x, *y),
        })
        .collect();
    let f = check_spots(Layer::Cameras, &spots);
    for x in &f {
        eprintln!("{x}");
    }
    assert_eq!(
        kinds(&f),
        vec![
            (Check::DuplicateCode, Some(2)),
            (Check::MalformedCode, Some(1)),
            (Check::Encoding, Some(3)),
            (Check::Crs, Some(4)),
            (Check::Geometry, Some(5)),
        ]
    );
    let by = |c: Check| f.iter().find(|x| x.check == c).unwrap();
    assert!(by(Check::MalformedCode).message.contains("19 digits"));
    assert!(by(Check::Encoding).message.contains("吉首市乾州街"));
    assert_eq!(by(Check::DuplicateCode).other_index, Some(0));
}
