//! GCJ-02 and BD-09 against independent implementations, the `PyPI` packages `coord-convert`
//! (to 1 mm) and `eviltransform` (to 5 cm: it scales the offset with another radius), in
//! `tests/py/crs_gcj_check.py`: a few hundred random points across China, both directions;
//! and the published test vector. A missing python3 or package fails the test.

#![allow(clippy::unwrap_used, clippy::panic)]

mod crs_common;

use geo_core::crs::Crs;
use geo_types::Coord;
use rand::{Rng, SeedableRng};
use serde_json::json;

const POINTS: usize = 400;

/// A random point in mainland China's box, away from the edges of the GCJ-02 area.
fn random_point(rng: &mut impl Rng) -> Coord<f64> {
    Coord {
        x: rng.random_range(73.7..134.8),
        y: rng.random_range(18.2..53.3),
    }
}

fn pair(a: Coord<f64>, b: Coord<f64>) -> serde_json::Value {
    json!([[a.x, a.y], [b.x, b.y]])
}

#[test]
fn gcj02_and_bd09_agree_with_two_python_packages_both_ways() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let to_gcj = Crs::Gcj02.from_lon_lat().unwrap();
    let from_gcj = Crs::Gcj02.to_lon_lat().unwrap();
    let to_bd = Crs::Bd09.from_lon_lat().unwrap();
    let from_bd = Crs::Bd09.to_lon_lat().unwrap();
    let mut cases = serde_json::Map::new();
    let mut wgs_to_gcj = Vec::new();
    let mut wgs_to_bd = Vec::new();
    let mut gcj_to_wgs = Vec::new();
    let mut bd_to_wgs = Vec::new();
    for _ in 0..POINTS {
        let w = random_point(&mut rng);
        wgs_to_gcj.push(pair(w, to_gcj.coord(w).unwrap()));
        wgs_to_bd.push(pair(w, to_bd.coord(w).unwrap()));
        // Shifted points as a vendor's file has them, not ones made by onemap's forward.
        let g = random_point(&mut rng);
        gcj_to_wgs.push(pair(g, from_gcj.coord(g).unwrap()));
        let b = random_point(&mut rng);
        bd_to_wgs.push(pair(b, from_bd.coord(b).unwrap()));
    }
    cases.insert("wgs_to_gcj".into(), wgs_to_gcj.into());
    cases.insert("wgs_to_bd".into(), wgs_to_bd.into());
    cases.insert("gcj_to_wgs".into(), gcj_to_wgs.into());
    cases.insert("bd_to_wgs".into(), bd_to_wgs.into());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::Value::Object(cases).to_string()).unwrap();
    // The script exits non-zero (failing the test) when a check is over its limit.
    let summary = crs_common::python("crs_gcj_check.py", &[file.display().to_string()]);
    eprintln!("coord-convert and eviltransform: {summary}");
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["failed"], json!([]));
    assert_eq!(summary["counts"]["gcj_to_wgs"], json!(POINTS));
    // The refinement is what makes the inverse exact: the published one is metres off.
    assert!(
        summary["worst_m"]["published_gcj2wgs_error"]
            .as_f64()
            .unwrap()
            > 0.5
    );
}

#[test]
fn the_published_test_vector_within_1_m() {
    let wgs = (116.420_79, 39.901_05);
    let gcj = (116.427_03, 39.902_45);
    let got = Crs::Gcj02
        .to_lon_lat()
        .unwrap()
        .coord(Coord { x: gcj.0, y: gcj.1 })
        .unwrap();
    let d = crs_common::metres((got.x, got.y), wgs);
    assert!(d < 1.0, "GCJ -> WGS {got:?} is {d} m off");
    let got = Crs::Gcj02
        .from_lon_lat()
        .unwrap()
        .coord(Coord { x: wgs.0, y: wgs.1 })
        .unwrap();
    let d = crs_common::metres((got.x, got.y), gcj);
    assert!(d < 1.0, "WGS -> GCJ {got:?} is {d} m off");
}

#[test]
fn shifted_coordinates_in_metres_are_refused() {
    for crs in [Crs::Gcj02, Crs::Bd09] {
        let e = crs
            .to_lon_lat()
            .unwrap()
            .coord(Coord {
                x: 412_345.0,
                y: 3_100_000.0,
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&crs.to_string()) && e.contains("not longitude/latitude"),
            "{e}"
        );
    }
}
