//! Ring and polygon structure: `invalid_ring` and `self_intersection`.
//!
//! The rules are OGC simple features as GEOS (shapely's `is_valid`) applies them, so that a
//! verdict here matches what GIS staff see in QGIS or shapely:
//! - a ring has at least 3 distinct positions, finite coordinates and some area;
//! - a ring neither crosses nor touches itself (a pinch where the ring passes twice through
//!   one point is GEOS's "Ring Self-intersection"), nor doubles back on itself (a spike);
//! - rings of one polygon do not cross and touch at most at single points, and no two of
//!   them touch twice (that would cut the interior apart);
//! - holes lie inside their shell and not inside one another, parts of a multipolygon do
//!   not overlap, share an edge or lie inside one another.
//!
//! geo's `Validation` is not used for the ring test: it lets a ring touch itself at a
//! vertex (the pinch GEOS rejects) and compares every pair of segments (quadratic in the
//! vertex count). A sweep over the segments (`geo::algorithm::sweep`) finds each crossing
//! in about n log n and tells where it is.
//!
//! Orientation is not checked: Shapefiles wind shells clockwise, `GeoJSON` counter-clockwise,
//! and the winding carries no information once shells and holes are known, so the loader
//! normalises it silently ([`super::normalise_orientation`]).
//!
//! An unclosed ring cannot reach [`super::check_areas`] (`geo_types::Polygon` closes every
//! ring it is given): readers check the file's raw rings with [`check_raw_rings`].

use std::collections::HashMap;

use geo::algorithm::sweep::{Cross, Intersections};
use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{BoundingRect, Intersects, LineIntersection};
use geo_types::{Coord, Line, LineString, MultiPolygon, Point, Polygon};

use super::{Check, Finding, Repair, Severity};

/// One segment of a ring, with where it belongs.
#[derive(Debug, Clone, Copy)]
struct Seg {
    line: Line<f64>,
    part: usize,
    ring: usize,
    pos: usize,
    /// Segments in its ring.
    n: usize,
}

impl Cross for Seg {
    type Scalar = f64;
    fn line(&self) -> Line<f64> {
        self.line
    }
}

/// A ring's name in messages, 1-based for people.
fn role(parts: usize, part: usize, ring: usize) -> String {
    let r = if ring == 0 {
        "outer ring".to_owned()
    } else {
        format!("hole {ring}")
    };
    if parts > 1 {
        format!("part {}'s {r}", part + 1)
    } else {
        r
    }
}

/// The ring without repeated consecutive positions (GEOS ignores them too).
fn dedup(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut v: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for &c in &ring.0 {
        if v.last() != Some(&c) {
            v.push(c);
        }
    }
    v
}

/// Whether every position lies on one line (the ring encloses nothing).
fn collinear(pts: &[Coord<f64>]) -> bool {
    let Some(&a) = pts.first() else {
        return true;
    };
    let Some(&b) = pts.iter().find(|&&c| c != a) else {
        return true;
    };
    pts.iter()
        .all(|&c| RobustKernel::orient2d(a, b, c) == Orientation::Collinear)
}

/// Why a ring cannot be used at all, if it cannot.
fn ring_problem(pts: &[Coord<f64>]) -> Option<(String, Option<Coord<f64>>)> {
    let finite = |c: &Coord<f64>| c.x.is_finite() && c.y.is_finite();
    if let Some(bad) = pts.iter().position(|c| !finite(c)) {
        let near = pts.iter().copied().find(finite);
        return Some((
            format!("has a non-finite coordinate (NaN or infinity) at position {bad}"),
            near,
        ));
    }
    // Closed, so n positions hold n - 1 distinct ones at most.
    if pts.len() < 4 {
        return Some((
            format!(
                "has {} distinct positions; a ring needs at least 3",
                pts.len().saturating_sub(1)
            ),
            pts.first().copied(),
        ));
    }
    if collinear(pts) {
        return Some((
            "encloses no area (all its positions lie on one line)".to_owned(),
            pts.first().copied(),
        ));
    }
    None
}

/// The kinds of self-intersection, most serious first (the finding names the first found).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    RingCrosses,
    RingsCross,
    PartsOverlap,
    OnALine,
    Spike,
    RingTouches,
    Disconnected,
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    kind: Kind,
    at: Coord<f64>,
    a: (usize, usize),
    b: (usize, usize),
}

fn hit_message(h: &Hit, parts: usize) -> String {
    let ra = role(parts, h.a.0, h.a.1);
    let rb = role(parts, h.b.0, h.b.1);
    match h.kind {
        Kind::RingCrosses => format!("the {ra} crosses itself"),
        Kind::RingTouches => {
            format!("the {ra} touches itself (a pinch: the ring passes twice through one point)")
        }
        Kind::Spike => format!("the {ra} doubles back on itself (a spike of no width)"),
        Kind::RingsCross => format!("the {ra} and the {rb} cross"),
        Kind::PartsOverlap => format!("parts {} and {} overlap", h.a.0 + 1, h.b.0 + 1),
        Kind::OnALine if h.a.0 != h.b.0 => {
            format!("parts {} and {} share an edge", h.a.0 + 1, h.b.0 + 1)
        }
        Kind::OnALine => format!("the {ra} and the {rb} touch along a line"),
        Kind::Disconnected => format!(
            "the {ra} and the {rb} touch at two points or more, which cuts the polygon apart"
        ),
    }
}

/// Every place where the rings of `rings` (good rings only) cross or touch illegally.
fn sweep(rings: &[(usize, usize, Vec<Coord<f64>>)]) -> Vec<Hit> {
    let mut segs = Vec::new();
    for (part, ring, pts) in rings {
        let n = pts.len() - 1;
        for (pos, w) in pts.windows(2).enumerate() {
            segs.push(Seg {
                line: Line::new(w[0], w[1]),
                part: *part,
                ring: *ring,
                pos,
                n,
            });
        }
    }
    let mut hits = Vec::new();
    // Points where two different rings of one polygon touch: twice cuts the interior.
    let mut touches: HashMap<(usize, usize, usize), Vec<Coord<f64>>> = HashMap::new();
    for (a, b, li) in segs.iter().collect::<Intersections<_>>() {
        let same_ring = a.part == b.part && a.ring == b.ring;
        let d = a.pos.abs_diff(b.pos);
        let adjacent = same_ring && (d == 1 || d + 1 == a.n);
        let (ra, rb) = ((a.part, a.ring), (b.part, b.ring));
        let hit = |kind, at| Hit {
            kind,
            at,
            a: ra.min(rb),
            b: ra.max(rb),
        };
        match li {
            LineIntersection::SinglePoint {
                intersection,
                is_proper,
            } => {
                if adjacent {
                    // Consecutive segments meet at their shared vertex: that is the ring.
                    continue;
                }
                if same_ring {
                    let kind = if is_proper {
                        Kind::RingCrosses
                    } else {
                        Kind::RingTouches
                    };
                    hits.push(hit(kind, intersection));
                } else if a.part == b.part {
                    if is_proper {
                        hits.push(hit(Kind::RingsCross, intersection));
                    } else {
                        let (r1, r2) = (a.ring.min(b.ring), a.ring.max(b.ring));
                        let pts = touches.entry((a.part, r1, r2)).or_default();
                        if !pts.contains(&intersection) {
                            pts.push(intersection);
                        }
                    }
                } else if is_proper {
                    hits.push(hit(Kind::PartsOverlap, intersection));
                }
                // Parts touching at a point are allowed.
            }
            LineIntersection::Collinear { intersection } => {
                if adjacent {
                    // A spike: the shared vertex is its tip; report its base, where the ring
                    // comes back to itself (GEOS's "Ring Self-intersection" point).
                    let (al, bl) = (a.line, b.line);
                    let tip = if al.end == bl.start || al.end == bl.end {
                        al.end
                    } else {
                        al.start
                    };
                    let base = if intersection.start == tip {
                        intersection.end
                    } else {
                        intersection.start
                    };
                    hits.push(hit(Kind::Spike, base));
                } else {
                    hits.push(hit(Kind::OnALine, intersection.start));
                }
            }
        }
    }
    for ((part, r1, r2), pts) in touches {
        if pts.len() >= 2 {
            if let Some(&at) = pts
                .iter()
                .min_by(|p, q| p.x.total_cmp(&q.x).then(p.y.total_cmp(&q.y)))
            {
                hits.push(Hit {
                    kind: Kind::Disconnected,
                    at,
                    a: (part, r1),
                    b: (part, r2),
                });
            }
        }
    }
    hits
}

/// A vertex of `ring` that is not on `poly`'s boundary, and where it lies.
fn position_of(ring: &[Coord<f64>], poly: &Polygon<f64>) -> Option<(CoordPos, Coord<f64>)> {
    ring.iter()
        .map(|c| (poly.coordinate_position(c), *c))
        .find(|(p, _)| *p != CoordPos::OnBoundary)
}

/// Holes outside their shell, holes in holes, parts inside parts (only meaningful when no
/// rings cross, which the caller has established).
fn nesting(
    rings: &[(usize, usize, Vec<Coord<f64>>)],
    parts: usize,
) -> Option<(String, Coord<f64>)> {
    let shell = |part: usize| {
        rings
            .iter()
            .find(|(p, r, _)| *p == part && *r == 0)
            .map(|(_, _, pts)| Polygon::new(LineString(pts.clone()), vec![]))
    };
    for part in 0..parts {
        let holes: Vec<_> = rings
            .iter()
            .filter(|(p, r, _)| *p == part && *r > 0)
            .collect();
        if holes.is_empty() {
            continue;
        }
        let Some(outer) = shell(part) else { continue };
        for (_, r, pts) in &holes {
            if let Some((CoordPos::Outside, at)) = position_of(pts, &outer) {
                return Some((
                    format!("the {} lies outside the outer ring", role(parts, part, *r)),
                    at,
                ));
            }
        }
        for (i, (_, r1, p1)) in holes.iter().enumerate() {
            let h1 = Polygon::new(LineString(p1.clone()), vec![]);
            for (_, r2, p2) in holes.iter().skip(i + 1) {
                let h2 = Polygon::new(LineString(p2.clone()), vec![]);
                let inside = |a: &Vec<Coord<f64>>, b: &Polygon<f64>| {
                    matches!(position_of(a, b), Some((CoordPos::Inside, _)))
                };
                if inside(p2, &h1) || inside(p1, &h2) {
                    return Some((
                        format!(
                            "the {} and the {} are nested",
                            role(parts, part, *r1),
                            role(parts, part, *r2)
                        ),
                        p2[0],
                    ));
                }
            }
        }
    }
    if parts > 1 {
        let polys: Vec<Option<Polygon<f64>>> = (0..parts)
            .map(|part| {
                let outer = shell(part)?;
                let holes = rings
                    .iter()
                    .filter(|(p, r, _)| *p == part && *r > 0)
                    .map(|(_, _, pts)| LineString(pts.clone()))
                    .collect();
                Some(Polygon::new(outer.exterior().clone(), holes))
            })
            .collect();
        for (i, a) in polys.iter().enumerate() {
            let Some(a) = a else { continue };
            for (j, b) in polys.iter().enumerate() {
                let Some(b) = b else { continue };
                if i == j {
                    continue;
                }
                let boxes = a.bounding_rect().zip(b.bounding_rect());
                if !boxes.is_some_and(|(x, y)| x.intersects(&y)) {
                    continue;
                }
                if let Some((CoordPos::Inside, at)) = position_of(&b.exterior().0, a) {
                    return Some((format!("part {} lies inside part {}", j + 1, i + 1), at));
                }
            }
        }
    }
    None
}

/// The `invalid_ring` and `self_intersection` findings of one feature (at most one each).
pub(crate) fn check(index: usize, id: &str, mp: &MultiPolygon<f64>) -> Vec<Finding> {
    let parts = mp.0.len();
    let mut out = Vec::new();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (part, poly) in mp.0.iter().enumerate() {
        for (ring, ls) in std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .enumerate()
        {
            let pts = dedup(ls);
            match ring_problem(&pts) {
                Some((why, at)) => bad.push((format!("the {} {why}", role(parts, part, ring)), at)),
                None => good.push((part, ring, pts)),
            }
        }
    }
    let finding = |check, message: String, at: Option<Coord<f64>>| {
        let mut f = Finding::new(check, Severity::Error, message).at_feature(index, Some(id));
        if let Some(c) = at {
            f = f.at(Point::from(c));
        }
        f.repair = Some(Repair::MakeValid);
        f
    };
    if parts == 0 {
        out.push(
            Finding::new(
                Check::Geometry,
                Severity::Error,
                "the feature has no polygon".to_owned(),
            )
            .at_feature(index, Some(id)),
        );
        return out;
    }
    let mut hits = sweep(&good);
    hits.sort_by(|p, q| {
        p.kind
            .cmp(&q.kind)
            .then(p.at.x.total_cmp(&q.at.x))
            .then(p.at.y.total_cmp(&q.at.y))
    });
    if let Some(first) = hits.first() {
        let mut msg = hit_message(first, parts);
        let mut places: Vec<Coord<f64>> = hits.iter().map(|h| h.at).collect();
        places.dedup();
        if places.len() > 1 {
            msg = format!("{msg} ({} places in all)", places.len());
        }
        out.push(finding(Check::SelfIntersection, msg, Some(first.at)));
    } else if let Some((why, at)) = nesting(&good, parts) {
        bad.push((why, Some(at)));
    }
    if let Some((why, at)) = bad.first() {
        let mut msg = why.clone();
        if bad.len() > 1 {
            msg = format!("{msg} (and {} more ring problems)", bad.len() - 1);
        }
        out.push(finding(Check::InvalidRing, msg, *at));
    }
    out
}

/// Checks a file's raw rings, before they become `geo_types` polygons (which close every
/// ring silently): an `invalid_ring` finding for the first ring that is not closed or has
/// fewer than 4 positions. `rings` are in file order (shell, holes, next part...).
#[must_use]
pub fn check_raw_rings<R, P>(index: usize, id: Option<&str>, rings: R) -> Option<Finding>
where
    R: IntoIterator<Item = P>,
    P: IntoIterator<Item = [f64; 2]>,
{
    for (k, ring) in rings.into_iter().enumerate() {
        let pts: Vec<[f64; 2]> = ring.into_iter().collect();
        let (Some(&first), Some(&last)) = (pts.first(), pts.last()) else {
            continue;
        };
        // Closed means the very same position, as GeoJSON and Shapefile require.
        #[allow(clippy::float_cmp)]
        let open = first != last;
        let problem = if open {
            Some(format!(
                "ring {} is not closed: it starts at {},{} and ends at {},{}",
                k + 1,
                first[0],
                first[1],
                last[0],
                last[1]
            ))
        } else if pts.len() < 4 {
            Some(format!(
                "ring {} has {} positions; a closed ring needs at least 4",
                k + 1,
                pts.len()
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            let mut f = Finding::new(Check::InvalidRing, Severity::Error, message);
            f.index = Some(index);
            f.id = id.map(str::to_owned);
            f.repair = Some(Repair::MakeValid);
            if first[0].is_finite() && first[1].is_finite() {
                f = f.at(Point::new(first[0], first[1]));
            }
            return Some(f);
        }
    }
    None
}

/// [`check_raw_rings`] on a `GeoJSON` geometry (polygons and multipolygons; other types
/// have no rings).
#[must_use]
pub fn check_geojson_rings(
    index: usize,
    id: Option<&str>,
    geometry: &geojson::Geometry,
) -> Option<Finding> {
    use geojson::GeometryValue as V;
    let xy = |p: &geojson::Position| {
        let s = p.as_slice();
        [
            s.first().copied().unwrap_or(f64::NAN),
            s.get(1).copied().unwrap_or(f64::NAN),
        ]
    };
    match &geometry.value {
        V::Polygon { coordinates } => {
            check_raw_rings(index, id, coordinates.iter().map(|r| r.iter().map(xy)))
        }
        V::MultiPolygon { coordinates } => check_raw_rings(
            index,
            id,
            coordinates.iter().flatten().map(|r| r.iter().map(xy)),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon};

    fn checks(p: Polygon<f64>) -> Vec<(Check, String)> {
        check(0, "x", &MultiPolygon(vec![p]))
            .into_iter()
            .map(|f| (f.check, f.message))
            .collect()
    }

    #[test]
    fn a_square_is_fine() {
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)];
        assert!(checks(p).is_empty());
    }

    #[test]
    fn bow_tie_at_its_crossing() {
        let p = polygon![(x: 0., y: 0.), (x: 2., y: 2.), (x: 2., y: 0.), (x: 0., y: 2.)];
        let f = check(0, "x", &MultiPolygon(vec![p]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].check, Check::SelfIntersection);
        assert_eq!((f[0].lon, f[0].lat), (Some(1.0), Some(1.0)));
    }

    #[test]
    fn a_pinch_is_a_self_intersection() {
        // Two squares sharing the corner (1,1), drawn as one ring.
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 2.), (x: 1., y: 1.), (x: 0., y: 1.)];
        let f = check(0, "x", &MultiPolygon(vec![p]));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("pinch"), "{}", f[0].message);
        assert_eq!((f[0].lon, f[0].lat), (Some(1.0), Some(1.0)));
    }

    #[test]
    fn holes() {
        let shell = LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]);
        // Touching the shell at one point: valid.
        let touch = LineString::from(vec![(0., 5.), (5., 4.), (5., 6.), (0., 5.)]);
        assert!(checks(Polygon::new(shell.clone(), vec![touch])).is_empty());
        // Along a segment: invalid.
        let along = LineString::from(vec![(0., 4.), (5., 4.), (5., 6.), (0., 6.), (0., 4.)]);
        let f = checks(Polygon::new(shell.clone(), vec![along]));
        assert_eq!(f[0].0, Check::SelfIntersection, "{f:?}");
        assert!(f[0].1.contains("along a line"));
        // Outside.
        let out = LineString::from(vec![(20., 4.), (25., 4.), (25., 6.), (20., 4.)]);
        let f = checks(Polygon::new(shell.clone(), vec![out]));
        assert_eq!(f[0].0, Check::InvalidRing, "{f:?}");
        // Touching the shell twice.
        let twice = LineString::from(vec![(0., 5.), (5., 0.), (6., 5.), (0., 5.)]);
        let f = checks(Polygon::new(shell, vec![twice]));
        assert_eq!(f[0].0, Check::SelfIntersection, "{f:?}");
    }

    #[test]
    fn degenerate_rings() {
        let flat = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 2., y: 2.), (x: 0., y: 0.)];
        let f = checks(flat);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, Check::InvalidRing);
        let short = polygon![(x: 0., y: 0.), (x: 1., y: 1.)];
        assert_eq!(checks(short)[0].0, Check::InvalidRing);
        let nan = polygon![(x: 0., y: 0.), (x: f64::NAN, y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)];
        assert!(checks(nan)[0].1.contains("non-finite"));
    }

    #[test]
    fn parts_sharing_an_edge_or_nested() {
        let a = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)];
        let b = polygon![(x: 1., y: 0.), (x: 2., y: 0.), (x: 2., y: 1.), (x: 1., y: 1.)];
        let f = check(0, "x", &MultiPolygon(vec![a.clone(), b]));
        assert_eq!(f[0].check, Check::SelfIntersection);
        let corner = polygon![(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 2.)];
        assert!(check(0, "x", &MultiPolygon(vec![a.clone(), corner])).is_empty());
        let inner = polygon![(x: 0.2, y: 0.2), (x: 0.4, y: 0.2), (x: 0.4, y: 0.4)];
        assert_eq!(
            check(0, "x", &MultiPolygon(vec![a, inner]))[0].check,
            Check::InvalidRing
        );
    }

    #[test]
    fn raw_rings() {
        let open = [[0., 0.], [1., 0.], [1., 1.], [0., 1.]];
        let f = check_raw_rings(3, Some("g"), [open]).unwrap();
        assert_eq!((f.check, f.index), (Check::InvalidRing, Some(3)));
        assert!(f.message.contains("not closed"));
        let closed = [[0., 0.], [1., 0.], [1., 1.], [0., 0.]];
        assert!(check_raw_rings(0, None, [closed]).is_none());
        assert!(check_raw_rings(0, None, [[[0., 0.], [1., 0.], [0., 0.]]]).is_some());
    }
}
