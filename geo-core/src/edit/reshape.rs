//! Reshape: a grid gets a new boundary; neighbours are left as they are (the preview shows
//! any overlap or gap this opens).

use geo_types::MultiPolygon;

use super::{current, next_revision, Edit};
use crate::codes::GridCode;
use crate::index::Core;
use crate::Result;

/// Plans the reshape of `grid` to `geometry`.
pub(super) fn plan(core: &Core, grid: GridCode, geometry: &MultiPolygon<f64>) -> Result<Edit> {
    let old = current(core, grid)?;
    Ok(Edit {
        after: vec![next_revision(old, geometry.clone())],
        before: vec![old.clone()],
        ..Edit::default()
    })
}
