//! Merge: adjacent grids of one village become the first of them (a new revision with the
//! union as boundary, households, population and workers summed); the others end.

use geo::BooleanOps;
use geo_types::MultiPolygon;

use super::{current, next_revision, Edit};
use crate::codes::GridCode;
use crate::index::Core;
use crate::{Error, Result};

/// Plans merging `grids` into the first.
pub(super) fn plan(core: &Core, grids: &[GridCode]) -> Result<Edit> {
    let mut codes = grids.to_vec();
    codes.dedup();
    if codes.len() < 2 {
        return Err(Error::Invalid("a merge needs two or more grids".into()));
    }
    let olds = codes
        .iter()
        .map(|&c| current(core, c))
        .collect::<Result<Vec<_>>>()?;
    let first = olds[0];
    if let Some(g) = olds
        .iter()
        .find(|g| g.code.village() != first.code.village())
    {
        return Err(Error::Invalid(format!(
            "grid {} is in another village than {}: grids merge within a village",
            g.code, first.code
        )));
    }
    let mut union: MultiPolygon<f64> = first.geometry.clone();
    for g in &olds[1..] {
        union = union.union(&g.geometry);
    }
    if union.0.len() > first.geometry.0.len().max(1) {
        return Err(Error::Invalid(
            "the grids are not adjacent: their union falls apart in pieces".into(),
        ));
    }
    let mut merged = next_revision(first, union);
    for g in &olds[1..] {
        merged.households += g.households;
        merged.population += g.population;
        for w in &g.workers {
            if !merged.workers.contains(w) {
                merged.workers.push(w.clone());
            }
        }
    }
    Ok(Edit {
        before: olds.iter().map(|g| (*g).clone()).collect(),
        after: vec![merged],
        ..Edit::default()
    })
}
