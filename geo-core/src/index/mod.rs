//! The in-memory spatial core that answers every query: R-trees over every layer (small
//! entries: an index and an envelope), exact point-in-polygon for point -> grid, unit-sphere
//! nearest neighbours, and layer queries by box, time, category and status.

mod buckets;
mod catalog;
mod engine;
mod kdtree;
mod locate;
mod location;
mod pip;
mod polygons;
mod query;
mod sphere;

pub use engine::Core;
pub use location::{GridRef, Location, UnitRef, WorkerRef};
pub use query::Filter;
pub use sphere::{haversine_m, Nearest, EARTH_RADIUS_M};
