//! FlatGeobuf: the reader of any `.fgb` (`read`, into a `Source`) and onemap's export of one
//! layer (`write`).

pub(crate) mod read;
mod write;

pub use write::write_flatgeobuf;
