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
            let index = |p: Point<f64>, t: Option<UnixTime>| {
                let grid = match t {
                    Some(t) => self.locate_at(p.x(), p.y(), t).ok().and_then(|l| l.grid),
                    None => self.locate(p.x(), p.y()).ok().and_then(|l| l.grid),
                };
                grid.and_then(|g| u32::try_from(g.index).ok())
                    .unwrap_or(NO_GRID)
            };
            Placement {
                incidents: par_map(&self.data.incidents, |i| {
                    index(i.location, Some(i.occurred_at()))
                }),
                cameras: par_map(&self.data.cameras, |c| index(c.location, None)),
            }
        })
    }

    /// Builds the grid placement of incidents and cameras now, if it is not built yet (a
    /// server may call this in the background once it is ready).
    pub fn warm_placement(&self) {
        self.placement();
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
