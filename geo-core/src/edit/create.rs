//! Create: a new grid drawn in a village.

use geo_types::MultiPolygon;

use super::{free_code, Edit};
use crate::codes::{GridCode, VillageCode};
use crate::index::Core;
use crate::model::{Grid, GridKind, WorkerId};
use crate::{Error, Result};

/// Plans a new grid (`code`, or the next free code of `village`).
pub(super) fn plan(
    core: &Core,
    code: Option<GridCode>,
    village: VillageCode,
    name: &str,
    geometry: &MultiPolygon<f64>,
    workers: &[WorkerId],
) -> Result<Edit> {
    let code = match code {
        Some(c) if c.village() != village => {
            return Err(Error::Invalid(format!(
                "grid code {c} is not of village {village}"
            )))
        }
        Some(c) if !core.grid_revisions(c).is_empty() => {
            return Err(Error::Invalid(format!(
                "grid {c} exists (revert it to bring it back)"
            )))
        }
        Some(c) => c,
        None => free_code(core, village, &[])?,
    };
    if let Some(w) = workers.iter().find(|w| core.worker_index(w).is_none()) {
        return Err(Error::NotFound(format!("worker {}", w.0)));
    }
    Ok(Edit {
        after: vec![Grid {
            code,
            name: if name.is_empty() {
                format!("网格{}", code.sequence())
            } else {
                name.to_owned()
            },
            village,
            kind: GridKind::Basic,
            workers: workers.to_vec(),
            households: 0,
            population: 0,
            valid_from: 0,
            valid_to: None,
            revision: 1,
            geometry: geometry.clone(),
        }],
        ..Edit::default()
    })
}
