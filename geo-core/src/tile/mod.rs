//! Web map tiles: the `z/x/y` tile grid over Web Mercator (EPSG:3857) and the projection of
//! lon/lat into a tile's pixel space, the coordinates vector tiles are written in.

mod coord;
mod mercator;
mod projection;

pub use coord::{TileCoord, TileError, MAX_ZOOM};
pub use mercator::{
    lonlat_to_mercator, lonlat_to_unit, mercator_to_lonlat, EARTH_RADIUS, MAX_LATITUDE,
    MERCATOR_HALF_WORLD,
};
pub use projection::{TileOptions, TileProjection, DEFAULT_BUFFER, DEFAULT_EXTENT};
