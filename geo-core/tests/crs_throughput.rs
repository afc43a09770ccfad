//! Throughput of `Transform::coord` (coordinates/s) over 1,000,000 points for the CRSs an
//! import meets most: a Gauss-Kruger zone (EPSG:4545), Web Mercator, GCJ-02 and BD-09, into
//! onemap's lon/lat. Prints the figures; asserts only that every point went through.
//! Ignored by default; run in release:
//! `cargo test --release -p geo-core --test crs_throughput -- --ignored --nocapture`

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Instant;

use geo_core::crs::Crs;
use geo_types::Coord;
use rand::{Rng, SeedableRng};

const N: usize = 1_000_000;

/// `N` lon/lat points over Xiangxi (CM 108E zone) moved into `crs`, so the timed direction
/// reads coordinates a file in that CRS would hold.
fn points_in(crs: Crs) -> Vec<Coord<f64>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let out = crs.from_lon_lat().unwrap();
    (0..N)
        .map(|_| {
            let c = Coord {
                x: rng.random_range(109.0..110.5),
                y: rng.random_range(27.5..29.0),
            };
            out.coord(c).unwrap()
        })
        .collect()
}

#[test]
#[ignore = "throughput figure; run in release with --ignored --nocapture"]
fn transform_throughput() {
    for crs in [
        Crs::from_epsg(4545).unwrap(),
        Crs::from_epsg(4524).unwrap(),
        Crs::WebMercator,
        Crs::Gcj02,
        Crs::Bd09,
        Crs::from_epsg(4490).unwrap(),
    ] {
        let points = points_in(crs);
        let t = crs.to_lon_lat().unwrap();
        let start = Instant::now();
        let mut sum = 0.0;
        for p in &points {
            let c = t.coord(*p).unwrap();
            sum += c.x + c.y;
        }
        let secs = start.elapsed().as_secs_f64();
        assert!(sum.is_finite());
        eprintln!(
            "{crs:>10} -> EPSG:4490: {N} coordinates in {secs:.3} s = {:.2} M coords/s ({:.0} ns each)",
            N as f64 / secs / 1e6,
            secs / N as f64 * 1e9
        );
    }
}
