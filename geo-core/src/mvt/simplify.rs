//! Rounding to integer tile units and simplification there: vertices that land on the same
//! unit merge, back-and-forth spikes go, then Douglas-Peucker with a tolerance in tile units
//! (so the simplification scales with zoom by construction).

use super::clip::Pt;

/// An integer position in tile units.
pub(crate) type IPt = [i32; 2];

/// Rounds `pts` into `out`, dropping consecutive duplicates.
pub(crate) fn quantize(pts: &[Pt], out: &mut Vec<IPt>) {
    out.clear();
    for &(x, y) in pts {
        // Inputs are clipped to the buffered square or checked finite, so `as` never saturates.
        let p = [x.round() as i32, y.round() as i32];
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
}

/// Removes A-B-A spikes in a ring (no closing duplicate) and the wrap-around duplicates,
/// so that the ring has no zero-width appendages.
pub(crate) fn clean_ring(ring: &mut Vec<IPt>) {
    let mut kept = 0;
    for i in 0..ring.len() {
        let p = ring[i];
        if kept > 0 && ring[kept - 1] == p {
            continue;
        }
        if kept > 1 && ring[kept - 2] == p {
            kept -= 1;
            continue;
        }
        ring[kept] = p;
        kept += 1;
    }
    ring.truncate(kept);
    // Now fix the seam between the last and the first vertex.
    loop {
        let n = ring.len();
        // A closing duplicate, or a spike at the last vertex (its neighbours are equal).
        if (n >= 2 && ring[0] == ring[n - 1]) || (n >= 3 && ring[n - 2] == ring[0]) {
            ring.pop();
        } else if n >= 3 && ring[1] == ring[n - 1] {
            ring.remove(0);
        } else {
            break;
        }
    }
}

/// A vertex Douglas-Peucker can measure: integer tile units or fractional ones.
pub(crate) trait Vertex: Copy {
    /// The position as floats.
    fn xy(self) -> (f64, f64);
}

impl Vertex for IPt {
    #[inline]
    fn xy(self) -> (f64, f64) {
        (f64::from(self[0]), f64::from(self[1]))
    }
}

impl Vertex for Pt {
    #[inline]
    fn xy(self) -> (f64, f64) {
        self
    }
}

/// Douglas-Peucker on an open polyline in place: keeps the ends and every vertex farther than
/// `tolerance` from the chord of its span. `keep` and `stack` are scratch.
pub(crate) fn douglas_peucker<V: Vertex>(
    pts: &mut Vec<V>,
    tolerance: f64,
    keep: &mut Vec<bool>,
    stack: &mut Vec<(usize, usize)>,
) {
    let n = pts.len();
    if n < 3 || tolerance <= 0.0 {
        return;
    }
    let tol2 = tolerance * tolerance;
    keep.clear();
    keep.resize(n, false);
    keep[0] = true;
    keep[n - 1] = true;
    stack.clear();
    stack.push((0, n - 1));
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (pa, pb) = (pts[a].xy(), pts[b].xy());
        let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
        let len2 = dx * dx + dy * dy;
        let scale = if len2 == 0.0 { 1.0 } else { len2 };
        let (mut best, mut best_d) = (0, -1.0);
        for (off, p) in pts[a + 1..b].iter().enumerate() {
            let d = scaled_dist2(p.xy(), pa, pb, dx, dy, len2);
            if d > best_d {
                best = a + 1 + off;
                best_d = d;
            }
        }
        // `scaled_dist2` is the squared distance times `scale` (no division in the loop).
        if best_d > tol2 * scale {
            keep[best] = true;
            stack.push((a, best));
            stack.push((best, b));
        }
    }
    let mut k = 0;
    for i in 0..n {
        if keep[i] {
            pts[k] = pts[i];
            k += 1;
        }
    }
    pts.truncate(k);
}

/// Squared distance from `p` to segment `a..b`, times `len2 = |b - a|^2` (times 1 when the
/// segment is a point): the perpendicular case needs no division that way.
#[inline]
fn scaled_dist2(p: (f64, f64), a: (f64, f64), b: (f64, f64), dx: f64, dy: f64, len2: f64) -> f64 {
    let (ax, ay) = (p.0 - a.0, p.1 - a.1);
    let dot = ax * dx + ay * dy;
    if len2 == 0.0 {
        return ax * ax + ay * ay;
    }
    if dot <= 0.0 {
        return (ax * ax + ay * ay) * len2;
    }
    if dot >= len2 {
        let (bx, by) = (p.0 - b.0, p.1 - b.1);
        return (bx * bx + by * by) * len2;
    }
    let cross = ax * dy - ay * dx;
    cross * cross
}

#[cfg(test)]
/// Squared distance from `p` to segment `a..b` (to `a` when the segment is a point).
fn seg_dist2(p: IPt, a: IPt, b: IPt) -> f64 {
    let (px, py) = p.xy();
    let (ax, ay) = a.xy();
    let (dx, dy) = (f64::from(b[0]) - ax, f64::from(b[1]) - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
    };
    let (ex, ey) = (t * dx + ax - px, t * dy + ay - py);
    ex * ex + ey * ey
}

/// Twice the signed area by the surveyor's formula, exact in integers (positive = exterior
/// in MVT 2.1: clockwise on screen, where y points down).
pub(crate) fn ring_area2(ring: &[IPt]) -> i64 {
    let Some(&last) = ring.last() else {
        return 0;
    };
    let mut prev = last;
    let mut s = 0i64;
    for &p in ring {
        s += i64::from(prev[0]) * i64::from(p[1]) - i64::from(p[0]) * i64::from(prev[1]);
        prev = p;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn spikes_and_seams_are_removed() {
        let mut r = vec![[0, 0], [10, 0], [20, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
        clean_ring(&mut r);
        assert_eq!(r, vec![[0, 0], [10, 0], [10, 10], [0, 10]]);
        let mut line = vec![[5, 5], [6, 5], [5, 5]];
        clean_ring(&mut line);
        assert!(line.len() < 3, "{line:?}");
    }

    /// Every dropped vertex is within the tolerance of the simplified line (brute force).
    #[test]
    fn douglas_peucker_stays_within_tolerance() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (mut keep, mut stack) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let orig: Vec<IPt> = (0..rng.random_range(2..40))
                .map(|_| [rng.random_range(0..60), rng.random_range(0..60)])
                .collect();
            let tol = rng.random_range(0.5..5.0);
            let mut s = orig.clone();
            douglas_peucker(&mut s, tol, &mut keep, &mut stack);
            assert_eq!(s.first(), orig.first());
            assert_eq!(s.last(), orig.last());
            for p in &orig {
                let d = s
                    .windows(2)
                    .map(|w| seg_dist2(*p, w[0], w[1]))
                    .fold(f64::INFINITY, f64::min);
                assert!(s.len() == 1 || d <= tol * tol + 1e-9, "{p:?} {d} {tol}");
            }
        }
    }

    #[test]
    fn area_sign_follows_the_surveyor_formula() {
        // Clockwise on screen (y down): right along the top, down the right side.
        assert_eq!(ring_area2(&[[0, 0], [10, 0], [10, 10], [0, 10]]), 200);
        assert_eq!(ring_area2(&[[0, 0], [0, 10], [10, 10], [10, 0]]), -200);
    }
}
