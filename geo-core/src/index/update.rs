//! Writes reaching the core: [`Core::apply`] builds the core that shows a committed change
//! set, replacing only the parts it touches, in time proportional to the change (an
//! incident report touches the incident delta; a grid edit the grid part, the buckets in
//! its box and the placement of what lies there). Every writer goes through it: imports,
//! the incident workflow, GPS ingest, grid edits, and replicas applying other servers'
//! changes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use super::engine::{worker_lookup, Core};
use super::parts::admin::AdminPart;
use super::parts::grids::GridPart;
use super::parts::incidents::{IncidentMain, IncidentPart, FOLD_AT};
use super::parts::patrols::PatrolPart;
use super::parts::points::{CameraPart, CenterPart};
use super::parts::workers::WorkerPart;
use super::placement::Placement;
use crate::codes::{AdminCode, CameraId, GridCode};
use crate::model::{IncidentId, PatrolId, WorkerId};
use crate::store::{ChangeSet, FeatureKey};

/// More grid revisions than this in one write rebuild the grid part instead of patching it.
const PATCH_GRIDS: usize = 256;

/// The keys a change set deletes, by layer.
#[derive(Default)]
struct Deletes {
    admin: HashSet<AdminCode>,
    grids: HashSet<GridCode>,
    cameras: HashSet<CameraId>,
    incidents: Vec<IncidentId>,
    patrols: HashSet<PatrolId>,
    workers: HashSet<WorkerId>,
    centers: HashSet<AdminCode>,
}

impl Deletes {
    fn of(keys: &[FeatureKey]) -> Self {
        let mut d = Self::default();
        for k in keys {
            match k {
                FeatureKey::Admin(c) => {
                    d.admin.insert(*c);
                }
                FeatureKey::Grid(c) => {
                    d.grids.insert(*c);
                }
                FeatureKey::Camera(c) => {
                    d.cameras.insert(*c);
                }
                FeatureKey::Incident(i) => d.incidents.push(*i),
                FeatureKey::Patrol(p) => {
                    d.patrols.insert(*p);
                }
                FeatureKey::Worker(w) => {
                    d.workers.insert(w.clone());
                }
                FeatureKey::Center(c) => {
                    d.centers.insert(*c);
                }
            }
        }
        d
    }
}

/// `old` with `upserts` written over it by key (replaced in place, new ones appended) and
/// the keys in `deleted` removed.
fn merged<T: Clone, K: std::hash::Hash + Eq>(
    old: impl Iterator<Item = T>,
    upserts: &[T],
    deleted: &HashSet<K>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut by_key: HashMap<K, &T> = upserts.iter().map(|t| (key(t), t)).collect();
    let mut out: Vec<T> = old
        .filter(|t| !deleted.contains(&key(t)))
        .map(|t| by_key.remove(&key(&t)).cloned().unwrap_or(t))
        .collect();
    // New ones in the order given.
    out.extend(
        upserts
            .iter()
            .filter(|t| by_key.contains_key(&key(t)))
            .cloned(),
    );
    out
}

/// A new built incident part made in the background from a core's incidents, to be
/// swapped in with [`Core::with_folded`].
#[derive(Debug)]
pub struct Folded {
    /// The built part the fold started from: a fold of anything else is stale.
    base: Arc<IncidentMain>,
    main: IncidentMain,
    placement: Option<Vec<u32>>,
    /// The newest change the fold includes.
    since: u64,
    /// The grid version the placement was computed with.
    grids_version: u64,
}

impl Core {
    /// The core showing change set `changes`: parts the change does not touch are shared
    /// with `self`. Mark it with the store's sequence number once committed
    /// ([`Core::at_seq`]).
    #[must_use]
    #[allow(clippy::too_many_lines)] // one step per layer, read top to bottom
    pub fn apply(&self, changes: &ChangeSet) -> Core {
        let u = &changes.upserts;
        let del = Deletes::of(&changes.deletes);
        let mut next = self.clone();
        next.version = self.version + 1;
        let version = next.version;

        let admin_changed = !u.admin.is_empty() || !del.admin.is_empty();
        if admin_changed {
            next.admin = Arc::new(AdminPart::new(merged(
                self.admin().iter().cloned(),
                &u.admin,
                &del.admin,
                |a| a.code,
            )));
        }

        // A GPS update moves workers and a grid edit changes their grid lists: both are kept
        // beside the roster; anything else (a new worker, a new name) rebuilds it.
        let mut roster_changed = !del.workers.is_empty();
        let mut moves = Vec::new();
        for w in &u.workers {
            match self.workers.index(&w.id) {
                Some(i) if self.workers.patchable(i, w) => moves.push((i, w.clone())),
                _ => roster_changed = true,
            }
        }
        if roster_changed {
            next.workers = WorkerPart::new(merged(
                self.workers.to_vec().into_iter(),
                &u.workers,
                &del.workers,
                |w| w.id.clone(),
            ));
        } else if !moves.is_empty() {
            next.workers = self.workers.with_moves(moves);
        }

        let mut grid_dirty = None;
        let mut grids_rebuilt = false;
        {
            let lookup = worker_lookup(&next.workers);
            if !del.grids.is_empty() || u.grids.len() > PATCH_GRIDS {
                let all = self.grids().iter().map(|g| (**g).clone());
                let kept: Vec<_> = all.filter(|g| !del.grids.contains(&g.code)).collect();
                let revision_key = |g: &crate::model::Grid| (g.code, g.revision);
                let none = HashSet::new();
                next.grids = Arc::new(GridPart::new(
                    merged(kept.into_iter(), &u.grids, &none, revision_key),
                    &next.admin,
                    &lookup,
                ));
                grids_rebuilt = true;
            } else if !u.grids.is_empty() {
                if let Some((part, dirty)) = self.grids.with_upserts(&u.grids, &next.admin, &lookup)
                {
                    next.grids = Arc::new(part);
                    grid_dirty = dirty;
                } else {
                    let mut all: Vec<_> = self.grids().iter().map(|g| (**g).clone()).collect();
                    for g in &u.grids {
                        match self.grids.find(g.code, g.revision) {
                            Some(i) => all[i] = g.clone(),
                            None => all.push(g.clone()),
                        }
                    }
                    next.grids = Arc::new(GridPart::new(all, &next.admin, &lookup));
                    grids_rebuilt = true;
                }
            } else if admin_changed || roster_changed {
                next.grids = Arc::new(self.grids.with_answers(&next.admin, &lookup));
            }
        }
        if grids_rebuilt || grid_dirty.is_some() {
            next.grids_version += 1;
        }

        let cameras_changed = !u.cameras.is_empty() || !del.cameras.is_empty();
        if cameras_changed {
            next.cameras = Arc::new(CameraPart::new(merged(
                self.cameras().iter().cloned(),
                &u.cameras,
                &del.cameras,
                |c| c.id,
            )));
        }
        if !u.centers.is_empty() || !del.centers.is_empty() {
            next.centers = Arc::new(CenterPart::new(merged(
                self.centers().iter().cloned(),
                &u.centers,
                &del.centers,
                |c| c.code,
            )));
        }
        if !del.patrols.is_empty() {
            next.patrols = PatrolPart::new(merged(
                self.patrols.to_vec().into_iter(),
                &u.patrols,
                &del.patrols,
                |p| p.id,
            ));
        } else if !u.patrols.is_empty() {
            next.patrols = self.patrols.with_upserts(&u.patrols);
        }

        // Incidents last: they are placed in the grids as they are now.
        let mut incidents_rebuilt = false;
        if u.incidents.len() + del.incidents.len() > FOLD_AT {
            let deleted: HashSet<IncidentId> = del.incidents.iter().copied().collect();
            next.incidents = IncidentPart::new(merged(
                self.incidents().iter().map(|(_, i)| i.clone()),
                &u.incidents,
                &deleted,
                |i| i.id,
            ));
            incidents_rebuilt = true;
        } else {
            let placed = if grids_rebuilt || grid_dirty.is_some() {
                self.incidents.replaced_live(&|i| next.place_incident(i))
            } else {
                self.incidents.clone()
            };
            if !u.incidents.is_empty() || !del.incidents.is_empty() {
                next.incidents = placed.with_changes(&u.incidents, &del.incidents, version, &|i| {
                    next.place_incident(i)
                });
            } else {
                next.incidents = placed;
            }
        }

        // The built placement follows: kept, patched in the edit's box, or left to be
        // built again on first use.
        let old = self.placement.get();
        next.placement = match old {
            _ if grids_rebuilt || incidents_rebuilt => Arc::default(),
            None => Arc::default(),
            Some(_) if grid_dirty.is_none() && !cameras_changed => Arc::clone(&self.placement),
            Some(old) => {
                let mut p = match grid_dirty {
                    Some(d) => next.placement_patched(old, d),
                    None => old.clone(),
                };
                if cameras_changed {
                    p = next.placement_with_cameras(&p);
                }
                Arc::new(OnceLock::from(p))
            }
        };
        next
    }

    /// Whether the incident delta has grown enough to fold into a new built part.
    #[must_use]
    pub fn wants_fold(&self) -> bool {
        self.incidents.wants_fold()
    }

    /// Incidents written since the last fold (kept in the incident part's delta).
    #[must_use]
    pub fn incident_delta_len(&self) -> usize {
        self.incidents.delta_len()
    }

    /// Builds a new built incident part holding every incident of this core (the delta
    /// folded in): seconds at province scale, meant for a background thread. Swap it in
    /// with [`Core::with_folded`] on the core that is current by then.
    #[must_use]
    pub fn fold_incidents(&self) -> Folded {
        let built = self.placement.get();
        let grid_of =
            built.map(|p| move |i: usize| p.incidents.get(i).unwrap_or(super::placement::NO_GRID));
        let (main, placement) = match &grid_of {
            Some(g) => self.incidents.fold(Some(g)),
            None => self.incidents.fold(None),
        };
        Folded {
            base: Arc::clone(&self.incidents.main),
            main,
            placement,
            since: self.incidents.delta_seq(),
            grids_version: self.grids_version,
        }
    }

    /// This core with a fold made from an earlier one: the incidents written since the
    /// fold's snapshot stay in the delta, over the new built part. A fold whose built part
    /// was replaced meanwhile (a bulk import rebuilt it) is stale and dropped.
    #[must_use]
    pub fn with_folded(&self, folded: Folded) -> Core {
        if !Arc::ptr_eq(&folded.base, &self.incidents.main) {
            return self.clone();
        }
        let mut next = self.clone();
        next.incidents = self.incidents.rebased(folded.main, folded.since);
        next.placement = match (folded.placement, self.placement.get()) {
            // Grids unchanged since the fold's snapshot: its placement holds.
            (Some(incidents), Some(now)) if folded.grids_version == self.grids_version => {
                Arc::new(OnceLock::from(Placement {
                    incidents: super::placement::Chunked::from_vec(&incidents),
                    cameras: now.cameras.clone(),
                    scoped: super::placement::ScopedCells::default(),
                }))
            }
            _ => Arc::default(),
        };
        next
    }
}
