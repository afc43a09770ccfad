//! Label points: where a polygon's name is drawn, one point per feature, always inside it.
//!
//! The point is the polygon's pole of inaccessibility (the interior point farthest from its
//! boundary), found by the quadtree search of Mapbox's polylabel (Agafonkin 2016): square
//! cells over the bounding box in a priority queue ordered by the best distance a cell could
//! still hold, split until no cell can beat the best point by more than the precision. It
//! is computed in a local frame where a degree of longitude is `cos(latitude)` of a degree
//! of latitude, so that "farthest from the boundary" means what it looks like on the map.
//!
//! Why not `geo`'s `InteriorPoint` (the midpoint of the longest run of the bounding box's
//! middle latitude inside the polygon): for a long thin or bent grid that run can sit a few
//! metres from a border, where the name crosses it; the pole of inaccessibility is where the
//! name has the most room. `InteriorPoint` stays as the fallback for shapes the search
//! cannot place inside (zero area).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use geo::{BoundingRect, Centroid, InteriorPoint};
use geo_types::{Coord, LineString, MultiPolygon};

/// The search stops once no cell can improve the best distance by more than this share of
/// the polygon's larger side (1%: a pixel at the zoom where the polygon fills the screen).
const PRECISION: f64 = 0.01;
/// At most this many cells are evaluated (each costs one pass over the edges): bounds the
/// time on pathological shapes; the best point so far is kept.
const MAX_CELLS: usize = 4_096;

/// The label point of `geometry`: its pole of inaccessibility, strictly inside it (for a
/// polygon with area), or `None` for an empty or non-finite geometry.
#[must_use]
pub fn label_point(geometry: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    let bbox = geometry.bounding_rect()?;
    let finite = [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y]
        .iter()
        .all(|v| v.is_finite());
    if !finite {
        return None;
    }
    let mid_lat = f64::midpoint(bbox.min().y, bbox.max().y);
    let frame = Frame {
        x0: bbox.min().x,
        y0: bbox.min().y,
        kx: mid_lat.to_radians().cos().max(1e-6),
    };
    let rings = frame.rings(geometry);
    let guess = geometry.centroid().map(|c| frame.to_local(c.0));
    let found = pole(&rings, frame.to_local(bbox.max()), guess).filter(|c| c.distance > 0.0);
    match found {
        Some(cell) => Some(frame.to_lonlat(cell.center)),
        // Zero area (or a shape the search could not get inside): a point on it.
        None => geometry.interior_point().map(|p| p.0),
    }
}

/// The local frame: origin at the box's south-west corner, longitude scaled by `kx`.
struct Frame {
    x0: f64,
    y0: f64,
    kx: f64,
}

impl Frame {
    fn to_local(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.x0) * self.kx,
            y: c.y - self.y0,
        }
    }

    fn to_lonlat(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.kx + self.x0,
            y: c.y + self.y0,
        }
    }

    /// Every ring of every part, in the local frame, each closed.
    fn rings(&self, geometry: &MultiPolygon<f64>) -> Vec<Vec<Coord<f64>>> {
        let all = geometry
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
        all.filter(|r| r.0.len() >= 3)
            .map(|r: &LineString<f64>| {
                let mut ring: Vec<Coord<f64>> = r.0.iter().map(|&c| self.to_local(c)).collect();
                if ring.first() != ring.last() {
                    ring.push(ring[0]);
                }
                ring
            })
            .collect()
    }
}

/// A square cell: its center, half its side, the signed distance from the center to the
/// boundary (positive inside) and the most any point of the cell could have.
#[derive(Debug, Clone, Copy)]
struct Cell {
    center: Coord<f64>,
    half: f64,
    distance: f64,
    max: f64,
}

impl Cell {
    fn new(center: Coord<f64>, half: f64, rings: &[Vec<Coord<f64>>]) -> Self {
        let distance = signed_distance(center, rings);
        Self {
            center,
            half,
            distance,
            max: distance + half * std::f64::consts::SQRT_2,
        }
    }
}

impl PartialEq for Cell {
    fn eq(&self, other: &Self) -> bool {
        self.max.total_cmp(&other.max) == Ordering::Equal
    }
}

impl Eq for Cell {}

impl PartialOrd for Cell {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cell {
    fn cmp(&self, other: &Self) -> Ordering {
        self.max.total_cmp(&other.max)
    }
}

/// The best cell found over `rings` (local frame, box from the origin to `top_right`),
/// starting from `guess` (the centroid, often the answer for compact grids) and the box's
/// centre.
fn pole(
    rings: &[Vec<Coord<f64>>],
    top_right: Coord<f64>,
    guess: Option<Coord<f64>>,
) -> Option<Cell> {
    let (width, height) = (top_right.x, top_right.y);
    let side = width.min(height);
    if rings.is_empty() || side.is_nan() || side <= 0.0 {
        return None;
    }
    let precision = width.max(height) * PRECISION;
    // Cells no smaller than 1/64 of the larger side: a thin diagonal strip would otherwise
    // start from thousands of cells.
    let size = side.max(width.max(height) / 64.0);
    let half = size / 2.0;
    let mut queue = BinaryHeap::new();
    let mut x = 0.0;
    while x < width {
        let mut y = 0.0;
        while y < height {
            queue.push(Cell::new(
                Coord {
                    x: x + half,
                    y: y + half,
                },
                half,
                rings,
            ));
            y += size;
        }
        x += size;
    }
    let mut best = Cell::new(
        Coord {
            x: width / 2.0,
            y: height / 2.0,
        },
        0.0,
        rings,
    );
    if let Some(c) = guess.map(|c| Cell::new(c, 0.0, rings)) {
        if c.distance > best.distance {
            best = c;
        }
    }
    let mut evaluated = queue.len();
    while let Some(cell) = queue.pop() {
        if cell.distance > best.distance {
            best = cell;
        }
        // The queue is ordered by `max`: no cell left can beat the best by the precision.
        if cell.max - best.distance <= precision {
            break;
        }
        // Out of budget: only look through the cells already evaluated.
        if evaluated >= MAX_CELLS {
            continue;
        }
        let h = cell.half / 2.0;
        for (dx, dy) in [(-h, -h), (h, -h), (-h, h), (h, h)] {
            let center = Coord {
                x: cell.center.x + dx,
                y: cell.center.y + dy,
            };
            queue.push(Cell::new(center, h, rings));
        }
        evaluated += 4;
    }
    Some(best)
}

/// Distance from `p` to the nearest edge of `rings`, positive inside (even-odd over every
/// ring: holes and the parts of a multi-polygon alike), negative outside.
fn signed_distance(p: Coord<f64>, rings: &[Vec<Coord<f64>>]) -> f64 {
    let mut inside = false;
    let mut min_sq = f64::INFINITY;
    for ring in rings {
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            min_sq = min_sq.min(segment_distance_sq(p, a, b));
        }
    }
    let d = min_sq.sqrt();
    if inside {
        d
    } else {
        -d
    }
}

/// Squared distance from `p` to the segment `a`-`b`.
fn segment_distance_sq(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len_sq).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    ex * ex + ey * ey
}

/// The label points of a polygon layer, by feature index, each computed on its first use
/// (a tile that draws it, or a caller that asks): computing them all at start-up would
/// cost seconds at province scale for points most sessions never look at.
#[derive(Debug, Default, Clone)]
pub(crate) struct LabelPoints {
    slots: Vec<OnceLock<Option<Coord<f64>>>>,
}

impl LabelPoints {
    /// Empty slots for `n` features.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            slots: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The label point of feature `i`, whose outline is `geometry`.
    pub(crate) fn get(&self, i: usize, geometry: &MultiPolygon<f64>) -> Option<Coord<f64>> {
        *self.slots.get(i)?.get_or_init(|| label_point(geometry))
    }

    /// Forgets feature `i`'s point (its outline changed), growing to hold it if new.
    pub(crate) fn reset(&mut self, i: usize) {
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = OnceLock::new();
        } else {
            self.slots.resize_with(i + 1, OnceLock::new);
        }
    }
}

#[cfg(test)]
mod tests {
    use geo::{Centroid, Contains};
    use geo_types::{polygon, Point, Polygon};

    use super::*;

    fn inside(mp: &MultiPolygon<f64>, c: Coord<f64>) -> bool {
        mp.contains(&Point(c))
    }

    #[test]
    fn a_u_shape_whose_centroid_is_outside_gets_a_point_inside() {
        // A "U" 1 km across near Jishou: the centroid falls in the gap between the arms.
        let (west, south, side) = (109.7, 28.3, 0.01);
        let at = |dx: f64, dy: f64| (west + dx * side, south + dy * side);
        let ring: Vec<(f64, f64)> = [
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.8, 1.0),
            (0.8, 0.2),
            (0.2, 0.2),
            (0.2, 1.0),
            (0.0, 1.0),
        ]
        .iter()
        .map(|&(dx, dy)| at(dx, dy))
        .collect();
        let mp = MultiPolygon(vec![Polygon::new(ring.into(), vec![])]);
        let centroid = mp.centroid().unwrap();
        assert!(
            !mp.contains(&centroid),
            "the fixture's centroid must lie outside"
        );
        let p = label_point(&mp).unwrap();
        assert!(inside(&mp, p), "{p:?}");
    }

    #[test]
    fn a_square_is_labelled_near_its_centre_and_a_hole_is_avoided() {
        let sq = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]);
        let p = label_point(&sq).unwrap();
        assert!(
            (p.x - 0.5).abs() < 0.02 && (p.y - 0.5).abs() < 0.02,
            "{p:?}"
        );
        let ring = Polygon::new(
            sq.0[0].exterior().clone(),
            vec![LineString::from(vec![
                (0.3, 0.3),
                (0.7, 0.3),
                (0.7, 0.7),
                (0.3, 0.7),
                (0.3, 0.3),
            ])],
        );
        let holed = MultiPolygon(vec![ring]);
        let p = label_point(&holed).unwrap();
        assert!(inside(&holed, p), "{p:?}");
    }

    #[test]
    fn thin_diagonal_strips_and_multi_parts_are_labelled_inside() {
        // A strip 200:1 along the diagonal.
        let w = 0.005;
        let strip = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: w, y: 0.0), (x: 1.0, y: 1.0 - w), (x: 1.0, y: 1.0),
            (x: 1.0 - w, y: 1.0), (x: 0.0, y: w)
        ]]);
        let p = label_point(&strip).unwrap();
        assert!(inside(&strip, p), "{p:?}");
        // Two parts: the larger one holds the label.
        let two = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 0.1, y: 0.0), (x: 0.1, y: 0.1), (x: 0.0, y: 0.1)],
            polygon![(x: 5.0, y: 0.0), (x: 6.0, y: 0.0), (x: 6.0, y: 1.0), (x: 5.0, y: 1.0)],
        ]);
        let p = label_point(&two).unwrap();
        assert!(p.x > 5.0 && inside(&two, p), "{p:?}");
    }

    #[test]
    fn degenerate_outlines_do_not_panic() {
        assert!(label_point(&MultiPolygon(vec![])).is_none());
        let flat = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 2.0, y: 0.0)],
        ]);
        assert!(label_point(&flat).is_some());
        let nan = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: f64::NAN, y: 0.0), (x: 1.0, y: 1.0)],
        ]);
        let _ = label_point(&nan);
    }

    #[test]
    fn slots_compute_once_and_reset() {
        let sq = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]);
        let mut labels = LabelPoints::new(1);
        let a = labels.get(0, &sq).unwrap();
        let moved = MultiPolygon(vec![polygon![
            (x: 10.0, y: 0.0), (x: 11.0, y: 0.0), (x: 11.0, y: 1.0), (x: 10.0, y: 1.0)
        ]]);
        assert_eq!(labels.get(0, &moved), Some(a), "kept until reset");
        labels.reset(0);
        assert!(labels.get(0, &moved).unwrap().x > 10.0);
        labels.reset(3);
        assert!(labels.get(3, &sq).is_some());
        assert!(labels.get(4, &sq).is_none());
    }
}
