//! Revert: earlier revisions' boundaries and attributes come back as new revisions (the
//! history is never rewritten). Grids edited together (a shared-vertex move, a split) are
//! reverted together, so that the restored boundaries fit again; a retired grid can be
//! brought back the same way.

use super::Edit;
use crate::codes::GridCode;
use crate::index::Core;
use crate::model::Grid;
use crate::{Error, Result};

/// Plans restoring revision `to` of each grid in `targets`.
pub(super) fn plan(core: &Core, targets: &[(GridCode, u32)]) -> Result<Edit> {
    if targets.is_empty() {
        return Err(Error::Invalid(
            "a revert names one or more grid revisions".into(),
        ));
    }
    let mut edit = Edit::default();
    for &(grid, to) in targets {
        if edit.after.iter().any(|g: &Grid| g.code == grid) {
            return Err(Error::Invalid(format!("grid {grid} is named twice")));
        }
        let past = core
            .grid_revision(grid, to)
            .map(|i| &core.grids()[i])
            .ok_or_else(|| Error::NotFound(format!("grid {grid} revision {to}")))?;
        let latest = core
            .grid_revisions(grid)
            .iter()
            .map(|&i| core.grids()[i].revision)
            .max()
            .unwrap_or(to);
        let current = core.grid_by_code(grid);
        if current.is_some_and(|c| c.revision == to) {
            return Err(Error::Invalid(format!(
                "revision {to} of grid {grid} is the current one"
            )));
        }
        edit.before.extend(current.cloned());
        edit.after.push(Grid {
            revision: latest + 1,
            ..(**past).clone()
        });
    }
    Ok(edit)
}
