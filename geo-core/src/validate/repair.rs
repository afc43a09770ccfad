//! The repairs onemap applies when asked: make valid, snap, assign overlaps.
//!
//! - **`MakeValid`** rebuilds a polygon the way shapely's `make_valid(method="structure")`
//!   does, keeping all the area the rings enclose: each shell is filled with the non-zero
//!   winding rule (a bow-tie keeps both lobes, a loop over itself its whole extent), holes
//!   likewise, shells less holes, parts unioned. Rings that cannot hold area (too few
//!   points, non-finite coordinates, all on a line) are dropped.
//! - **`Snap`** closes gaps and overlaps thinner than the snapping distance by moving
//!   vertices onto the neighbour's boundary. Who moves is decided by topology, not by file
//!   order: a vertex that already coincides with a vertex of another feature is anchored
//!   and never moves, and features whose boundaries are mostly anchored (they fit their
//!   other neighbours) are settled first; the odd one out (a grid shifted or shrunk as a
//!   whole) then snaps onto them. After its vertices move, the neighbour's vertices within
//!   the distance of its edges are inserted, so it follows the neighbour's boundary.
//! - **`AssignOverlap`** gives each overlapping piece to the neighbour with the longer shared
//!   border: it is subtracted from the feature whose remainder borders it less. A spike
//!   poked into a neighbour goes back to the neighbour; a strip along a shared border goes
//!   to the side it hangs on.

use std::collections::{HashMap, HashSet};

use geo::algorithm::bool_ops::FillRule;
use geo::{BooleanOps, BoundingRect};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon, Rect};

use super::measure::{area_m2, Local};
use super::{rings, Check, Finding, Repairs};

/// A ring filled with the non-zero winding rule, or nothing when it cannot hold area.
/// Coordinates beyond this (degrees or metres) are no place on Earth.
const MAX_ABS: f64 = 1e8;
/// A ring narrower than this (degrees: a tenth of a millimetre) has no area to fill.
const MIN_SPREAD: f64 = 1e-9;

/// Whether the boolean ops can take a shape of this extent: they scale coordinates to
/// fixed point by it, and an absurd or vanishing extent overflows their arithmetic (found
/// by `fuzz/import_fgb`).
pub(crate) fn overlay_safe(bbox: Option<geo_types::Rect<f64>>) -> bool {
    bbox.is_some_and(|b| {
        let far = b
            .min()
            .x
            .abs()
            .max(b.max().x.abs())
            .max(b.min().y.abs())
            .max(b.max().y.abs());
        b.width() >= MIN_SPREAD && b.height() >= MIN_SPREAD && far <= MAX_ABS
    })
}

fn filled(ring: &LineString<f64>) -> Option<MultiPolygon<f64>> {
    // Such a ring is not filled; its feature's finding says why it is refused.
    if !overlay_safe(geo::BoundingRect::bounding_rect(ring)) {
        return None;
    }
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for &c in &ring.0 {
        if c.x.is_finite() && c.y.is_finite() && pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    if pts.len() < 3 {
        return None;
    }
    let p = Polygon::new(LineString(pts), vec![]);
    let m = p.union_with_fill_rule(&MultiPolygon::<f64>(vec![]), FillRule::NonZero);
    (!m.0.is_empty()).then_some(m)
}

/// The polygon rebuilt valid, keeping everything its shells enclose less its holes.
pub(crate) fn make_valid(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let mut out = MultiPolygon(vec![]);
    for poly in &mp.0 {
        let Some(mut shell) = filled(poly.exterior()) else {
            continue;
        };
        for hole in poly.interiors() {
            if let Some(h) = filled(hole) {
                shell = shell.difference(&h);
            }
        }
        out = if out.0.is_empty() {
            shell
        } else {
            out.union_with_fill_rule(&shell, FillRule::NonZero)
        };
    }
    out
}

fn key(c: Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

fn coords(m: &MultiPolygon<f64>) -> impl Iterator<Item = Coord<f64>> + '_ {
    m.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().copied())
}

fn grow(r: Rect<f64>, dx: f64, dy: f64) -> Rect<f64> {
    Rect::new(
        Coord {
            x: r.min().x - dx,
            y: r.min().y - dy,
        },
        Coord {
            x: r.max().x + dx,
            y: r.max().y + dy,
        },
    )
}

fn boxes_meet(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// Closest point of segment `from`-`to` to `p`, its distance and its parameter along the
/// segment (local metres).
fn closest(p: Coord<f64>, from: Coord<f64>, to: Coord<f64>) -> (Coord<f64>, f64, f64) {
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p.x - from.x) * dx + (p.y - from.y) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let foot = Coord {
        x: from.x + t * dx,
        y: from.y + t * dy,
    };
    (foot, (p.x - foot.x).hypot(p.y - foot.y), t)
}

/// The reference a feature snaps to: vertices and segments of its settled partners, in
/// both lon/lat (exact targets) and local metres (distances).
struct Reference {
    local: Local,
    /// (lon/lat, metres)
    vertices: Vec<(Coord<f64>, Coord<f64>)>,
    /// Ends in metres.
    segments: Vec<(Coord<f64>, Coord<f64>)>,
}

impl Reference {
    fn new(local: Local, near: Rect<f64>, partners: &[&MultiPolygon<f64>]) -> Self {
        let mut vertices = Vec::new();
        let mut segments = Vec::new();
        let mut seen = HashSet::new();
        for m in partners {
            for ring in
                m.0.iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            {
                for w in ring.0.windows(2) {
                    let sb = Rect::new(w[0], w[1]);
                    if !boxes_meet(sb, near) {
                        continue;
                    }
                    let (ma, mb) = (local.xy(w[0]), local.xy(w[1]));
                    segments.push((ma, mb));
                    for (c, m) in [(w[0], ma), (w[1], mb)] {
                        if seen.insert(key(c)) {
                            vertices.push((c, m));
                        }
                    }
                }
            }
        }
        Self {
            local,
            vertices,
            segments,
        }
    }

    /// Where vertex `c` goes: the nearest reference vertex within `d` metres, else the
    /// nearest point of a reference segment within `d`; never a point of `own` boundary
    /// (which would fold the feature onto itself).
    fn target(
        &self,
        c: Coord<f64>,
        d: f64,
        own: &[(Coord<f64>, Coord<f64>)],
    ) -> Option<Coord<f64>> {
        let m = self.local.xy(c);
        // Segments of the feature itself, other than the two at this vertex.
        let on_own = |t: Coord<f64>| {
            own.iter()
                .any(|&(a, b)| a != m && b != m && closest(t, a, b).1 < 1e-6)
        };
        let best_vertex = self
            .vertices
            .iter()
            .map(|&(ll, mm)| (ll, mm, (mm.x - m.x).hypot(mm.y - m.y)))
            .filter(|&(_, mm, dist)| dist <= d && !on_own(mm))
            .min_by(|a, b| a.2.total_cmp(&b.2));
        if let Some((ll, _, _)) = best_vertex {
            return Some(ll);
        }
        self.segments
            .iter()
            .map(|&(ma, mb)| closest(m, ma, mb))
            .filter(|&(p, dist, _)| dist <= d && !on_own(p))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(p, _, _)| self.local.lon_lat(p))
    }
}

/// Snaps one ring; returns it with how many vertices moved and were added.
fn snap_ring(
    ring: &LineString<f64>,
    anchored: &dyn Fn(Coord<f64>) -> bool,
    reference: &Reference,
    d: f64,
    own: &[(Coord<f64>, Coord<f64>)],
) -> (Vec<Coord<f64>>, usize, usize) {
    let local = reference.local;
    let mut moved = 0;
    let n = ring.0.len().saturating_sub(1);
    let mut pts: Vec<Coord<f64>> = ring.0[..n]
        .iter()
        .map(|&c| {
            if anchored(c) {
                return c;
            }
            match reference.target(c, d, own) {
                Some(t) if t != c => {
                    moved += 1;
                    t
                }
                _ => c,
            }
        })
        .collect();
    if let Some(&first) = pts.first() {
        pts.push(first);
    }
    // Follow the reference between snapped vertices: insert its vertices near each edge.
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(pts.len());
    let mut added = 0;
    for w in pts.windows(2) {
        out.push(w[0]);
        let (ma, mb) = (local.xy(w[0]), local.xy(w[1]));
        let mut inserts: Vec<(f64, Coord<f64>)> = reference
            .vertices
            .iter()
            .filter(|&&(ll, _)| ll != w[0] && ll != w[1])
            .filter_map(|&(ll, mm)| {
                let (_, dist, t) = closest(mm, ma, mb);
                (dist <= d && t > 0.0 && t < 1.0).then_some((t, ll))
            })
            .collect();
        inserts.sort_by(|a, b| a.0.total_cmp(&b.0));
        added += inserts.len();
        out.extend(inserts.into_iter().map(|(_, c)| c));
    }
    if let Some(&last) = pts.last() {
        out.push(last);
    }
    out.dedup();
    (out, moved, added)
}

/// Features that share a gap or an overlap, each with the others it shares one with.
fn partners(
    geoms: &[MultiPolygon<f64>],
    findings: &[Finding],
    d: f64,
) -> HashMap<usize, HashSet<usize>> {
    let boxes: Vec<Option<Rect<f64>>> = geoms.iter().map(BoundingRect::bounding_rect).collect();
    let mut partners: HashMap<usize, HashSet<usize>> = HashMap::new();
    let mut link = |a: usize, b: usize| {
        if a != b && a < geoms.len() && b < geoms.len() {
            partners.entry(a).or_default().insert(b);
            partners.entry(b).or_default().insert(a);
        }
    };
    for f in findings {
        match (f.check, f.index, f.other_index) {
            (Check::Overlap, Some(a), Some(b)) => link(a, b),
            (Check::Gap, _, _) => {
                let Some(Geometry::MultiPolygon(piece)) = &f.geometry else {
                    continue;
                };
                let Some(pb) = piece.bounding_rect() else {
                    continue;
                };
                let (dx, dy) = Local::around(pb).degrees(d);
                let near = grow(pb, dx, dy);
                let around: Vec<usize> = boxes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.is_some_and(|b| boxes_meet(b, near)))
                    .map(|(k, _)| k)
                    .collect();
                for (i, &a) in around.iter().enumerate() {
                    for &b in &around[i + 1..] {
                        link(a, b);
                    }
                }
            }
            _ => {}
        }
    }
    partners
}

/// Snaps feature `geom` onto `refs` (see the module doc): the new shape and what was done,
/// or `None` when nothing moved.
fn snap_one(
    geom: &MultiPolygon<f64>,
    refs: &[&MultiPolygon<f64>],
    anchored: &dyn Fn(Coord<f64>) -> bool,
    d: f64,
) -> Option<(MultiPolygon<f64>, String)> {
    let bb = geom.bounding_rect()?;
    let local = Local::around(bb);
    let (dx, dy) = local.degrees(d);
    let reference = Reference::new(local, grow(bb, dx, dy), refs);
    let own: Vec<(Coord<f64>, Coord<f64>)> = geom
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| {
            r.0.windows(2)
                .map(|w| (local.xy(w[0]), local.xy(w[1])))
                .collect::<Vec<_>>()
        })
        .collect();
    let (mut moved, mut added) = (0, 0);
    let mut polys = Vec::new();
    for p in &geom.0 {
        let mut rings_out = Vec::new();
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            let (r, m, a) = snap_ring(ring, anchored, &reference, d, &own);
            moved += m;
            added += a;
            rings_out.push(LineString(r));
        }
        let mut it = rings_out.into_iter();
        if let Some(shell) = it.next() {
            polys.push(Polygon::new(shell, it.collect()));
        }
    }
    if moved + added == 0 {
        return None;
    }
    let snapped = MultiPolygon(polys);
    // Snapping can fold a ring onto itself where the neighbour is thinner than the distance.
    let (snapped, note) = if rings::check(0, "", &snapped).is_empty() {
        (snapped, "")
    } else {
        (make_valid(&snapped), " (then made valid)")
    };
    Some((
        snapped,
        format!("to its neighbours within {d} m: {moved} vertices moved, {added} added{note}"),
    ))
}

/// Snaps the features involved in gap and overlap findings (see the module doc).
fn snap(geoms: &mut [MultiPolygon<f64>], findings: &[Finding], d: f64) -> Vec<String> {
    let partners = partners(geoms, findings, d);
    if partners.is_empty() {
        return Vec::new();
    }
    // A vertex shared with another feature is anchored.
    let mut count: HashMap<(u64, u64), u32> = HashMap::new();
    for g in geoms.iter() {
        let own: HashSet<(u64, u64)> = coords(g).map(key).collect();
        for k in own {
            *count.entry(k).or_default() += 1;
        }
    }
    let anchored = |c: Coord<f64>| count.get(&key(c)).is_some_and(|&n| n >= 2);
    let fixedness = |g: &MultiPolygon<f64>| {
        let (mut fixed, mut all) = (0u32, 0u32);
        for c in coords(g) {
            all += 1;
            fixed += u32::from(anchored(c));
        }
        if all == 0 {
            0.0
        } else {
            f64::from(fixed) / f64::from(all)
        }
    };
    let mut order: Vec<(f64, usize)> = partners
        .keys()
        .map(|&k| (fixedness(&geoms[k]), k))
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut settled: HashSet<usize> = HashSet::new();
    let mut lines = Vec::new();
    for (_, k) in order {
        let refs: Vec<&MultiPolygon<f64>> = partners[&k]
            .iter()
            .filter(|p| settled.contains(p))
            .map(|&p| &geoms[p])
            .collect();
        settled.insert(k);
        if refs.is_empty() {
            continue;
        }
        if let Some((snapped, what)) = snap_one(&geoms[k], &refs, &anchored, d) {
            geoms[k] = snapped;
            lines.push(format!("snapped feature {k} {what}"));
        }
    }
    lines
}

/// Length (m) of the part of `piece`'s boundary that lies on `g`'s boundary.
fn border_on(piece: &MultiPolygon<f64>, g: &MultiPolygon<f64>, local: &Local) -> f64 {
    let segs: Vec<(Coord<f64>, Coord<f64>)> =
        g.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| {
                r.0.windows(2)
                    .map(|w| (local.xy(w[0]), local.xy(w[1])))
                    .collect::<Vec<_>>()
            })
            .collect();
    let mut len = 0.0;
    for ring in piece
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
    {
        for w in ring.0.windows(2) {
            let (a, b) = (local.xy(w[0]), local.xy(w[1]));
            let mid = Coord {
                x: f64::midpoint(a.x, b.x),
                y: f64::midpoint(a.y, b.y),
            };
            // Overlay output is rounded to its grid: a millimetre is "on".
            if segs.iter().any(|&(p, q)| closest(mid, p, q).1 < 1e-3) {
                len += (b.x - a.x).hypot(b.y - a.y);
            }
        }
    }
    len
}

/// Gives each overlap to the neighbour with the longer shared border.
fn assign_overlaps(geoms: &mut [MultiPolygon<f64>], findings: &[Finding]) -> Vec<String> {
    let mut lines = Vec::new();
    for f in findings {
        let (Check::Overlap, Some(i), Some(j)) = (f.check, f.index, f.other_index) else {
            continue;
        };
        if i >= geoms.len() || j >= geoms.len() || i == j {
            continue;
        }
        let piece = geoms[i].intersection(&geoms[j]);
        let area = area_m2(&piece);
        if area <= 0.0 {
            continue;
        }
        let Some(bb) = piece.bounding_rect() else {
            continue;
        };
        let local = Local::around(bb);
        // Piece edges on i's boundary face j's remainder, and the other way round.
        let with_j = border_on(&piece, &geoms[i], &local);
        let with_i = border_on(&piece, &geoms[j], &local);
        let (loser, winner) = if with_j >= with_i { (i, j) } else { (j, i) };
        geoms[loser] = geoms[loser].difference(&piece);
        lines.push(format!(
            "gave the {area:.1} m² overlap of features {i} and {j} to feature {winner} (shared border {:.1} m against {:.1} m)",
            with_j.max(with_i),
            with_j.min(with_i)
        ));
    }
    lines
}

/// Applies the repairs asked for (make valid, then snap, then assign what overlaps remain).
pub(crate) fn apply(
    geoms: &mut [MultiPolygon<f64>],
    findings: &[Finding],
    repairs: &Repairs,
) -> Vec<String> {
    let mut lines = Vec::new();
    if repairs.make_valid {
        let mut done = HashSet::new();
        for f in findings {
            if !matches!(f.check, Check::InvalidRing | Check::SelfIntersection) {
                continue;
            }
            let Some(k) = f.index.filter(|&k| k < geoms.len()) else {
                continue;
            };
            if !done.insert(k) {
                continue;
            }
            if rings::check(k, "", &geoms[k]).is_empty() {
                // An unclosed ring of the file: reading it into a polygon closed it already.
                lines.push(format!(
                    "feature {k}: nothing to rebuild (its rings were closed as the file was read)"
                ));
                continue;
            }
            let before = area_m2(&geoms[k]);
            geoms[k] = make_valid(&geoms[k]);
            lines.push(format!(
                "made feature {k} valid: {} parts, {:.0} m² (was {before:.0} m² as drawn)",
                geoms[k].0.len(),
                area_m2(&geoms[k])
            ));
        }
    }
    if let Some(d) = repairs.snap_m.filter(|d| *d > 0.0) {
        lines.extend(snap(geoms, findings, d));
    }
    if repairs.assign_overlaps {
        lines.extend(assign_overlaps(geoms, findings));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::measure::area_m2;
    use geo_types::polygon;

    #[test]
    fn bow_tie_keeps_both_lobes() {
        let p =
            polygon![(x: 0., y: 0.), (x: 0.002, y: 0.002), (x: 0.002, y: 0.), (x: 0., y: 0.002)];
        let mp = MultiPolygon(vec![p]);
        let v = make_valid(&mp);
        assert_eq!(v.0.len(), 2);
        assert!(rings::check(0, "", &v).is_empty());
        // Two triangles of half the square each... of the 0.002 degree square, half.
        let square =
            polygon![(x: 0., y: 0.), (x: 0.002, y: 0.), (x: 0.002, y: 0.002), (x: 0., y: 0.002)];
        let half = area_m2(&MultiPolygon(vec![square])) / 2.0;
        assert!((area_m2(&v) - half).abs() / half < 1e-6);
    }
}
