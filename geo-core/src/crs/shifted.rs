//! GCJ-02 and BD-09, the shifted lon/lat of Chinese web maps, through the `coordtransform`
//! crate, with its approximate inverses made exact.
//!
//! The shifts are published only as forward formulas (WGS 84 -> GCJ-02 -> BD-09). The
//! usual inverse, which the crate also implements, evaluates the offset at the shifted
//! point instead of the unknown original; the offset changes by a few metres per kilometre,
//! so that leaves 1-4 m of error, too much for a camera or a parcel corner. Both offsets
//! vary slowly (their derivative is at most ~1e-2 of the position, typically 3e-3), so the
//! fixed-point iteration `w <- w - (forward(w) - target)` shrinks the error at least a
//! hundredfold per step: two steps from the published inverse usually reach well under a
//! millimetre. Each step costs one forward evaluation (~150 ns), so the loop stops on the
//! size of the step just taken rather than spending another evaluation to confirm.

use coordtransform::{bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02};
use geo_types::Coord;

/// Stop refining after a step smaller than this, in degrees (1e-7° is 1.1 cm): the error
/// left is at most the offset's derivative (< 2e-2 for BD-09, < 1e-2 for GCJ-02) times
/// the step, so under 0.25 mm.
const STEP_DEG: f64 = 1e-7;
/// A bound on the refinement; it converges in 2-3 steps inside China. Outside the GCJ-02
/// area the forward shift is the identity and the first step is zero.
const MAX_STEPS: usize = 8;

/// WGS 84 (and CGCS2000) lon/lat -> GCJ-02.
pub(super) fn wgs_to_gcj(c: Coord<f64>) -> Coord<f64> {
    let (x, y) = wgs84_to_gcj02(c.x, c.y);
    Coord { x, y }
}

/// GCJ-02 -> WGS 84 lon/lat, to well under a millimetre.
pub(super) fn gcj_to_wgs(g: Coord<f64>) -> Coord<f64> {
    let (x, y) = gcj02_to_wgs84(g.x, g.y);
    refine(Coord { x, y }, g, wgs_to_gcj)
}

/// GCJ-02 -> BD-09.
pub(super) fn gcj_to_bd(c: Coord<f64>) -> Coord<f64> {
    let (x, y) = gcj02_to_bd09(c.x, c.y);
    Coord { x, y }
}

/// BD-09 -> GCJ-02, to well under a millimetre (the crate's inverse is off by up to ~1 m).
pub(super) fn bd_to_gcj(b: Coord<f64>) -> Coord<f64> {
    let (x, y) = bd09_to_gcj02(b.x, b.y);
    refine(Coord { x, y }, b, gcj_to_bd)
}

/// WGS 84 lon/lat -> BD-09.
pub(super) fn wgs_to_bd(c: Coord<f64>) -> Coord<f64> {
    gcj_to_bd(wgs_to_gcj(c))
}

/// BD-09 -> WGS 84 lon/lat.
pub(super) fn bd_to_wgs(b: Coord<f64>) -> Coord<f64> {
    gcj_to_wgs(bd_to_gcj(b))
}

/// Solves `forward(w) = target` by fixed-point iteration from the estimate `w`.
fn refine(
    mut w: Coord<f64>,
    target: Coord<f64>,
    forward: fn(Coord<f64>) -> Coord<f64>,
) -> Coord<f64> {
    for _ in 0..MAX_STEPS {
        let f = forward(w);
        let (dx, dy) = (f.x - target.x, f.y - target.y);
        w.x -= dx;
        w.y -= dy;
        if dx.abs() < STEP_DEG && dy.abs() < STEP_DEG {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two nearby lon/lat points (equirectangular is plenty at this scale).
    fn metres(a: Coord<f64>, b: Coord<f64>) -> f64 {
        let k = 111_320.0;
        let dx = (a.x - b.x) * k * a.y.to_radians().cos();
        let dy = (a.y - b.y) * k;
        dx.hypot(dy)
    }

    #[test]
    fn the_published_test_vector() {
        let wgs = Coord {
            x: 116.42079,
            y: 39.90105,
        };
        let gcj = Coord {
            x: 116.42703,
            y: 39.90245,
        };
        assert!(metres(wgs_to_gcj(wgs), gcj) < 1.0, "{:?}", wgs_to_gcj(wgs));
        assert!(metres(gcj_to_wgs(gcj), wgs) < 1.0, "{:?}", gcj_to_wgs(gcj));
    }

    #[test]
    fn the_inverses_are_exact_where_the_published_ones_are_not() {
        let mut worst_published = 0.0_f64;
        for i in 0..400 {
            let c = Coord {
                x: 74.0 + f64::from(i % 20) * 3.0 + 0.123,
                y: 19.0 + f64::from(i / 20) * 1.7 + 0.077,
            };
            let g = wgs_to_gcj(c);
            assert!(metres(gcj_to_wgs(g), c) < 1e-3, "{c:?}");
            let (px, py) = gcj02_to_wgs84(g.x, g.y);
            worst_published = worst_published.max(metres(Coord { x: px, y: py }, c));
            let b = wgs_to_bd(c);
            assert!(metres(bd_to_wgs(b), c) < 1e-3, "{c:?}");
            assert!(metres(bd_to_gcj(gcj_to_bd(g)), g) < 1e-3, "{c:?}");
        }
        // The refinement is worth having: the published inverse is off by metres.
        assert!(worst_published > 0.5, "{worst_published}");
    }

    #[test]
    fn the_inverses_stay_under_a_millimetre_all_over_china() {
        // A 0.1° grid over the whole GCJ-02 area: the worst forward residual of the
        // refined inverses, which is what the step-size stop relies on.
        let (mut worst_gcj, mut worst_bd) = (0.0_f64, 0.0_f64);
        for i in 0..=610 {
            for j in 0..=496 {
                let g = Coord {
                    x: 73.0 + f64::from(i) * 0.1,
                    y: 4.0 + f64::from(j) * 0.1,
                };
                worst_gcj = worst_gcj.max(metres(wgs_to_gcj(gcj_to_wgs(g)), g));
                worst_bd = worst_bd.max(metres(gcj_to_bd(bd_to_gcj(g)), g));
            }
        }
        eprintln!("worst residual over the grid: gcj {worst_gcj:.2e} m, bd {worst_bd:.2e} m");
        assert!(
            worst_gcj < 1e-3 && worst_bd < 1e-3,
            "{worst_gcj} {worst_bd}"
        );
    }

    #[test]
    fn outside_china_nothing_moves() {
        let c = Coord { x: 2.35, y: 48.85 };
        assert_eq!(wgs_to_gcj(c), c);
        assert_eq!(gcj_to_wgs(c), c);
    }
}
