//! The incident part of the core: a large part built in report-time order (R-tree, ids,
//! the cell table of the heatmap) and a small delta of what changed since: new incidents
//! (indices after the built ones) and new versions of built ones (same index). Queries,
//! tiles, clusters, the heatmap and figures read both: a cell's count is the built table's,
//! minus the built rows the delta replaced, plus the delta's own rows.
//!
//! A write copies the delta (bounded by [`FOLD_AT`]) and never the built part; once the
//! delta is large, [`IncidentPart::fold`] builds a new built part in the background and
//! [`IncidentPart::rebased`] carries over what was written meanwhile.

use std::sync::Arc;

use h3o::CellIndex;
use rstar::{RTree, AABB};

use super::{cell_rows, point_tree, PointEntry};
use crate::h3::{CellFilter, IncidentCells};
use crate::index::query::Filter;
use crate::model::{Category, Incident, IncidentId, Step, UnixTime};

/// "In no grid" in a placement.
pub(crate) const NO_GRID: u32 = u32::MAX;

/// Delta size from which the built part is rebuilt with it (in the background).
pub const FOLD_AT: usize = 65_536;

/// Incident time slices longer than this use the R-tree for a bbox instead of a scan.
const SCAN_LIMIT: usize = 4096;

/// The built incidents, in report-time order.
#[derive(Debug, Default)]
pub(crate) struct IncidentMain {
    pub(crate) incidents: Vec<Incident>,
    pub(crate) tree: RTree<PointEntry>,
    /// `(id, index)` sorted by id: 16 bytes per incident, less than a hash map.
    pub(crate) by_id: Vec<(IncidentId, u32)>,
    pub(crate) cells: IncidentCells,
}

impl IncidentMain {
    /// Indexes `incidents`, reordered by report time (stable).
    pub(crate) fn new(mut incidents: Vec<Incident>) -> Self {
        let sorted = incidents
            .windows(2)
            .all(|w| w[0].occurred_at() <= w[1].occurred_at());
        if !sorted {
            incidents.sort_by_key(Incident::occurred_at);
        }
        let tree = crate::index::engine::timed("incident tree", || {
            point_tree(incidents.iter().map(|i| i.location))
        });
        let mut by_id: Vec<(IncidentId, u32)> = incidents
            .iter()
            .enumerate()
            .filter_map(|(i, inc)| Some((inc.id, u32::try_from(i).ok()?)))
            .collect();
        by_id.sort_unstable();
        // Keep the first index of a duplicated id, as the other layers do.
        by_id.dedup_by_key(|(id, _)| *id);
        by_id.shrink_to_fit();
        let cells = crate::index::engine::timed("incident cells", || {
            IncidentCells::build(cell_rows(incidents.iter()))
        });
        Self {
            incidents,
            tree,
            by_id,
            cells,
        }
    }

    fn index(&self, id: IncidentId) -> Option<u32> {
        self.by_id
            .binary_search_by_key(&id, |(k, _)| *k)
            .ok()
            .map(|j| self.by_id[j].1)
    }

    /// The index range of incidents reported in `[from, to)`.
    fn slice(&self, from: Option<UnixTime>, to: Option<UnixTime>) -> std::ops::Range<usize> {
        let inc = &self.incidents;
        let lo = from.map_or(0, |f| inc.partition_point(|i| i.occurred_at() < f));
        let hi = to
            .map_or(inc.len(), |t| inc.partition_point(|i| i.occurred_at() < t))
            .max(lo);
        lo..hi
    }
}

/// One incident changed since the built part: its current version (`None`: deleted), the
/// grid revision it lies in, and the write that made it.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub(crate) id: IncidentId,
    pub(crate) incident: Option<Incident>,
    pub(crate) grid: u32,
    pub(crate) seq: u64,
}

/// A counted row of the delta's cell tables: resolution, cell, report time, class, index.
/// Ordered so that one cell's rows in a time window are one range.
type CellRow = (u8, u64, UnixTime, u8, u32);

/// Bits per chunk of [`SharedBits`] (64 KiB).
const BITS_CHUNK: usize = 1 << 19;

/// A bitset in shared chunks: a copy costs a pointer per chunk, a set copies one chunk.
#[derive(Debug, Clone, Default)]
struct SharedBits {
    chunks: Vec<Arc<Vec<u64>>>,
}

impl SharedBits {
    #[inline]
    fn get(&self, i: usize) -> bool {
        self.chunks
            .get(i / BITS_CHUNK)
            .and_then(|c| c.get(i % BITS_CHUNK / 64))
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    fn set(&mut self, i: usize) {
        let (c, w) = (i / BITS_CHUNK, i % BITS_CHUNK / 64);
        if self.chunks.len() <= c {
            self.chunks
                .resize_with(c + 1, || Arc::new(vec![0; BITS_CHUNK / 64]));
        }
        if let Some(word) = Arc::make_mut(&mut self.chunks[c]).get_mut(w) {
            *word |= 1 << (i % 64);
        }
    }
}

/// What changed since the built part, in persistent collections: a write copies a few
/// pointers and touches O(log n) nodes per incident, whatever the delta's size.
#[derive(Debug, Default, Clone)]
pub(crate) struct IncidentDelta {
    /// By index: a built incident replaced or deleted (below the built length), or added.
    pub(crate) live: imbl::HashMap<u32, Arc<Live>>,
    pub(crate) added_by_id: imbl::HashMap<IncidentId, u32>,
    /// The live incidents present now, by report time.
    by_time: imbl::OrdSet<(UnixTime, u32)>,
    /// Rows of the live incidents present now (counted in), at every resolution.
    plus: imbl::OrdSet<CellRow>,
    /// Rows of the built versions of replaced or deleted built incidents (counted out).
    minus: imbl::OrdSet<CellRow>,
    /// Built incidents replaced or deleted.
    shadow: SharedBits,
    shadowed: usize,
}

/// The rows `inc` (at index `i`) counts in.
fn rows_of(inc: &Incident, i: u32) -> impl Iterator<Item = CellRow> {
    let class = (inc.category as u8) << 4 | (inc.status.index() as u8);
    let at = inc.occurred_at();
    crate::h3::counted_cells(inc.location.x(), inc.location.y())
        .into_iter()
        .flat_map(move |cells| {
            cells
                .into_iter()
                .enumerate()
                .map(move |(r, c)| (r as u8, c, at, class, i))
        })
}

/// How many rows of `table` in `cell` the filter keeps.
fn count_rows(table: &imbl::OrdSet<CellRow>, cell: CellIndex, filter: &CellFilter) -> u32 {
    count_rows_where(table, cell, filter, |_| true)
}

/// How many rows of `table` in `cell` the filter keeps among the incident indices `keep`
/// accepts.
fn count_rows_where(
    table: &imbl::OrdSet<CellRow>,
    cell: CellIndex,
    filter: &CellFilter,
    keep: impl Fn(u32) -> bool,
) -> u32 {
    if table.is_empty() {
        return 0;
    }
    let (r, c) = (u8::from(cell.resolution()), u64::from(cell));
    let lo = (r, c, UnixTime::MIN, 0, 0);
    let hi = (r, c, UnixTime::MAX, u8::MAX, u32::MAX);
    let n = table
        .range(lo..=hi)
        .filter(|(_, _, at, class, i)| {
            let (cat, st) = (class >> 4, class & 0x0f);
            Category::ALL
                .get(usize::from(cat))
                .zip(Step::ALL.get(usize::from(st)))
                .is_some_and(|(c, s)| filter.keeps_incident(*at, *c, *s))
                && keep(*i)
        })
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl IncidentDelta {
    /// Records the current version of incident `i` (`None`: deleted), replacing what the
    /// delta held for it, or shadowing built incident `old_built` the first time.
    fn put(&mut self, i: u32, live: Live, old_built: Option<&Incident>) {
        if let Some(old) = self.live.get(&i) {
            if let Some(inc) = &old.incident {
                self.by_time.remove(&(inc.occurred_at(), i));
                for row in rows_of(inc, i) {
                    self.plus.remove(&row);
                }
            }
        } else if let Some(built) = old_built {
            for row in rows_of(built, i) {
                self.minus.insert(row);
            }
            if !self.shadow.get(i as usize) {
                self.shadow.set(i as usize);
                self.shadowed += 1;
            }
        }
        if let Some(inc) = &live.incident {
            self.by_time.insert((inc.occurred_at(), i));
            for row in rows_of(inc, i) {
                self.plus.insert(row);
            }
        }
        self.live.insert(i, Arc::new(live));
    }
}

/// Incidents: the built part and the delta since.
#[derive(Debug, Default, Clone)]
pub(crate) struct IncidentPart {
    pub(crate) main: Arc<IncidentMain>,
    pub(crate) delta: Arc<IncidentDelta>,
}

impl IncidentPart {
    /// Indexes `incidents`.
    pub(crate) fn new(incidents: Vec<Incident>) -> Self {
        Self {
            main: Arc::new(IncidentMain::new(incidents)),
            delta: Arc::default(),
        }
    }

    /// A part over an already built `main` (read from a snapshot), with no delta.
    pub(crate) fn from_main(main: IncidentMain) -> Self {
        Self {
            main: Arc::new(main),
            delta: Arc::default(),
        }
    }

    /// Number of incident indices (built and added, deleted ones included).
    pub(crate) fn len(&self) -> usize {
        self.main.incidents.len() + self.delta.added_by_id.len()
    }

    /// Number of incidents present.
    pub(crate) fn count(&self) -> usize {
        self.main.incidents.len() - self.delta.shadowed + self.delta.by_time.len()
    }

    /// Incident `i` as it is now (`None`: deleted or no such index).
    pub(crate) fn get(&self, i: usize) -> Option<&Incident> {
        let k = u32::try_from(i).ok()?;
        match self.delta.live.get(&k) {
            Some(l) => l.incident.as_ref(),
            None => self.main.incidents.get(i),
        }
    }

    /// The index of the incident with this id.
    pub(crate) fn index(&self, id: IncidentId) -> Option<usize> {
        let i = match self.delta.added_by_id.get(&id) {
            Some(&i) => i,
            None => self.main.index(id)?,
        };
        self.get(i as usize).is_some().then_some(i as usize)
    }

    /// The highest incident id present or deleted since the last fold.
    pub(crate) fn max_id(&self) -> Option<u64> {
        let built = self.main.by_id.last().map(|(id, _)| id.0);
        let added = self.delta.added_by_id.keys().map(|id| id.0).max();
        built.max(added)
    }

    /// The grid placement the delta holds for incident `i`, if it is live.
    pub(crate) fn live_grid(&self, i: usize) -> Option<u32> {
        let k = u32::try_from(i).ok()?;
        self.delta.live.get(&k).map(|l| l.grid)
    }

    /// Whether built incident `i` is replaced by the delta.
    #[inline]
    fn shadowed(&self, i: usize) -> bool {
        self.delta.shadowed > 0 && self.delta.shadow.get(i)
    }

    /// Incidents reported in `[from, to)` as `(index, incident)`: built ones in time order,
    /// then live ones in time order.
    pub(crate) fn window(
        &self,
        from: Option<UnixTime>,
        to: Option<UnixTime>,
    ) -> impl Iterator<Item = (usize, &Incident)> + '_ {
        let built = self
            .main
            .slice(from, to)
            .filter(|&i| !self.shadowed(i))
            .map(|i| (i, &self.main.incidents[i]));
        built.chain(self.window_live(from, to))
    }

    /// The delta's incidents (written since the built part) reported in `[from, to)`.
    fn window_live(
        &self,
        from: Option<UnixTime>,
        to: Option<UnixTime>,
    ) -> impl Iterator<Item = (usize, &Incident)> + '_ {
        let lo = (from.unwrap_or(UnixTime::MIN), 0u32);
        self.delta
            .by_time
            .range(lo..)
            .take_while(move |(t, _)| to.is_none_or(|e| *t < e))
            .filter_map(move |&(_, i)| {
                let inc = self.delta.live.get(&i)?.incident.as_ref()?;
                Some((i as usize, inc))
            })
    }

    /// The first and last report time of the incidents present.
    pub(crate) fn span(&self) -> Option<(UnixTime, UnixTime)> {
        let built = &self.main.incidents;
        let first = (0..built.len())
            .find(|&i| !self.shadowed(i))
            .map(|i| built[i].occurred_at());
        let last = (0..built.len())
            .rev()
            .find(|&i| !self.shadowed(i))
            .map(|i| built[i].occurred_at());
        let d = &self.delta;
        let (dfirst, dlast) = (
            d.by_time.get_min().map(|e| e.0),
            d.by_time.get_max().map(|e| e.0),
        );
        let lo = [first, dfirst].into_iter().flatten().min()?;
        let hi = [last, dlast].into_iter().flatten().max()?;
        Some((lo, hi))
    }

    /// How many incidents in `cell` (resolution <= 9) `filter` keeps.
    pub(crate) fn count_cell(&self, cell: CellIndex, filter: &CellFilter) -> u32 {
        let built = self.main.cells.count(cell, filter);
        let d = &self.delta;
        if d.live.is_empty() {
            return built;
        }
        (built + count_rows(&d.plus, cell, filter))
            .saturating_sub(count_rows(&d.minus, cell, filter))
    }

    /// The delta's rows in `cell` that `filter` keeps: `(counted in, counted out)`, the
    /// former among live incidents `live_keep` accepts, the latter among the built
    /// versions `built_keep` accepts (by index): a scoped count's correction.
    pub(crate) fn delta_count_where(
        &self,
        cell: CellIndex,
        filter: &CellFilter,
        live_keep: impl Fn(&Live) -> bool,
        built_keep: impl Fn(usize) -> bool,
    ) -> (u32, u32) {
        let d = &self.delta;
        if d.live.is_empty() {
            return (0, 0);
        }
        let plus = count_rows_where(&d.plus, cell, filter, |i| {
            d.live.get(&i).is_some_and(|l| live_keep(l))
        });
        let minus = count_rows_where(&d.minus, cell, filter, |i| built_keep(i as usize));
        (plus, minus)
    }

    /// Indices of the incidents `filter` selects (time, classes, box), ascending.
    pub(crate) fn query(&self, filter: &Filter) -> Vec<usize> {
        let keep = |inc: &Incident| {
            (filter.categories.is_empty() || filter.categories.contains(&inc.category))
                && (filter.statuses.is_empty() || filter.statuses.contains(&inc.status))
        };
        let in_box = |inc: &Incident, env: &AABB<[f64; 2]>| {
            let p = inc.location;
            crate::h3::check_lon_lat(p.x(), p.y()).is_ok()
                && rstar::Envelope::contains_point(env, &[p.x(), p.y()])
        };
        let range = self.main.slice(filter.from, filter.to);
        let incidents = &self.main.incidents;
        let mut out: Vec<usize> = match filter.aabb() {
            Some(env) if range.len() > SCAN_LIMIT => self
                .main
                .tree
                .locate_in_envelope(&env)
                .map(|e| e.data as usize)
                .filter(|&i| range.contains(&i) && !self.shadowed(i) && keep(&incidents[i]))
                .collect(),
            Some(env) => range
                .filter(|&i| {
                    !self.shadowed(i) && keep(&incidents[i]) && in_box(&incidents[i], &env)
                })
                .collect(),
            None => range
                .filter(|&i| !self.shadowed(i) && keep(&incidents[i]))
                .collect(),
        };
        let env = filter.aabb();
        // Only the delta's own entries (not a walk over the whole window: 10 M at province).
        out.extend(
            self.window_live(filter.from, filter.to)
                .filter(|(_, inc)| keep(inc) && env.as_ref().is_none_or(|e| in_box(inc, e)))
                .map(|(i, _)| i),
        );
        out.sort_unstable();
        out
    }

    /// This part with `upserts` (by id: a known one replaced, a new one added) and
    /// `deletes` written as change `seq`; `place` gives an incident's grid revision.
    pub(crate) fn with_changes(
        &self,
        upserts: &[Incident],
        deletes: &[IncidentId],
        seq: u64,
        place: &dyn Fn(&Incident) -> u32,
    ) -> Self {
        let mut d = (*self.delta).clone();
        let built = self.main.incidents.len();
        for inc in upserts {
            let i = d
                .added_by_id
                .get(&inc.id)
                .copied()
                .or_else(|| self.main.index(inc.id))
                .unwrap_or_else(|| {
                    let i = u32::try_from(built + d.added_by_id.len()).unwrap_or(u32::MAX);
                    d.added_by_id.insert(inc.id, i);
                    i
                });
            let live = Live {
                id: inc.id,
                incident: Some(inc.clone()),
                grid: place(inc),
                seq,
            };
            d.put(i, live, self.main.incidents.get(i as usize));
        }
        for &id in deletes {
            let Some(i) = d
                .added_by_id
                .get(&id)
                .copied()
                .or_else(|| self.main.index(id))
            else {
                continue;
            };
            let live = Live {
                id,
                incident: None,
                grid: NO_GRID,
                seq,
            };
            d.put(i, live, self.main.incidents.get(i as usize));
        }
        Self {
            main: Arc::clone(&self.main),
            delta: Arc::new(d),
        }
    }

    /// The delta's entries placed again by `place` (the grids changed).
    pub(crate) fn replaced_live(&self, place: &dyn Fn(&Incident) -> u32) -> Self {
        let mut d = (*self.delta).clone();
        let entries: Vec<(u32, Arc<Live>)> =
            d.live.iter().map(|(&i, l)| (i, Arc::clone(l))).collect();
        for (i, l) in entries {
            if let Some(inc) = &l.incident {
                let grid = place(inc);
                if grid != l.grid {
                    let mut moved = (*l).clone();
                    moved.grid = grid;
                    d.live.insert(i, Arc::new(moved));
                }
            }
        }
        Self {
            main: Arc::clone(&self.main),
            delta: Arc::new(d),
        }
    }

    /// Whether the delta has grown enough to be folded into a new built part: at
    /// [`FOLD_AT`], or a 64th of the built part when that is more (a fold costs time in
    /// proportion to the built part, so a large one folds less often).
    pub(crate) fn wants_fold(&self) -> bool {
        self.delta.live.len() >= FOLD_AT.max(self.main.incidents.len() / 64)
    }

    /// Incidents in the delta (written since the last fold).
    pub(crate) fn delta_len(&self) -> usize {
        self.delta.live.len()
    }

    /// The newest change the delta holds (0 for none).
    pub(crate) fn delta_seq(&self) -> u64 {
        self.delta.live.values().map(|l| l.seq).max().unwrap_or(0)
    }

    /// Every incident present now, each with its grid (`grid_of(i)` for built ones), as a
    /// new built part in report-time order with its placement: the expensive step of a
    /// fold, run off the write path.
    pub(crate) fn fold(
        &self,
        grid_of: Option<&dyn Fn(usize) -> u32>,
    ) -> (IncidentMain, Option<Vec<u32>>) {
        let n = self.count();
        let mut rows: Vec<(Incident, u32)> = Vec::with_capacity(n);
        for (i, inc) in self.main.incidents.iter().enumerate() {
            if !self.shadowed(i) {
                rows.push((inc.clone(), grid_of.map_or(NO_GRID, |g| g(i))));
            }
        }
        for l in self.delta.live.values() {
            if let Some(inc) = &l.incident {
                rows.push((inc.clone(), l.grid));
            }
        }
        rows.sort_by_key(|(inc, _)| inc.occurred_at());
        let grids = grid_of.map(|_| rows.iter().map(|r| r.1).collect());
        let main = IncidentMain::new(rows.into_iter().map(|r| r.0).collect());
        (main, grids)
    }

    /// The part over a freshly folded `main`, carrying the changes of this part's delta
    /// written after change `since` (those the fold did not see).
    pub(crate) fn rebased(&self, main: IncidentMain, since: u64) -> Self {
        let main = Arc::new(main);
        let mut d = IncidentDelta::default();
        let built = main.incidents.len();
        let mut later: Vec<&Live> = self
            .delta
            .live
            .values()
            .filter(|l| l.seq > since)
            .map(AsRef::as_ref)
            .collect();
        later.sort_by_key(|l| (l.seq, l.id));
        for l in later {
            let i = match main
                .index(l.id)
                .or_else(|| d.added_by_id.get(&l.id).copied())
            {
                Some(i) => i,
                None if l.incident.is_none() => continue,
                None => {
                    let i = u32::try_from(built + d.added_by_id.len()).unwrap_or(u32::MAX);
                    d.added_by_id.insert(l.id, i);
                    i
                }
            };
            d.put(i, l.clone(), main.incidents.get(i as usize));
        }
        Self {
            delta: Arc::new(d),
            main,
        }
    }
}
