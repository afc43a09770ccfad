use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

use crate::codes::{AdminCode, AdminLevel};

/// A county, township or village (or, at province scale, a prefecture or province).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUnit {
    /// GB/T 2260 or statistical division code; its length gives the level.
    pub code: AdminCode,
    /// Official name, e.g. 吉首市, 乾州街道, 世纪社区.
    pub name: String,
    /// The enclosing unit's code (`None` for the top of the hierarchy).
    pub parent: Option<AdminCode>,
    /// Boundary in lon/lat.
    pub geometry: MultiPolygon<f64>,
}

impl AdminUnit {
    /// The unit's level, derived from its code.
    #[must_use]
    pub fn level(&self) -> AdminLevel {
        self.code.level()
    }
}
