//! Nearest points in exact great-circle order: unit-sphere xyz vectors in a flat 3-D
//! kd-tree (chord length is monotone in great-circle distance) and haversine metres.

use geo_types::Point;

use super::kdtree::KdTree;

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two lon/lat points (haversine).
#[must_use]
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dlat = p2 - p1;
    let dlon = (lon2 - lon1).to_radians();
    let a = (dlat / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.clamp(0.0, 1.0).sqrt().asin()
}

/// Great-circle metres from a squared chord between unit vectors: `2R asin(c / 2)`.
/// Cheaper than haversine (no trigonometry of the inputs) and as exact for our use: the
/// chord of nearby points keeps full relative precision down to millimetres.
#[inline]
fn chord_to_m(d2: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (d2.sqrt() / 2.0).min(1.0).asin()
}

/// The unit vector of a lon/lat point.
#[must_use]
pub(crate) fn unit_xyz(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    let c = lat.cos();
    [c * lon.cos(), c * lon.sin(), lat.sin()]
}

/// One of the nearest features.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Nearest {
    /// Index into the layer (`data().cameras` or `data().workers`).
    pub index: usize,
    /// Great-circle distance, metres.
    pub distance_m: f64,
}

/// Points of one layer for k-nearest queries.
#[derive(Debug, Default)]
pub(crate) struct SphereIndex {
    tree: KdTree,
}

/// Whether a lon/lat point is usable (finite, in range).
pub(crate) fn valid_lon_lat(p: Point<f64>) -> bool {
    crate::h3::cell_at(p.x(), p.y(), 0).is_ok()
}

impl SphereIndex {
    /// Indexes the points; invalid ones are left out.
    pub(crate) fn new(points: impl Iterator<Item = Point<f64>>) -> Self {
        let items = points
            .enumerate()
            .filter(|(_, p)| valid_lon_lat(*p))
            .filter_map(|(i, p)| Some((unit_xyz(p.x(), p.y()), u32::try_from(i).ok()?)))
            .collect();
        Self {
            tree: KdTree::new(items),
        }
    }

    /// The `k` nearest points to a valid `lon`/`lat`, nearest first, ties by index.
    pub(crate) fn nearest(&self, lon: f64, lat: f64, k: usize) -> Vec<Nearest> {
        let q = unit_xyz(lon, lat);
        let mut out: Vec<Nearest> = self
            .tree
            .nearest(&q, k)
            .into_iter()
            .map(|(d2, i)| Nearest {
                index: i as usize,
                distance_m: chord_to_m(d2),
            })
            .collect();
        // Keep distances monotone and ties in index order after rounding to metres.
        out.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.index.cmp(&b.index))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_known_values() {
        // A quarter of a great circle.
        let q = haversine_m(0.0, 0.0, 90.0, 0.0);
        assert!((q - EARTH_RADIUS_M * std::f64::consts::FRAC_PI_2).abs() < 1e-6);
        // One degree of latitude.
        let d = haversine_m(109.0, 28.0, 109.0, 29.0);
        assert!((d - EARTH_RADIUS_M * 1f64.to_radians()).abs() < 1e-6);
        assert!(haversine_m(10.0, 10.0, 10.0, 10.0).abs() < 1e-12);
    }

    #[test]
    fn chord_order_is_distance_order() {
        let pts: Vec<Point<f64>> = (0..400)
            .map(|i| {
                Point::new(
                    109.0 + f64::from(i % 20) * 0.013,
                    28.0 + f64::from(i / 20) * 0.011,
                )
            })
            .collect();
        let idx = SphereIndex::new(pts.iter().copied());
        let got = idx.nearest(109.1, 28.1, 400);
        assert_eq!(got.len(), 400);
        let mut want: Vec<(f64, usize)> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| (haversine_m(109.1, 28.1, p.x(), p.y()), i))
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (g, w) in got.iter().zip(&want) {
            assert!((g.distance_m - w.0).abs() <= 1e-6 * w.0.max(1.0));
        }
        assert!(idx.nearest(109.1, 28.1, 0).is_empty());
    }
}
