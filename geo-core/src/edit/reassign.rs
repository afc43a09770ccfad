//! Reassign: a grid gets other workers (a new revision with the same boundary).

use super::{current, next_revision, Edit};
use crate::codes::GridCode;
use crate::index::Core;
use crate::model::WorkerId;
use crate::{Error, Result};

/// Plans giving `grid` the workers `workers` (the first is the lead).
pub(super) fn plan(core: &Core, grid: GridCode, workers: &[WorkerId]) -> Result<Edit> {
    let old = current(core, grid)?;
    if let Some(w) = workers.iter().find(|w| core.worker_index(w).is_none()) {
        return Err(Error::NotFound(format!("worker {}", w.0)));
    }
    let mut new = next_revision(old, old.geometry.clone());
    new.workers = workers.to_vec();
    Ok(Edit {
        before: vec![old.clone()],
        after: vec![new],
        ..Edit::default()
    })
}
