use geo_types::Point;
use serde::{Deserialize, Serialize};

use super::UnixTime;
use crate::codes::GridCode;

/// A grid worker's id, e.g. `W433101001001001`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkerId(pub String);

impl std::fmt::Display for WorkerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A grid worker (网格员).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Worker {
    /// Stable id.
    pub id: WorkerId,
    /// Name (personal data).
    pub name: String,
    /// Mobile phone (personal data).
    pub phone: String,
    /// Grids the worker is responsible for.
    pub grids: Vec<GridCode>,
    /// Last known position.
    pub location: Point<f64>,
    /// When the position was reported.
    pub seen_at: UnixTime,
}
