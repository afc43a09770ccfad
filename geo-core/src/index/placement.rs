//! Which grid revision each incident and camera lies in, computed once on first use.
//!
//! An incident belongs to the revision that was valid when it occurred
//! ([`Core::locate_at`]); a camera to the current revision holding it. Start-up must stay
//! fast (province data ready in seconds), so this is not built in [`Core::new`] but on the
//! first statistics query, in parallel over the available cores.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;

use geo_types::{Point, Rect};

use super::engine::Core;
use crate::codes::AdminCode;
use crate::h3::IncidentCells;
use crate::model::{Camera, Incident, UnixTime};

pub(crate) use super::parts::incidents::NO_GRID;

/// Values per chunk of a [`Chunked`] vector (256 KiB of `u32`).
const CHUNK: usize = 1 << 16;

/// A `u32` vector in shared chunks: a copy costs a pointer per chunk, and a write copies
/// only the chunk it lands in (a grid edit re-places a few hundred incidents of ten million).
#[derive(Debug, Default, Clone)]
pub(crate) struct Chunked {
    chunks: Vec<std::sync::Arc<Vec<u32>>>,
    len: usize,
}

impl Chunked {
    /// The values of `v`, in chunks.
    pub(crate) fn from_vec(v: &[u32]) -> Self {
        Self {
            chunks: v
                .chunks(CHUNK)
                .map(|c| std::sync::Arc::new(c.to_vec()))
                .collect(),
            len: v.len(),
        }
    }

    /// Value `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<u32> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK).copied()
    }

    /// Sets value `i` (copying its chunk if it is shared); out of range does nothing.
    pub(crate) fn set(&mut self, i: usize, v: u32) {
        if let Some(c) = self.chunks.get_mut(i / CHUNK) {
            if let Some(slot) = std::sync::Arc::make_mut(c).get_mut(i % CHUNK) {
                *slot = v;
            }
        }
    }

    /// Number of values.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Grid revision index per built incident and per camera (`NO_GRID` outside every grid).
/// Incidents of the delta carry their own placement ([`super::parts::incidents::Live`]).
#[derive(Debug, Default, Clone)]
pub(crate) struct Placement {
    /// Parallel to the built incidents.
    pub(crate) incidents: Chunked,
    /// Parallel to `cameras()`.
    pub(crate) cameras: Vec<u32>,
    /// Per admin unit, the cell table of the built incidents placed in it.
    pub(crate) scoped: ScopedCells,
}

/// Per admin unit, the cell table of the built incidents inside it (what scoped clusters
/// and heatmap tiles count from), each built on the unit's first scoped tile and tagged
/// with the admin part it was built against (a point outside every grid belongs to the
/// admin polygon holding it). It lives with the placement it was built from: a placement
/// copied to be patched starts without any (a patch moves incidents between units).
#[derive(Debug, Default)]
pub(crate) struct ScopedCells(Mutex<HashMap<AdminCode, (u64, Arc<IncidentCells>)>>);

impl Clone for ScopedCells {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl ScopedCells {
    /// The table of `unit` built against admin part `admin`, if there is one.
    pub(crate) fn get(&self, unit: AdminCode, admin: u64) -> Option<Arc<IncidentCells>> {
        let map = self.0.lock().ok()?;
        map.get(&unit)
            .filter(|(a, _)| *a == admin)
            .map(|(_, t)| Arc::clone(t))
    }

    /// Keeps `table` as `unit`'s (built against admin part `admin`).
    pub(crate) fn put(&self, unit: AdminCode, admin: u64, table: &Arc<IncidentCells>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(unit, (admin, Arc::clone(table)));
        }
    }

    fn heap_bytes(&self) -> usize {
        self.0
            .lock()
            .map_or(0, |m| m.values().map(|(_, t)| t.heap_bytes()).sum())
    }
}

impl Placement {
    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.incidents.len() + self.cameras.capacity()) * std::mem::size_of::<u32>()
            + self.scoped.heap_bytes()
    }
}

/// `f` over `items` in contiguous chunks, one thread per available core.
fn par_map<T: Sync>(items: &[T], f: impl Fn(&T) -> u32 + Sync) -> Vec<u32> {
    let threads = thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = items.len().div_ceil(threads).max(1024);
    if items.len() <= chunk {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<u32>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for (part, c) in parts.into_iter().zip(items.chunks(chunk)) {
            // A panicking worker is a bug; fall back to the serial answer rather than lose it.
            match part.join() {
                Ok(v) => out.extend(v),
                Err(_) => out.extend(c.iter().map(f)),
            }
        }
        out
    })
}

/// A grid index as stored in a placement.
fn placed(g: Option<usize>) -> u32 {
    g.and_then(|g| u32::try_from(g).ok()).unwrap_or(NO_GRID)
}

impl Core {
    /// The grid revision an incident occurred in, by the current grids.
    pub(crate) fn place_incident(&self, inc: &Incident) -> u32 {
        self.place_at(inc.location, inc.occurred_at())
    }

    /// The grid revision valid at `t` holding `p`.
    fn place_at(&self, p: Point<f64>, t: UnixTime) -> u32 {
        let grids = &self.grids.grids;
        // With no retired revision, the revision valid at t is the current grid holding
        // the point if it already existed at t: the bucket lookup (several times faster
        // than the R-tree over every revision) gives the same answer as `locate_at`.
        if self.grids.all_current() {
            match self.grid_at(p.x(), p.y()) {
                None => return NO_GRID,
                Some(g) if grids[g].valid_from <= t => return placed(Some(g)),
                Some(_) => {}
            }
        }
        placed(
            self.locate_at(p.x(), p.y(), t)
                .ok()
                .and_then(|l| l.grid.map(|g| g.index)),
        )
    }

    /// The current grid a camera stands in.
    fn place_camera(&self, c: &Camera) -> u32 {
        placed(self.grid_at(c.location.x(), c.location.y()))
    }

    /// The grid placement, built on first use.
    pub(crate) fn placement(&self) -> &Placement {
        self.placement.get_or_init(|| Placement {
            incidents: Chunked::from_vec(&par_map(&self.incidents.main.incidents, |i| {
                self.place_incident(i)
            })),
            cameras: par_map(&self.cameras.cameras, |c| self.place_camera(c)),
            scoped: ScopedCells::default(),
        })
    }

    /// The built placement with the incidents and cameras inside `dirty` placed again (the
    /// grids there changed): in time proportional to what the box holds.
    pub(crate) fn placement_patched(&self, old: &Placement, dirty: Rect<f64>) -> Placement {
        let mut p = old.clone();
        let env = rstar::AABB::from_corners(
            [dirty.min().x, dirty.min().y],
            [dirty.max().x, dirty.max().y],
        );
        let main = &self.incidents.main;
        for e in main.tree.locate_in_envelope(&env) {
            let i = e.data as usize;
            if let Some(inc) = main.incidents.get(i) {
                // Set only what changes: a write copies the chunk it lands in.
                let g = self.place_incident(inc);
                if p.incidents.get(i) != Some(g) {
                    p.incidents.set(i, g);
                }
            }
        }
        for e in self.cameras.tree.locate_in_envelope(&env) {
            let i = e.data as usize;
            if let (Some(slot), Some(c)) = (p.cameras.get_mut(i), self.cameras.cameras.get(i)) {
                *slot = self.place_camera(c);
            }
        }
        p
    }

    /// The cameras placed anew (the cameras changed), keeping the incidents' placement.
    pub(crate) fn placement_with_cameras(&self, old: &Placement) -> Placement {
        Placement {
            incidents: old.incidents.clone(),
            cameras: par_map(&self.cameras.cameras, |c| self.place_camera(c)),
            scoped: ScopedCells::default(),
        }
    }

    /// Builds the grid placement of incidents and cameras now, if it is not built yet (a
    /// server may call this in the background once it is ready).
    pub fn warm_placement(&self) {
        self.placement();
    }

    /// Whether the grid placement has been built.
    #[must_use]
    pub fn placement_ready(&self) -> bool {
        self.placement.get().is_some()
    }

    /// Index into `grids()` of the revision incident `i` occurred in (`None`: in no grid).
    #[must_use]
    pub fn incident_grid(&self, i: usize) -> Option<usize> {
        let g = match self.incidents.live_grid(i) {
            Some(g) => g,
            None => self.placement().incidents.get(i).unwrap_or(NO_GRID),
        };
        (g != NO_GRID).then_some(g as usize)
    }

    /// Index into `grids()` of the current revision camera `i` stands in.
    #[must_use]
    pub fn camera_grid(&self, i: usize) -> Option<usize> {
        match self.placement().cameras.get(i) {
            Some(&g) if g != NO_GRID => Some(g as usize),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::demo::{generate, DemoConfig};
    use crate::index::Core;

    /// The placement (bucket fast path when no grid is retired) equals `locate_at` at
    /// each incident's report time, and `locate` for cameras.
    #[test]
    fn placement_equals_locate_at() {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(120)
            .with_incidents(5_000)
            .with_cameras(500)
            .with_workers(50)
            .with_patrols(1)
            .with_points_per_patrol(5);
        let mut data = generate(&cfg).unwrap();
        // Half the grids only start mid-window: early incidents there fall outside them.
        let mid = data
            .incidents
            .iter()
            .map(crate::model::Incident::occurred_at)
            .sum::<i64>()
            / data.incidents.len() as i64;
        for g in data.grids.iter_mut().step_by(2) {
            g.valid_from = mid;
        }
        let core = Core::new(data);
        let mut placed = 0;
        for (i, inc) in core.incidents().iter() {
            let want = core
                .locate_at(inc.location.x(), inc.location.y(), inc.occurred_at())
                .unwrap()
                .grid
                .map(|g| g.index);
            assert_eq!(core.incident_grid(i), want, "incident {i}");
            placed += usize::from(want.is_some());
        }
        assert!(placed > 3_000 && placed < 5_000, "{placed}");
        for (i, c) in core.cameras().iter().enumerate() {
            let want = core.locate(c.location.x(), c.location.y()).unwrap().grid;
            assert_eq!(core.camera_grid(i), want.map(|g| g.index));
        }
    }
}
