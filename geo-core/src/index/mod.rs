//! The in-memory spatial core that answers every query: R-trees over every layer (small
//! entries: an index and an envelope), exact point-in-polygon for point -> grid, unit-sphere
//! nearest neighbours, and layer queries by box, time, category and status.

mod buckets;
mod catalog;
pub(crate) mod engine;
mod hierarchy;
mod kdtree;
mod label;
mod locate;
mod location;
pub(crate) mod parts;
mod pip;
mod placement;
mod polygons;
pub(crate) mod query;
mod scope;
mod search;
mod snapshot;
mod sphere;
mod stats;
mod update;
mod view;

pub use engine::{Core, Incidents, Patrols, Workers};
pub use label::label_point;
pub use location::{GridRef, Location, UnitRef, WorkerRef};
pub use parts::incidents::FOLD_AT;
pub use query::Filter;
pub use search::SearchHit;
pub use snapshot::{read_snapshot_header, SnapshotError, SnapshotHeader};
pub use sphere::{haversine_m, Nearest, EARTH_RADIUS_M};
pub use stats::{Area, AreaStats, GridFigures, IncidentCounts, RankBy, StatsFilter};
pub use update::Folded;
pub use view::{angle_between, bearing_deg, ViewSector};
