//! The grid part of the core: every revision of every grid, the bucket grid over current
//! revisions (point -> grid), an R-tree over all revisions (point at a time, queries), and
//! the answer prepared per revision.
//!
//! Revisions are only ever added or replaced in place (a redraw adds a revision and ends
//! the old one), so an index names the same revision for the life of the part: an edit
//! copies pointers, prepares the few new polygons, moves their R-tree entries and
//! recomputes the buckets inside the edit's box, in time proportional to the edit.

use std::sync::Arc;

use geo::BoundingRect;
use geo_types::Rect;
use rstar::{RTree, AABB};

use super::super::buckets::PolygonBuckets;
use super::super::label::LabelPoints;
use super::super::location::{GridAnswer, GridRef, WorkerRef};
use super::super::polygons::{envelope_entry, EnvEntry, PolygonSet};
use super::admin::AdminPart;
use crate::codes::GridCode;
use crate::model::{Grid, WorkerId};

/// How a worker id resolves: its index in the workers part and its name.
pub(crate) type WorkerLookup<'a> = &'a dyn Fn(&WorkerId) -> Option<(usize, Arc<str>)>;

/// Every grid revision and what answers point -> grid.
#[derive(Debug, Default, Clone)]
pub(crate) struct GridPart {
    pub(crate) grids: Vec<Arc<Grid>>,
    pub(crate) polys: PolygonSet,
    /// Current revisions only (`valid_to` is `None`): the hot path of `Core::locate`.
    pub(crate) buckets: Arc<PolygonBuckets>,
    /// Every revision, for `Core::locate_at` and time-filtered queries.
    pub(crate) tree_all: Arc<RTree<EnvEntry>>,
    pub(crate) answers: Vec<Arc<GridAnswer>>,
    /// Where each revision's name is drawn, computed on first use; an edit forgets the
    /// points of the revisions whose outline it changed.
    pub(crate) labels: LabelPoints,
    /// Persistent maps: an edit copies the few nodes it changes, not 50,000 entries.
    pub(crate) current: imbl::HashMap<GridCode, u32>,
    /// Every revision of a code, oldest revision first.
    pub(crate) revisions: imbl::HashMap<GridCode, Vec<u32>>,
    /// No revision has ended.
    all_current: bool,
}

/// One prepared answer for grid revision `i`; names are shared, not copied per lookup.
fn answer(i: usize, g: &Grid, admin: &AdminPart, workers: WorkerLookup<'_>) -> GridAnswer {
    // The grid's code is authoritative for its village (the model keeps them equal).
    let chain = admin.chain_of_village(g.code.village());
    let workers = g
        .workers
        .iter()
        .map(|id| {
            let found = workers(id);
            WorkerRef {
                id: id.clone(),
                name: found
                    .as_ref()
                    .map_or_else(|| Arc::from(""), |(_, n)| n.clone()),
                index: found.map(|(w, _)| w),
            }
        })
        .collect();
    GridAnswer {
        chain,
        grid: GridRef {
            code: g.code,
            name: Arc::from(g.name.as_str()),
            revision: g.revision,
            index: i,
        },
        workers,
    }
}

fn aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

impl GridPart {
    /// Indexes every revision in `grids`.
    pub(crate) fn new(grids: Vec<Grid>, admin: &AdminPart, workers: WorkerLookup<'_>) -> Self {
        let grids: Vec<Arc<Grid>> = grids.into_iter().map(Arc::new).collect();
        let polys = PolygonSet::new(grids.iter().map(|g| &g.geometry));
        let buckets = PolygonBuckets::new(
            grids
                .iter()
                .enumerate()
                .filter(|(_, g)| g.valid_to.is_none())
                .map(|(i, g)| (i, &g.geometry)),
            &polys,
        );
        let tree_all = polys.tree(grids.iter().map(|g| &g.geometry), |_| true);
        let mut part = Self {
            polys,
            buckets: Arc::new(buckets),
            tree_all: Arc::new(tree_all),
            labels: LabelPoints::new(grids.len()),
            ..Self::default()
        };
        part.answers = grids
            .iter()
            .enumerate()
            .map(|(i, g)| Arc::new(answer(i, g, admin, workers)))
            .collect();
        part.grids = grids;
        for (i, g) in part.grids.iter().enumerate() {
            if let Ok(i) = u32::try_from(i) {
                part.revisions.entry(g.code).or_default().push(i);
            }
        }
        let codes: Vec<GridCode> = part.revisions.keys().copied().collect();
        for code in codes {
            part.settle(code);
        }
        part.settle_all_current();
        part
    }

    /// Sorts a code's revisions and sets its current one: with two current revisions of one
    /// code, the higher revision wins.
    fn settle(&mut self, code: GridCode) {
        let grids = &self.grids;
        let Some(revs) = self.revisions.get_mut(&code) else {
            return;
        };
        revs.sort_by_key(|&i| (grids[i as usize].revision, i));
        let current = revs
            .iter()
            .rev()
            .copied()
            .find(|&i| grids[i as usize].valid_to.is_none());
        match current {
            Some(i) => self.current.insert(code, i),
            None => self.current.remove(&code),
        };
    }

    /// Answers rebuilt for every revision (the admin chains or worker names changed).
    pub(crate) fn with_answers(&self, admin: &AdminPart, workers: WorkerLookup<'_>) -> Self {
        let mut part = self.clone();
        part.answers = part
            .grids
            .iter()
            .enumerate()
            .map(|(i, g)| Arc::new(answer(i, g, admin, workers)))
            .collect();
        part
    }

    /// Whether no revision has ended (placement can then use the buckets).
    pub(crate) fn all_current(&self) -> bool {
        self.all_current
    }

    fn settle_all_current(&mut self) {
        self.all_current = self.grids.iter().all(|g| g.valid_to.is_none());
    }

    /// The index of revision (`code`, `revision`), if present.
    pub(crate) fn find(&self, code: GridCode, revision: u32) -> Option<usize> {
        self.revisions
            .get(&code)?
            .iter()
            .map(|&i| i as usize)
            .find(|&i| self.grids[i].revision == revision)
    }

    /// This part with `upserts` written (a revision with a known (code, revision) replaced
    /// in place, a new one added), and the lon/lat box whose point -> grid answers may have
    /// changed (old and new outlines). `None` when the buckets cannot be patched and the
    /// part must be built anew.
    pub(crate) fn with_upserts(
        &self,
        upserts: &[Grid],
        admin: &AdminPart,
        workers: WorkerLookup<'_>,
    ) -> Option<(Self, Option<Rect<f64>>)> {
        let mut part = self.clone();
        let mut dirty: Option<Rect<f64>> = None;
        let mut grow = |r: Option<Rect<f64>>| {
            if let Some(r) = r {
                dirty = Some(dirty.map_or(r, |d| super::union(d, r)));
            }
        };
        for g in upserts {
            let i = if let Some(i) = part.find(g.code, g.revision) {
                let old = &part.grids[i];
                if old.geometry != g.geometry {
                    part.labels.reset(i);
                }
                grow(old.geometry.bounding_rect());
                if let Some(e) = envelope_entry(&old.geometry, i as u32) {
                    Arc::make_mut(&mut part.tree_all).remove(&e);
                }
                i
            } else {
                let i = part.grids.len();
                part.labels.reset(i);
                part.revisions
                    .entry(g.code)
                    .or_default()
                    .push(u32::try_from(i).ok()?);
                i
            };
            grow(g.geometry.bounding_rect());
            let g = Arc::new(g.clone());
            part.polys.set(i, &g.geometry);
            if part.polys.is_prepared(i) {
                if let Some(e) = envelope_entry(&g.geometry, i as u32) {
                    Arc::make_mut(&mut part.tree_all).insert(e);
                }
            }
            let a = Arc::new(answer(i, &g, admin, workers));
            if i == part.grids.len() {
                part.grids.push(g);
                part.answers.push(a);
            } else {
                part.grids[i] = g;
                part.answers[i] = a;
            }
        }
        for g in upserts {
            part.settle(g.code);
        }
        part.settle_all_current();
        if let Some(d) = dirty {
            let grids = &part.grids;
            let tree = &part.tree_all;
            let buckets = part.buckets.patched(
                d,
                |area| {
                    tree.locate_in_envelope_intersecting(&aabb(area))
                        .map(|e| e.data as usize)
                        .filter(|&i| grids[i].valid_to.is_none())
                        .map(|i| (i, &grids[i].geometry))
                        .collect::<Vec<_>>()
                        .into_iter()
                },
                &part.polys,
            )?;
            part.buckets = Arc::new(buckets);
        }
        Some((part, dirty))
    }
}
