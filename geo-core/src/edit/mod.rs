//! Grid edits: topology-aware operations on the current grids (reshape, move a shared
//! vertex, split, merge, reassign workers, create, retire, revert), each planned against a
//! [`Core`] into an [`Edit`]: the grid revisions to write (old ones ended, new ones begun)
//! and the change set that writes them. [`preview`] adds what a planner checks before
//! saving: validation findings and the impact (incidents, cameras, people, patrol time,
//! workers' loads).
//!
//! Planning reads the core only; nothing is written until the change set goes through the
//! one write path.

mod create;
mod impact;
mod merge;
mod move_vertex;
mod reassign;
mod request;
mod reshape;
mod retire;
mod revert;
mod split;
mod update;
mod validate;

use std::collections::HashMap;

use geo_types::MultiPolygon;
use serde::Serialize;

pub use impact::{Impact, WorkerLoad};
pub use request::{parse_area, parse_op, EditRequest};
pub use split::cut;
pub use update::Changes;
pub use validate::{blocking, findings, Limits};

use crate::codes::{GridCode, VillageCode};
use crate::index::Core;
use crate::model::{Dataset, Grid, UnixTime, Worker, WorkerId};
use crate::store::{ChangeKind, ChangeSet};
use crate::validate::Finding;
use crate::{Error, Result};

/// One edit operation, as a planner or a client asks for it.
#[derive(Debug, Clone, PartialEq)]
pub enum EditOp {
    /// Replace a grid's boundary.
    Reshape {
        /// The grid.
        grid: GridCode,
        /// Its new boundary (lon/lat).
        geometry: MultiPolygon<f64>,
    },
    /// Move a vertex: every current grid holding it moves it, so shared borders stay shared.
    MoveVertex {
        /// Where the vertex is now (lon/lat).
        from: [f64; 2],
        /// Where it goes.
        to: [f64; 2],
    },
    /// Split a grid in two by a line drawn across it; the part left of the line keeps the
    /// code, the other gets the next free code of the village.
    Split {
        /// The grid.
        grid: GridCode,
        /// The cutting line (lon/lat), crossing the grid.
        line: Vec<[f64; 2]>,
    },
    /// Merge adjacent grids of one village into the first.
    Merge {
        /// Two or more codes; the first survives.
        grids: Vec<GridCode>,
    },
    /// Give a grid other workers (the first is the lead).
    Reassign {
        /// The grid.
        grid: GridCode,
        /// Its new workers.
        workers: Vec<WorkerId>,
    },
    /// Draw a new grid; without a code, the next free one of `village`.
    Create {
        /// The code, or `None` for the next free one.
        code: Option<GridCode>,
        /// The village (the code's, when given).
        village: VillageCode,
        /// Display name.
        name: String,
        /// Boundary.
        geometry: MultiPolygon<f64>,
        /// Workers.
        workers: Vec<WorkerId>,
    },
    /// End a grid (no new revision).
    Retire {
        /// The grid.
        grid: GridCode,
    },
    /// Replace any of a grid's boundary and attributes (OGC API Features Part 4).
    Update {
        /// The grid.
        grid: GridCode,
        /// What changes.
        changes: Changes,
    },
    /// Bring back earlier revisions' boundaries and attributes as new revisions (grids
    /// edited together are reverted together).
    Revert {
        /// Each grid with the revision to restore.
        to: Vec<(GridCode, u32)>,
    },
}

impl EditOp {
    /// The operation's name in the API.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            EditOp::Reshape { .. } => "reshape",
            EditOp::MoveVertex { .. } => "move_vertex",
            EditOp::Split { .. } => "split",
            EditOp::Merge { .. } => "merge",
            EditOp::Reassign { .. } => "reassign",
            EditOp::Create { .. } => "create",
            EditOp::Retire { .. } => "retire",
            EditOp::Revert { .. } => "revert",
            EditOp::Update { .. } => "update",
        }
    }
}

/// A planned edit: what it replaces and what it writes.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// The operation's name.
    pub op: &'static str,
    /// The current revisions the edit replaces or ends, as they are now.
    pub before: Vec<Grid>,
    /// The revisions that are current after it (new revisions; a retired grid has none).
    pub after: Vec<Grid>,
    /// Workers whose grid lists change (reassign, merge, split, create, retire).
    pub workers: Vec<Worker>,
    /// When the edit takes effect: the old revisions' `valid_to`, the new ones' `valid_from`.
    pub at: UnixTime,
}

/// A base revision that is no longer current: the edit was drawn on an older state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// The grid.
    pub grid: GridCode,
    /// The revision the edit was drawn on.
    pub base: u32,
    /// The revision current now (`None`: retired).
    pub current: Option<u32>,
}

impl Edit {
    /// Every grid revision to write: each replaced revision with `valid_to` set, then the
    /// new revisions.
    #[must_use]
    pub fn revisions(&self) -> Vec<Grid> {
        let mut out: Vec<Grid> = self
            .before
            .iter()
            .map(|g| Grid {
                valid_to: Some(self.at),
                ..g.clone()
            })
            .collect();
        out.extend(self.after.iter().cloned());
        out
    }

    /// The change set writing this edit, by `author` for `reason`.
    #[must_use]
    pub fn change_set(&self, author: &str, reason: &str) -> ChangeSet {
        let kind = if self.op == "revert" {
            ChangeKind::Revert
        } else {
            ChangeKind::Edit
        };
        let codes: Vec<String> = self
            .before
            .iter()
            .map(|g| g.code)
            .chain(self.after.iter().map(|g| g.code))
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(&c) {
                    v.push(c);
                }
                v
            })
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut summary = format!("{} {}", self.op, codes.join(","));
        if !reason.is_empty() {
            summary.push_str(": ");
            summary.push_str(reason);
        }
        let mut c = ChangeSet::new(kind, author, summary);
        c.upserts = Dataset {
            grids: self.revisions(),
            workers: self.workers.clone(),
            ..Dataset::default()
        };
        c
    }

    /// The base revisions (code -> revision) that are no longer current in `core`.
    #[must_use]
    pub fn stale(core: &Core, base: &HashMap<GridCode, u32>) -> Vec<Stale> {
        let mut out: Vec<Stale> = base
            .iter()
            .filter_map(|(&grid, &rev)| {
                let current = core.grid_by_code(grid).map(|g| g.revision);
                (current != Some(rev)).then_some(Stale {
                    grid,
                    base: rev,
                    current,
                })
            })
            .collect();
        out.sort_by_key(|s| s.grid);
        out
    }
}

/// Plans `op` against `core`, taking effect at `at`.
pub fn plan(core: &Core, op: &EditOp, at: UnixTime) -> Result<Edit> {
    let mut edit = match op {
        EditOp::Reshape { grid, geometry } => reshape::plan(core, *grid, geometry)?,
        EditOp::MoveVertex { from, to } => move_vertex::plan(core, *from, *to)?,
        EditOp::Split { grid, line } => split::plan(core, *grid, line)?,
        EditOp::Merge { grids } => merge::plan(core, grids)?,
        EditOp::Reassign { grid, workers } => reassign::plan(core, *grid, workers)?,
        EditOp::Create {
            code,
            village,
            name,
            geometry,
            workers,
        } => create::plan(core, *code, *village, name, geometry, workers)?,
        EditOp::Retire { grid } => retire::plan(core, *grid)?,
        EditOp::Revert { to } => revert::plan(core, to)?,
        EditOp::Update { grid, changes } => update::plan(core, *grid, changes)?,
    };
    edit.op = op.name();
    // A revision starts after the one it replaces (two edits in one second stay ordered).
    let latest = edit.before.iter().map(|g| g.valid_from).max();
    edit.at = latest.map_or(at, |t| at.max(t + 1));
    for g in &mut edit.after {
        g.valid_from = edit.at;
        g.valid_to = None;
    }
    edit.workers = worker_changes(core, &edit);
    Ok(edit)
}

/// A planned edit with its findings and impact: what `/api/edits/preview` answers.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The edit.
    pub edit: Edit,
    /// Validation findings; errors block the commit.
    pub findings: Vec<Finding>,
    /// What changes hands.
    pub impact: Impact,
}

/// Plans `op` and works out its findings and impact.
pub fn preview(core: &Core, op: &EditOp, at: UnixTime, limits: &Limits) -> Result<Preview> {
    let edit = plan(core, op, at)?;
    let findings = findings(core, &edit, limits);
    let impact = impact::impact(core, &edit);
    Ok(Preview {
        edit,
        findings,
        impact,
    })
}

/// A grid revision as a `GeoJSON` feature (onemap's grid mapping).
#[must_use]
pub fn feature(g: &Grid) -> geojson::Feature {
    use crate::formats::FeatureMapping;
    g.to_feature(false)
}

/// The current revision of `code`, or not found.
fn current(core: &Core, code: GridCode) -> Result<&Grid> {
    core.grid_by_code(code)
        .ok_or_else(|| Error::NotFound(format!("grid {code}")))
}

/// The next revision of `old` with boundary `geometry` (times are set by [`plan`]).
fn next_revision(old: &Grid, geometry: MultiPolygon<f64>) -> Grid {
    Grid {
        revision: old.revision + 1,
        geometry,
        ..old.clone()
    }
}

/// The lowest grid code of `village` no revision has ever used, skipping `taken`.
fn free_code(core: &Core, village: VillageCode, taken: &[GridCode]) -> Result<GridCode> {
    let used: std::collections::HashSet<u16> = core
        .grids()
        .iter()
        .filter(|g| g.code.village() == village)
        .map(|g| g.code.sequence())
        .chain(taken.iter().map(|c| c.sequence()))
        .collect();
    (1..=999u16)
        .find(|s| !used.contains(s))
        .and_then(|s| village.grid(s))
        .ok_or_else(|| Error::Invalid(format!("village {village} has no free grid code left")))
}

/// Workers whose grid lists the edit changes, with their new lists.
fn worker_changes(core: &Core, edit: &Edit) -> Vec<Worker> {
    let mut lists: HashMap<WorkerId, Vec<GridCode>> = HashMap::new();
    let touched: Vec<&WorkerId> = edit
        .before
        .iter()
        .chain(edit.after.iter())
        .flat_map(|g| g.workers.iter())
        .collect();
    for id in touched {
        if lists.contains_key(id) {
            continue;
        }
        let Some(w) = core.worker_index(id).and_then(|i| core.workers().get(i)) else {
            continue;
        };
        lists.insert(id.clone(), w.grids.clone());
    }
    let kept: std::collections::HashSet<(&WorkerId, GridCode)> = edit
        .after
        .iter()
        .flat_map(|g| g.workers.iter().map(move |w| (w, g.code)))
        .collect();
    for g in &edit.before {
        for w in &g.workers {
            if kept.contains(&(w, g.code)) {
                continue;
            }
            if let Some(l) = lists.get_mut(w) {
                l.retain(|c| *c != g.code);
            }
        }
    }
    for g in &edit.after {
        for w in &g.workers {
            if let Some(l) = lists.get_mut(w) {
                if !l.contains(&g.code) {
                    l.push(g.code);
                }
            }
        }
    }
    let mut out: Vec<Worker> = lists
        .into_iter()
        .filter_map(|(id, grids)| {
            let w = core.workers().get(core.worker_index(&id)?)?;
            (w.grids != grids).then(|| Worker { grids, ..w.clone() })
        })
        .collect();
    out.sort_by(|a, b| a.id.0.cmp(&b.id.0));
    out
}

/// What two revisions' boundaries differ by: (added in `new`, removed from `old`).
#[must_use]
pub fn diff(old: &Grid, new: &Grid) -> (MultiPolygon<f64>, MultiPolygon<f64>) {
    use geo::BooleanOps;
    (
        new.geometry.difference(&old.geometry),
        old.geometry.difference(&new.geometry),
    )
}
