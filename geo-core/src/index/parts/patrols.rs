//! The patrol part of the core: tracks with their R-tree and pre-projected outlines, plus
//! the tracks that changed since (a worker's track of today growing with GPS fixes, or a
//! new day's track), kept beside the built part until there are many of them.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use geo::{BoundingRect, Intersects, MapCoords};
use geo_types::Rect;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::super::polygons::EnvEntry;
use super::first_index;
use crate::model::{local_day, Patrol, PatrolId, WorkerId};

/// Tracks as last built.
#[derive(Debug, Default)]
pub(crate) struct PatrolMain {
    pub(crate) patrols: Vec<Patrol>,
    pub(crate) tree: RTree<EnvEntry>,
    pub(crate) by_id: HashMap<PatrolId, u32>,
    /// Tracks in Web Mercator metres, built on the first patrol tile.
    pub(crate) mercator: OnceLock<Vec<geo_types::LineString<f64>>>,
    /// The first track of each worker and local day (by its start).
    pub(crate) by_worker_day: HashMap<(WorkerId, i64), u32>,
    /// The highest track id.
    pub(crate) max_id: Option<u64>,
}

/// Patrol tracks: the built ones and those changed or added since.
#[derive(Debug, Default, Clone)]
pub(crate) struct PatrolPart {
    pub(crate) main: Arc<PatrolMain>,
    /// Current version of changed tracks (indices below `main.patrols.len()`) and added
    /// ones (indices from it on, contiguous).
    /// Persistent maps: a GPS batch copies the nodes it changes, not the maps.
    pub(crate) live: imbl::HashMap<u32, Arc<Patrol>>,
    /// Ids of the added tracks.
    pub(crate) added_by_id: imbl::HashMap<PatrolId, u32>,
    /// The changed or added track of each worker and local day.
    pub(crate) live_by_worker_day: imbl::HashMap<(WorkerId, i64), u32>,
}

/// Changed tracks kept beside the built part before it is rebuilt with them.
const MIN_REBUILD: usize = 1_024;

fn entry(p: &Patrol, i: usize) -> Option<EnvEntry> {
    let r = p.track.bounding_rect()?;
    let (lo, hi) = (r.min(), r.max());
    let finite = [lo.x, lo.y, hi.x, hi.y].iter().all(|v| v.is_finite());
    finite.then_some(GeomWithData::new(
        Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]),
        u32::try_from(i).ok()?,
    ))
}

impl PatrolPart {
    /// Indexes `patrols`.
    pub(crate) fn new(patrols: Vec<Patrol>) -> Self {
        let tree = RTree::bulk_load(
            patrols
                .iter()
                .enumerate()
                .filter_map(|(i, p)| entry(p, i))
                .collect(),
        );
        let by_worker_day = first_index(
            patrols
                .iter()
                .map(|p| (p.worker.clone(), p.start().map_or(i64::MIN, local_day))),
        );
        Self {
            main: Arc::new(PatrolMain {
                max_id: patrols.iter().map(|p| p.id.0).max(),
                by_id: first_index(patrols.iter().map(|p| p.id)),
                by_worker_day,
                tree,
                patrols,
                mercator: OnceLock::new(),
            }),
            live: imbl::HashMap::new(),
            added_by_id: imbl::HashMap::new(),
            live_by_worker_day: imbl::HashMap::new(),
        }
    }

    /// Number of track indices (built and added).
    pub(crate) fn len(&self) -> usize {
        self.main.patrols.len() + self.added_by_id.len()
    }

    /// Track `i` as it is now.
    pub(crate) fn get(&self, i: usize) -> Option<&Patrol> {
        let k = u32::try_from(i).ok()?;
        match self.live.get(&k) {
            Some(p) => Some(p),
            None => self.main.patrols.get(i),
        }
    }

    /// The index of the track with this id.
    pub(crate) fn index(&self, id: PatrolId) -> Option<usize> {
        self.added_by_id
            .get(&id)
            .or_else(|| self.main.by_id.get(&id))
            .map(|&i| i as usize)
    }

    /// The highest track id.
    pub(crate) fn max_id(&self) -> Option<u64> {
        self.main
            .max_id
            .max(self.added_by_id.keys().map(|p| p.0).max())
    }

    /// Whether track `i` is the built one (its pre-projected outline is current).
    pub(crate) fn is_built(&self, i: usize) -> bool {
        i < self.main.patrols.len() && !u32::try_from(i).is_ok_and(|k| self.live.contains_key(&k))
    }

    /// This part with `upserts` written (a known id replaced, a new one added).
    pub(crate) fn with_upserts(&self, upserts: &[Patrol]) -> Self {
        let mut live = self.live.clone();
        let mut added = self.added_by_id.clone();
        let mut by_day = self.live_by_worker_day.clone();
        for p in upserts {
            let known = self
                .index(p.id)
                .or_else(|| added.get(&p.id).map(|&i| i as usize));
            let i = known.unwrap_or_else(|| {
                let i = self.main.patrols.len() + added.len();
                if let Ok(k) = u32::try_from(i) {
                    added.insert(p.id, k);
                }
                i
            });
            if let Ok(k) = u32::try_from(i) {
                live.insert(k, Arc::new(p.clone()));
                if let Some(start) = p.start() {
                    by_day
                        .entry((p.worker.clone(), local_day(start)))
                        .or_insert(k);
                }
            }
        }
        let part = Self {
            main: Arc::clone(&self.main),
            live,
            added_by_id: added,
            live_by_worker_day: by_day,
        };
        if part.live.len() >= MIN_REBUILD.max(self.main.patrols.len() / 4) {
            return Self::new(part.to_vec());
        }
        part
    }

    /// Every track as it is now, in index order.
    pub(crate) fn to_vec(&self) -> Vec<Patrol> {
        (0..self.len())
            .filter_map(|i| self.get(i).cloned())
            .collect()
    }

    /// Indices of the tracks meeting `r` (every track when `None`) that `keep` accepts,
    /// ascending.
    pub(crate) fn select(
        &self,
        r: Option<Rect<f64>>,
        keep: impl Fn(&Patrol) -> bool,
    ) -> Vec<usize> {
        let mut out: Vec<usize> = match r {
            Some(r) => {
                let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                self.main
                    .tree
                    .locate_in_envelope_intersecting(&env)
                    .map(|e| e.data as usize)
                    .filter(|&i| self.is_built(i))
                    .filter(|&i| {
                        keep(&self.main.patrols[i]) && self.main.patrols[i].track.intersects(&r)
                    })
                    .collect()
            }
            None => (0..self.main.patrols.len())
                .filter(|&i| self.is_built(i) && keep(&self.main.patrols[i]))
                .collect(),
        };
        out.extend(self.live.iter().filter_map(|(&i, p)| {
            (keep(p) && r.is_none_or(|r| p.track.intersects(&r))).then_some(i as usize)
        }));
        out.sort_unstable();
        out
    }

    /// Track `i` in Web Mercator metres (the built tracks projected once).
    pub(crate) fn mercator(
        &self,
        i: usize,
    ) -> Option<std::borrow::Cow<'_, geo_types::LineString<f64>>> {
        if self.is_built(i) {
            let all = self.main.mercator.get_or_init(|| {
                self.main
                    .patrols
                    .iter()
                    .map(|p| p.track.map_coords(super::to_mercator))
                    .collect()
            });
            return all.get(i).map(std::borrow::Cow::Borrowed);
        }
        self.get(i)
            .map(|p| std::borrow::Cow::Owned(p.track.map_coords(super::to_mercator)))
    }

    /// The track of `worker` for local day `day` ([`local_day`]), if there is one: the GPS
    /// ingest extends it.
    pub(crate) fn track_of_day(&self, worker: &WorkerId, day: i64) -> Option<usize> {
        let on_day = |p: &Patrol| &p.worker == worker && p.start().map(local_day) == Some(day);
        // Live tracks first: today's tracks are the ones being extended.
        let live = self
            .live_by_worker_day
            .get(&(worker.clone(), day))
            .map(|&i| i as usize)
            .filter(|&i| self.get(i).is_some_and(on_day));
        live.or_else(|| {
            let &i = self.main.by_worker_day.get(&(worker.clone(), day))?;
            self.is_built(i as usize).then_some(i as usize)
        })
    }
}
