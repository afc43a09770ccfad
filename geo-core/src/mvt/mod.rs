//! Mapbox Vector Tile 2.1 encoder: lon/lat (or Web Mercator) `geo-types` geometry and typed
//! properties in, protobuf bytes out.
//!
//! ```
//! use geo_core::mvt::{TileBuilder, Value};
//! use geo_core::tile::{TileCoord, TileOptions};
//! let coord = TileCoord::containing(112.94, 28.23, 12).unwrap();
//! let mut tile = TileBuilder::new(coord, TileOptions::default()).unwrap();
//! let cameras = tile.layer("cameras");
//! assert!(cameras.add_point(Some(7), 112.94, 28.23, &[("kind", Value::String("dome"))]));
//! assert!(!tile.is_empty());
//! let bytes: Vec<u8> = tile.finish();
//! assert!(!bytes.is_empty());
//! ```
//!
//! The protobuf is written by hand (`pbf`): an MVT writer needs five wire-format primitives,
//! and writing feature messages straight into the layer buffer with sizes computed first
//! avoids the intermediate structs and double encoding a generated-code crate would bring.

mod clip;
mod command;
mod layer;
mod pbf;
mod shape;
mod simplify;
mod tile;
mod value;

pub use command::GeomType;
pub use layer::LayerBuilder;
pub use shape::GeomRef;
pub use tile::TileBuilder;
pub use value::Value;
