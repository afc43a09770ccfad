//! Tile math against pyproj (EPSG:4326 -> EPSG:3857) and by round trips.

#![allow(
    clippy::unwrap_used,
    clippy::many_single_char_names,
    clippy::doc_markdown,
    clippy::float_cmp
)]

mod mvt_common;

use geo_core::tile::{
    lonlat_to_mercator, mercator_to_lonlat, TileCoord, TileError, TileOptions, TileProjection,
    MAX_ZOOM,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn mercator_agrees_with_pyproj_within_a_millimetre() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut pts: Vec<(f64, f64)> = (0..2000)
        .map(|_| {
            (
                rng.random_range(-180.0..=180.0),
                rng.random_range(-85.0..=85.0),
            )
        })
        .collect();
    // China, where onemap's data lives, densely.
    pts.extend((0..2000).map(|_| (rng.random_range(73.0..135.0), rng.random_range(18.0..54.0))));
    pts.extend([(0.0, 0.0), (180.0, 85.05), (-180.0, -85.05)]);
    let want = mvt_common::pyproj_mercator(&pts);
    let mut worst = 0.0f64;
    for (&(lon, lat), &(wx, wy)) in pts.iter().zip(&want) {
        let (x, y) = lonlat_to_mercator(lon, lat);
        let d = (x - wx).hypot(y - wy);
        worst = worst.max(d);
        assert!(d < 1e-3, "{lon},{lat}: ours {x},{y} pyproj {wx},{wy}");
        let (lon2, lat2) = mercator_to_lonlat(x, y);
        assert!(
            (lon2 - lon).abs() < 1e-9 && (lat2 - lat).abs() < 1e-9,
            "{lon},{lat} -> {lon2},{lat2}"
        );
    }
    println!(
        "worst distance to pyproj over {} points: {worst:.3e} m",
        pts.len()
    );
}

#[test]
fn tile_bounds_agree_with_pyproj() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let tiles: Vec<TileCoord> = (0..300)
        .map(|_| {
            let z = rng.random_range(0..=u32::from(MAX_ZOOM));
            let n = 1u32 << z;
            TileCoord::new(z, rng.random_range(0..n), rng.random_range(0..n)).unwrap()
        })
        .collect();
    let corners: Vec<(f64, f64)> = tiles
        .iter()
        .flat_map(|t| {
            let b = t.bounds_lonlat();
            [(b.min().x, b.min().y), (b.max().x, b.max().y)]
        })
        .collect();
    let want = mvt_common::pyproj_mercator(&corners);
    for (i, t) in tiles.iter().enumerate() {
        let m = t.bounds_mercator();
        let (lo, hi) = (want[2 * i], want[2 * i + 1]);
        for (got, w) in [
            (m.min().x, lo.0),
            (m.min().y, lo.1),
            (m.max().x, hi.0),
            (m.max().y, hi.1),
        ] {
            assert!((got - w).abs() < 1e-3, "{t}: {got} vs pyproj {w}");
        }
    }
}

#[test]
fn projection_round_trips_through_the_containing_tile() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for _ in 0..5000 {
        let (lon, lat) = (
            rng.random_range(-180.0..180.0),
            rng.random_range(-85.0..85.0),
        );
        let z = rng.random_range(0..=u32::from(MAX_ZOOM));
        let t = TileCoord::containing(lon, lat, z).unwrap();
        let p = TileProjection::new(t, TileOptions::default()).unwrap();
        let (x, y) = p.project(lon, lat);
        assert!(
            (0.0..=4096.0).contains(&x) && (0.0..=4096.0).contains(&y),
            "{lon},{lat} in {t}: {x},{y}"
        );
        // Back from tile units through metres.
        let m = t.bounds_mercator();
        let size = m.max().x - m.min().x;
        let (mx, my) = (m.min().x + x / 4096.0 * size, m.max().y - y / 4096.0 * size);
        let (lon2, lat2) = mercator_to_lonlat(mx, my);
        assert!(
            (lon2 - lon).abs() < 1e-7 && (lat2 - lat).abs() < 1e-7,
            "{lon},{lat} z{z}: {lon2},{lat2}"
        );
    }
}

#[test]
fn invalid_tile_coordinates_are_errors() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    for _ in 0..2000 {
        let z: u32 = rng.random_range(0..40);
        let (x, y): (u32, u32) = (rng.random(), rng.random());
        let x = x >> rng.random_range(0..32);
        let y = y >> rng.random_range(0..32);
        let valid = z <= 22 && u64::from(x) < 1u64 << z && u64::from(y) < 1u64 << z;
        match TileCoord::new(z, x, y) {
            Ok(t) => assert!(valid && (u32::from(t.z()), t.x(), t.y()) == (z, x, y)),
            Err(TileError::Zoom { .. }) => assert!(z > 22),
            Err(TileError::OutOfGrid { .. }) => assert!(!valid && z <= 22),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    let err: geo_core::Error = TileCoord::new(3, 8, 0).unwrap_err().into();
    assert!(err.to_string().contains("3/8/0"), "{err}");
}
