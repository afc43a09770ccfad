//! Retire: a grid's current revision ends and no new one begins.

use super::{current, Edit};
use crate::codes::GridCode;
use crate::index::Core;
use crate::Result;

/// Plans ending `grid`.
pub(super) fn plan(core: &Core, grid: GridCode) -> Result<Edit> {
    Ok(Edit {
        before: vec![current(core, grid)?.clone()],
        ..Edit::default()
    })
}
