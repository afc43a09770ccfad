//! Exact point-in-polygon by crossing number, with a rule that gives every point of an
//! exact partition to exactly one polygon, accelerated by horizontal bands of edges.
//!
//! The rule: count crossings of the ray from the point towards +x, with an edge's lower
//! end included and its upper end excluded, and a point exactly on an edge counted as
//! right of it (exact orientation from `geo`'s robust kernel). That is the crossing number
//! of the point nudged by (+e, +e²), which is never on a boundary, so each point of a set
//! of polygons that tile the plane (sharing their edges) lands in exactly one of them.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo_types::{Coord, LineString, MultiPolygon};

/// A polygon (with holes, possibly multi-part) prepared for fast exact point tests.
#[derive(Debug, Clone)]
pub(crate) struct BandedPolygon {
    /// Every ring's vertices, rings concatenated, each ring closed.
    coords: Vec<Coord<f64>>,
    /// Edge `e` runs from `coords[e]` to `coords[e + 1]`; grouped by band.
    band_edges: Vec<u32>,
    /// Band `b` holds `band_edges[band_start[b]..band_start[b + 1]]`.
    band_start: Vec<u32>,
    ymin: f64,
    ymax: f64,
    /// Bands per degree of latitude.
    scale: f64,
}

/// About this many edges per band: a few exact tests per point.
const EDGES_PER_BAND: usize = 4;
/// Upper bound on bands per polygon (long county boundaries).
const MAX_BANDS: usize = 1 << 16;

impl BandedPolygon {
    /// Prepares `geometry`; `None` if it has no edges or a non-finite coordinate.
    pub(crate) fn new(geometry: &MultiPolygon<f64>) -> Option<Self> {
        let mut coords: Vec<Coord<f64>> = Vec::new();
        let mut edges: Vec<u32> = Vec::new();
        let rings = geometry
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
        for ring in rings {
            push_ring(ring, &mut coords, &mut edges)?;
        }
        if edges.is_empty() {
            return None;
        }
        let (ymin, ymax) = coords
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                (lo.min(c.y), hi.max(c.y))
            });
        let nbands = (edges.len() / EDGES_PER_BAND).clamp(1, MAX_BANDS);
        let span = ymax - ymin;
        let scale = if span > 0.0 {
            nbands as f64 / span
        } else {
            0.0
        };
        let mut poly = Self {
            coords,
            band_edges: Vec::new(),
            band_start: vec![0; nbands + 1],
            ymin,
            ymax,
            scale,
        };
        // Counting sort of edges into every band their y-range touches.
        let ranges: Vec<(usize, usize)> = edges
            .iter()
            .map(|&e| {
                let (a, b) = poly.edge(e);
                (poly.band(a.y.min(b.y)), poly.band(a.y.max(b.y)))
            })
            .collect();
        for &(lo, hi) in &ranges {
            for b in lo..=hi {
                poly.band_start[b + 1] += 1;
            }
        }
        for b in 0..nbands {
            poly.band_start[b + 1] += poly.band_start[b];
        }
        let mut fill: Vec<u32> = poly.band_start[..nbands].to_vec();
        poly.band_edges = vec![0; poly.band_start[nbands] as usize];
        for (&e, &(lo, hi)) in edges.iter().zip(&ranges) {
            for slot in &mut fill[lo..=hi] {
                poly.band_edges[*slot as usize] = e;
                *slot += 1;
            }
        }
        Some(poly)
    }

    /// The band holding latitude `y`; monotone in `y`, so an edge spanning `y` is in it.
    #[inline]
    fn band(&self, y: f64) -> usize {
        // Float-to-int `as` saturates, so values below ymin map to band 0.
        let b = ((y - self.ymin) * self.scale) as usize;
        b.min(self.band_start.len() - 2)
    }

    #[inline]
    fn edge(&self, e: u32) -> (Coord<f64>, Coord<f64>) {
        let i = e as usize;
        (self.coords[i], self.coords[i + 1])
    }

    /// Whether `p` is inside under the module's boundary rule.
    #[inline]
    pub(crate) fn contains(&self, p: Coord<f64>) -> bool {
        if !(p.y >= self.ymin && p.y <= self.ymax) {
            return false;
        }
        let b = self.band(p.y);
        let (from, to) = (self.band_start[b] as usize, self.band_start[b + 1] as usize);
        let mut inside = false;
        for &e in &self.band_edges[from..to] {
            let (a, c) = self.edge(e);
            let (lo, hi) = if a.y <= c.y { (a, c) } else { (c, a) };
            if !(lo.y <= p.y && p.y < hi.y) {
                continue;
            }
            let crosses = if p.x < lo.x.min(hi.x) {
                true
            } else if p.x > lo.x.max(hi.x) {
                false
            } else {
                RobustKernel::orient2d(lo, hi, p) == Orientation::CounterClockwise
            };
            inside ^= crosses;
        }
        inside
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.coords.capacity() * std::mem::size_of::<Coord<f64>>()
            + (self.band_edges.capacity() + self.band_start.capacity()) * 4
    }
}

/// Appends one ring (closed if it is not) and its non-horizontal edges.
fn push_ring(
    ring: &LineString<f64>,
    coords: &mut Vec<Coord<f64>>,
    edges: &mut Vec<u32>,
) -> Option<()> {
    let (Some(&first), Some(&last)) = (ring.0.first(), ring.0.last()) else {
        return Some(());
    };
    if ring.0.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return None;
    }
    let start = coords.len();
    coords.extend_from_slice(&ring.0);
    if first != last {
        coords.push(first);
    }
    let end = u32::try_from(coords.len()).ok()?;
    for e in u32::try_from(start).ok()?..end.saturating_sub(1) {
        let i = e as usize;
        // Horizontal edges never cross the half-open test; leave them out (exactly equal y).
        #[allow(clippy::float_cmp)]
        if coords[i].y != coords[i + 1].y {
            edges.push(e);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use geo::{Contains, Intersects};
    use geo_types::{polygon, Point};

    use super::*;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    #[test]
    fn shared_edges_and_corners_go_to_exactly_one_square() {
        let squares: Vec<BandedPolygon> = (0..3)
            .flat_map(|i| (0..3).map(move |j| (f64::from(i), f64::from(j))))
            .map(|(x, y)| BandedPolygon::new(&square(x, y, x + 1.0, y + 1.0)).unwrap())
            .collect();
        for i in 1..=10 {
            for j in 1..=10 {
                let p = Coord {
                    x: f64::from(i) * 0.25,
                    y: f64::from(j) * 0.25,
                };
                let n = squares.iter().filter(|s| s.contains(p)).count();
                assert_eq!(n, 1, "{p:?}");
            }
        }
    }

    #[test]
    fn agrees_with_geo_off_the_boundary() {
        // A star-shaped ring with a hole, many vertices so that bands matter.
        let n = 200;
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = f64::from(i) / f64::from(n) * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 1.0 } else { 0.6 };
                (r * a.cos(), r * a.sin())
            })
            .collect();
        let hole: Vec<(f64, f64)> = (0..16)
            .map(|i| {
                let a = f64::from(i) / 16.0 * std::f64::consts::TAU;
                (0.2 * a.cos(), 0.2 * a.sin())
            })
            .collect();
        let poly = geo_types::Polygon::new(ring.into(), vec![hole.into()]);
        let mp = MultiPolygon(vec![poly]);
        let banded = BandedPolygon::new(&mp).unwrap();
        let mut checked = 0;
        for i in -60..=60 {
            for j in -60..=60 {
                let p = Point::new(f64::from(i) / 50.0 + 0.003, f64::from(j) / 50.0 + 0.007);
                let on_boundary = mp.intersects(&p) && !mp.contains(&p);
                if !on_boundary {
                    assert_eq!(banded.contains(p.0), mp.contains(&p), "{p:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 14_000);
    }

    #[test]
    fn degenerate_input_is_refused_not_panicking() {
        assert!(BandedPolygon::new(&MultiPolygon(vec![])).is_none());
        assert!(BandedPolygon::new(&square(0.0, 0.0, f64::NAN, 1.0)).is_none());
        let flat = BandedPolygon::new(&square(0.0, 0.0, 1.0, 0.0));
        assert!(flat.is_none());
        let sq = BandedPolygon::new(&square(0.0, 0.0, 1.0, 1.0)).unwrap();
        assert!(!sq.contains(Coord {
            x: f64::NAN,
            y: 0.5
        }));
        assert!(!sq.contains(Coord {
            x: 0.5,
            y: f64::NAN
        }));
        assert!(!sq.contains(Coord {
            x: f64::INFINITY,
            y: 0.5
        }));
    }
}
