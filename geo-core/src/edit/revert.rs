//! Revert: earlier revisions' boundaries and attributes come back as new revisions (the
//! history is never rewritten). Grids edited together (a shared-vertex move, a split) are
//! reverted together, so that the restored boundaries fit again; a retired grid can be
//! brought back the same way. Revision 0 is the time before a grid existed: reverting to
//! it retires the grid, so that undoing a split (the old code back to its revision, the
//! new piece to 0) or a create is one revert.

use super::Edit;
use crate::codes::GridCode;
use crate::index::Core;
use crate::model::Grid;
use crate::{Error, Result};

/// Plans restoring revision `to` of each grid in `targets` (0: ending the grid).
pub(super) fn plan(core: &Core, targets: &[(GridCode, u32)]) -> Result<Edit> {
    if targets.is_empty() {
        return Err(Error::Invalid(
            "a revert names one or more grid revisions".into(),
        ));
    }
    let mut edit = Edit::default();
    let mut named: Vec<GridCode> = Vec::new();
    for &(grid, to) in targets {
        if named.contains(&grid) {
            return Err(Error::Invalid(format!("grid {grid} is named twice")));
        }
        named.push(grid);
        if to == 0 {
            let current = core.grid_by_code(grid).ok_or_else(|| {
                Error::Invalid(format!(
                    "grid {grid} has no current revision to end (revision 0: before it existed)"
                ))
            })?;
            edit.before.push(current.clone());
            continue;
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
