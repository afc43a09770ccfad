//! onemap's CRS transforms against pyproj (PROJ) for every Gauss-Kruger code 4491-4554 and
//! for EPSG:3857: random points inside each zone's band within China, both directions, to
//! 1 cm. The points and pyproj's answers come from `tests/py/crs_pyproj.py`; a missing
//! python3 or pyproj fails the test.

#![allow(clippy::unwrap_used, clippy::panic)]

mod crs_common;

use std::collections::BTreeMap;

use geo_core::crs::Crs;
use geo_types::Coord;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    /// [lon, lat, x, y]: pyproj 4490 -> code.
    fwd: Vec<[f64; 4]>,
    /// [x, y, lon, lat]: pyproj code -> 4490.
    inv: Vec<[f64; 4]>,
}

/// 1 cm, the agreement asked of onemap.
const CM: f64 = 0.01;
/// About 1 cm of latitude in degrees.
const DEG: f64 = 1e-7;
const POINTS_PER_CODE: usize = 60;

fn reference(codes: &[u32]) -> BTreeMap<u32, Reference> {
    let mut args = vec!["20240517".to_owned(), POINTS_PER_CODE.to_string()];
    args.extend(codes.iter().map(u32::to_string));
    let json = crs_common::python("crs_pyproj.py", &args);
    let parsed: BTreeMap<String, Reference> = serde_json::from_str(&json).unwrap();
    parsed
        .into_iter()
        .map(|(k, v)| (k.parse().unwrap(), v))
        .collect()
}

/// The worst disagreement over one code, both ways: (metres projected, degrees, metres on
/// the ground from the degrees).
fn compare(code: u32, r: &Reference) -> (f64, f64, f64) {
    let crs = Crs::from_epsg(code).unwrap();
    let out = crs.from_lon_lat().unwrap();
    let into = crs.to_lon_lat().unwrap();
    let (mut worst_m, mut worst_deg, mut worst_ground) = (0.0_f64, 0.0_f64, 0.0_f64);
    assert_eq!(r.fwd.len(), POINTS_PER_CODE);
    for &[lon, lat, x, y] in &r.fwd {
        let got = out
            .coord(Coord { x: lon, y: lat })
            .unwrap_or_else(|e| panic!("EPSG:{code} from ({lon}, {lat}): {e}"));
        worst_m = worst_m.max((got.x - x).hypot(got.y - y));
    }
    for &[x, y, lon, lat] in &r.inv {
        let got = into
            .coord(Coord { x, y })
            .unwrap_or_else(|e| panic!("EPSG:{code} ({x}, {y}): {e}"));
        worst_deg = worst_deg.max((got.x - lon).abs()).max((got.y - lat).abs());
        worst_ground = worst_ground.max(crs_common::metres((got.x, got.y), (lon, lat)));
        // The same easting written the other way (with the zone prefix for a plain code,
        // without it for a prefixed one) must land on the same spot.
        if let Some(zone) = crs.zone() {
            let shift = f64::from(zone.number) * 1_000_000.0;
            let other = if zone.prefixed { x - shift } else { x + shift };
            let again = into
                .coord(Coord { x: other, y })
                .unwrap_or_else(|e| panic!("EPSG:{code} ({other}, {y}): {e}"));
            assert!(
                (again.x - got.x).abs() < 1e-9 && (again.y - got.y).abs() < 1e-9,
                "EPSG:{code}: {x} and {other} differ: {got:?} vs {again:?}"
            );
        }
    }
    (worst_m, worst_deg, worst_ground)
}

#[test]
fn every_gauss_kruger_zone_and_web_mercator_agree_with_pyproj_to_1_cm() {
    let codes: Vec<u32> = (4491..=4554).chain([3857]).collect();
    let refs = reference(&codes);
    assert_eq!(refs.len(), codes.len(), "pyproj answered for every code");
    let mut overall = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut failures = Vec::new();
    for code in &codes {
        let (m, deg, ground) = compare(*code, &refs[code]);
        overall = (overall.0.max(m), overall.1.max(deg), overall.2.max(ground));
        if !(m < CM && deg < DEG && ground < CM) {
            failures.push(format!(
                "EPSG:{code}: projected {m:.4} m, lon/lat {deg:.2e}° ({ground:.4} m)"
            ));
        }
    }
    eprintln!(
        "{} codes x {POINTS_PER_CODE} points each way: worst projected {:.2e} m, worst lon/lat \
         {:.2e}° ({:.2e} m)",
        codes.len(),
        overall.0,
        overall.1,
        overall.2
    );
    assert!(failures.is_empty(), "over 1 cm:\n{}", failures.join("\n"));
}

#[test]
fn lon_lat_codes_pass_through_like_pyproj() {
    // pyproj moves EPSG:4326 to 4490 with a ballpark (null) transformation too.
    let json = crs_common::python(
        "crs_pyproj.py",
        &["7".into(), POINTS_PER_CODE.to_string(), "4326".into()],
    );
    let refs: BTreeMap<String, Reference> = serde_json::from_str(&json).unwrap();
    let (m, deg, _) = compare(4326, &refs["4326"]);
    assert!(m < 1e-9 && deg < 1e-12, "{m} {deg}");
}
