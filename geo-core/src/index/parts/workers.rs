//! The worker part of the core: the roster with nearest-neighbour indexes over the
//! positions it was built with, plus the workers who moved since (their new version, same
//! index), so that a batch of GPS fixes costs a copy of that small map, not a rebuild.

use std::collections::HashMap;
use std::sync::Arc;

use rstar::RTree;

use super::super::sphere::{haversine_m, valid_lon_lat, Nearest, SphereIndex};
use super::{first_index, point_tree, PointEntry};
use crate::model::{Worker, WorkerId};

/// The roster as last built.
#[derive(Debug, Default)]
pub(crate) struct WorkerMain {
    pub(crate) workers: Vec<Worker>,
    pub(crate) sphere: SphereIndex,
    pub(crate) tree: RTree<PointEntry>,
    pub(crate) by_id: HashMap<WorkerId, u32>,
}

/// Workers: the built roster and who moved since.
#[derive(Debug, Default, Clone)]
pub(crate) struct WorkerPart {
    pub(crate) main: Arc<WorkerMain>,
    /// Current version of the workers whose position changed since `main` was built.
    /// A persistent map: a batch of GPS fixes copies the nodes it changes, not the map.
    pub(crate) moved: imbl::HashMap<u32, Arc<Worker>>,
}

/// Moves kept beside the roster before it is rebuilt with them.
const MIN_REBUILD: usize = 4_096;

impl WorkerPart {
    /// Indexes `workers`.
    pub(crate) fn new(workers: Vec<Worker>) -> Self {
        Self {
            main: Arc::new(WorkerMain {
                sphere: SphereIndex::new(workers.iter().map(|w| w.location)),
                tree: point_tree(workers.iter().map(|w| w.location)),
                by_id: first_index(workers.iter().map(|w| w.id.clone())),
                workers,
            }),
            moved: imbl::HashMap::new(),
        }
    }

    /// Number of workers.
    pub(crate) fn len(&self) -> usize {
        self.main.workers.len()
    }

    /// Worker `i` as it is now.
    pub(crate) fn get(&self, i: usize) -> Option<&Worker> {
        let k = u32::try_from(i).ok()?;
        match self.moved.get(&k) {
            Some(w) => Some(w),
            None => self.main.workers.get(i),
        }
    }

    /// The index of the worker with this id.
    pub(crate) fn index(&self, id: &WorkerId) -> Option<usize> {
        self.main.by_id.get(id).map(|&i| i as usize)
    }

    /// Whether `w` can replace worker `i` beside the roster (as a move does): same id, name
    /// and phone, so grid answers naming the worker stay right; position and grid list may
    /// differ (GPS fixes, a grid edit reassigning grids).
    pub(crate) fn patchable(&self, i: usize, w: &Worker) -> bool {
        self.get(i)
            .is_some_and(|old| old.id == w.id && old.name == w.name && old.phone == w.phone)
    }

    /// This part with workers `moves` (index, new version) at their new positions.
    pub(crate) fn with_moves(&self, moves: Vec<(usize, Worker)>) -> Self {
        let mut moved = self.moved.clone();
        for (i, w) in moves {
            if let Ok(i) = u32::try_from(i) {
                moved.insert(i, Arc::new(w));
            }
        }
        if moved.len() >= MIN_REBUILD.max(self.len() / 2) {
            let mut workers = self.main.workers.clone();
            for (i, w) in moved {
                if let Some(slot) = workers.get_mut(i as usize) {
                    *slot = (*w).clone();
                }
            }
            return Self::new(workers);
        }
        Self {
            main: Arc::clone(&self.main),
            moved,
        }
    }

    /// Every worker as it is now, in index order (to rebuild the part).
    pub(crate) fn to_vec(&self) -> Vec<Worker> {
        (0..self.len())
            .filter_map(|i| self.get(i).cloned())
            .collect()
    }

    /// The `k` workers nearest to a valid point by their current position, nearest first,
    /// ties by index: the built index (asked for enough to cover the moved workers it
    /// still holds at old places) merged with the moved ones.
    pub(crate) fn nearest(&self, lon: f64, lat: f64, k: usize) -> Vec<Nearest> {
        if self.moved.is_empty() {
            return self.main.sphere.nearest(lon, lat, k);
        }
        let mut out: Vec<Nearest> = self
            .main
            .sphere
            .nearest(lon, lat, k.saturating_add(self.moved.len()))
            .into_iter()
            .filter(|n| !u32::try_from(n.index).is_ok_and(|i| self.moved.contains_key(&i)))
            .collect();
        out.extend(
            self.moved
                .iter()
                .filter(|(_, w)| valid_lon_lat(w.location))
                .map(|(&i, w)| Nearest {
                    index: i as usize,
                    distance_m: haversine_m(lon, lat, w.location.x(), w.location.y()),
                }),
        );
        out.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.index.cmp(&b.index))
        });
        out.truncate(k);
        out
    }

    /// Indices of the workers whose current position lies in `env` (all when `None`).
    pub(crate) fn in_box(&self, env: Option<rstar::AABB<[f64; 2]>>) -> Vec<usize> {
        let Some(env) = env else {
            return (0..self.len()).collect();
        };
        let mut out: Vec<usize> = self
            .main
            .tree
            .locate_in_envelope(&env)
            .map(|e| e.data)
            .filter(|i| !self.moved.contains_key(i))
            .map(|i| i as usize)
            .collect();
        out.extend(self.moved.iter().filter_map(|(&i, w)| {
            let p = [w.location.x(), w.location.y()];
            (valid_lon_lat(w.location) && rstar::Envelope::contains_point(&env, &p))
                .then_some(i as usize)
        }));
        out.sort_unstable();
        out
    }
}
