//! Clipping lines to the buffered tile square in tile units with Liang-Barsky: a line that
//! leaves and re-enters the square becomes several pieces. (Polygons are clipped with geo's
//! boolean operations in `shape`: Sutherland-Hodgman leaves zero-width bridges along the
//! border, which makes rings self-intersect.)

/// A position in tile units, before rounding.
pub(crate) type Pt = (f64, f64);

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
                pieces.push(p.to_vec())
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
