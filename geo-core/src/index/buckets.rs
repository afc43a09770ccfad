//! A uniform bucket grid over a set of polygons (the current grids; the admin units of one
//! level), the hot path of point -> polygon: most buckets lie wholly inside one polygon and
//! answer without any geometry; the rest list the few polygons whose boundary passes
//! through them, tested exactly.
//!
//! The points that fall in a bucket form a rectangle (the bucket arithmetic is monotone in
//! x and y). If no boundary point of a polygon falls in it, the rectangle is wholly inside
//! or wholly outside that polygon, and the bucket's centre says which. An answer is the
//! lowest index whose polygon holds the point, as `PolygonSet::first_containing` gives.

use geo_types::{Coord, MultiPolygon};

use super::polygons::PolygonSet;

/// Flag on an entry: the bucket is wholly inside this grid. On a bucket's slot: the bucket
/// answers this grid outright (its lowest-index polygon holds all of it).
const INTERIOR: u32 = 1 << 31;
/// A bucket's slot when no polygon touches it.
const EMPTY: u32 = u32::MAX;
/// Buckets per grid (about 16 x 16 per grid when grids are of similar size).
const BUCKETS_PER_GRID: usize = 256;
/// Upper bound on the number of buckets (16 MB of offsets).
const MAX_BUCKETS: usize = 1 << 22;
/// Growth of each bucket, in degrees, so that rounding in the bucket arithmetic never
/// puts a point in a bucket whose square misses it (about 0.1 mm).
const MARGIN: f64 = 1e-9;

/// Buckets of candidate grids over the extent of a set of grids.
#[derive(Debug, Default, Clone)]
pub(crate) struct PolygonBuckets {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    /// Buckets per degree.
    inv: f64,
    nx: usize,
    ny: usize,
    /// Per bucket: [`EMPTY`]; `INTERIOR | grid` when the bucket's lowest-index polygon
    /// holds all of it (one memory access answers most lookups); else the offset in
    /// `lists` of its entry count followed by its entries, ascending grid index.
    slots: Vec<u32>,
    /// Grid index, with [`INTERIOR`] set when the bucket is wholly inside it.
    entries: Vec<u32>,
    /// Length of `entries` when last built whole (patches append to it).
    built_entries: usize,
}

/// A bucket window: columns `bx0..=bx1`, rows `by0..=by1`.
#[derive(Debug, Clone, Copy)]
struct Window {
    bx0: usize,
    by0: usize,
    bx1: usize,
    by1: usize,
}

impl Window {
    fn contains(&self, bx: usize, by: usize) -> bool {
        (self.bx0..=self.bx1).contains(&bx) && (self.by0..=self.by1).contains(&by)
    }
}

impl PolygonBuckets {
    /// Buckets over `grids` (feature index and geometry), prepared in `polys`.
    #[allow(clippy::many_single_char_names)] // x0, y0, x1, y1, w, h: the usual names
    pub(crate) fn new<'a>(
        grids: impl Iterator<Item = (usize, &'a MultiPolygon<f64>)> + Clone,
        polys: &PolygonSet,
    ) -> Self {
        use geo::BoundingRect;
        let grids = grids.filter(|(i, g)| Self::indexable(*i, g, polys));
        let mut n = 0usize;
        let (mut x0, mut y0, mut x1, mut y1) = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for (_, g) in grids.clone() {
            if let Some(r) = g.bounding_rect() {
                (x0, y0, x1, y1) = (
                    x0.min(r.min().x),
                    y0.min(r.min().y),
                    x1.max(r.max().x),
                    y1.max(r.max().y),
                );
                n += 1;
            }
        }
        if n == 0 {
            return Self::default();
        }
        let (w, h) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
        let target = (n * BUCKETS_PER_GRID).min(MAX_BUCKETS) as f64;
        let inv = (target / (w * h)).sqrt();
        let nx = ((w * inv).ceil() as usize).clamp(1, MAX_BUCKETS);
        let ny = ((h * inv).ceil() as usize).clamp(1, MAX_BUCKETS / nx);
        let mut b = Self {
            x0,
            y0,
            x1,
            y1,
            inv,
            nx,
            ny,
            slots: vec![EMPTY; nx * ny],
            entries: Vec::new(),
            built_entries: 0,
        };
        let all = Window {
            bx0: 0,
            by0: 0,
            bx1: nx - 1,
            by1: ny - 1,
        };
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (gi, g) in grids {
            b.pairs_of(gi as u32, g, polys, all, &mut pairs);
        }
        b.fill(pairs);
        b.built_entries = b.entries.len();
        b
    }

    /// Whether a polygon can be put in buckets at all.
    fn indexable(i: usize, g: &MultiPolygon<f64>, polys: &PolygonSet) -> bool {
        use geo::BoundingRect;
        polys.is_prepared(i)
            && u32::try_from(i).is_ok_and(|i| i < EMPTY & !INTERIOR)
            && g.bounding_rect().is_some()
    }

    /// The (bucket, entry) pairs of polygon `gi` inside `window`: boundary buckets with the
    /// plain index, buckets wholly inside it with [`INTERIOR`] set.
    fn pairs_of(
        &self,
        gi: u32,
        g: &MultiPolygon<f64>,
        polys: &PolygonSet,
        window: Window,
        pairs: &mut Vec<(u32, u32)>,
    ) {
        use geo::BoundingRect;
        let nx = self.nx;
        // Buckets any edge may touch: each edge's grown box.
        let mut boundary: Vec<u32> = Vec::new();
        for poly in &g.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for w in ring.0.windows(2) {
                    let (a, c) = (w[0], w[1]);
                    let (bx0, by0) = self.cell(a.x.min(c.x) - MARGIN, a.y.min(c.y) - MARGIN);
                    let (bx1, by1) = self.cell(a.x.max(c.x) + MARGIN, a.y.max(c.y) + MARGIN);
                    if bx1 < window.bx0 || bx0 > window.bx1 || by1 < window.by0 || by0 > window.by1
                    {
                        continue;
                    }
                    for by in by0.max(window.by0)..=by1.min(window.by1) {
                        for bx in bx0.max(window.bx0)..=bx1.min(window.bx1) {
                            boundary.push((by * nx + bx) as u32);
                        }
                    }
                }
            }
        }
        boundary.sort_unstable();
        boundary.dedup();
        let Some(r) = g.bounding_rect() else { return };
        let (bx0, by0) = self.cell(r.min().x - MARGIN, r.min().y - MARGIN);
        let (bx1, by1) = self.cell(r.max().x + MARGIN, r.max().y + MARGIN);
        for by in by0.max(window.by0)..=by1.min(window.by1) {
            for bx in bx0.max(window.bx0)..=bx1.min(window.bx1) {
                let id = (by * nx + bx) as u32;
                if boundary.binary_search(&id).is_ok() {
                    pairs.push((id, gi));
                } else if polys.contains(gi as usize, self.centre(bx, by)) {
                    pairs.push((id, gi | INTERIOR));
                }
            }
        }
    }

    /// Writes the slots of the buckets named in `pairs` (their old content, if any, is
    /// replaced), appending their lists to `entries`.
    fn fill(&mut self, mut pairs: Vec<(u32, u32)>) {
        pairs.sort_unstable_by_key(|&(id, g)| (id, g & !INTERIOR));
        for run in pairs.chunk_by(|x, y| x.0 == y.0) {
            let (id, first) = run[0];
            if first & INTERIOR != 0 {
                self.slots[id as usize] = first;
                continue;
            }
            // Offsets stay below INTERIOR: the list has fewer entries than there are pairs.
            let Ok(at) = u32::try_from(self.entries.len()) else {
                continue;
            };
            if at >= INTERIOR {
                continue;
            }
            self.slots[id as usize] = at;
            self.entries.push(run.len() as u32);
            self.entries.extend(run.iter().map(|&(_, g)| g));
        }
    }

    /// These buckets with the ones meeting `dirty` (lon/lat) recomputed; `select(area)` must
    /// give every polygon of the set whose box meets `area` (the buckets' own extent, a
    /// little larger than `dirty`). `None` when `dirty` reaches outside the bucket grid or
    /// the lists have grown too much, and the caller must build anew. Costs a copy of the
    /// slots plus the work inside `dirty`.
    pub(crate) fn patched<'a, I: Iterator<Item = (usize, &'a MultiPolygon<f64>)>>(
        &self,
        dirty: geo_types::Rect<f64>,
        select: impl FnOnce(geo_types::Rect<f64>) -> I,
        polys: &PolygonSet,
    ) -> Option<Self> {
        let (lo, hi) = (dirty.min(), dirty.max());
        let inside = self.slots.len() == self.nx * self.ny
            && !self.slots.is_empty()
            && lo.x >= self.x0
            && lo.y >= self.y0
            && hi.x <= self.x1
            && hi.y <= self.y1;
        // Replaced lists stay in `entries` unreferenced; rebuild once they are half of it.
        if !inside || self.entries.len() > 2 * self.built_entries.max(1024) {
            return None;
        }
        let (bx0, by0) = self.cell(lo.x - MARGIN, lo.y - MARGIN);
        let (bx1, by1) = self.cell(hi.x + MARGIN, hi.y + MARGIN);
        let window = Window { bx0, by0, bx1, by1 };
        let area = geo_types::Rect::new(
            geo_types::coord! {
                x: self.x0 + bx0 as f64 / self.inv - MARGIN,
                y: self.y0 + by0 as f64 / self.inv - MARGIN,
            },
            geo_types::coord! {
                x: self.x0 + (bx1 + 1) as f64 / self.inv + MARGIN,
                y: self.y0 + (by1 + 1) as f64 / self.inv + MARGIN,
            },
        );
        let grids = select(area);
        let mut b = self.clone();
        for by in by0..=by1 {
            for bx in bx0..=bx1 {
                b.slots[by * b.nx + bx] = EMPTY;
            }
        }
        let mut pairs = Vec::new();
        for (gi, g) in grids {
            if Self::indexable(gi, g, polys) {
                b.pairs_of(gi as u32, g, polys, window, &mut pairs);
            }
        }
        debug_assert!(pairs
            .iter()
            .all(|&(id, _)| window.contains(id as usize % b.nx, id as usize / b.nx)));
        b.fill(pairs);
        Some(b)
    }

    /// The bucket column and row of a point, clamped to the grid; monotone in x and y.
    #[inline]
    fn cell(&self, x: f64, y: f64) -> (usize, usize) {
        // Float-to-int `as` saturates (NaN to 0), so this never leaves the grid.
        let bx = (((x - self.x0) * self.inv) as usize).min(self.nx - 1);
        let by = (((y - self.y0) * self.inv) as usize).min(self.ny - 1);
        (bx, by)
    }

    fn centre(&self, bx: usize, by: usize) -> Coord<f64> {
        Coord {
            x: self.x0 + (bx as f64 + 0.5) / self.inv,
            y: self.y0 + (by as f64 + 0.5) / self.inv,
        }
    }

    /// The lowest grid index whose polygon holds `p` (finite lon/lat).
    #[inline]
    pub(crate) fn first_containing(&self, polys: &PolygonSet, p: Coord<f64>) -> Option<u32> {
        if self.slots.is_empty()
            || !(p.x >= self.x0 && p.x <= self.x1 && p.y >= self.y0 && p.y <= self.y1)
        {
            return None;
        }
        let (bx, by) = self.cell(p.x, p.y);
        let slot = self.slots[by * self.nx + bx];
        if slot == EMPTY {
            return None;
        }
        if slot & INTERIOR != 0 {
            return Some(slot & !INTERIOR);
        }
        let at = slot as usize;
        let n = self.entries.get(at).map_or(0, |&n| n as usize);
        for &e in self.entries.get(at + 1..at + 1 + n).unwrap_or(&[]) {
            let g = e & !INTERIOR;
            if e & INTERIOR != 0 || polys.contains(g as usize, p) {
                return Some(g);
            }
        }
        None
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.slots.capacity() + self.entries.capacity()) * 4
    }
}
