//! onemap's own exchange formats for every layer: `GeoJSON`, NDJSON (one `GeoJSON` feature per
//! line) and CSV (lon/lat columns for point layers, a WKT column for the others).
//!
//! One feature mapping per layer ([`FeatureMapping`]) serves export, import and the HTTP
//! API, so a property has one name and one encoding everywhere:
//! - feature `id` is the layer key as a string (admin/center code, grid code, camera id,
//!   incident id, patrol id, worker id);
//! - properties are `snake_case`; enums are their `as_str` names, times RFC 3339 UTC strings,
//!   codes strings, lists JSON arrays (in CSV, a JSON array in the cell);
//! - personal data (incident description and reporter, worker name and phone) is written
//!   only when asked.
//!
//! Readers never stop at the first bad feature: they return every problem with the
//! feature's position and id, and the features that were good.

mod csv_rows;
mod flatgeobuf;
pub(crate) mod geometry;
mod json;
mod mapping;
pub(crate) mod shapefile;
mod time;

pub use self::flatgeobuf::write_flatgeobuf;
pub use self::shapefile::{dbf_field_name, write_shapefile, MEASURES, PRJ_4490};
pub use csv_rows::{read_csv, write_csv, CsvOptions};
pub use geometry::{check_lon_lat, from_wkt, to_wkt};
pub use json::{read_geojson, read_ndjson, write_geojson, write_ndjson};
pub(crate) use mapping::Collector;
pub use mapping::{
    feature_id, for_each_feature, layer_len, layer_to_features, property_names, FeatureMapping,
    IncidentRecord,
};
pub use mapping::{Prop, Properties};
pub use time::{format_time, parse_time};

use std::fmt;

/// Why one feature could not be turned into a model value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FeatureError {
    /// What is wrong, naming the property and the value.
    pub message: String,
}

impl FeatureError {
    /// An error with this message.
    #[must_use]
    pub fn new(message: String) -> Self {
        Self { message }
    }
}

impl From<FeatureError> for crate::Error {
    fn from(e: FeatureError) -> Self {
        crate::Error::Invalid(e.message)
    }
}

/// One problem found while reading a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 0-based position of the feature in the file (`GeoJSON` array index, NDJSON line
    /// index, CSV data row index, header excluded). For a file that breaks off, the
    /// position where reading stopped.
    pub index: usize,
    /// The feature's id, when it could be read.
    pub id: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "feature {} (id {id}): {}", self.index, self.message),
            None => write!(f, "feature {}: {}", self.index, self.message),
        }
    }
}

/// What a reader found besides the features: counts and every problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Features read successfully (they are in the returned Dataset).
    pub features: usize,
    /// Everything that was wrong, in file order.
    pub problems: Vec<Problem>,
}

impl ReadReport {
    /// Whether the file had no problem at all.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for ReadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} features read, {} problems",
            self.features,
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}
