//! The MVT encoder checked by an independent decoder (PyPI `mapbox-vector-tile`, spawned
//! through tests/py/mvt_decode.py): geometry against our own metre-based projection and
//! brute-force filters, ids, property values and protobuf types, winding and clipping
//! against geo's boolean operations.

#![allow(
    clippy::unwrap_used,
    clippy::many_single_char_names,
    clippy::doc_markdown,
    clippy::float_cmp,
    clippy::too_many_lines
)]

mod mvt_common;

use std::collections::{BTreeMap, HashSet};

use geo::{Area, BooleanOps};
use geo_core::mvt::{TileBuilder, Value};
use geo_core::tile::{lonlat_to_mercator, mercator_to_lonlat, TileCoord, TileOptions};
use geo_types::{coord, Geometry, LineString, MultiPolygon, Point, Polygon, Rect};
use mvt_common::{decode_one, features};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value as Json;

const EXTENT: f64 = 4096.0;
const BUFFER: f64 = 64.0;

fn tile() -> TileCoord {
    TileCoord::containing(112.94, 28.23, 12).unwrap()
}

/// Lon/lat to tile units through EPSG:3857 metres (not the encoder's unit-square path).
fn px(t: TileCoord, lon: f64, lat: f64) -> (f64, f64) {
    let m = t.bounds_mercator();
    let size = m.max().x - m.min().x;
    let (x, y) = lonlat_to_mercator(lon, lat);
    (
        (x - m.min().x) / size * EXTENT,
        (m.max().y - y) / size * EXTENT,
    )
}

/// Tile units back to lon/lat, to build test geometry at chosen tile positions.
fn lonlat(t: TileCoord, x: f64, y: f64) -> (f64, f64) {
    let m = t.bounds_mercator();
    let size = m.max().x - m.min().x;
    mercator_to_lonlat(m.min().x + x / EXTENT * size, m.max().y - y / EXTENT * size)
}

fn ring_at(t: TileCoord, pts: &[(f64, f64)]) -> LineString<f64> {
    pts.iter()
        .map(|&(x, y)| lonlat(t, x, y))
        .collect::<Vec<_>>()
        .into()
}

fn builder() -> TileBuilder {
    TileBuilder::new(tile(), TileOptions::default()).unwrap()
}

fn coords(j: &Json) -> Vec<(f64, f64)> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// The float as Python's `repr` writes it (shortest round-trip text, `.0` kept).
fn repr(v: f64) -> String {
    let s = format!("{v:?}");
    s
}

#[test]
fn point_tile_holds_exactly_the_points_in_the_buffered_tile() {
    let t = tile();
    let b = t.bounds_lonlat();
    let (w, h) = (b.width(), b.height());
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let names: Vec<String> = (0..50).map(|i| format!("camera-{i} 摄像头")).collect();
    let mut tb = builder();
    let layer = tb.layer("cameras");
    let mut expected = BTreeMap::new();
    for i in 0..3000u64 {
        let lon = rng.random_range(b.min().x - 0.2 * w..b.max().x + 0.2 * w);
        let lat = rng.random_range(b.min().y - 0.2 * h..b.max().y + 0.2 * h);
        let n = i as i64;
        let props = [
            ("name", Value::String(&names[(i % 50) as usize])),
            ("n", Value::Int(n - 1500)),
            ("u", Value::UInt(i * 7 % 40)),
            ("s", Value::SInt(-(n % 30))),
            ("f", Value::Float(i as f32 * 0.25)),
            ("d", Value::Double(n as f64 / 3.0)),
            ("ok", Value::Bool(i % 3 == 0)),
        ];
        let added = if i % 2 == 0 {
            layer.add_feature(Some(i), &Geometry::Point(Point::new(lon, lat)), &props)
        } else {
            layer.add_point(Some(i), lon, lat, &props)
        };
        let (x, y) = px(t, lon, lat);
        let inside =
            (-BUFFER..=EXTENT + BUFFER).contains(&x) && (-BUFFER..=EXTENT + BUFFER).contains(&y);
        assert_eq!(added, inside, "point {i} at {x},{y}");
        if inside {
            expected.insert(i, (x, y));
        }
    }
    assert!(
        expected.len() > 1000,
        "the test data should mostly hit the tile"
    );
    let decoded = decode_one(&tb.finish());
    let layer = &decoded["layers"]["cameras"];
    assert_eq!(layer["version"], 2);
    assert_eq!(layer["extent"], 4096);
    let feats = features(&decoded, "cameras");
    let got: BTreeMap<u64, &Json> = feats
        .iter()
        .map(|f| (f["id"].as_u64().unwrap(), f))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    let mut distinct = HashSet::new();
    for (&i, f) in &got {
        assert_eq!(f["type"], 1);
        assert_eq!(f["geometry"]["type"], "Point");
        let c = &f["geometry"]["coordinates"];
        let (x, y) = expected[&i];
        let (gx, gy) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            (gx - x).abs() <= 0.5 + 1e-6 && (gy - y).abs() <= 0.5 + 1e-6,
            "{i}: {gx},{gy} vs {x},{y}"
        );
        let p = &f["props"];
        let n = i as i64;
        assert_eq!(
            p["name"],
            serde_json::json!(["string_value", names[(i % 50) as usize]])
        );
        assert_eq!(p["n"], serde_json::json!(["int_value", n - 1500]));
        assert_eq!(p["u"], serde_json::json!(["uint_value", i * 7 % 40]));
        assert_eq!(p["s"], serde_json::json!(["sint_value", -(n % 30)]));
        assert_eq!(
            p["f"],
            serde_json::json!(["float_value", repr(f64::from(i as f32 * 0.25))])
        );
        assert_eq!(
            p["d"],
            serde_json::json!(["double_value", repr(n as f64 / 3.0)])
        );
        assert_eq!(p["ok"], serde_json::json!(["bool_value", i % 3 == 0]));
        for (k, v) in p.as_object().unwrap() {
            distinct.insert(format!("{k}-{}", v[0]) + &v[1].to_string());
        }
    }
    // Values are deduplicated per layer, by type and value (keys: 7).
    assert_eq!(layer["n_keys"], 7);
    let distinct_values: HashSet<String> = distinct
        .iter()
        .map(|s| s.split_once('-').unwrap().1.to_owned())
        .collect();
    assert!(layer["n_values"].as_u64().unwrap() as usize >= distinct_values.len());
    // Every value in the dictionary is used by some kept feature, and none is repeated.
    let n_values = layer["n_values"].as_u64().unwrap() as usize;
    assert_eq!(
        n_values,
        distinct_values.len(),
        "value dictionary holds duplicates or unused values"
    );
}

#[test]
fn multipoint_keeps_only_its_points_in_the_tile() {
    let t = tile();
    let pts = [
        (10.0, 10.0),
        (5000.0, 10.0),
        (4000.0, 4150.0),
        (-70.0, 0.0),
        (2048.0, 2048.0),
    ];
    let mp: geo_types::MultiPoint<f64> = pts
        .iter()
        .map(|&(x, y)| Point::from(lonlat(t, x, y)))
        .collect();
    let mut tb = builder();
    assert!(tb
        .layer("p")
        .add_feature(Some(1), &Geometry::MultiPoint(mp), &[]));
    let d = decode_one(&tb.finish());
    let g = &features(&d, "p")[0]["geometry"];
    assert_eq!(g["type"], "MultiPoint");
    assert_eq!(
        coords(&g["coordinates"]),
        vec![(10.0, 10.0), (4000.0, 4150.0), (2048.0, 2048.0)]
    );
}

#[test]
fn polygon_larger_than_the_tile_becomes_the_buffered_square() {
    let t = tile();
    let big = Polygon::new(
        ring_at(
            t,
            &[
                (-3000.0, -2000.0),
                (9000.0, -2500.0),
                (8000.0, 7000.0),
                (-2500.0, 8000.0),
            ],
        ),
        vec![],
    );
    let mut tb = builder();
    assert!(tb.layer("admin").add_feature(
        Some(5),
        &Geometry::Polygon(big),
        &[("name", Value::String("县"))]
    ));
    let d = decode_one(&tb.finish());
    let f = &features(&d, "admin")[0];
    assert_eq!(f["geometry"]["type"], "Polygon");
    let ring = coords(&f["geometry"]["coordinates"][0]);
    let corners: HashSet<(i64, i64)> = ring.iter().map(|&(x, y)| (x as i64, y as i64)).collect();
    let (lo, hi) = (-64, 4160);
    assert_eq!(
        corners,
        HashSet::from([(lo, lo), (hi, lo), (hi, hi), (lo, hi)])
    );
    assert_eq!(f["ring_areas2"], serde_json::json!([[2 * 4224 * 4224]]));
}

#[test]
fn polygon_with_hole_keeps_it_and_winding_follows_mvt_2_1() {
    let t = tile();
    // Given in lon/lat counter-clockwise exterior (y up), which is anticlockwise on screen:
    // the encoder must reverse it.
    let ext = ring_at(
        t,
        &[
            (500.0, 500.0),
            (500.0, 3500.0),
            (3500.0, 3500.0),
            (3500.0, 500.0),
        ],
    );
    let hole = ring_at(
        t,
        &[
            (1500.0, 1500.0),
            (1500.0, 2500.0),
            (2500.0, 2500.0),
            (2500.0, 1500.0),
        ],
    );
    let second = ring_at(
        t,
        &[
            (3800.0, 3800.0),
            (4000.0, 3800.0),
            (4000.0, 4000.0),
            (3800.0, 4000.0),
        ],
    );
    let mp = MultiPolygon::new(vec![
        Polygon::new(ext, vec![hole]),
        Polygon::new(second, vec![]),
    ]);
    let mut tb = builder();
    assert!(tb
        .layer("grids")
        .add_feature(Some(9), &Geometry::MultiPolygon(mp), &[]));
    let d = decode_one(&tb.finish());
    let f = &features(&d, "grids")[0];
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(
        f["ring_areas2"],
        serde_json::json!([[2 * 3000 * 3000, -2 * 1000 * 1000], [2 * 200 * 200]])
    );
    assert_eq!(f["valid"], true);
    assert_eq!(
        f["area"].as_f64().unwrap(),
        3000.0 * 3000.0 - 1000.0 * 1000.0 + 200.0 * 200.0
    );
}

#[test]
fn tile_inside_a_hole_or_outside_a_polygon_is_empty() {
    let t = tile();
    let ext = ring_at(
        t,
        &[
            (-9000.0, -9000.0),
            (13000.0, -9000.0),
            (13000.0, 13000.0),
            (-9000.0, 13000.0),
        ],
    );
    let hole = ring_at(
        t,
        &[
            (-1000.0, -1000.0),
            (5000.0, -1000.0),
            (5000.0, 5000.0),
            (-1000.0, 5000.0),
        ],
    );
    let far = ring_at(t, &[(5000.0, 5000.0), (6000.0, 5000.0), (6000.0, 6000.0)]);
    let mut tb = builder();
    let l = tb.layer("grids");
    assert!(!l.add_feature(
        Some(1),
        &Geometry::Polygon(Polygon::new(ext, vec![hole])),
        &[("k", Value::Bool(true))]
    ));
    assert!(!l.add_feature(Some(2), &Geometry::Polygon(Polygon::new(far, vec![])), &[]));
    tb.layer("other");
    assert!(tb.is_empty());
    assert!(tb.finish().is_empty());
}

#[test]
fn line_leaving_and_reentering_the_tile_is_cut_into_pieces() {
    let t = tile();
    let line = ring_at(
        t,
        &[
            (-1000.0, 1000.0),
            (5000.0, 1000.0),
            (5000.0, 3000.0),
            (-1000.0, 3000.0),
        ],
    );
    let outside = ring_at(t, &[(-1000.0, -1000.0), (5000.0, -1000.0)]);
    let mut tb = builder();
    let l = tb.layer("patrols");
    assert!(l.add_feature(Some(3), &Geometry::LineString(line), &[]));
    assert!(!l.add_feature(Some(4), &Geometry::LineString(outside), &[]));
    let d = decode_one(&tb.finish());
    let g = &features(&d, "patrols")[0]["geometry"];
    assert_eq!(g["type"], "MultiLineString");
    let pieces: Vec<Vec<(f64, f64)>> = g["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(coords)
        .collect();
    assert_eq!(
        pieces,
        vec![
            vec![(-64.0, 1000.0), (4160.0, 1000.0)],
            vec![(4160.0, 3000.0), (-64.0, 3000.0)]
        ]
    );
}

/// A random star-shaped polygon around `c` in tile units: vertex `k` at angle
/// `(k + jitter) * 2pi / n`, so gaps stay below `3pi / n` and, for `n >= 6`, every edge
/// passes farther than `0.7 * r_min` from `c` (room for a hole of radius `r_min / 2`).
fn star(rng: &mut ChaCha8Rng, c: (f64, f64), r_min: f64, r_max: f64, n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|k| {
            let a = (k as f64 + rng.random_range(0.0..0.5)) * std::f64::consts::TAU / n as f64;
            let r = rng.random_range(r_min..r_max);
            (c.0 + r * a.cos(), c.1 + r * a.sin())
        })
        .collect()
}

fn ring_length(r: &LineString<f64>) -> f64 {
    r.lines().map(|l| l.dx().hypot(l.dy())).sum()
}

#[test]
fn random_polygons_give_valid_rings_with_the_clipped_area() {
    let t = tile();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let square = Rect::new(
        coord! { x: -BUFFER, y: -BUFFER },
        coord! { x: EXTENT + BUFFER, y: EXTENT + BUFFER },
    )
    .to_polygon();
    let mut tb = builder();
    let mut expected = BTreeMap::new();
    let l = tb.layer("grids");
    let n = 600u64;
    for i in 0..n {
        let c = (
            rng.random_range(-1500.0..5600.0),
            rng.random_range(-1500.0..5600.0),
        );
        let r_max = if i % 10 == 0 {
            rng.random_range(1.0..6.0)
        } else {
            rng.random_range(50.0..4000.0)
        };
        let r_min = r_max * rng.random_range(0.2..0.9);
        let nv = rng.random_range(3..120);
        let ext = star(&mut rng, c, r_min, r_max, nv);
        let nh = rng.random_range(3..30);
        let holes = if i % 3 == 0 && nv >= 6 {
            vec![star(&mut rng, c, r_min * 0.1, r_min * 0.5, nh)]
        } else {
            vec![]
        };
        let px_poly = Polygon::new(
            ext.clone().into(),
            holes.iter().map(|h| h.clone().into()).collect(),
        );
        let ll_poly = Polygon::new(
            ring_at(t, &ext),
            holes.iter().map(|h| ring_at(t, h)).collect(),
        );
        let clipped = px_poly.intersection(&square);
        let area = clipped.unsigned_area();
        let perimeter: f64 = clipped
            .0
            .iter()
            .map(|p| ring_length(p.exterior()) + p.interiors().iter().map(ring_length).sum::<f64>())
            .sum();
        let added = l.add_feature(Some(i), &Geometry::Polygon(ll_poly), &[]);
        if added {
            expected.insert(i, (area, perimeter));
        } else {
            // Dropped: nothing, or only a sliver the rounding and simplification may erase.
            assert!(
                area <= 1.5 * perimeter + 4.0,
                "polygon {i} dropped with area {area}"
            );
        }
    }
    let d = decode_one(&tb.finish());
    let feats = features(&d, "grids");
    assert_eq!(feats.len(), expected.len());
    let mut invalid = 0;
    for f in feats {
        let id = f["id"].as_u64().unwrap();
        let (area, perimeter) = expected[&id];
        let got = f["area"].as_f64().unwrap();
        assert!(
            (got - area).abs() <= 1.5 * perimeter + 4.0,
            "polygon {id}: area {got}, clipped input {area}: {} {}",
            f["ring_areas2"],
            f["valid"]
        );
        for (pi, poly) in f["ring_areas2"].as_array().unwrap().iter().enumerate() {
            for (ri, a) in poly.as_array().unwrap().iter().enumerate() {
                let a = a.as_i64().unwrap();
                assert!(
                    if ri == 0 { a > 0 } else { a < 0 },
                    "polygon {id} part {pi} ring {ri}: area2 {a}"
                );
            }
        }
        let polys = match f["geometry"]["type"].as_str().unwrap() {
            "Polygon" => vec![&f["geometry"]["coordinates"]],
            _ => f["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .collect(),
        };
        for poly in polys {
            for ring in poly.as_array().unwrap() {
                let r = coords(ring);
                assert!(
                    r.len() >= 4 && r.first() == r.last(),
                    "polygon {id}: ring not closed {r:?}"
                );
                let distinct: HashSet<(i64, i64)> =
                    r.iter().map(|&(x, y)| (x as i64, y as i64)).collect();
                assert!(distinct.len() >= 3, "polygon {id}: degenerate ring {r:?}");
                assert!(
                    r.windows(2).all(|w| w[0] != w[1]),
                    "polygon {id}: repeated vertex {r:?}"
                );
                assert!(r
                    .iter()
                    .all(|&(x, y)| (-BUFFER..=EXTENT + BUFFER).contains(&x)
                        && (-BUFFER..=EXTENT + BUFFER).contains(&y)));
            }
        }
        if f["valid"] != true {
            eprintln!("INVALID {id} {}", f["why"]);
            invalid += 1;
        }
    }
    println!(
        "{} of {n} random polygons kept, {invalid} not OGC-valid after clipping/rounding",
        feats.len()
    );
    // Clipping is exact (no border bridges); what remains is rounding to integer units and
    // Douglas-Peucker pinching the odd thin ring (a known, documented gap): keep it rare.
    assert!(
        invalid * 50 <= feats.len(),
        "{invalid} invalid polygons of {}",
        feats.len()
    );
}

#[test]
fn ids_are_optional_and_bad_input_is_dropped_without_panic() {
    let t = tile();
    let mut tb = builder();
    let l = tb.layer("x");
    let inside = Point::from(lonlat(t, 100.0, 100.0));
    assert!(l.add_feature(None, &Geometry::Point(inside), &[]));
    assert!(!l.add_feature(Some(1), &Geometry::Point(Point::new(f64::NAN, 28.0)), &[]));
    assert!(!l.add_point(Some(2), f64::INFINITY, 28.0, &[]));
    assert!(!l.add_feature(
        Some(3),
        &Geometry::LineString(vec![(f64::NAN, 1.0), (2.0, 3.0)].into()),
        &[]
    ));
    let nan_poly = Polygon::new(vec![(1.0, 1.0), (f64::NAN, 2.0), (3.0, 1.0)].into(), vec![]);
    assert!(!l.add_feature(Some(4), &Geometry::Polygon(nan_poly), &[]));
    assert!(!l.add_feature(
        Some(5),
        &Geometry::GeometryCollection(geo_types::GeometryCollection::default()),
        &[]
    ));
    assert!(!l.add_feature(Some(6), &Geometry::LineString(LineString::new(vec![])), &[]));
    // A polygon far smaller than a tile unit collapses and is dropped.
    let speck = ring_at(t, &[(10.0, 10.0), (10.2, 10.0), (10.2, 10.2)]);
    assert!(!l.add_feature(
        Some(7),
        &Geometry::Polygon(Polygon::new(speck, vec![])),
        &[]
    ));
    assert_eq!(l.len(), 1);
    let d = decode_one(&tb.finish());
    let f = &features(&d, "x")[0];
    assert_eq!(f["has_id"], false);
    assert_eq!(
        coords(&serde_json::json!([f["geometry"]["coordinates"]])),
        vec![(100.0, 100.0)]
    );
}

#[test]
fn mercator_input_encodes_like_lonlat_input() {
    let t = tile();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let ext = star(&mut rng, (2000.0, 2000.0), 800.0, 3000.0, 60);
    let ll = Polygon::new(ring_at(t, &ext), vec![]);
    let merc = Polygon::new(
        ll.exterior()
            .0
            .iter()
            .map(|c| lonlat_to_mercator(c.x, c.y))
            .collect::<Vec<_>>()
            .into(),
        vec![],
    );
    let mut a = builder();
    a.layer("g")
        .add_feature(Some(1), &Geometry::Polygon(ll), &[]);
    let mut b = builder();
    b.layer("g")
        .add_feature_mercator(Some(1), &Geometry::Polygon(merc), &[]);
    let (da, db) = (decode_one(&a.finish()), decode_one(&b.finish()));
    let (fa, fb) = (&features(&da, "g")[0], &features(&db, "g")[0]);
    let (ra, rb) = (
        coords(&fa["geometry"]["coordinates"][0]),
        coords(&fb["geometry"]["coordinates"][0]),
    );
    assert!(
        (fa["area"].as_f64().unwrap() - fb["area"].as_f64().unwrap()).abs()
            < 0.01 * fa["area"].as_f64().unwrap()
    );
    assert!(
        ra.len().abs_diff(rb.len()) <= 2,
        "{} vs {}",
        ra.len(),
        rb.len()
    );
}
