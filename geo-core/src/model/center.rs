use geo_types::Point;
use serde::{Deserialize, Serialize};

use crate::codes::{AdminCode, AdminLevel};

/// A comprehensive governance center (综治中心) at some level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Center {
    /// The admin unit the center serves.
    pub code: AdminCode,
    /// Province ... village.
    pub level: AdminLevel,
    /// e.g. 吉首市社会治安综合治理中心.
    pub name: String,
    /// Where it is.
    pub location: Point<f64>,
}
