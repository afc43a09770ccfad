//! The data model of SPEC section 3: one type per layer, geometry as `geo-types` in lon/lat
//! (CGCS2000, EPSG:4490, treated as WGS 84), times as Unix seconds (UTC).

mod admin;
mod camera;
mod center;
mod dataset;
mod deadline;
mod grid;
mod incident;
mod patrol;
mod worker;
pub mod workflow;

pub use admin::AdminUnit;
pub use camera::{Camera, CameraStatus, Direction, PositionType, PtzType};
pub use center::Center;
pub use dataset::Dataset;
pub use deadline::DeadlinePolicy;
pub use grid::{Grid, GridKind};
pub use incident::{
    Category, Incident, IncidentDetails, IncidentId, IncidentStatus, Lifecycle, Source, Step,
    Supervision, UNSPECIFIED_SUBCATEGORY,
};
pub use patrol::{local_day, Patrol, PatrolId, LOCAL_UTC_OFFSET_S};
pub use worker::{Worker, WorkerId};

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, UTC.
pub type UnixTime = i64;

/// The layers onemap holds; each is a table in the store and a collection in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Counties, townships and villages.
    Admin,
    /// Governance grids (versioned in time).
    Grids,
    /// Video cameras (GB/T 28181 devices).
    Cameras,
    /// Reported incidents and their lifecycle.
    Incidents,
    /// Timed GPS tracks of patrolling workers.
    Patrols,
    /// Grid workers and their last known position.
    Workers,
    /// Comprehensive governance centers.
    Centers,
}

impl Layer {
    /// Every layer, in load order (parents before children).
    pub const ALL: [Layer; 7] = [
        Layer::Admin,
        Layer::Grids,
        Layer::Centers,
        Layer::Workers,
        Layer::Cameras,
        Layer::Incidents,
        Layer::Patrols,
    ];

    /// The layer's name in URLs, table names and the CLI.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Layer::Admin => "admin",
            Layer::Grids => "grids",
            Layer::Cameras => "cameras",
            Layer::Incidents => "incidents",
            Layer::Patrols => "patrols",
            Layer::Workers => "workers",
            Layer::Centers => "centers",
        }
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Layer {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Layer::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| crate::Error::UnknownLayer(s.to_owned()))
    }
}
