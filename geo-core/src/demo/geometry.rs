//! Small geometry helpers for the generator: snapping to the 1e-7 degree grid, welding
//! near-identical vertices so that neighbours share them bitwise, and sampling points
//! strictly inside a polygon.

use std::collections::HashMap;

use geo::{BoundingRect, Contains};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use rand::Rng;

/// The coordinate grid every generated vertex lies on, in degrees.
pub const SNAP: f64 = 1e-7;

/// Rounds a coordinate to the 1e-7 degree grid.
#[must_use]
pub fn snap(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x / SNAP).round() * SNAP,
        y: (c.y / SNAP).round() * SNAP,
    }
}

/// How close (in grid steps) to a rounding boundary a raw coordinate must be for welding
/// to look across it: far above the ~1e-3 step of floating-point noise in clipping.
const WELD_BAND: f64 = 0.02;

/// The integer grid key of a snapped coordinate.
fn key(c: Coord<f64>) -> (i64, i64) {
    ((c.x / SNAP).round() as i64, (c.y / SNAP).round() as i64)
}

/// Snaps every vertex, dropping repeated vertices and rings that collapse.
#[must_use]
pub fn snap_multipolygon(m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    map_rings(m, |r| r.0.iter().map(|c| snap(*c)).collect())
}

/// Applies `f` to every ring, then cleans repeated vertices and drops degenerate rings/polygons.
fn map_rings(
    m: &MultiPolygon<f64>,
    mut f: impl FnMut(&LineString<f64>) -> Vec<Coord<f64>>,
) -> MultiPolygon<f64> {
    let mut out = Vec::with_capacity(m.0.len());
    for p in &m.0 {
        let Some(ext) = clean_ring(f(p.exterior())) else {
            continue;
        };
        let holes = p
            .interiors()
            .iter()
            .filter_map(|r| clean_ring(f(r)))
            .collect();
        out.push(Polygon::new(ext, holes));
    }
    MultiPolygon::new(out)
}

fn clean_ring(mut coords: Vec<Coord<f64>>) -> Option<LineString<f64>> {
    coords.dedup();
    if coords.len() > 1 && coords.first() == coords.last() {
        coords.pop();
    }
    // A ring needs three distinct corners.
    if coords.len() < 3 {
        return None;
    }
    let first = coords[0];
    coords.push(first);
    Some(LineString::new(coords))
}

/// Canonical vertices shared by a family of sibling polygons: a vertex within one grid step
/// of a known vertex becomes that vertex, so that two independently clipped neighbours
/// carry bitwise-identical coordinates where they meet.
#[derive(Debug, Default)]
pub struct Welder {
    known: HashMap<(i64, i64), Coord<f64>>,
}

impl Welder {
    /// Registers the vertices of `m` (e.g. the parent's) as canonical.
    pub fn seed(&mut self, m: &MultiPolygon<f64>) {
        for p in &m.0 {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                for c in &r.0 {
                    self.known.entry(key(*c)).or_insert(*c);
                }
            }
        }
    }

    /// The canonical vertex for `c` (snapped first), registering it if new.
    ///
    /// Two computations of the same intersection differ by ~1e-10 degree, so they can only
    /// round to different grid points when the raw value sits near a rounding boundary:
    /// only then is the neighbouring grid point across that boundary looked up.
    pub fn weld(&mut self, c: Coord<f64>) -> Coord<f64> {
        let snapped = snap(c);
        let (kx, ky) = key(snapped);
        if let Some(k) = self.known.get(&(kx, ky)) {
            return *k;
        }
        let across = |v: f64| {
            let f = (v / SNAP).fract().abs();
            let side = if v / SNAP > (v / SNAP).round() { 1 } else { -1 };
            ((f - 0.5).abs() < WELD_BAND).then_some(side)
        };
        let (ax, ay) = (across(c.x), across(c.y));
        let candidates = [
            ax.map(|dx| (kx + dx, ky)),
            ay.map(|dy| (kx, ky + dy)),
            ax.zip(ay).map(|(dx, dy)| (kx + dx, ky + dy)),
        ];
        for k in candidates.into_iter().flatten() {
            if let Some(v) = self.known.get(&k) {
                return *v;
            }
        }
        self.known.insert((kx, ky), snapped);
        snapped
    }

    /// Welds every vertex of `m`.
    pub fn weld_multipolygon(&mut self, m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        map_rings(m, |r| r.0.iter().map(|c| self.weld(*c)).collect())
    }
}

/// A polygon with its bounding box, for repeated point-in-polygon sampling.
#[derive(Debug, Clone)]
pub struct Sampler<'a> {
    shape: &'a MultiPolygon<f64>,
    bbox: Rect<f64>,
}

impl<'a> Sampler<'a> {
    /// Prepares sampling inside `shape`; `None` if it is empty.
    #[must_use]
    pub fn new(shape: &'a MultiPolygon<f64>) -> Option<Self> {
        Some(Self {
            shape,
            bbox: shape.bounding_rect()?,
        })
    }

    /// The shape's bounding box.
    #[must_use]
    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// Whether `p` is strictly inside.
    #[must_use]
    pub fn contains(&self, p: Point<f64>) -> bool {
        self.bbox.contains(&p) && self.shape.contains(&p)
    }

    /// A uniformly random point strictly inside, after at most `tries` rejections.
    pub fn uniform<R: Rng>(&self, rng: &mut R, tries: usize) -> Option<Point<f64>> {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        for _ in 0..tries {
            let p = Point::new(
                rng.random_range(min.x..=max.x),
                rng.random_range(min.y..=max.y),
            );
            if self.contains(p) {
                return Some(p);
            }
        }
        None
    }

    /// A point near `centre` (normal with deviation `sigma` degrees) strictly inside, or
    /// a uniform one when the neighbourhood keeps missing.
    pub fn near<R: Rng>(&self, rng: &mut R, centre: Point<f64>, sigma: f64) -> Option<Point<f64>> {
        for _ in 0..8 {
            let (a, b) = gaussian_pair(rng);
            let p = Point::new(centre.x() + a * sigma, centre.y() + b * sigma);
            if self.contains(p) {
                return Some(p);
            }
        }
        self.uniform(rng, 200)
    }
}

/// Two independent standard normal numbers (Box-Muller).
pub fn gaussian_pair<R: Rng>(rng: &mut R) -> (f64, f64) {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let r = (-2.0 * u.ln()).sqrt();
    (r * v.cos(), r * v.sin())
}

/// Metres per degree of latitude (and of longitude at the equator).
pub const METRES_PER_DEGREE: f64 = 111_320.0;

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use rand::SeedableRng;

    #[test]
    fn snapping_is_idempotent_and_close() {
        for x in [109.719_726_562_5, 28.155_273_437_5, -0.000_000_05, 113.1] {
            let c = snap(Coord { x, y: x });
            assert!((c.x - x).abs() <= SNAP / 2.0 + 1e-15);
            assert_eq!(snap(c), c);
        }
    }

    #[test]
    fn welding_merges_neighbouring_grid_points() {
        let mut w = Welder::default();
        // Raw values just either side of the boundary between two grid points.
        let a = w.weld(Coord {
            x: 1.0 + 0.499_9 * SNAP,
            y: 2.0,
        });
        let b = w.weld(Coord {
            x: 1.0 + 0.500_1 * SNAP,
            y: 2.0,
        });
        assert_eq!(a, b);
        // A point one full step away is a different vertex.
        let c = w.weld(Coord {
            x: 1.0 + 1.1 * SNAP,
            y: 2.0,
        });
        assert_ne!(a, c);
    }

    #[test]
    fn samples_are_inside() {
        let square = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]),
            vec![],
        )]);
        assert!(square.is_valid());
        let s = Sampler::new(&square).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let p = s.near(&mut rng, Point::new(0.9, 0.9), 0.2).unwrap();
            assert!(p.x() > 0.0 && p.y() > 0.0 && p.x() + p.y() < 1.0);
        }
    }
}
