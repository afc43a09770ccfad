//! Spherical Web Mercator (EPSG:3857) forward and inverse formulas.

use std::f64::consts::PI;

/// The sphere radius EPSG:3857 uses (the WGS 84 semi-major axis), metres.
pub const EARTH_RADIUS: f64 = 6_378_137.0;

/// Half the width of the Mercator world square, metres (`pi * EARTH_RADIUS`).
pub const MERCATOR_HALF_WORLD: f64 = PI * EARTH_RADIUS;

/// The latitude at which the Mercator world becomes a square, degrees; beyond it is clamped.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// Projects lon/lat degrees to EPSG:3857 metres; latitudes beyond +-85.0511 are clamped.
#[must_use]
pub fn lonlat_to_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    let x = EARTH_RADIUS * lon.to_radians();
    // asinh(tan(phi)) == ln(tan(pi/4 + phi/2)), with better accuracy near the equator.
    let y = EARTH_RADIUS * lat.tan().asinh();
    (x, y)
}

/// Inverse of [`lonlat_to_mercator`]: EPSG:3857 metres to lon/lat degrees.
#[must_use]
pub fn mercator_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = (x / EARTH_RADIUS).to_degrees();
    let lat = (y / EARTH_RADIUS).sinh().atan().to_degrees();
    (lon, lat)
}

/// Projects lon/lat degrees to the unit Mercator square: `(0, 0)` north-west, `(1, 1)` south-east.
#[must_use]
pub fn lonlat_to_unit(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    let u = lon / 360.0 + 0.5;
    // atanh(sin(phi)) == asinh(tan(phi)), written as 0.5 * ln_1p(2s / (1 - s)): one sin and
    // one log, cheaper than tan + asinh on the per-vertex path, and exact near the equator.
    let s = lat.sin();
    let v = 0.5 - 0.5 * (2.0 * s / (1.0 - s)).ln_1p() / (2.0 * PI);
    (u, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_square_agrees_with_metres() {
        for &(lon, lat) in &[(0.0, 0.0), (112.9, 28.2), (-179.9, -85.0), (180.0, 85.0511)] {
            let (x, y) = lonlat_to_mercator(lon, lat);
            let (u, v) = lonlat_to_unit(lon, lat);
            let u2 = (x + MERCATOR_HALF_WORLD) / (2.0 * MERCATOR_HALF_WORLD);
            let v2 = (MERCATOR_HALF_WORLD - y) / (2.0 * MERCATOR_HALF_WORLD);
            assert!(
                (u - u2).abs() < 1e-12 && (v - v2).abs() < 1e-12,
                "{lon} {lat}"
            );
        }
    }

    #[test]
    fn max_latitude_maps_to_the_square_corner() {
        let (_, y) = lonlat_to_mercator(0.0, MAX_LATITUDE);
        assert!((y - MERCATOR_HALF_WORLD).abs() < 1e-6);
    }
}
