//! CSV: UTF-8 with a header row; `id` first, then `lon,lat` for point layers (cameras,
//! incidents, workers, centers) or `wkt` for the others, then the layer's properties.
//! Lists are JSON arrays in their cell; empty cells are null.
//!
//! GDAL opens these files directly: the `wkt` column is taken as the geometry by its CSV
//! driver; lon/lat files need `-oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat`.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};

use geo_types::{Geometry, Point};
use geojson::GeometryValue;
use serde_json::Value;

use crate::formats::geometry::{check_lon_lat, from_wkt, to_wkt};
use crate::formats::mapping::{feature_id, for_each_feature, property_names, Collector};
use crate::formats::mapping::{Prop, Properties};
use crate::formats::{ErrorKind, FeatureError, Problem, ReadReport};
use crate::model::{Dataset, Layer};
use crate::{Error, Result};

/// Column names looked for when no override is given (compared case-insensitively).
const LON_NAMES: [&str; 6] = ["lon", "lng", "long", "longitude", "x", "经度"];
const LAT_NAMES: [&str; 4] = ["lat", "latitude", "y", "纬度"];
const WKT_NAMES: [&str; 5] = ["wkt", "geometry", "geom", "the_geom", "shape"];
const ID_NAMES: [&str; 3] = ["id", "code", "fid"];

/// How to read a CSV file: column overrides and the delimiter.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The id column (default: `id`, `code` or `fid`).
    pub id: Option<String>,
    /// The longitude column (default: lon, lng, long, longitude, x, 经度).
    pub lon: Option<String>,
    /// The latitude column (default: lat, latitude, y, 纬度).
    pub lat: Option<String>,
    /// The WKT geometry column (default: wkt, geometry, geom, `the_geom`, shape).
    pub wkt: Option<String>,
    /// Field delimiter (default `,`).
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            id: None,
            lon: None,
            lat: None,
            wkt: None,
            delimiter: b',',
        }
    }
}

/// Whether a layer is written with lon/lat columns rather than WKT.
fn is_point_layer(layer: Layer) -> bool {
    matches!(
        layer,
        Layer::Cameras | Layer::Incidents | Layer::Workers | Layer::Centers
    )
}

/// Writes `layer` (all, or the features at `indices`) as CSV; returns the rows written.
pub fn write_csv(
    data: &Dataset,
    layer: Layer,
    indices: Option<&[usize]>,
    personal: bool,
    w: impl Write,
) -> Result<usize> {
    let names = property_names(layer, personal);
    let points = is_point_layer(layer);
    let mut out = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(w);
    let geom_cols: &[&str] = if points { &["lon", "lat"] } else { &["wkt"] };
    let header = ["id"].iter().chain(geom_cols).chain(names.iter());
    out.write_record(header).map_err(csv_err)?;
    let mut cell = String::new();
    let mut n = 0_usize;
    for_each_feature(data, layer, indices, personal, |f| -> Result<()> {
        let id = feature_id(&f).ok().flatten().unwrap_or_default();
        out.write_field(&id).map_err(csv_err)?;
        let g = f.geometry.as_ref().map(|g| &g.value);
        match g {
            Some(GeometryValue::Point { coordinates }) if points => {
                for v in coordinates.as_slice().iter().take(2) {
                    cell.clear();
                    let _ = write!(cell, "{v}");
                    out.write_field(&cell).map_err(csv_err)?;
                }
            }
            Some(v) => {
                let g = Geometry::<f64>::try_from(v)
                    .map_err(|e| Error::Invalid(format!("feature {id}: {e}")))?;
                out.write_field(to_wkt(&g)).map_err(csv_err)?;
            }
            None => {
                for _ in geom_cols {
                    out.write_field("").map_err(csv_err)?;
                }
            }
        }
        let props = f.properties.as_ref();
        for name in &names {
            match props.and_then(|p| p.get(*name)) {
                None | Some(Value::Null) => out.write_field("").map_err(csv_err)?,
                Some(Value::String(s)) => out.write_field(s).map_err(csv_err)?,
                Some(v @ (Value::Array(_) | Value::Object(_))) => {
                    out.write_field(v.to_string()).map_err(csv_err)?;
                }
                Some(v) => {
                    cell.clear();
                    let _ = write!(cell, "{v}");
                    out.write_field(&cell).map_err(csv_err)?;
                }
            }
        }
        out.write_record(None::<&[u8]>).map_err(csv_err)?;
        n += 1;
        Ok(())
    })?;
    out.flush()?;
    Ok(n)
}

fn csv_err(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::Invalid(format!("csv: {other:?}")),
    }
}

/// Where the geometry is in a CSV file.
enum GeomCols {
    LonLat(usize, usize),
    Wkt(usize),
}

/// One data row seen through the header.
struct Row<'a> {
    /// Lower-case column names with their index, in header order.
    cols: &'a [(String, usize)],
    rec: &'a csv::StringRecord,
    /// Where the last lookup matched: mappings read properties in column order, so the
    /// scan usually hits at once (this is the hot loop of a million-row import).
    cursor: Cell<usize>,
}

impl Properties for Row<'_> {
    fn get(&self, key: &str) -> Option<Prop<'_>> {
        let n = self.cols.len();
        let start = self.cursor.get();
        (0..n).map(|k| (start + k) % n).find_map(|j| {
            let (name, i) = &self.cols[j];
            (name == key).then(|| {
                self.cursor.set(j + 1);
                self.rec.get(*i).map(|s| Prop::Text(s.trim()))
            })
        })?
    }
}

fn find(
    cols: &HashMap<String, usize>,
    wanted: Option<&String>,
    defaults: &[&str],
) -> Option<usize> {
    match wanted {
        Some(w) => cols.get(&w.trim().to_lowercase()).copied(),
        None => defaults.iter().find_map(|d| cols.get(*d).copied()),
    }
}

/// Picks the id and geometry columns; an error names what is missing and what the header has.
fn locate(
    cols: &HashMap<String, usize>,
    opts: &CsvOptions,
    header: &[String],
) -> Result<(usize, GeomCols), String> {
    let has = || header.join(", ");
    let id = find(cols, opts.id.as_ref(), &ID_NAMES).ok_or_else(|| {
        format!(
            "no id column {} (the header has: {})",
            opts.id
                .as_deref()
                .map_or_else(|| "(id, code or fid)".to_owned(), |s| format!("{s:?}")),
            has()
        )
    })?;
    if opts.wkt.is_some() {
        let w = find(cols, opts.wkt.as_ref(), &[]).ok_or_else(|| {
            format!(
                "no WKT column {:?} (the header has: {})",
                opts.wkt.as_deref().unwrap_or(""),
                has()
            )
        })?;
        return Ok((id, GeomCols::Wkt(w)));
    }
    let lon = find(cols, opts.lon.as_ref(), &LON_NAMES);
    let lat = find(cols, opts.lat.as_ref(), &LAT_NAMES);
    match (lon, lat) {
        (Some(x), Some(y)) => Ok((id, GeomCols::LonLat(x, y))),
        _ if opts.lon.is_some() || opts.lat.is_some() => Err(format!(
            "lon/lat columns {:?}/{:?} not found (the header has: {})",
            opts.lon.as_deref().unwrap_or("lon"),
            opts.lat.as_deref().unwrap_or("lat"),
            has()
        )),
        _ => find(cols, None, &WKT_NAMES)
            .map(|w| (id, GeomCols::Wkt(w)))
            .ok_or_else(|| {
                format!(
                    "no geometry columns: expected lon/lat (lon, lng, longitude, x + lat, latitude, y) or a WKT column (wkt, geometry); the header has: {}",
                    has()
                )
            }),
    }
}

fn number(name: &str, s: &str) -> Result<f64, FeatureError> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| FeatureError::geometry(format!("{name} {s:?} is not a number")))
}

// One linear pass over header, rows and per-row errors reads best as one function.
#[allow(clippy::too_many_lines)]
/// Reads a CSV file of `layer`: the good rows, and every problem (`index` is the 0-based
/// data row; the file line is `index + 2` when no cell spans lines).
pub fn read_csv(r: impl Read, layer: Layer, opts: &CsvOptions) -> Result<(Dataset, ReadReport)> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .delimiter(opts.delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(r);
    let mut report = ReadReport::default();
    let mut collector = Collector::new(layer);
    let mut brec = csv::ByteRecord::new();
    let fatal = |report: &mut ReadReport, index, message| {
        report
            .problems
            .push(Problem::new(index, ErrorKind::Attribute, message));
    };
    // The header, read as bytes so that a non-UTF-8 header is reported rather than fatal.
    match rdr.read_byte_record(&mut brec) {
        Ok(true) => {}
        Ok(false) => {
            fatal(
                &mut report,
                0,
                "the file is empty: no header row".to_owned(),
            );
            return Ok((collector.finish(), report));
        }
        Err(e) => return read_error(e, report, collector, 0),
    }
    let header: Vec<String> = brec
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_owned()
        })
        .collect();
    let mut cols = HashMap::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        cols.entry(h.to_lowercase()).or_insert(i);
    }
    let (id_col, geom) = match locate(&cols, opts, &header) {
        Ok(x) => x,
        Err(m) => {
            fatal(&mut report, 0, m);
            return Ok((collector.finish(), report));
        }
    };
    let mut col_list: Vec<(String, usize)> = Vec::with_capacity(cols.len());
    for (i, h) in header.iter().enumerate() {
        let h = h.to_lowercase();
        if cols.get(&h) == Some(&i) {
            col_list.push((h, i));
        }
    }
    let mut rec = csv::StringRecord::new();
    let mut index = 0_usize;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let row = Row {
                    cols: &col_list,
                    rec: &rec,
                    cursor: Cell::new(0),
                };
                let id = rec.get(id_col).map(str::trim).filter(|s| !s.is_empty());
                let result = if rec.len() == header.len() {
                    read_row(&row, id, &geom, &mut collector)
                } else {
                    Err(FeatureError::attribute(format!(
                        "row has {} fields; the header has {}",
                        rec.len(),
                        header.len()
                    )))
                };
                match result {
                    Ok(()) => report.features += 1,
                    Err(e) => report.problems.push(Problem {
                        index,
                        id: id.map(str::to_owned),
                        kind: e.kind,
                        message: e.message,
                    }),
                }
            }
            Err(e) => {
                let utf8_field = match e.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => Some(err.field()),
                    _ => None,
                };
                match utf8_field {
                    Some(field) => report.problems.push(Problem::new(
                        index,
                        ErrorKind::Attribute,
                        format!(
                            "column {} is not valid UTF-8 (save the file as UTF-8, not GBK)",
                            header.get(field).map_or("?", String::as_str)
                        ),
                    )),
                    None => return read_error(e, report, collector, index),
                }
            }
        }
        index += 1;
    }
    Ok((collector.finish(), report))
}

fn read_row(
    row: &Row<'_>,
    id: Option<&str>,
    geom: &GeomCols,
    collector: &mut Collector,
) -> Result<(), FeatureError> {
    let id = id.ok_or_else(|| FeatureError::attribute("missing id".to_owned()))?;
    let cell = |i: usize| row.rec.get(i).map_or("", str::trim);
    let geometry = match *geom {
        GeomCols::LonLat(x, y) => {
            let (lon, lat) = (cell(x), cell(y));
            if lon.is_empty() || lat.is_empty() {
                return Err(FeatureError::geometry("missing lon/lat".to_owned()));
            }
            let (lon, lat) = (number("lon", lon)?, number("lat", lat)?);
            check_lon_lat(lon, lat)?;
            Geometry::Point(Point::new(lon, lat))
        }
        GeomCols::Wkt(w) => match cell(w) {
            "" => return Err(FeatureError::geometry("missing geometry".to_owned())),
            s => from_wkt(s)?,
        },
    };
    collector.add(id, geometry, row)
}

/// A CSV error that stops reading: I/O is returned, anything else becomes the last problem.
fn read_error(
    e: csv::Error,
    mut report: ReadReport,
    collector: Collector,
    index: usize,
) -> Result<(Dataset, ReadReport)> {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Err(Error::Io(io)),
        other => {
            report.problems.push(Problem::new(
                index,
                ErrorKind::Attribute,
                format!("CSV cannot be read further: {other:?}"),
            ));
            Ok((collector.finish(), report))
        }
    }
}
