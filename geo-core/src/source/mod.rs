//! Reading the files GIS staff are given, in any common format, into plain features:
//! a geometry in the file's own CRS and the file's own attributes. Turning them into
//! onemap's layers (field names, CRS, checks) is `load`'s job.
//!
//! Formats: `GeoJSON`, NDJSON, Shapefile (`.shp` set or `.zip`, DBF text in the `.cpg`'s
//! encoding or detected), GeoPackage, KML/KMZ, CSV (lon/lat or WKT columns, or none: a
//! table), FlatGeobuf and GPX (track segments). Each format's reader sits beside its writer
//! in `formats/<format>/read.rs`; this module holds what they share: the `Source` they fill,
//! the options and errors, the choice of reader by extension, geometry building, zip
//! members and text decoding.

pub(crate) mod geo_build;
pub mod text;
pub(crate) mod zip_bundle;

use std::path::Path;

use geo_types::Geometry;
use serde_json::{Map, Value};

use crate::crs::Crs;
use crate::formats::{self, ErrorKind, Problem};
use crate::limits::{LimitError, Limits};

/// One feature as the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFeature {
    /// 0-based position in the file (data row for CSV, record for Shapefile/DBF).
    pub index: usize,
    /// The file's own feature id (`GeoJSON` id, GeoPackage fid, KML id), if any.
    pub fid: Option<String>,
    /// The geometry in the file's CRS; `None` when the record has none (null shape).
    pub geometry: Option<Geometry<f64>>,
    /// The attributes, names as in the file, text decoded to UTF-8.
    pub properties: Map<String, Value>,
}

/// A file read into features.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Source {
    /// What the file was read as.
    pub format: Option<SourceFormat>,
    /// The layer or table read (GeoPackage table, KML folder, Shapefile name).
    pub layer_name: Option<String>,
    /// The features, in file order.
    pub features: Vec<SourceFeature>,
    /// The CRS the file declares (`.prj`, GeoPackage `srs_id`, FlatGeobuf header), if any.
    pub crs: Option<Crs>,
    /// A Shapefile's `.prj` text as found, also when onemap does not recognise its CRS
    /// (`crs` is then `None`), so that the report can show what the file said.
    pub prj: Option<String>,
    /// The text encoding used for attributes (e.g. `GBK`) and whether it was declared or
    /// detected, for the report.
    pub encoding: Option<EncodingUsed>,
    /// Problems with single features that could not be read at all (they are not in
    /// `features`), or the place where a damaged file breaks off.
    pub problems: Vec<Problem>,
    /// The remark that the CRS the file declares is not one onemap reads (FlatGeobuf,
    /// GeoPackage), reported under the CRS check.
    pub crs_note: Option<String>,
    /// Other file-level remarks that stop nothing (columns not read, a `.shx` unreadable),
    /// reported under the attribute check.
    pub notes: Vec<String>,
}

/// One record as a reader made it: geometry (if any) and attributes, or why it could not.
pub(crate) type ReadFeature = Result<(Option<Geometry<f64>>, Map<String, Value>), String>;

impl Source {
    /// Adds the feature read at `index` of `file`, or the problem that kept it out; refuses
    /// it when it goes past `limits` (too many features, too many vertices).
    pub(crate) fn push(
        &mut self,
        limits: &Limits,
        file: &str,
        index: usize,
        read: ReadFeature,
    ) -> Result<(), LimitError> {
        if let Ok((geometry, _)) = &read {
            limits.check_feature(file, index, self.features.len(), geometry.as_ref())?;
        }
        match read {
            Ok((geometry, properties)) => self.features.push(SourceFeature {
                index,
                fid: None,
                geometry,
                properties,
            }),
            Err(message) => self
                .problems
                .push(Problem::new(index, ErrorKind::Geometry, message)),
        }
        Ok(())
    }
}

/// The text encoding a file's attributes were decoded with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingUsed {
    /// WHATWG name, e.g. `GBK`, `UTF-8`.
    pub name: String,
    /// Whether the file said so (`.cpg`, DBF language driver) rather than it being guessed.
    pub declared: bool,
}

/// A file format onemap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// A `GeoJSON` `FeatureCollection` (or single Feature).
    GeoJson,
    /// One `GeoJSON` feature per line.
    NdJson,
    /// ESRI Shapefile: `.shp` + `.shx` + `.dbf` (+ `.prj`, `.cpg`), or all of them in a `.zip`.
    Shapefile,
    /// OGC GeoPackage.
    GeoPackage,
    /// KML, or KMZ (zipped KML).
    Kml,
    /// CSV with lon/lat or WKT columns.
    Csv,
    /// FlatGeobuf.
    FlatGeobuf,
    /// GPX: GPS track segments with a time per point.
    Gpx,
}

impl SourceFormat {
    /// The format a file name's extension says.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)?;
        Some(match ext.as_str() {
            "geojson" | "json" => Self::GeoJson,
            "ndjson" | "geojsonl" | "geojsons" | "jsonl" => Self::NdJson,
            "shp" | "zip" | "dbf" => Self::Shapefile,
            "gpkg" => Self::GeoPackage,
            "kml" | "kmz" => Self::Kml,
            "csv" | "txt" | "tsv" => Self::Csv,
            "fgb" => Self::FlatGeobuf,
            "gpx" => Self::Gpx,
            _ => return None,
        })
    }

    /// Short lower-case name, as used on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::NdJson => "ndjson",
            Self::Shapefile => "shp",
            Self::GeoPackage => "gpkg",
            Self::Kml => "kml",
            Self::Csv => "csv",
            Self::FlatGeobuf => "fgb",
            Self::Gpx => "gpx",
        }
    }
}

/// How to read a file when it does not say everything itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOptions {
    /// GeoPackage table or KML folder to read (default: the only or first feature table).
    pub layer: Option<String>,
    /// Attribute text encoding, overriding `.cpg` and detection (`GBK`, `UTF-8`...).
    pub encoding: Option<String>,
    /// CSV longitude column (default: detected).
    pub lon: Option<String>,
    /// CSV latitude column (default: detected).
    pub lat: Option<String>,
    /// CSV WKT column (default: detected).
    pub wkt: Option<String>,
    /// What reading the file may cost (zip expansion, vertices, features); a file past
    /// them is refused with [`SourceError::Limit`] as soon as reading gets there.
    pub limits: Limits,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file's format is not one onemap reads.
    #[error("{0}: unknown file type; onemap reads .geojson, .ndjson, .shp/.zip, .gpkg, .kml/.kmz, .csv, .fgb and .gpx")]
    UnknownFormat(String),
    /// The file is not valid in its format (names what and where).
    #[error("{0}")]
    Malformed(String),
    /// A part the format needs is missing (e.g. a Shapefile without `.dbf`).
    #[error("{0}")]
    Missing(String),
    /// The file goes past one of the import limits (HTTP 413); the message names it.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// File system.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What happened.
        source: std::io::Error,
    },
}

/// Reads the file at `path` (a `.shp` finds its `.dbf`, `.prj` and `.cpg` beside it).
pub fn read_path(path: &Path, opts: &SourceOptions) -> Result<Source, SourceError> {
    let name = path.display().to_string();
    let format = SourceFormat::from_name(&name).ok_or(SourceError::UnknownFormat(name.clone()))?;
    if format == SourceFormat::Shapefile {
        // Sidecar files (.dbf, .prj, .cpg) are found beside the .shp.
        return formats::shapefile::read::read_path(path, opts).map(|s| Source {
            format: Some(format),
            ..s
        });
    }
    if format == SourceFormat::GeoPackage {
        // SQLite reads the file in place.
        return formats::geopackage::read::read_path(path, &name, opts).map(|s| Source {
            format: Some(format),
            ..s
        });
    }
    let bytes = std::fs::read(path).map_err(|source| SourceError::Io {
        path: name.clone(),
        source,
    })?;
    read_bytes_as(format, &name, &bytes, opts)
}

/// Reads an uploaded file from memory; its `name` gives the format (a Shapefile must come
/// as a `.zip`).
pub fn read_bytes(name: &str, bytes: &[u8], opts: &SourceOptions) -> Result<Source, SourceError> {
    let format =
        SourceFormat::from_name(name).ok_or_else(|| SourceError::UnknownFormat(name.to_owned()))?;
    read_bytes_as(format, name, bytes, opts)
}

fn read_bytes_as(
    format: SourceFormat,
    name: &str,
    bytes: &[u8],
    opts: &SourceOptions,
) -> Result<Source, SourceError> {
    let mut source = match format {
        SourceFormat::GeoJson => {
            formats::geojson::read::read_collection(name, bytes, &opts.limits)?
        }
        SourceFormat::NdJson => formats::geojson::read::read_lines(name, bytes, &opts.limits)?,
        SourceFormat::Shapefile => formats::shapefile::read::read_bytes(name, bytes, opts)?,
        SourceFormat::Kml => formats::kml::read::read_bytes(name, bytes, opts)?,
        SourceFormat::GeoPackage => formats::geopackage::read::read_bytes(name, bytes, opts)?,
        SourceFormat::Csv => formats::csv::read::read(name, bytes, opts)?,
        SourceFormat::FlatGeobuf => formats::flatgeobuf::read::read(name, bytes, &opts.limits)?,
        SourceFormat::Gpx => formats::gpx::read::read(name, bytes, opts)?,
    };
    source.format = Some(format);
    Ok(source)
}
