//! Which grid revision each incident and camera lies in, computed once on first use.
//!
//! An incident belongs to the revision that was valid when it occurred
//! ([`Core::locate_at`]); a camera to the current revision holding it. Start-up must stay
//! fast (province data ready in seconds), so this is not built in [`Core::new`] but on the
//! first statistics query, in parallel over the available cores.

use std::thread;

use geo_types::Point;

use super::engine::Core;
use crate::model::UnixTime;

/// "In no grid" in a placement vector.
pub(crate) const NO_GRID: u32 = u32::MAX;

/// Grid revision index per incident and per camera (`NO_GRID` outside every grid).
#[derive(Debug, Default)]
pub(crate) struct Placement {
    /// Parallel to `data().incidents`.
    pub(crate) incidents: Vec<u32>,
    /// Parallel to `data().cameras`.
    pub(crate) cameras: Vec<u32>,
}

impl Placement {
    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.incidents.capacity() + self.cameras.capacity()) * std::mem::size_of::<u32>()
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

impl Core {
    /// The grid placement, built on first use.
    pub(crate) fn placement(&self) -> &Placement {
        self.placement.get_or_init(|| {
            let grids = &self.data.grids;
            // With no retired revision, the revision valid at t is the current grid holding
            // the point if it already existed at t: the bucket lookup (several times faster
            // than the R-tree over every revision) gives the same answer as `locate_at`.
            let all_current = grids.iter().all(|g| g.valid_to.is_none());
            let at_time = |p: Point<f64>, t: UnixTime| -> Option<usize> {
                if all_current {
                    match self.grid_at(p.x(), p.y()) {
                        None => return None,
                        Some(g) if grids[g].valid_from <= t => return Some(g),
                        Some(_) => {}
                    }
                }
                self.locate_at(p.x(), p.y(), t).ok()?.grid.map(|g| g.index)
            };
            let index = |g: Option<usize>| g.and_then(|g| u32::try_from(g).ok()).unwrap_or(NO_GRID);
            Placement {
                incidents: par_map(&self.data.incidents, |i| {
                    index(at_time(i.location, i.occurred_at()))
                }),
                cameras: par_map(&self.data.cameras, |c| {
                    index(self.grid_at(c.location.x(), c.location.y()))
                }),
            }
        })
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

    /// Index into `data().grids` of the revision incident `i` occurred in (`None`: in no grid).
    #[must_use]
    pub fn incident_grid(&self, i: usize) -> Option<usize> {
        match self.placement().incidents.get(i) {
            Some(&g) if g != NO_GRID => Some(g as usize),
            _ => None,
        }
    }

    /// Index into `data().grids` of the current revision camera `i` stands in.
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
        let d = core.data();
        let mut placed = 0;
        for (i, inc) in d.incidents.iter().enumerate() {
            let want = core
                .locate_at(inc.location.x(), inc.location.y(), inc.occurred_at())
                .unwrap()
                .grid
                .map(|g| g.index);
            assert_eq!(core.incident_grid(i), want, "incident {i}");
            placed += usize::from(want.is_some());
        }
        assert!(placed > 3_000 && placed < 5_000, "{placed}");
        for (i, c) in d.cameras.iter().enumerate() {
            let want = core.locate(c.location.x(), c.location.y()).unwrap().grid;
            assert_eq!(core.camera_grid(i), want.map(|g| g.index));
        }
    }
}
