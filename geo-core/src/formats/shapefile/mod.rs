//! ESRI Shapefile: the reader of the sets GIS staff are given (`read`, into a `Source`) and
//! onemap's export of one layer (`write`).

pub(crate) mod read;
mod write;

pub use read::MEASURES;
pub use write::{dbf_field_name, write_shapefile, PRJ_4490};
