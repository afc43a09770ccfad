//! onemap's library: the data model with typed codes, the in-memory spatial core (R-trees,
//! H3 cells), the stores (embedded GeoPackage, PostGIS) and the demo data generator.
//!
//! It knows nothing of HTTP: `tile-server` is a thin front end over it.

pub mod access;
pub mod codes;
pub mod crs;
pub mod demo;
pub mod edit;
pub mod error;
pub mod formats;
pub mod h3;
pub mod index;
pub mod limits;
pub mod load;
pub mod model;
pub mod mvt;
pub mod render;
pub mod source;
pub mod store;
pub mod tile;
pub mod validate;

pub use error::{Error, Result};
