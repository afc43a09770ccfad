//! The file formats, one folder each with its reader (`read.rs`, any such file into a
//! [`Source`](crate::source::Source)) beside its writer (`write.rs`) or onemap's own
//! exchange form of each layer (`layers.rs`): `GeoJSON`, NDJSON (one `GeoJSON` feature per
//! line) and CSV (lon/lat columns for point layers, a WKT column for the others) both ways,
//! Shapefile and FlatGeobuf exports, and the readers of GeoPackage, KML/KMZ and GPX.
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
//! feature's position and id, and the features that were good. Every refusal carries its
//! [`ErrorKind`], decided where it is made, so the import report files it without reading
//! its text.

pub(crate) mod csv;
pub(crate) mod flatgeobuf;
pub(crate) mod geojson;
pub(crate) mod geometry;
pub(crate) mod geopackage;
pub(crate) mod gpx;
pub(crate) mod kml;
mod mapping;
pub(crate) mod shapefile;
mod time;

pub use self::csv::{read_csv, write_csv, CsvOptions};
pub use self::flatgeobuf::write_flatgeobuf;
pub use self::geojson::{read_geojson, read_ndjson, write_geojson, write_ndjson};
pub use self::gpx::GPX_ID_BASE;
pub use self::shapefile::{dbf_field_name, write_shapefile, MEASURES, PRJ_4490};
pub use geometry::{check_lon_lat, from_wkt, to_wkt};
pub(crate) use mapping::Collector;
pub use mapping::{
    feature_id, for_each_feature, layer_len, layer_to_features, property_names, FeatureMapping,
    IncidentRecord,
};
pub use mapping::{Prop, Properties};
pub use time::{format_time, parse_time};

use std::fmt;

/// What kind of refusal a feature error or a read problem is, decided where it is made: the
/// check of the import report it belongs under ([`ErrorKind::check`]), so that nothing sorts
/// errors by their text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A property of the wrong form or value (not a code).
    Attribute,
    /// A required property absent: when many rows lack it, the report gathers them into one
    /// finding.
    MissingAttribute,
    /// A code or camera id not of its form, or not the level its feature says.
    MalformedCode,
    /// A grid's village that is not the one its code names.
    CodeVillageMismatch,
    /// No geometry, one that cannot be read, or one the layer does not take.
    Geometry,
    /// A ring that is not closed or has too few positions.
    InvalidRing,
}

impl ErrorKind {
    /// The check of the import report this kind of error is reported under.
    #[must_use]
    pub fn check(self) -> crate::validate::Check {
        use crate::validate::Check;
        match self {
            Self::Attribute | Self::MissingAttribute => Check::Attribute,
            Self::MalformedCode => Check::MalformedCode,
            Self::CodeVillageMismatch => Check::CodeVillageMismatch,
            Self::Geometry => Check::Geometry,
            Self::InvalidRing => Check::InvalidRing,
        }
    }
}

/// Why one feature could not be turned into a model value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FeatureError {
    /// What kind of refusal it is.
    pub kind: ErrorKind,
    /// What is wrong, naming the property and the value.
    pub message: String,
}

impl FeatureError {
    /// An error of `kind` with this message.
    #[must_use]
    pub fn new(kind: ErrorKind, message: String) -> Self {
        Self { kind, message }
    }

    /// A property of the wrong form or value.
    #[must_use]
    pub fn attribute(message: String) -> Self {
        Self::new(ErrorKind::Attribute, message)
    }

    /// No geometry, an unreadable one, or one the layer does not take.
    #[must_use]
    pub fn geometry(message: String) -> Self {
        Self::new(ErrorKind::Geometry, message)
    }

    /// A code not of its form.
    #[must_use]
    pub fn malformed_code(message: String) -> Self {
        Self::new(ErrorKind::MalformedCode, message)
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
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem of the feature (or the place in the file) at `index`, whose id is unknown.
    #[must_use]
    pub fn new(index: usize, kind: ErrorKind, message: String) -> Self {
        Self {
            index,
            id: None,
            kind,
            message,
        }
    }
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
