//! `GeoJSON` and NDJSON: the reader of any file (`read`, into a `Source`) and onemap's own
//! `GeoJSON`/NDJSON of each layer, both ways (`layers`).

mod layers;
pub(crate) mod read;

pub use layers::{read_geojson, read_ndjson, write_geojson, write_ndjson};
