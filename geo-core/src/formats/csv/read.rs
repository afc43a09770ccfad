//! Any CSV with point coordinates in two columns or a WKT geometry column.
//!
//! - Text: the `encoding` option, else a byte-order mark (UTF-8, UTF-16), else UTF-8 when
//!   the bytes are valid UTF-8, else GB18030 (a superset of the GBK that Excel writes on
//!   Chinese Windows).
//! - Delimiter: whichever of `,` `;` tab `|` occurs most often (outside quotes) in the header
//!   line; `,` when none does.
//! - Geometry: the `wkt` option or the `lon` + `lat` options name the columns; otherwise a
//!   column named like `wkt`, `geometry`, `geom`, `the_geom`, `shape`, `坐标` whose first
//!   value parses as WKT, else a longitude column (`lon`, `lng`, `long`, `longitude`, `x`,
//!   `point_x`, `经度`, `东经`) with a latitude column (`lat`, `latitude`, `y`, `point_y`,
//!   `纬度`, `北纬`); names compared case-insensitively. Coordinates are decimal numbers (decimal
//!   degrees, or metres in a projected CRS); degrees-minutes-seconds are not read. A decimal
//!   comma (`116,42`) is accepted when the delimiter is not a comma.
//! - Properties: every other column, as text (the field mapping parses it); empty cells are
//!   null. A row whose cells are all empty is skipped. The geometry columns are not
//!   repeated as properties.
//! - CRS: none (a CSV cannot declare one).
//!
//! A row whose coordinates cannot be read is a problem (index = data row, 0-based, header
//! excluded); the other rows are read.

use std::borrow::Cow;
use std::str::FromStr;

use csv::ByteRecord;
use encoding_rs::Encoding;
use geo_types::{Geometry, Point};
use serde_json::{Map, Value};

use crate::formats::{ErrorKind, Problem};
use crate::source::text::{choose, encoding_for_label};
use crate::source::{EncodingUsed, Source, SourceError, SourceOptions};

const LON_NAMES: &[&str] = &[
    "lon",
    "lng",
    "long",
    "longitude",
    "x",
    "point_x",
    "经度",
    "东经",
];
const LAT_NAMES: &[&str] = &["lat", "latitude", "y", "point_y", "纬度", "北纬"];
const WKT_NAMES: &[&str] = &[
    "wkt", "wkt_geom", "geometry", "geom", "the_geom", "shape", "坐标",
];
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Rows looked at to decide whether a WKT-named column really holds WKT.
const PEEK_ROWS: usize = 50;
/// Deepest bracket nesting read as WKT: the WKT parser recurses once per level.
const MAX_WKT_DEPTH: usize = 32;

/// Where the geometry is.
#[derive(Debug, Clone, Copy)]
enum GeomColumns {
    LonLat {
        lon: usize,
        lat: usize,
    },
    Wkt(usize),
    /// A table without coordinates (a worker roster, incidents with only a grid code):
    /// every row's geometry is `None` and the layer decides what that means.
    None,
}

/// Reads a CSV file's bytes.
pub(crate) fn read(name: &str, bytes: &[u8], opts: &SourceOptions) -> Result<Source, SourceError> {
    let (text, encoding) = decode(name, bytes, opts.encoding.as_deref())?;
    let delimiter = detect_delimiter(text.lines().next().unwrap_or(""));
    let builder = {
        let mut b = csv::ReaderBuilder::new();
        b.delimiter(delimiter).has_headers(false).flexible(true);
        b
    };
    let mut rdr = builder.from_reader(text.as_bytes());
    let mut rec = ByteRecord::new();
    let has_header = rdr
        .read_byte_record(&mut rec)
        .map_err(|e| SourceError::Malformed(format!("{name}: {e}")))?;
    if !has_header {
        return Err(SourceError::Malformed(format!(
            "{name}: the CSV is empty; it needs a header line and rows"
        )));
    }
    let names = header_names(&rec);
    let geom = geometry_columns(name, &names, opts, || {
        let mut peek = builder.from_reader(text.as_bytes());
        peek.byte_records()
            .skip(1)
            .take(PEEK_ROWS)
            .filter_map(Result::ok)
            .collect()
    })?;

    // Properties sorted by name, so each row's map is built in one sorted bulk insert.
    let mut props: Vec<(usize, &str)> = names
        .iter()
        .enumerate()
        .filter(|(j, _)| match geom {
            GeomColumns::LonLat { lon, lat } => *j != lon && *j != lat,
            GeomColumns::Wkt(w) => *j != w,
            GeomColumns::None => true,
        })
        .map(|(j, n)| (j, n.as_str()))
        .collect();
    props.sort_unstable_by(|a, b| a.1.cmp(b.1));

    let mut source = Source {
        encoding: Some(encoding),
        ..Source::default()
    };
    if matches!(geom, GeomColumns::None) {
        source.notes.push(format!(
            "no coordinate columns in the header ({}): read as a table without geometry (longitude/latitude columns such as lon/lat, x/y, 经度/纬度, or a WKT column give positions; name them with --lon COLUMN --lat COLUMN or --wkt COLUMN)",
            list(&names)
        ));
    }
    let comma_decimal = delimiter != b',';
    let mut index = 0;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                source.problems.push(Problem::new(
                    index,
                    ErrorKind::Geometry,
                    format!("reading stopped: {e}"),
                ));
                break;
            }
        }
        if rec.iter().all(<[u8]>::is_empty) {
            index += 1;
            continue;
        }
        let geometry = match geom {
            GeomColumns::LonLat { lon, lat } => lon_lat(
                &names,
                (lon, rec.get(lon)),
                (lat, rec.get(lat)),
                comma_decimal,
            ),
            GeomColumns::Wkt(w) => wkt(&names[w], rec.get(w)),
            GeomColumns::None => Ok(None),
        };
        let read = geometry.map(|geometry| {
            let properties: Map<String, Value> = props
                .iter()
                .map(|&(j, n)| (n.to_owned(), cell_value(rec.get(j))))
                .collect();
            (geometry, properties)
        });
        source.push(&opts.limits, name, index, read)?;
        index += 1;
    }
    Ok(source)
}

/// The file's text and the encoding it was read in.
fn decode<'a>(
    name: &str,
    bytes: &'a [u8],
    label: Option<&str>,
) -> Result<(Cow<'a, str>, EncodingUsed), SourceError> {
    let declared = match label {
        Some(l) => Some(encoding_for_label(l).ok_or_else(|| {
            SourceError::Malformed(format!(
                "{name}: unknown text encoding {l:?}; use e.g. UTF-8, GBK or GB18030"
            ))
        })?),
        None => None,
    };
    // A byte-order mark says more than a guess (Excel's "Unicode text" is UTF-16 with one).
    let (enc, used): (&'static Encoding, EncodingUsed) = match (declared, Encoding::for_bom(bytes))
    {
        (None, Some((bom, _))) => (
            bom,
            EncodingUsed {
                name: bom.name().to_owned(),
                declared: true,
            },
        ),
        (declared, _) => choose(declared, [bytes]),
    };
    // `decode` drops a BOM; valid UTF-8 is borrowed, not copied.
    let (text, _, _) = enc.decode(bytes);
    Ok((text, used))
}

/// The delimiter occurring most often outside quotes in the header line.
fn detect_delimiter(header: &str) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Column names: trimmed, empty ones named `field_N` (1-based, as GDAL does), repeats
/// suffixed `_2`, `_3`...
fn header_names(rec: &ByteRecord) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(rec.len());
    for (j, cell) in rec.iter().enumerate() {
        let raw = String::from_utf8_lossy(cell);
        let base = match raw.trim() {
            "" => format!("field_{}", j + 1),
            t => t.to_owned(),
        };
        let mut n = base.clone();
        let mut k = 2;
        while names.contains(&n) {
            n = format!("{base}_{k}");
            k += 1;
        }
        names.push(n);
    }
    names
}

fn find(names: &[String], wanted: &str) -> Option<usize> {
    let w = wanted.trim();
    names.iter().position(|n| n == w).or_else(|| {
        names
            .iter()
            .position(|n| n.to_lowercase() == w.to_lowercase())
    })
}

fn find_any(names: &[String], candidates: &[&str]) -> Option<usize> {
    candidates
        .iter()
        .find_map(|c| names.iter().position(|n| n.to_lowercase() == *c))
}

fn list(names: &[String]) -> String {
    names.join(", ")
}

/// Picks the geometry columns: the options first, then by name (a WKT-named column only
/// when its first value is WKT).
fn geometry_columns(
    name: &str,
    names: &[String],
    opts: &SourceOptions,
    peek: impl FnOnce() -> Vec<ByteRecord>,
) -> Result<GeomColumns, SourceError> {
    let named = |option: &str, col: &str| {
        find(names, col).ok_or_else(|| {
            SourceError::Missing(format!(
                "{name}: the {option} option names column {col:?}, but the CSV header has: {}",
                list(names)
            ))
        })
    };
    if let Some(w) = &opts.wkt {
        return Ok(GeomColumns::Wkt(named("wkt", w)?));
    }
    if opts.lon.is_some() || opts.lat.is_some() {
        let lon = match &opts.lon {
            Some(c) => named("lon", c)?,
            None => find_any(names, LON_NAMES).ok_or_else(|| missing(name, names, "longitude"))?,
        };
        let lat = match &opts.lat {
            Some(c) => named("lat", c)?,
            None => find_any(names, LAT_NAMES).ok_or_else(|| missing(name, names, "latitude"))?,
        };
        return Ok(GeomColumns::LonLat { lon, lat });
    }
    let wkt_candidates: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| WKT_NAMES.contains(&n.to_lowercase().as_str()))
        .map(|(j, _)| j)
        .collect();
    if !wkt_candidates.is_empty() {
        let rows = peek();
        for &j in &wkt_candidates {
            let first = rows
                .iter()
                .filter_map(|r| r.get(j))
                .find(|c| !c.iter().all(u8::is_ascii_whitespace));
            if first.is_some_and(|c| matches!(wkt(&names[j], Some(c)), Ok(Some(_)))) {
                return Ok(GeomColumns::Wkt(j));
            }
        }
    }
    match (find_any(names, LON_NAMES), find_any(names, LAT_NAMES)) {
        (Some(lon), Some(lat)) => Ok(GeomColumns::LonLat { lon, lat }),
        // Neither a longitude nor a latitude nor a WKT column: a plain table.
        (None, None) if wkt_candidates.is_empty() => Ok(GeomColumns::None),
        _ => Err(SourceError::Missing(format!(
            "{name}: no geometry columns in the CSV header ({}): expected longitude/latitude columns (lon/lat, lng, longitude, x/y, 经度/纬度...) or a WKT column (wkt, geometry, geom, the_geom, shape, 坐标); name them with the lon and lat options (--lon COLUMN --lat COLUMN) or the wkt option (--wkt COLUMN)",
            list(names)
        ))),
    }
}

fn missing(name: &str, names: &[String], what: &str) -> SourceError {
    SourceError::Missing(format!(
        "{name}: no {what} column found in the CSV header ({}); name it with the lon and lat options (--lon COLUMN --lat COLUMN)",
        list(names)
    ))
}

fn cell_value(cell: Option<&[u8]>) -> Value {
    match cell {
        None | Some(b"") => Value::Null,
        Some(c) => Value::String(String::from_utf8_lossy(c).into_owned()),
    }
}

/// A decimal number; `comma_decimal` also accepts `116,42`.
fn number(cell: &[u8], comma_decimal: bool) -> Option<f64> {
    let s = std::str::from_utf8(cell).ok()?.trim();
    let x = match s.parse::<f64>() {
        Ok(x) => x,
        Err(_)
            if comma_decimal
                && s.bytes().filter(|&b| b == b',').count() == 1
                && !s.contains('.') =>
        {
            s.replace(',', ".").parse().ok()?
        }
        Err(_) => return None,
    };
    x.is_finite().then_some(x)
}

fn lon_lat(
    names: &[String],
    (lon_j, lon): (usize, Option<&[u8]>),
    (lat_j, lat): (usize, Option<&[u8]>),
    comma_decimal: bool,
) -> Result<Option<Geometry<f64>>, String> {
    let blank = |c: Option<&[u8]>| c.is_none_or(|c| c.iter().all(u8::is_ascii_whitespace));
    if blank(lon) && blank(lat) {
        return Ok(None);
    }
    let get = |j: usize, c: Option<&[u8]>| {
        let c = c.unwrap_or_default();
        number(c, comma_decimal).ok_or_else(|| {
            format!(
                "column {} {:?} is not a decimal number (coordinates must be decimal degrees or metres; degrees-minutes-seconds are not read)",
                names[j],
                String::from_utf8_lossy(c)
            )
        })
    };
    Ok(Some(Geometry::Point(Point::new(
        get(lon_j, lon)?,
        get(lat_j, lat)?,
    ))))
}

fn wkt(column: &str, cell: Option<&[u8]>) -> Result<Option<Geometry<f64>>, String> {
    let text = String::from_utf8_lossy(cell.unwrap_or_default());
    let s = text.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let shown = || {
        let mut t: String = s.chars().take(60).collect();
        if t.len() < s.len() {
            t.push('…');
        }
        t
    };
    let mut depth = 0usize;
    for b in s.bytes() {
        match b {
            b'(' => {
                depth += 1;
                if depth > MAX_WKT_DEPTH {
                    return Err(format!(
                        "column {column}: WKT {:?} is nested more than {MAX_WKT_DEPTH} levels deep",
                        shown()
                    ));
                }
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let w = wkt::Wkt::<f64>::from_str(s)
        .map_err(|e| format!("column {column}: WKT {:?} cannot be read: {e}", shown()))?;
    let g = Geometry::<f64>::try_from(w)
        .map_err(|e| format!("column {column}: WKT {:?} cannot be used: {e}", shown()))?;
    // `POINT EMPTY` and friends: no geometry, like an empty cell.
    if geo::CoordsIter::coords_count(&g) == 0 {
        return Ok(None);
    }
    if geo::CoordsIter::coords_iter(&g).any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return Err(format!(
            "column {column}: WKT {:?} has a coordinate that is not a finite number",
            shown()
        ));
    }
    Ok(Some(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_outside_quotes() {
        assert_eq!(detect_delimiter("a,b,c"), b',');
        assert_eq!(detect_delimiter("a;b;\"c,d,e,f\""), b';');
        assert_eq!(detect_delimiter("a\tb\tc"), b'\t');
        assert_eq!(detect_delimiter("a|b"), b'|');
        assert_eq!(detect_delimiter("wkt"), b',');
    }

    #[test]
    fn numbers_and_decimal_commas() {
        assert_eq!(number(b" 116.5 ", false), Some(116.5));
        assert_eq!(number(b"116,5", true), Some(116.5));
        assert_eq!(number(b"116,5", false), None);
        assert_eq!(number(b"NaN", false), None);
        assert_eq!(number(b"116\xc2\xb030'", false), None);
    }

    #[test]
    fn header_names_are_unique_and_non_empty() {
        let rec = ByteRecord::from(vec![" name ", "", "name", "name"]);
        assert_eq!(header_names(&rec), ["name", "field_2", "name_2", "name_3"]);
    }

    #[test]
    fn deep_wkt_is_refused_without_recursion() {
        let s = "GEOMETRYCOLLECTION(".repeat(100_000);
        assert!(wkt("wkt", Some(s.as_bytes())).is_err());
        assert_eq!(wkt("wkt", Some(b"  ")), Ok(None));
        assert!(wkt("wkt", Some(b"POINT (1 NaN)")).is_err());
    }

    #[test]
    fn wkt_z_is_dropped_and_empty_is_no_geometry() {
        assert_eq!(
            wkt("wkt", Some(b"POINT Z (1 2 3)")),
            Ok(Some(Geometry::Point(Point::new(1.0, 2.0))))
        );
        assert_eq!(wkt("wkt", Some(b"POINT EMPTY")), Ok(None));
        assert_eq!(wkt("wkt", Some(b"POLYGON EMPTY")), Ok(None));
    }
}
