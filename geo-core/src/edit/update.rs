//! Update: a new revision of a grid with any of its boundary and attributes replaced (what
//! an OGC API Features Part 4 PUT or PATCH says).

use geo_types::MultiPolygon;

use super::{current, next_revision, Edit};
use crate::codes::GridCode;
use crate::index::Core;
use crate::model::{GridKind, WorkerId};
use crate::{Error, Result};

/// What an update replaces; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// New boundary.
    pub geometry: Option<MultiPolygon<f64>>,
    /// New display name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<GridKind>,
    /// New workers.
    pub workers: Option<Vec<WorkerId>>,
    /// New registered households.
    pub households: Option<u32>,
    /// New registered population.
    pub population: Option<u32>,
}

/// Plans the update of `grid` with `changes`.
pub(super) fn plan(core: &Core, grid: GridCode, changes: &Changes) -> Result<Edit> {
    let old = current(core, grid)?;
    if let Some(w) = changes
        .workers
        .iter()
        .flatten()
        .find(|w| core.worker_index(w).is_none())
    {
        return Err(Error::NotFound(format!("worker {}", w.0)));
    }
    let mut new = next_revision(
        old,
        changes
            .geometry
            .clone()
            .unwrap_or_else(|| old.geometry.clone()),
    );
    if let Some(n) = &changes.name {
        new.name.clone_from(n);
    }
    if let Some(k) = changes.kind {
        new.kind = k;
    }
    if let Some(w) = &changes.workers {
        new.workers.clone_from(w);
    }
    if let Some(h) = changes.households {
        new.households = h;
    }
    if let Some(p) = changes.population {
        new.population = p;
    }
    Ok(Edit {
        before: vec![old.clone()],
        after: vec![new],
        ..Edit::default()
    })
}
