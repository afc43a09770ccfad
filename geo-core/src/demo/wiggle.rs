//! Wiggly edges: a straight Voronoi edge between two cells becomes a line that meanders
//! like a road or a river (a few sine harmonics that vanish at both ends, plus digitising
//! jitter), densified to a vertex every few tens of metres. Real grid boundaries have
//! 100-300 vertices; straight Voronoi cells have ten, and flatter every clip, simplify,
//! point-in-polygon and overlap check measured on them.
//!
//! The points of an edge are a pure function of its two end points (bitwise) and the
//! seed, generated in one canonical direction and reversed for the cell that walks the
//! edge the other way, so the two cells sharing it carry identical vertices.

use geo_types::Coord;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::geometry::snap;

/// How the edges of one partition wiggle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wiggle {
    /// Distance between inserted vertices, in metres.
    pub spacing_m: f64,
    /// Largest sideways displacement as a share of the edge's length.
    pub amplitude: f64,
    /// Largest sideways displacement in metres, whatever the edge's length (an edge of a
    /// cell on the parent's outline can run far beyond it).
    pub max_offset_m: f64,
    /// Seed of the shapes (mixed with each edge's end points).
    pub seed: u64,
}

/// Vertices inserted into one edge at most (an edge towards the far dummy sites of the
/// Voronoi diagram can be hundreds of kilometres long; it is clipped away anyway).
const MAX_POINTS: usize = 400;

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_320.0;

impl Wiggle {
    /// A partition of cells about `cell_size_m` across, with ~`per_edge` vertices on each of
    /// their edges.
    #[must_use]
    pub fn for_cells(cell_size_m: f64, per_edge: f64, seed: u64) -> Self {
        Self {
            spacing_m: (cell_size_m * 0.6 / per_edge).max(5.0),
            amplitude: 0.07,
            max_offset_m: 0.05 * cell_size_m,
            seed,
        }
    }

    /// The vertices strictly between `a` and `b` (in that order) of the wiggly edge
    /// from `a` to `b`; empty for a zero-length edge.
    #[must_use]
    pub fn between(&self, a: Coord<f64>, b: Coord<f64>) -> Vec<Coord<f64>> {
        let forward = (a.x, a.y) <= (b.x, b.y);
        let (p, q) = if forward { (a, b) } else { (b, a) };
        let mut points = self.canonical(p, q);
        if !forward {
            points.reverse();
        }
        points
    }

    /// The inserted vertices from `p` to `q`, where `p` sorts first.
    fn canonical(&self, p: Coord<f64>, q: Coord<f64>) -> Vec<Coord<f64>> {
        // A local metric frame: x shrinks with the cosine of the latitude.
        let k = (0.5 * (p.y + q.y)).to_radians().cos().max(0.01);
        let (dx, dy) = ((q.x - p.x) * k * M_PER_DEG, (q.y - p.y) * M_PER_DEG);
        let len = dx.hypot(dy);
        if !len.is_finite() || len < 2.0 * self.spacing_m {
            return Vec::new();
        }
        let n = ((len / self.spacing_m) as usize).clamp(2, MAX_POINTS);
        let mut rng = ChaCha8Rng::seed_from_u64(self.edge_seed(p, q));
        // A meander: 1-4 harmonics of random phase, the longest the strongest, normalised
        // so the sideways offset stays within `amplitude * len`.
        let harmonics = 1 + (len / (40.0 * self.spacing_m)).min(3.0) as usize;
        let waves: Vec<(f64, f64, f64)> = (1..=harmonics)
            .map(|h| {
                let h = h as f64 + rng.random_range(0.0..0.5);
                (
                    h,
                    rng.random_range(0.4..1.0) / h,
                    rng.random_range(0.0..std::f64::consts::TAU),
                )
            })
            .collect();
        let norm: f64 = waves.iter().map(|w| w.1).sum();
        let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let amp = side * (self.amplitude * len).min(self.max_offset_m) / norm;
        let jitter = 0.12 * self.spacing_m;
        let (ux, uy) = (dx / len, dy / len);
        let mut out = Vec::with_capacity(n - 1);
        for i in 1..n {
            let t = i as f64 / n as f64;
            let taper = (std::f64::consts::PI * t).sin();
            let meander: f64 = waves
                .iter()
                .map(|&(h, a, phase)| a * (std::f64::consts::PI * h * t + phase).sin())
                .sum();
            let off = amp * taper * meander + taper * rng.random_range(-jitter..jitter);
            let along = t * len + rng.random_range(-0.2..0.2) * self.spacing_m;
            let (mx, my) = (ux * along - uy * off, uy * along + ux * off);
            out.push(snap(Coord {
                x: p.x + mx / (k * M_PER_DEG),
                y: p.y + my / M_PER_DEG,
            }));
        }
        out.dedup();
        out
    }

    /// A seed of one edge: its canonical end points' bits mixed with the partition's seed.
    fn edge_seed(&self, p: Coord<f64>, q: Coord<f64>) -> u64 {
        let mut h: u64 = self.seed ^ 0x9E37_79B9_7F4A_7C15;
        for v in [p.x, p.y, q.x, q.y] {
            h ^= v.to_bits();
            h = h.wrapping_mul(0x1000_0000_01B3).rotate_left(29);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w() -> Wiggle {
        Wiggle::for_cells(1_500.0, 30.0, 7)
    }

    #[test]
    fn both_directions_give_the_same_vertices() {
        let (a, b) = (
            Coord { x: 109.7, y: 28.3 },
            Coord {
                x: 109.71,
                y: 28.305,
            },
        );
        let mut back = w().between(b, a);
        back.reverse();
        let fwd = w().between(a, b);
        assert!(fwd.len() > 20, "{}", fwd.len());
        assert_eq!(fwd, back);
    }

    #[test]
    fn stays_within_the_amplitude_and_moves_forward() {
        let (a, b) = (Coord { x: 109.7, y: 28.3 }, Coord { x: 109.71, y: 28.3 });
        let pts = w().between(a, b);
        let len = (b.x - a.x) * 28.3_f64.to_radians().cos() * M_PER_DEG;
        for p in &pts {
            let off = (p.y - a.y) * M_PER_DEG;
            assert!(
                off.abs() <= 0.07 * len + 0.12 * w().spacing_m + 0.01,
                "{off}"
            );
        }
        // Mostly monotone along the edge (jitter may swap neighbours by a little).
        assert!(pts.windows(2).filter(|p| p[1].x < p[0].x).count() <= pts.len() / 10);
        assert!(pts
            .iter()
            .any(|p| (p.y - a.y).abs() * M_PER_DEG > 0.01 * len));
    }

    #[test]
    fn short_and_degenerate_edges_stay_straight() {
        let a = Coord { x: 109.7, y: 28.3 };
        assert!(w().between(a, a).is_empty());
        assert!(w()
            .between(
                a,
                Coord {
                    x: 109.700_1,
                    y: 28.3
                }
            )
            .is_empty());
        assert!(w()
            .between(
                a,
                Coord {
                    x: f64::NAN,
                    y: 28.3
                }
            )
            .is_empty());
    }
}
