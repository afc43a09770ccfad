//! Revert: an earlier revision's boundary and attributes come back as a new revision (the
//! history is never rewritten). A retired grid can be brought back the same way.

use super::Edit;
use crate::codes::GridCode;
use crate::index::Core;
use crate::model::Grid;
use crate::{Error, Result};

/// Plans restoring revision `to` of `grid`.
pub(super) fn plan(core: &Core, grid: GridCode, to: u32) -> Result<Edit> {
    let revisions = core.grid_revisions(grid);
    let past = core
        .grid_revision(grid, to)
        .map(|i| &core.grids()[i])
        .ok_or_else(|| Error::NotFound(format!("grid {grid} revision {to}")))?;
    let latest = revisions
        .iter()
        .map(|&i| &core.grids()[i])
        .max_by_key(|g| g.revision)
        .ok_or_else(|| Error::NotFound(format!("grid {grid}")))?;
    let current = core.grid_by_code(grid);
    if current.is_some_and(|c| c.revision == to) {
        return Err(Error::Invalid(format!(
            "revision {to} of grid {grid} is the current one"
        )));
    }
    let new = Grid {
        revision: latest.revision + 1,
        ..(**past).clone()
    };
    Ok(Edit {
        before: current.into_iter().cloned().collect(),
        after: vec![new],
        ..Edit::default()
    })
}
