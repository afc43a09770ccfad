//! Clipping to the buffered tile square in tile units: lines with Liang-Barsky (a line that
//! leaves and re-enters the square becomes several pieces), rings with Sutherland-Hodgman,
//! whose one failure mode, zero-width bridges along the border where a concave ring leaves
//! and re-enters, [`has_border_bridge`] detects so that the caller can fall back to exact
//! boolean operations.

/// A position in tile units, before rounding.
pub(crate) type Pt = (f64, f64);

/// Clips a ring (no closing duplicate) to `[lo, hi]` on both axes into `out`.
///
/// `tmp` is scratch space; both are cleared first. Edges that run along the square's border
/// can appear where a concave ring leaves and re-enters; later cleaning removes the spikes.
pub(crate) fn clip_ring(ring: &[Pt], lo: f64, hi: f64, out: &mut Vec<Pt>, tmp: &mut Vec<Pt>) {
    out.clear();
    out.extend_from_slice(ring);
    // Four half-planes: x >= lo, x <= hi, y >= lo, y <= hi.
    for (axis, bound, keep_above) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)]
    {
        if out.is_empty() {
            return;
        }
        tmp.clear();
        let inside = |p: Pt| {
            let c = if axis == 0 { p.0 } else { p.1 };
            if keep_above {
                c >= bound
            } else {
                c <= bound
            }
        };
        let mut prev = out[out.len() - 1];
        let mut prev_in = inside(prev);
        for &cur in out.iter() {
            let cur_in = inside(cur);
            if cur_in != prev_in {
                tmp.push(intersect(prev, cur, axis, bound));
            }
            if cur_in {
                tmp.push(cur);
            }
            prev = cur;
            prev_in = cur_in;
        }
        std::mem::swap(out, tmp);
    }
}

/// The point of segment `a..b` where coordinate `axis` equals `bound` (the segment crosses it).
#[inline]
fn intersect(a: Pt, b: Pt, axis: usize, bound: f64) -> Pt {
    if axis == 0 {
        let t = (bound - a.0) / (b.0 - a.0);
        (bound, t.mul_add(b.1 - a.1, a.1))
    } else {
        let t = (bound - a.1) / (b.1 - a.1);
        (t.mul_add(b.0 - a.0, a.0), bound)
    }
}

/// Whether a clipped ring runs along the same stretch of a border line twice: the zero-width
/// bridge Sutherland-Hodgman draws between pieces that should be separate polygons.
// Exact float comparison is the point: clipping puts border vertices exactly on `lo`/`hi`.
#[allow(clippy::float_cmp)]
pub(crate) fn has_border_bridge(ring: &[Pt], lo: f64, hi: f64) -> bool {
    // Intervals covered by edges lying on each border line: x = lo, x = hi, y = lo, y = hi.
    let mut lines: [Vec<(f64, f64)>; 4] = Default::default();
    let Some(&last) = ring.last() else {
        return false;
    };
    let mut prev = last;
    for &p in ring {
        let span = |a: f64, b: f64| (a.min(b), a.max(b));
        if prev.0 == p.0 && (p.0 == lo || p.0 == hi) {
            lines[usize::from(p.0 == hi)].push(span(prev.1, p.1));
        } else if prev.1 == p.1 && (p.1 == lo || p.1 == hi) {
            lines[2 + usize::from(p.1 == hi)].push(span(prev.0, p.0));
        }
        prev = p;
    }
    lines.iter_mut().any(|spans| {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        spans.windows(2).any(|w| w[1].0 < w[0].1)
    })
}

/// Clips a polyline to `[lo, hi]` on both axes, calling `piece` for each maximal inside run.
pub(crate) fn clip_line(
    line: &[Pt],
    lo: f64,
    hi: f64,
    piece_buf: &mut Vec<Pt>,
    mut piece: impl FnMut(&[Pt]),
) {
    piece_buf.clear();
    if line.len() == 1 {
        let p = line[0];
        if (lo..=hi).contains(&p.0) && (lo..=hi).contains(&p.1) {
            piece(&[p]);
        }
        return;
    }
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let Some((t0, t1)) = liang_barsky(a, b, lo, hi) else {
            if !piece_buf.is_empty() {
                piece(piece_buf);
                piece_buf.clear();
            }
            continue;
        };
        let at = |t: f64| (t * (b.0 - a.0) + a.0, t * (b.1 - a.1) + a.1);
        if piece_buf.is_empty() || t0 > 0.0 {
            if !piece_buf.is_empty() {
                piece(piece_buf);
                piece_buf.clear();
            }
            piece_buf.push(if t0 > 0.0 { at(t0) } else { a });
        }
        piece_buf.push(if t1 < 1.0 { at(t1) } else { b });
        if t1 < 1.0 {
            piece(piece_buf);
            piece_buf.clear();
        }
    }
    if !piece_buf.is_empty() {
        piece(piece_buf);
        piece_buf.clear();
    }
}

/// Parameter range `[t0, t1]` of segment `a..b` inside the square, if any.
fn liang_barsky(a: Pt, b: Pt, lo: f64, hi: f64) -> Option<(f64, f64)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [
        (-dx, a.0 - lo),
        (dx, hi - a.0),
        (-dy, a.1 - lo),
        (dy, hi - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn area(r: &[Pt]) -> f64 {
        let n = r.len();
        (0..n)
            .map(|i| r[i].0 * r[(i + 1) % n].1 - r[(i + 1) % n].0 * r[i].1)
            .sum::<f64>()
            / 2.0
    }

    #[test]
    fn clipped_square_is_the_intersection() {
        let ring = [(-10.0, -10.0), (50.0, -10.0), (50.0, 50.0), (-10.0, 50.0)];
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        clip_ring(&ring, 0.0, 40.0, &mut out, &mut tmp);
        assert!((area(&out) - 1600.0).abs() < 1e-9, "{out:?}");
        assert!(out
            .iter()
            .all(|p| (0.0..=40.0).contains(&p.0) && (0.0..=40.0).contains(&p.1)));
        assert!(!has_border_bridge(&out, 0.0, 40.0));
    }

    /// An upside-down U whose base lies outside: clipping leaves its two arms, joined by a
    /// bridge along the border; with the base inside, one notched polygon and no bridge.
    #[test]
    fn an_arch_through_the_border_is_detected_as_bridged() {
        let arch = [
            (10.0, -20.0),
            (30.0, -20.0),
            (30.0, 30.0),
            (25.0, 30.0),
            (25.0, -10.0),
            (15.0, -10.0),
            (15.0, 30.0),
            (10.0, 30.0),
        ];
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        clip_ring(&arch, 0.0, 40.0, &mut out, &mut tmp);
        assert!(has_border_bridge(&out, 0.0, 40.0), "{out:?}");
        let inside_base: Vec<Pt> = arch.iter().map(|&(x, y)| (x, y + 25.0)).collect();
        clip_ring(&inside_base, 0.0, 40.0, &mut out, &mut tmp);
        assert!(!has_border_bridge(&out, 0.0, 40.0), "{out:?}");
    }

    /// Random lines: every clipped piece lies in the square and each original vertex inside
    /// the square appears in some piece (brute force over the input).
    #[test]
    fn line_pieces_stay_inside_and_keep_inside_vertices() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..500 {
            let line: Vec<Pt> = (0..rng.random_range(2..12))
                .map(|_| {
                    (
                        rng.random_range(-50.0..150.0),
                        rng.random_range(-50.0..150.0),
                    )
                })
                .collect();
            let mut pieces: Vec<Vec<Pt>> = Vec::new();
            clip_line(&line, 0.0, 100.0, &mut Vec::new(), |p| {
                pieces.push(p.to_vec());
            });
            for p in &pieces {
                assert!(p.len() >= 2);
                for q in p {
                    assert!(
                        (-1e-9..=100.0 + 1e-9).contains(&q.0)
                            && (-1e-9..=100.0 + 1e-9).contains(&q.1)
                    );
                }
            }
            for v in line
                .iter()
                .filter(|v| (0.0..=100.0).contains(&v.0) && (0.0..=100.0).contains(&v.1))
            {
                assert!(pieces.iter().flatten().any(|q| q == v), "{v:?} lost");
            }
        }
    }
}
