//! `sliver`: parts of a feature that are tinier than `min_area_m2` or thinner than
//! `sliver_width_m` — crumbs left by clipping, needles and spikes left by a slipped click.
//!
//! Three tests per polygon part, cheapest first:
//! - its area is under `min_area_m2` (a crumb);
//! - its mean width, twice the area over the perimeter, is under `sliver_width_m` (the whole
//!   part is a strip);
//! - a neck: two boundary segments closer than `sliver_width_m` with the part's interior
//!   between them, far apart along the ring (at least [`NECK_LENGTH`] widths), i.e. a spike
//!   or a thin bridge. The distance along the ring keeps ordinary corners out: two edges
//!   meeting at a vertex are close near it, but only a corner sharper than about 14° stays
//!   narrower than the tolerance for that long, and then it is a needle.
//!
//! Overlap and gap pieces are measured the same way by the topology checks, which say in
//! their own finding when a piece is a thin strip (one finding per problem).

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::InteriorPoint;
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};

use super::measure::{local_for, polygon_area_m2, Local};
use super::{Check, Finding, Severity, Tolerances};

/// How many widths apart along the ring two close segments must be to make a neck.
pub(crate) const NECK_LENGTH: f64 = 8.0;

#[derive(Debug, Clone, Copy)]
struct Seg {
    a: Coord<f64>,
    b: Coord<f64>,
    ring: usize,
    pos: usize,
    n: usize,
    /// Distance along the ring to `a`.
    s: f64,
}

impl Seg {
    fn len(&self) -> f64 {
        (self.b.x - self.a.x).hypot(self.b.y - self.a.y)
    }
}

/// Closest point of segment `a`-`b` to `p`, as (distance, parameter along the segment).
fn point_seg(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.x + t * dx, a.y + t * dy);
    ((p.x - cx).hypot(p.y - cy), t)
}

fn lerp(a: Coord<f64>, b: Coord<f64>, t: f64) -> Coord<f64> {
    Coord {
        x: a.x + t * (b.x - a.x),
        y: a.y + t * (b.y - a.y),
    }
}

/// Candidate closest points of two segments that do not cross: (distance, t on `p`, t on
/// `q`) for each endpoint against the other segment. The minimum distance is among them;
/// for parallel segments all four are, and the caller wants the one farthest along the ring.
fn seg_seg(p: &Seg, q: &Seg) -> [(f64, f64, f64); 4] {
    let (d0, t0) = point_seg(p.a, q.a, q.b);
    let (d1, t1) = point_seg(p.b, q.a, q.b);
    let (d2, t2) = point_seg(q.a, p.a, p.b);
    let (d3, t3) = point_seg(q.b, p.a, p.b);
    [(d0, 0.0, t0), (d1, 1.0, t1), (d2, t2, 0.0), (d3, t3, 1.0)]
}

/// The widest-apart neck of a part narrower than `w` metres: (where, width).
fn neck(poly: &Polygon<f64>, local: &Local, w: f64) -> Option<(Coord<f64>, f64)> {
    let rings: Vec<Vec<Coord<f64>>> = std::iter::once(poly.exterior())
        .chain(poly.interiors())
        .map(|r| {
            let mut v: Vec<Coord<f64>> = Vec::with_capacity(r.0.len());
            for &c in &r.0 {
                let m = local.xy(c);
                if v.last() != Some(&m) {
                    v.push(m);
                }
            }
            v
        })
        .collect();
    let mut segs = Vec::new();
    let mut ring_len = Vec::new();
    for (ring, pts) in rings.iter().enumerate() {
        let n = pts.len().saturating_sub(1);
        let mut s = 0.0;
        for (pos, win) in pts.windows(2).enumerate() {
            let seg = Seg {
                a: win[0],
                b: win[1],
                ring,
                pos,
                n,
                s,
            };
            s += seg.len();
            segs.push(seg);
        }
        ring_len.push(s);
    }
    let min_x = |s: &Seg| s.a.x.min(s.b.x);
    segs.sort_by(|p, q| min_x(p).total_cmp(&min_x(q)));
    let local_poly = Polygon::new(
        LineString(rings[0].clone()),
        rings[1..].iter().map(|r| LineString(r.clone())).collect(),
    );
    let mut best: Option<(f64, Coord<f64>, f64)> = None;
    for (i, p) in segs.iter().enumerate() {
        let p_max_x = p.a.x.max(p.b.x) + w;
        let (p_lo, p_hi) = (p.a.y.min(p.b.y) - w, p.a.y.max(p.b.y) + w);
        for q in &segs[i + 1..] {
            if min_x(q) > p_max_x {
                break;
            }
            if q.a.y.max(q.b.y) < p_lo || q.a.y.min(q.b.y) > p_hi {
                continue;
            }
            let same = p.ring == q.ring;
            let d = p.pos.abs_diff(q.pos);
            if same && (d <= 1 || d + 1 == p.n) {
                continue;
            }
            for (dist, tp, tq) in seg_seg(p, q) {
                if !(dist > 0.0 && dist < w) {
                    continue;
                }
                let sep = if same {
                    let along = (p.s + tp * p.len() - (q.s + tq * q.len())).abs();
                    along.min(ring_len[p.ring] - along)
                } else {
                    f64::INFINITY
                };
                if sep < NECK_LENGTH * w || best.is_some_and(|(b, _, _)| b >= sep) {
                    continue;
                }
                let (cp, cq) = (lerp(p.a, p.b, tp), lerp(q.a, q.b, tq));
                let mid = lerp(cp, cq, 0.5);
                if local_poly.coordinate_position(&mid) == CoordPos::Inside {
                    best = Some((sep, mid, dist));
                }
            }
        }
    }
    best.map(|(_, mid, dist)| (local.lon_lat(mid), dist))
}

/// The `sliver` finding of one feature (its first sliver part; the message counts the rest).
pub(crate) fn check(
    index: usize,
    id: &str,
    mp: &MultiPolygon<f64>,
    tol: &Tolerances,
) -> Option<Finding> {
    let parts = mp.0.len();
    let mut found: Vec<(String, Option<Point<f64>>, Option<f64>)> = Vec::new();
    for (k, poly) in mp.0.iter().enumerate() {
        let Some(local) = local_for(poly) else {
            continue;
        };
        let name = if parts > 1 {
            format!("part {} of the feature", k + 1)
        } else {
            "the feature".to_owned()
        };
        let area = polygon_area_m2(poly);
        let perimeter = local.perimeter(poly);
        let width = if perimeter > 0.0 {
            2.0 * area / perimeter
        } else {
            0.0
        };
        if area < tol.min_area_m2 {
            found.push((
                format!(
                    "{name} is a crumb of {area:.2} m² (under {} m²)",
                    tol.min_area_m2
                ),
                poly.interior_point(),
                Some(area),
            ));
        } else if width < tol.sliver_width_m {
            found.push((
                format!(
                    "{name} is a strip about {width:.2} m wide (under {} m)",
                    tol.sliver_width_m
                ),
                poly.interior_point(),
                Some(area),
            ));
        } else if let Some((at, w)) = neck(poly, &local, tol.sliver_width_m) {
            found.push((
                format!(
                    "{name} has a spike or neck about {w:.2} m wide (under {} m)",
                    tol.sliver_width_m
                ),
                Some(Point::from(at)),
                None,
            ));
        }
    }
    let (mut message, at, area) = found.first().cloned()?;
    if found.len() > 1 {
        message = format!("{message} ({} sliver parts in all)", found.len());
    }
    let mut f = Finding::new(Check::Sliver, Severity::Warning, message).at_feature(index, Some(id));
    if let Some(p) = at {
        f = f.at(p);
    }
    f.area_m2 = area;
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square_with_spike(spike_w_m: f64) -> (MultiPolygon<f64>, Coord<f64>) {
        let l = Local::at(Coord { x: 109.7, y: 28.3 });
        let (dx, dy) = l.degrees(1.0);
        let (x0, y0) = (109.7, 28.3);
        let s = 100.0;
        let hw = spike_w_m / 2.0;
        // A 100 m square with a 30 m spike out of the middle of its east side.
        let p = polygon![
            (x: x0, y: y0),
            (x: x0 + s * dx, y: y0),
            (x: x0 + s * dx, y: y0 + (50.0 - hw) * dy),
            (x: x0 + (s + 30.0) * dx, y: y0 + (50.0 - hw) * dy),
            (x: x0 + (s + 30.0) * dx, y: y0 + (50.0 + hw) * dy),
            (x: x0 + s * dx, y: y0 + (50.0 + hw) * dy),
            (x: x0 + s * dx, y: y0 + s * dy),
            (x: x0, y: y0 + s * dy),
        ];
        (
            MultiPolygon(vec![p]),
            Coord {
                x: x0 + (s + 15.0) * dx,
                y: y0 + 50.0 * dy,
            },
        )
    }

    #[test]
    fn a_half_metre_spike_is_found_inside_it() {
        let (mp, mid) = square_with_spike(0.5);
        let f = check(0, "g", &mp, &Tolerances::default()).unwrap();
        assert!(f.message.contains("spike"), "{}", f.message);
        let l = Local::at(mid);
        let at = l.xy(Coord {
            x: f.lon.unwrap(),
            y: f.lat.unwrap(),
        });
        // Inside the spike: within its half width across, along its 30 m.
        assert!(at.y.abs() < 0.25 && at.x.abs() < 15.0, "{at:?}");
    }

    #[test]
    fn a_two_metre_spike_and_a_plain_square_are_not_slivers() {
        let (mp, _) = square_with_spike(2.0);
        assert!(check(0, "g", &mp, &Tolerances::default()).is_none());
        let sq = polygon![(x: 109.7, y: 28.3), (x: 109.701, y: 28.3), (x: 109.701, y: 28.301), (x: 109.7, y: 28.301)];
        assert!(check(0, "g", &MultiPolygon(vec![sq]), &Tolerances::default()).is_none());
    }

    #[test]
    fn crumbs_and_strips() {
        let crumb = polygon![(x: 109.7, y: 28.3), (x: 109.700_005, y: 28.3), (x: 109.700_005, y: 28.300_005)];
        let f = check(0, "g", &MultiPolygon(vec![crumb]), &Tolerances::default()).unwrap();
        assert!(f.message.contains("crumb"), "{}", f.message);
        let strip = polygon![(x: 109.7, y: 28.3), (x: 109.71, y: 28.3), (x: 109.71, y: 28.300_003), (x: 109.7, y: 28.300_003)];
        let f = check(0, "g", &MultiPolygon(vec![strip]), &Tolerances::default()).unwrap();
        assert!(f.message.contains("strip"), "{}", f.message);
    }
}
