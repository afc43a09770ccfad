//! Coverage cleaning: closes the misfits between neighbours narrower than a tolerance, so
//! that shared edges end up vertex for vertex identical on both sides.
//!
//! Boundaries that neighbouring offices digitised separately (or that a merge rounded)
//! miss each other by centimetres to decimetres along every shared edge: thousands of
//! overlaps and gaps, each too thin to mean anything. Two passes remove them:
//!
//! 1. **Vertices meet.** Vertices of different features closer than the tolerance become
//!    one: each distinct coordinate, the most shared first (a vertex several features
//!    already agree on is the topology and stays put), claims the coordinates of other
//!    features within the tolerance of it. No coordinate moves further than the tolerance,
//!    and two vertices of one feature are never merged.
//! 2. **Edges take their neighbours' vertices.** Every vertex of another feature within
//!    the tolerance of an edge (but not of its ends) is inserted into it, in order along
//!    the edge. Along a shared border both sides then carry the union of both sides'
//!    vertices in the same order: one line, no sliver between them.
//!
//! Boundaries the file does not hold but must meet (the villages a grid file lies in, the
//! stored units around an admin file) can be given as fixed references: they never move,
//! their vertices claim the file's within the tolerance first, a file vertex near one of
//! their edges moves onto it, and their vertices go into the file's edges as in pass 2.
//!
//! A feature the cleaning would leave invalid (a narrow part pinched by its neighbour's
//! vertices) keeps its own boundary, and its misfits stay findings. What the tolerance
//! cannot close stays for the checks: a wider overlap remains an error.
//!
//! Written here rather than taken from a library: GEOS's `CoverageCleaner` (3.14) is not
//! in any Rust binding onemap could build offline, and geo has no snapping.

use std::collections::{HashMap, HashSet};

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Line};
use rstar::{RTree, AABB};
use serde::Serialize;

use super::{measure, par, rings};

/// Moves and insertions shorter than this (m) are noding, not misfits: a vertex that lies on
/// a neighbour's edge is inserted into it, but that closes nothing and is not counted.
const NOISE_M: f64 = 0.001;

/// Vertices inserted into one edge are at least this far apart along it (m).
const MIN_GAP_M: f64 = 0.05;

/// Metres per degree of latitude (the local frame's scale; accurate to ~1e-3, plenty for
/// a tolerance of a metre).
const M_PER_DEG: f64 = 111_320.0;

/// What a cleaning did: the one summary an import reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cleaning {
    /// The tolerance used (m).
    pub tolerance_m: f64,
    /// Features whose boundary changed.
    pub features: usize,
    /// Pairs of neighbours whose shared border was made identical.
    pub neighbours: usize,
    /// Vertices moved onto a neighbour's vertex.
    pub moved: usize,
    /// Vertices inserted into an edge from a neighbour.
    pub inserted: usize,
    /// The widest misfit closed: the farthest a vertex moved or an edge was pulled (m).
    pub widest_m: f64,
    /// Area the changed features gained or lost, summed as absolute values (m²): the area
    /// of the overlaps and gaps closed, near enough.
    pub area_m2: f64,
    /// Features left as they were because the cleaning would have made them invalid
    /// (positions as given).
    pub kept: Vec<usize>,
}

impl Cleaning {
    /// One line for a terminal or a report.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "closed misfits under {} m between {} pairs of neighbours: {} features changed, {} vertices moved, {} inserted, {:.1} m² in all, the widest {:.2} m{}",
            self.tolerance_m,
            self.neighbours,
            self.features,
            self.moved,
            self.inserted,
            self.area_m2,
            self.widest_m,
            if self.kept.is_empty() {
                String::new()
            } else {
                format!("; {} left as drawn (cleaning would make them invalid or overlap a neighbour)", self.kept.len())
            }
        )
    }
}

/// A coordinate's bits: identical coordinates, and only those, share a key.
fn key(c: Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

/// The local metric frame: x metres per degree at the data's mean latitude.
#[derive(Debug, Clone, Copy)]
struct Frame {
    kx: f64,
}

impl Frame {
    fn m(self, c: Coord<f64>) -> [f64; 2] {
        [c.x * self.kx, c.y * M_PER_DEG]
    }
}

/// One distinct coordinate and the features that have it.
struct Distinct {
    coord: Coord<f64>,
    features: Vec<u32>,
}

impl Distinct {
    /// Whether a fixed boundary has it (features are numbered from `movable` on).
    fn is_fixed(&self, movable: u32) -> bool {
        self.features.iter().any(|&f| f >= movable)
    }
}

/// Cleans `geometries` (onemap lon/lat, indexed like the file) in place with `tolerance_m`
/// (see the module docs); empty geometries are left alone.
#[must_use]
pub fn clean_coverage(geometries: &mut [MultiPolygon<f64>], tolerance_m: f64) -> Cleaning {
    clean_coverage_against(geometries, &[], tolerance_m)
}

/// Cleans `geometries` like [`clean_coverage`], and closes their misfits with the `fixed`
/// boundaries too (parents, stored neighbours), which do not move.
///
/// ```
/// use geo_core::validate::clean_coverage_against;
/// use geo_types::{polygon, MultiPolygon};
///
/// // A village (fixed) and a grid whose east edge stops 0.2 m short of the village's.
/// let village = MultiPolygon::new(vec![polygon![
///     (x: 109.70, y: 28.30), (x: 109.71, y: 28.30), (x: 109.71, y: 28.31), (x: 109.70, y: 28.31)
/// ]]);
/// let mut grid = vec![MultiPolygon::new(vec![polygon![
///     (x: 109.70, y: 28.30), (x: 109.709_998, y: 28.30), (x: 109.709_998, y: 28.31), (x: 109.70, y: 28.31)
/// ]])];
/// let done = clean_coverage_against(&mut grid, &[&village], 0.5);
/// assert_eq!(done.features, 1);
/// assert_eq!(grid[0], village);
/// ```
#[must_use]
pub fn clean_coverage_against(
    geometries: &mut [MultiPolygon<f64>],
    fixed: &[&MultiPolygon<f64>],
    tolerance_m: f64,
) -> Cleaning {
    // One round: a second closed 2 of 47 remaining gaps on the prefecture's merged villages
    // (measured 2026-12-08) and is not worth its time.
    let mut report = clean_round(geometries, fixed, tolerance_m);
    report.kept.sort_unstable();
    report.kept.dedup();
    report
}

/// Both passes.
fn clean_round(
    geometries: &mut [MultiPolygon<f64>],
    fixed: &[&MultiPolygon<f64>],
    tolerance_m: f64,
) -> Cleaning {
    let mut report = Cleaning {
        tolerance_m,
        ..Cleaning::default()
    };
    if !(tolerance_m > 0.0) || geometries.len() + fixed.len() < 2 || geometries.is_empty() {
        return report;
    }
    // The file's features first, then the fixed ones: a feature number at or past
    // `movable` is fixed.
    let all: Vec<&MultiPolygon<f64>> = geometries.iter().chain(fixed.iter().copied()).collect();
    let movable = geometries.len() as u32;
    let Some(frame) = frame(&all) else {
        return report;
    };
    // Keyed by the coordinates as drawn, before any moves onto a fixed edge.
    let (mut distinct, index) = distinct_coords(&all);
    let (shared, settled) = shared_edges(&all, &distinct, &index);
    // Settled coordinates of the file neither move nor pull others: only the rest and the
    // fixed boundaries are searched, which for a file that fits already is its outline.
    let live: Vec<u32> = (0..distinct.len() as u32)
        .filter(|&i| {
            let d = &distinct[i as usize];
            !settled[i as usize] || d.is_fixed(movable)
        })
        .collect();
    let tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
        live.iter()
            .map(|&i| GeomWithData::new(frame.m(distinct[i as usize].coord), i))
            .collect(),
    );
    let (rep, mut moved, mut widest) = meet(&distinct, &live, &tree, frame, tolerance_m, movable);

    if !fixed.is_empty() {
        let (onto, far) = onto_fixed_edges(
            &mut distinct,
            &rep,
            &settled,
            fixed,
            frame,
            tolerance_m,
            movable,
        );
        moved += onto;
        widest = widest.max(far);
    }
    report.moved = moved;
    report.widest_m = widest;
    // The coordinates that remain, with every feature that now has them.
    // Only searched coordinates can move or be inserted, so only theirs are needed.
    let mut owners: Vec<Vec<u32>> = vec![Vec::new(); distinct.len()];
    for &i in &live {
        let r = rep[i as usize] as usize;
        owners[r].extend(&distinct[i as usize].features);
    }
    for &i in &live {
        let o = &mut owners[i as usize];
        o.sort_unstable();
        o.dedup();
    }
    let ctx = Noding {
        shared: &shared,
        distinct: &distinct,
        owners: &owners,
        rep: &rep,
        index: &index,
        tree: &tree,
        frame,
        tol: tolerance_m,
    };
    let results = par::map(geometries.len(), |f| ctx.feature(f as u32, &geometries[f]));
    let mut pairs: HashSet<(u32, u32)> = HashSet::new();
    for (f, r) in results.into_iter().enumerate() {
        let Some(Some(mut done)) = r else {
            continue;
        };
        let id = f as u32;
        // Vertices a neighbour has a hair apart can fold an edge onto itself (a spike of no
        // width): rebuilt valid, which drops what has no area. Kept as drawn only when the
        // cleaning is what broke it and rebuilding does not mend it; a shape that was
        // invalid already is cleaned like the rest, and its own finding stays.
        if !rings::check(f, "", &done.geometry).is_empty()
            && rings::check(f, "", &geometries[f]).is_empty()
        {
            let mended = super::repair::make_valid(&done.geometry);
            let before = measure::area_m2(&done.geometry);
            let same_area =
                (measure::area_m2(&mended) - before).abs() <= 1e-6 * before.abs() + 0.01;
            if same_area && !mended.0.is_empty() && rings::check(f, "", &mended).is_empty() {
                done.geometry = mended;
            } else {
                report.kept.push(f);
                continue;
            }
        }
        if done.widest_m > NOISE_M {
            report.features += 1;
        }
        report.inserted += done.inserted;
        report.widest_m = report.widest_m.max(done.widest_m);
        report.area_m2 +=
            (measure::area_m2(&done.geometry) - measure::area_m2(&geometries[f])).abs();
        for other in done.partners {
            pairs.insert((id.min(other), id.max(other)));
        }
        geometries[f] = done.geometry;
    }
    report.neighbours = pairs.len();
    report
}

/// The frame at the mean latitude of the data's extent.
fn frame(geometries: &[&MultiPolygon<f64>]) -> Option<Frame> {
    use geo::BoundingRect;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for g in geometries {
        if let Some(r) = g.bounding_rect() {
            lo = lo.min(r.min().y);
            hi = hi.max(r.max().y);
        }
    }
    let lat = f64::midpoint(lo, hi);
    (lat.is_finite() && lat.abs() < 89.0).then(|| Frame {
        kx: lat.to_radians().cos() * M_PER_DEG,
    })
}

fn rings_of(m: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    m.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// Every distinct finite coordinate with the features holding it, in first-seen order.
/// Also returns the position of each in the list, by its key.
fn distinct_coords(geometries: &[&MultiPolygon<f64>]) -> (Vec<Distinct>, CoordIndex) {
    let size: usize = geometries
        .iter()
        .flat_map(|g| rings_of(g))
        .map(|r| r.0.len())
        .sum();
    let mut at = CoordIndex::with_capacity_and_hasher(size / 2, Default::default());
    let mut out: Vec<Distinct> = Vec::new();
    for (f, g) in geometries.iter().enumerate() {
        let f = f as u32;
        for ring in rings_of(g) {
            for &c in &ring.0 {
                if !(c.x.is_finite() && c.y.is_finite()) {
                    continue;
                }
                let i = *at.entry(key(c)).or_insert_with(|| {
                    out.push(Distinct {
                        coord: c,
                        features: Vec::new(),
                    });
                    (out.len() - 1) as u32
                });
                let i = i as usize;
                if out[i].features.last() != Some(&f) {
                    out[i].features.push(f);
                }
            }
        }
    }
    (out, at)
}

/// The edges (pairs of positions in `distinct`, lower first) that the rings of two or more
/// features have, sorted; and per coordinate whether it is settled: held by two or more
/// features with every edge at it shared. There the coverage already fits (a clean file,
/// or the inside of a township digitised as one), and nothing moves, however close another
/// part of the boundary passes.
fn shared_edges(
    all: &[&MultiPolygon<f64>],
    distinct: &[Distinct],
    index: &CoordIndex,
) -> (Vec<(u32, u32)>, Vec<bool>) {
    let per_feature = par::map(all.len(), |f| {
        let mut out: Vec<(u32, u32, u32)> = Vec::new();
        for ring in rings_of(all[f]) {
            for w in ring.0.windows(2) {
                let (Some(&a), Some(&b)) = (index.get(&key(w[0])), index.get(&key(w[1]))) else {
                    continue;
                };
                if a != b {
                    out.push((a.min(b), a.max(b), f as u32));
                }
            }
        }
        out
    });
    let mut edges: Vec<(u32, u32, u32)> = per_feature.into_iter().flatten().flatten().collect();
    edges.sort_unstable();
    let mut shared = Vec::new();
    let mut settled: Vec<bool> = distinct.iter().map(|d| d.features.len() >= 2).collect();
    for run in edges.chunk_by(|x, y| x.0 == y.0 && x.1 == y.1) {
        let (lo, hi, first) = run[0];
        if run.iter().any(|e| e.2 != first) {
            shared.push((lo, hi));
        } else {
            settled[lo as usize] = false;
            settled[hi as usize] = false;
        }
    }
    (shared, settled)
}

/// Pass 1: the representative of every distinct coordinate (itself when it stays), how
/// many moved, and the farthest move (m).
fn meet(
    distinct: &[Distinct],
    live: &[u32],
    tree: &RTree<GeomWithData<[f64; 2], u32>>,
    frame: Frame,
    tol: f64,
    movable: u32,
) -> (Vec<u32>, usize, f64) {
    let is_fixed = |i: usize| distinct[i].is_fixed(movable);
    let tol2 = tol * tol;
    // Neighbours within the tolerance that belong to other features, found in parallel;
    // almost every list is empty.
    let found = par::map(live.len(), |k| {
        let i = live[k] as usize;
        let d = &distinct[i];
        let p = frame.m(d.coord);
        tree.locate_within_distance(p, tol2)
            .map(|n| n.data)
            .filter(|&j| j as usize != i)
            .filter(|&j| {
                let other = &distinct[j as usize].features;
                !other.iter().all(|f| d.features.contains(f))
            })
            .collect::<Vec<u32>>()
    });
    let mut near: Vec<Option<Vec<u32>>> = vec![None; distinct.len()];
    for (&i, list) in live.iter().zip(found) {
        near[i as usize] = list.filter(|l| !l.is_empty());
    }
    let mut order: Vec<u32> = live
        .iter()
        .copied()
        .filter(|&i| near[i as usize].is_some())
        .collect();
    // A fixed boundary's vertices first: they cannot move, so they claim.
    order.sort_by_key(|&i| {
        let i = i as usize;
        (!is_fixed(i), std::cmp::Reverse(distinct[i].features.len()))
    });
    let mut rep: Vec<u32> = (0..distinct.len() as u32).collect();
    let mut claimed = vec![false; distinct.len()];
    let (mut moved, mut widest) = (0, 0.0_f64);
    for i in order {
        if claimed[i as usize] {
            continue;
        }
        claimed[i as usize] = true;
        let here = frame.m(distinct[i as usize].coord);
        let mut members: Vec<u32> = distinct[i as usize].features.clone();
        let Some(Some(list)) = near.get(i as usize) else {
            continue;
        };
        for &j in list {
            let ju = j as usize;
            if claimed[ju] || is_fixed(ju) {
                continue;
            }
            // Never two vertices of one feature onto one point.
            if distinct[ju].features.iter().any(|f| members.contains(f)) {
                continue;
            }
            claimed[ju] = true;
            rep[ju] = i;
            members.extend(&distinct[ju].features);
            moved += distinct[ju].features.len();
            let there = frame.m(distinct[ju].coord);
            widest = widest.max((here[0] - there[0]).hypot(here[1] - there[1]));
        }
    }
    (rep, moved, widest)
}

/// Between the passes: a representative coordinate of the file within the tolerance of a
/// fixed boundary's edge (not of its vertices, pass 1 took those) moves onto the edge's
/// nearest point. Returns how many moved and the farthest move (m).
fn onto_fixed_edges(
    distinct: &mut [Distinct],
    rep: &[u32],
    settled: &[bool],
    fixed: &[&MultiPolygon<f64>],
    frame: Frame,
    tol: f64,
    movable: u32,
) -> (usize, f64) {
    let edges: Vec<Line<[f64; 2]>> = fixed
        .iter()
        .flat_map(|g| rings_of(g))
        .flat_map(|r| r.lines())
        .filter(|l| l.start != l.end)
        .map(|l| Line::new(frame.m(l.start), frame.m(l.end)))
        .collect();
    let tree = RTree::bulk_load(edges);
    let tol2 = tol * tol;
    let targets = par::map(distinct.len(), |i| {
        let d = &distinct[i];
        if rep[i] as usize != i || settled[i] || d.is_fixed(movable) {
            return None;
        }
        let p = frame.m(d.coord);
        // A box query, not a nearest-neighbour search: almost every coordinate has no fixed
        // edge within the tolerance, and the box says so at once.
        let near = AABB::from_corners([p[0] - tol, p[1] - tol], [p[0] + tol, p[1] + tol]);
        let (q, dist2) = tree
            .locate_in_envelope_intersecting(&near)
            .map(|edge| {
                let q = edge.nearest_point(&p);
                (q, (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2))
            })
            .min_by(|x, y| x.1.total_cmp(&y.1))?;
        (dist2 < tol2 && dist2.sqrt() > NOISE_M).then_some((q, dist2.sqrt()))
    });
    let (mut moved, mut widest) = (0, 0.0_f64);
    for (d, t) in distinct.iter_mut().zip(targets) {
        if let Some(Some((q, dist))) = t {
            d.coord = Coord {
                x: q[0] / frame.kx,
                y: q[1] / M_PER_DEG,
            };
            moved += d.features.len();
            widest = widest.max(dist);
        }
    }
    (moved, widest)
}

/// Positions in the distinct coordinates by coordinate bits. Hashed with foldhash, not the
/// standard library's SipHash: the keys are our own coordinates, not an attacker's, and
/// there are millions of them.
type CoordIndex = HashMap<(u64, u64), u32, foldhash::fast::RandomState>;

/// What pass 2 needs, shared read-only by the threads.
struct Noding<'a> {
    /// The edges two features already share ([`shared_edges`]).
    shared: &'a [(u32, u32)],
    distinct: &'a [Distinct],
    /// Per representative, the features that have it after pass 1.
    owners: &'a [Vec<u32>],
    rep: &'a [u32],
    index: &'a CoordIndex,
    tree: &'a RTree<GeomWithData<[f64; 2], u32>>,
    frame: Frame,
    tol: f64,
}

/// One feature's new boundary, when it changed.
struct Cleaned {
    geometry: MultiPolygon<f64>,
    inserted: usize,
    widest_m: f64,
    partners: HashSet<u32>,
}

impl Noding<'_> {
    /// The representative coordinate of `c` (itself if it did not move), with the
    /// positions of `c` and of its representative in the distinct coordinates.
    fn mapped(&self, c: Coord<f64>) -> (Coord<f64>, Option<(u32, u32)>) {
        match self.index.get(&key(c)) {
            Some(&i) => {
                let r = self.rep[i as usize];
                (self.distinct[r as usize].coord, Some((i, r)))
            }
            None => (c, None),
        }
    }

    /// Pass 1's moves and pass 2's insertions on feature `f`; `None` when nothing changed.
    fn feature(&self, f: u32, g: &MultiPolygon<f64>) -> Option<Cleaned> {
        let mut out = Cleaned {
            geometry: MultiPolygon::new(Vec::with_capacity(g.0.len())),
            inserted: 0,
            widest_m: 0.0,
            partners: HashSet::new(),
        };
        let mut changed = false;
        for poly in &g.0 {
            let ext = self.ring(f, poly.exterior(), &mut out, &mut changed);
            let holes = poly
                .interiors()
                .iter()
                .map(|r| self.ring(f, r, &mut out, &mut changed))
                .collect();
            out.geometry.0.push(Polygon::new(ext, holes));
        }
        changed.then_some(out)
    }

    fn ring(
        &self,
        f: u32,
        ring: &LineString<f64>,
        out: &mut Cleaned,
        changed: &mut bool,
    ) -> LineString<f64> {
        let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len() + 8);
        let mapped: Vec<(Coord<f64>, Option<u32>)> = ring
            .0
            .iter()
            .map(|&c| {
                let (m, r) = self.mapped(c);
                if m != c {
                    *changed = true;
                    let (p, q) = (self.frame.m(c), self.frame.m(m));
                    let dist = (p[0] - q[0]).hypot(p[1] - q[1]);
                    if let Some((_, r)) = r.filter(|_| dist > NOISE_M) {
                        out.widest_m = out.widest_m.max(dist);
                        out.partners
                            .extend(self.owners[r as usize].iter().filter(|&&o| o != f));
                    }
                }
                (m, r.map(|(i, _)| i))
            })
            .collect();
        for w in mapped.windows(2) {
            let ((a, ra), (b, rb)) = (w[0], w[1]);
            if pts.last() != Some(&a) {
                pts.push(a);
            }
            let inserts = self.onto_edge(f, (a, ra), (b, rb), out);
            if !inserts.is_empty() {
                *changed = true;
                out.inserted += inserts.len();
                pts.extend(inserts);
            }
        }
        if let Some(&(last, _)) = mapped.last() {
            if pts.last() != Some(&last) {
                pts.push(last);
            }
        }
        // A closed ring again, without the repeats that merged vertices leave.
        pts.dedup();
        LineString::new(pts)
    }

    /// Vertices of other features within the tolerance of edge `a`-`b` (not of its ends),
    /// in order from `a`.
    fn onto_edge(
        &self,
        f: u32,
        (a, ia): (Coord<f64>, Option<u32>),
        (b, ib): (Coord<f64>, Option<u32>),
        out: &mut Cleaned,
    ) -> Vec<Coord<f64>> {
        // An edge two features already share fits; putting a vertex into it would make
        // the two copies differ.
        if let (Some(ia), Some(ib)) = (ia, ib) {
            if self.shared.binary_search(&(ia.min(ib), ia.max(ib))).is_ok() {
                return Vec::new();
            }
        }
        let (pa, pb) = (self.frame.m(a), self.frame.m(b));
        let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
        let len2 = dx * dx + dy * dy;
        if !(len2 > 0.0) {
            return Vec::new();
        }
        let t = self.tol;
        // The tree holds coordinates as drawn; one moved onto a fixed edge is up to the
        // tolerance from there.
        let envelope = AABB::from_corners(
            [pa[0].min(pb[0]) - 2.0 * t, pa[1].min(pb[1]) - 2.0 * t],
            [pa[0].max(pb[0]) + 2.0 * t, pa[1].max(pb[1]) + 2.0 * t],
        );
        let mut found: Vec<(f64, f64, Coord<f64>)> = Vec::new();
        for n in self.tree.locate_in_envelope(&envelope) {
            let i = n.data as usize;
            // Only coordinates that remain after pass 1, held by some other feature.
            if self.rep[i] as usize != i {
                continue;
            }
            let owners = &self.owners[i];
            if owners.contains(&f) {
                continue;
            }
            let p = self.frame.m(self.distinct[i].coord);
            let s = ((p[0] - pa[0]) * dx + (p[1] - pa[1]) * dy) / len2;
            if s <= 0.0 || s >= 1.0 {
                continue;
            }
            let (qx, qy) = (pa[0] + s * dx - p[0], pa[1] + s * dy - p[1]);
            let dist = qx.hypot(qy);
            // Not onto the edge's own ends: those are handled by pass 1.
            let end = (p[0] - pa[0])
                .hypot(p[1] - pa[1])
                .min((p[0] - pb[0]).hypot(p[1] - pb[1]));
            if dist < t && end > MIN_GAP_M {
                found.push((s, dist, self.distinct[i].coord));
                if dist > NOISE_M {
                    out.widest_m = out.widest_m.max(dist);
                    out.partners.extend(owners.iter().copied());
                }
            }
        }
        found.sort_by(|x, y| x.0.total_cmp(&y.0));
        // Vertices a hair apart along the edge (a neighbour's spike, or its noding near a
        // junction) would make this edge zigzag on the spot: of such a run only the one
        // nearest the edge goes in. What that leaves open is narrower than `MIN_GAP_M` and
        // shorter than the tolerance.
        let min_gap = MIN_GAP_M / len2.sqrt();
        let mut kept: Vec<(f64, f64, Coord<f64>)> = Vec::with_capacity(found.len());
        for p in found {
            match kept.last_mut() {
                Some(last) if p.0 - last.0 < min_gap => {
                    if p.1 < last.1 {
                        *last = p;
                    }
                }
                _ => kept.push(p),
            }
        }
        kept.into_iter().map(|(_, _, c)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)
        ]])
    }

    #[test]
    fn a_thin_overlap_between_two_squares_closes_onto_one_edge() {
        // 0.2 m of overlap along the shared edge at x = 109.71 (1e-6 degree ~ 0.1 m).
        let mut g = vec![
            square(109.70, 28.30, 109.710_002, 28.31),
            square(109.71, 28.30, 109.72, 28.31),
        ];
        let done = clean_coverage(&mut g, 0.5);
        assert_eq!(done.neighbours, 1, "{done:?}");
        assert!(done.widest_m > 0.1 && done.widest_m < 0.5, "{done:?}");
        let a: HashSet<_> = g[0].0[0].exterior().0.iter().map(|c| key(*c)).collect();
        let b: HashSet<_> = g[1].0[0].exterior().0.iter().map(|c| key(*c)).collect();
        assert_eq!(a.intersection(&b).count(), 2, "{g:?}");
    }

    #[test]
    fn a_wide_overlap_is_left_alone() {
        let mut g = vec![
            square(109.70, 28.30, 109.7105, 28.31),
            square(109.71, 28.30, 109.72, 28.31),
        ];
        let before: Vec<f64> = g.iter().map(measure::area_m2).collect();
        let done = clean_coverage(&mut g, 0.5);
        assert_eq!((done.features, done.neighbours), (0, 0), "{done:?}");
        // The corners lying on the other square's edges are noded in; nothing moves.
        let after: Vec<f64> = g.iter().map(measure::area_m2).collect();
        assert_eq!(before, after);
        assert!(done.area_m2 < 1e-6, "{done:?}");
    }

    #[test]
    fn misfits_against_a_fixed_village_close_and_the_village_stays() {
        use geo::BooleanOps;
        // A village drawn with a vertex in the middle of its south and north edges, and two
        // grids digitised on their own: their outer edges stop 0.1-0.3 m inside it or run
        // 0.2 m outside, their shared edge misses by 0.25 m, and neither has the village's
        // mid vertices.
        let (x0, x1, xm, y0, y1) = (109.70, 109.72, 109.71, 28.30, 28.31);
        // Degrees for a distance: 1 m is 9.0e-6 degree of latitude, 1.02e-5 of longitude here.
        let m = |metres: f64| metres * 9e-6;
        let village = MultiPolygon::new(vec![polygon![
            (x: x0, y: y0), (x: xm + 0.003, y: y0), (x: x1, y: y0), (x: x1, y: y1),
            (x: xm - 0.002, y: y1), (x: x0, y: y1)
        ]]);
        let mut grids = vec![
            MultiPolygon::new(vec![polygon![
                (x: x0 + m(0.1), y: y0 + m(0.2)), (x: xm + m(0.25), y: y0 - m(0.1)),
                (x: xm + m(0.25), y: y1 + m(0.2)), (x: x0 - m(0.2), y: y1 - m(0.3))
            ]]),
            MultiPolygon::new(vec![polygon![
                (x: xm, y: y0 + m(0.1)), (x: x1 - m(0.3), y: y0 - m(0.2)),
                (x: x1 + m(0.2), y: y1 + m(0.1)), (x: xm, y: y1 - m(0.2))
            ]]),
        ];
        let as_drawn = grids.clone();
        let gap =
            |g: &[MultiPolygon<f64>]| measure::area_m2(&village.difference(&g[0].union(&g[1])));
        let over = |g: &[MultiPolygon<f64>]| {
            measure::area_m2(&g[0].intersection(&g[1]))
                + measure::area_m2(&g[0].union(&g[1]).difference(&village))
        };
        assert!(gap(&as_drawn) > 1.0 && over(&as_drawn) > 1.0);
        let kept = village.clone();
        let done = clean_coverage_against(&mut grids, &[&kept], 0.5);
        assert_eq!(kept, village);
        assert_eq!(done.features, 2, "{done:?}");
        assert!(done.widest_m < 0.5, "{done:?}");
        assert!(gap(&grids) < 1e-3, "gap {} m² left: {grids:?}", gap(&grids));
        assert!(
            over(&grids) < 1e-3,
            "overlap {} m² left: {grids:?}",
            over(&grids)
        );
        // Without the village the outer misfits stay: only the grids' shared edge closes.
        let mut alone = as_drawn.clone();
        let _ = clean_coverage(&mut alone, 0.5);
        assert!(gap(&alone) > 1.0, "{alone:?}");
    }

    #[test]
    fn a_zero_tolerance_changes_nothing() {
        let mut g = vec![square(0.0, 0.0, 1.0, 1.0), square(1.0, 0.0, 2.0, 1.0)];
        let before = g.clone();
        assert_eq!(clean_coverage(&mut g, 0.0).features, 0);
        assert_eq!(g, before);
    }
}
