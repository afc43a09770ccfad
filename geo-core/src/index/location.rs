//! What a point lookup answers: the admin chain, the grid and its workers, the H3 cell.

use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::codes::{AdminCode, GridCode};
use crate::model::WorkerId;

/// An admin unit named in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRef {
    /// The unit's code.
    pub code: AdminCode,
    /// The unit's name.
    pub name: Arc<str>,
}

/// A grid revision named in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridRef {
    /// The grid's code.
    pub code: GridCode,
    /// The grid's name.
    pub name: Arc<str>,
    /// Which revision of the grid.
    pub revision: u32,
    /// Index into `data().grids`.
    #[serde(skip)]
    pub index: usize,
}

/// A grid worker named in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerRef {
    /// The worker's id.
    pub id: WorkerId,
    /// The worker's name; empty when the id is not in the workers layer.
    pub name: Arc<str>,
    /// Index into `data().workers`, when the worker is there.
    #[serde(skip)]
    pub index: Option<usize>,
}

/// The answer to "where is this point": admin chain, grid, the grid's workers, H3 cell.
///
/// A unit or grid is `None` when the point is in none (or its code is not in the admin layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    /// County (6-digit code).
    pub county: Option<UnitRef>,
    /// Township (9 digits).
    pub township: Option<UnitRef>,
    /// Village or community (12 digits).
    pub village: Option<UnitRef>,
    /// The grid revision the point lies in.
    pub grid: Option<GridRef>,
    /// That grid's workers, lead first.
    pub workers: Vec<WorkerRef>,
    /// The point's H3 cell at resolution 9.
    #[serde(serialize_with = "cell_as_string")]
    pub h3_res9: h3o::CellIndex,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` signature
fn cell_as_string<S: Serializer>(cell: &h3o::CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(cell)
}

/// The admin chain of a point: county, township, village.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chain {
    pub(crate) county: Option<UnitRef>,
    pub(crate) township: Option<UnitRef>,
    pub(crate) village: Option<UnitRef>,
}

/// What a point in a given grid revision answers, prepared once per revision.
#[derive(Debug, Clone)]
pub(crate) struct GridAnswer {
    pub(crate) chain: Chain,
    pub(crate) grid: GridRef,
    pub(crate) workers: Vec<WorkerRef>,
}

impl GridAnswer {
    /// The full answer for a point with H3 cell `cell`.
    pub(crate) fn location(&self, cell: h3o::CellIndex) -> Location {
        Location {
            county: self.chain.county.clone(),
            township: self.chain.township.clone(),
            village: self.chain.village.clone(),
            grid: Some(self.grid.clone()),
            workers: self.workers.clone(),
            h3_res9: cell,
        }
    }
}
