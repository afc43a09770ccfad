//! CSV: the reader of any table GIS staff are given (`read`: lon/lat or WKT columns found by
//! name, into a `Source`) and onemap's own CSV of each layer, both ways (`layers`).

mod layers;
pub(crate) mod read;

pub use layers::{read_csv, write_csv, CsvOptions};
