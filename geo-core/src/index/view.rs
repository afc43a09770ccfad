//! Whether a point lies in a camera's view sector: the great-circle bearing from the
//! camera is within half the field of view of where it faces, and the point is in range.
//!
//! ```
//! use geo_core::index::ViewSector;
//! // A camera at 109.7 E 28.3 N facing east with a 60-degree view, 100 m deep.
//! let sector = ViewSector { facing_deg: 90.0, fov_deg: 60.0, range_m: 100.0 };
//! // 50 m east of it is in view; 50 m north is outside the sector; 150 m east is too far.
//! let east = 109.7 + 50.0 / (111_195.0 * 28.3_f64.to_radians().cos());
//! assert!(sector.sees(109.7, 28.3, east, 28.3));
//! assert!(!sector.sees(109.7, 28.3, 109.7, 28.3 + 50.0 / 111_195.0));
//! assert!(!sector.sees(109.7, 28.3, 109.7 + 3.0 * (east - 109.7), 28.3));
//! ```

use super::sphere::haversine_m;
use crate::model::{Camera, PtzType};

/// A camera's horizontal view: facing azimuth, field of view and depth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewSector {
    /// Azimuth of the view's axis, degrees clockwise from north.
    pub facing_deg: f64,
    /// Full horizontal field of view, degrees (360: all round).
    pub fov_deg: f64,
    /// Useful viewing distance, metres.
    pub range_m: f64,
}

impl ViewSector {
    /// Field of view assumed for a fixed camera whose survey does not give one: a common
    /// 6 mm lens on a 1/2.8" sensor.
    pub const DEFAULT_FOV_DEG: f64 = 60.0;
    /// Viewing distance assumed when the survey does not give one: where a face or a plate
    /// is still recognisable at 1080p with that lens.
    pub const DEFAULT_RANGE_M: f64 = 80.0;

    /// The sector a camera covers. A dome pans all round, so its sector is the full
    /// circle whatever its lens; missing survey values take the defaults above.
    #[must_use]
    pub fn of(camera: &Camera) -> Self {
        let fov = if camera.ptz_type == PtzType::Dome {
            360.0
        } else {
            camera.fov_deg.map_or(Self::DEFAULT_FOV_DEG, f64::from)
        };
        Self {
            facing_deg: camera.facing_deg(),
            fov_deg: fov,
            range_m: camera.range_m.map_or(Self::DEFAULT_RANGE_M, f64::from),
        }
    }

    /// Whether a camera at (`lon`, `lat`) with this sector sees the point (`plon`, `plat`):
    /// distance at most `range_m` and bearing within `fov_deg / 2` of `facing_deg` (edges
    /// included). A point at the camera itself is seen.
    #[must_use]
    pub fn sees(&self, lon: f64, lat: f64, plon: f64, plat: f64) -> bool {
        let d = haversine_m(lon, lat, plon, plat);
        // Out of range, or not a number.
        if d.partial_cmp(&self.range_m) == Some(std::cmp::Ordering::Greater) || d.is_nan() {
            return false;
        }
        if d == 0.0 || self.fov_deg >= 360.0 {
            return true;
        }
        angle_between(bearing_deg(lon, lat, plon, plat), self.facing_deg) <= self.fov_deg / 2.0
    }
}

/// Initial great-circle bearing from the first point to the second, degrees clockwise
/// from north in `[0, 360)`.
#[must_use]
pub fn bearing_deg(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dlon = (lon2 - lon1).to_radians();
    let y = dlon.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dlon.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// The unsigned difference between two azimuths, degrees in `[0, 180]`.
#[must_use]
pub fn angle_between(a_deg: f64, b_deg: f64) -> f64 {
    let d = (a_deg - b_deg).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CameraStatus, Direction, PositionType};

    /// Metres per degree of latitude on the mean sphere.
    const M_PER_DEG: f64 = super::super::sphere::EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

    /// A point `d` metres from (lon, lat) at azimuth `az` (flat approximation, fine at
    /// these distances).
    fn offset(lon: f64, lat: f64, az: f64, d: f64) -> (f64, f64) {
        let (s, c) = az.to_radians().sin_cos();
        (
            lon + d * s / (M_PER_DEG * lat.to_radians().cos()),
            lat + d * c / M_PER_DEG,
        )
    }

    #[test]
    fn bearings_by_hand() {
        // Due north, east, south, west along meridians and (nearly) the parallel.
        assert!((bearing_deg(109.0, 28.0, 109.0, 28.01) - 0.0).abs() < 1e-9);
        assert!((bearing_deg(109.0, 28.0, 109.0, 27.99) - 180.0).abs() < 1e-9);
        assert!((bearing_deg(109.0, 0.0, 109.01, 0.0) - 90.0).abs() < 1e-9);
        assert!((bearing_deg(109.0, 0.0, 108.99, 0.0) - 270.0).abs() < 1e-9);
        // On the equator, 1:1 in degrees is 45 degrees.
        assert!((bearing_deg(0.0, 0.0, 0.001, 0.001) - 45.0).abs() < 1e-6);
        // At 60 N a degree of longitude is half as long as one of latitude: atan2(0.5, 1).
        let b = bearing_deg(10.0, 60.0, 10.001, 60.001);
        assert!((b - 0.5f64.atan2(1.0).to_degrees()).abs() < 0.01, "{b}");
    }

    #[test]
    fn angles_wrap() {
        assert!((angle_between(350.0, 10.0) - 20.0).abs() < 1e-12);
        assert!((angle_between(10.0, 350.0) - 20.0).abs() < 1e-12);
        assert!((angle_between(0.0, 180.0) - 180.0).abs() < 1e-12);
        assert!((angle_between(-90.0, 270.0)).abs() < 1e-12);
    }

    #[test]
    fn sector_edges() {
        let (lon, lat) = (109.74, 28.31);
        let north = ViewSector {
            facing_deg: 0.0,
            fov_deg: 90.0,
            range_m: 100.0,
        };
        // Inside at 44 degrees either side of north (wrapping through 360), outside at 46.
        for az in [0.0, 44.0, 316.0] {
            let (x, y) = offset(lon, lat, az, 60.0);
            assert!(north.sees(lon, lat, x, y), "az {az}");
        }
        for az in [46.0, 314.0, 90.0, 180.0] {
            let (x, y) = offset(lon, lat, az, 60.0);
            assert!(!north.sees(lon, lat, x, y), "az {az}");
        }
        // Range: 99 m seen, 101 m not.
        let (x, y) = offset(lon, lat, 0.0, 99.0);
        assert!(north.sees(lon, lat, x, y));
        let (x, y) = offset(lon, lat, 0.0, 101.0);
        assert!(!north.sees(lon, lat, x, y));
        // The camera's own spot, and NaN.
        assert!(north.sees(lon, lat, lon, lat));
        assert!(!north.sees(lon, lat, f64::NAN, lat));
    }

    #[test]
    fn sector_of_a_camera() {
        let mut cam = Camera {
            id: "43310100001320000001".parse().unwrap(),
            name: "x".into(),
            ptz_type: PtzType::FixedBullet,
            position_type: PositionType::new(9).unwrap(),
            direction: Direction::new(1).unwrap(),
            azimuth_deg: None,
            fov_deg: None,
            range_m: Some(50.0),
            status: CameraStatus::Online,
            location: geo_types::Point::new(109.74, 28.31),
        };
        let s = ViewSector::of(&cam);
        assert_eq!((s.facing_deg, s.fov_deg, s.range_m), (90.0, 60.0, 50.0));
        cam.azimuth_deg = Some(100.0);
        cam.fov_deg = Some(40.0);
        let s = ViewSector::of(&cam);
        assert_eq!((s.facing_deg, s.fov_deg), (100.0, 40.0));
        // East (90) is 10 degrees off a 100-degree axis: inside a 40-degree view.
        let (x, y) = offset(109.74, 28.31, 90.0, 30.0);
        assert!(s.sees(109.74, 28.31, x, y));
        // 25 degrees off: outside.
        let (x, y) = offset(109.74, 28.31, 75.0, 30.0);
        assert!(!s.sees(109.74, 28.31, x, y));
        cam.ptz_type = PtzType::Dome;
        assert!(ViewSector::of(&cam).sees(109.74, 28.31, x, y));
    }
}
