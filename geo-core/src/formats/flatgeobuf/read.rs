//! Any FlatGeobuf file: geometries through the `flatgeobuf` crate and geozero (Z/M
//! dropped), properties typed by the header's column schema, the CRS from the header
//! (organisation EPSG + code, else its WKT).
//!
//! The crate trusts a verified file further than a hostile one deserves: it indexes
//! coordinate vectors by the counts in `ends`, decodes property bytes without bounds
//! checks, sizes buffers from the feature length prefix and asserts on an index node size
//! of 1. So before handing anything to it this reader walks the feature length prefixes
//! itself (a cut-off file is read up to its last whole feature), checks each geometry's
//! vectors against what the crate will index, and decodes properties itself.

use std::io::Cursor;

use ::flatgeobuf::{
    ColumnType, FallibleStreamingIterator, FgbFeature, FgbReader, Geometry as FgbGeometry,
    GeometryType, Header,
};
use serde_json::{Map, Number, Value};

use crate::crs::Crs;
use crate::formats::{ErrorKind, Problem};
use crate::limits::Limits;
use crate::source::{geo_build, EncodingUsed, Source, SourceError};

/// Magic bytes (8) and the header length prefix (4).
const PREAMBLE: usize = 12;
/// Size of one packed R-tree node: bbox (4 x f64) + offset (u64).
const NODE_SIZE: usize = 40;

/// Reads a FlatGeobuf file's bytes.
pub(crate) fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Source, SourceError> {
    let bad = |what: String| SourceError::Malformed(format!("{name}: {what}"));
    if bytes.len() < PREAMBLE || !bytes.starts_with(b"fgb") {
        return Err(bad(
            "not a FlatGeobuf file (it does not start with the fgb magic bytes)".to_owned(),
        ));
    }
    let header_len = u32_at(bytes, 8).unwrap_or(0) as usize;
    let probe = FgbReader::open(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable FlatGeobuf file: {e}")))?;
    let header = probe.header();
    let columns = Columns::of(&header);
    let mut source = Source {
        layer_name: header.name().filter(|n| !n.is_empty()).map(str::to_owned),
        // FlatGeobuf strings are UTF-8 by specification.
        encoding: Some(EncodingUsed {
            name: "UTF-8".to_owned(),
            declared: true,
        }),
        ..Source::default()
    };
    source.crs = crs(&header, &mut source.crs_note);
    if !columns.binary.is_empty() {
        source.notes.push(format!(
            "column(s) {} hold binary data and are not read",
            columns.binary.join(", ")
        ));
    }
    let geometry_type = header.geometry_type();
    let declared_count = header.features_count();

    let index_len =
        index_size(declared_count, header.index_node_size()).map_err(|e| bad(e.to_owned()))?;
    let features_start = PREAMBLE
        .checked_add(header_len)
        .and_then(|n| n.checked_add(index_len))
        .filter(|&n| n <= bytes.len())
        .ok_or_else(|| {
            bad(format!(
                "the header announces {declared_count} features and a spatial index larger than the file; the file is cut off or damaged"
            ))
        })?;
    let rest = bytes.len() - features_start;
    let (whole, end) = whole_features(&bytes[features_start..]);
    if end < rest || (declared_count > 0 && (whole as u64) < declared_count) {
        let announced = if declared_count > 0 {
            format!(" of the {declared_count} its header announces")
        } else {
            String::new()
        };
        source.problems.push(Problem::new(
            whole,
            ErrorKind::Geometry,
            format!("the file is cut off or damaged after {whole} whole features{announced}"),
        ));
    }

    // The crate sees only the whole features, so its length prefixes are all in bounds.
    let reader = FgbReader::open(Cursor::new(&bytes[..features_start + end]))
        .map_err(|e| bad(format!("not a readable FlatGeobuf file: {e}")))?;
    let mut iter = reader
        .select_all()
        .map_err(|e| bad(format!("cannot read the features: {e}")))?;
    for index in 0..whole {
        let f = match iter.next() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                // The bytes were consumed; the next feature starts where this one ended.
                source.problems.push(Problem::new(
                    index,
                    ErrorKind::Geometry,
                    format!("feature cannot be read: {e}"),
                ));
                continue;
            }
        };
        source.push(limits, name, index, feature(f, geometry_type, &columns))?;
    }
    Ok(source)
}

type Properties = Map<String, Value>;

/// One feature's geometry and properties.
fn feature(
    f: &FgbFeature,
    geometry_type: GeometryType,
    columns: &Columns,
) -> Result<(Option<geo_types::Geometry<f64>>, Properties), String> {
    let fbs = f.fbs_feature();
    let geometry = match fbs.geometry() {
        None => None,
        Some(g) => check_geometry(&g, geometry_type, 0)
            .and_then(|()| geo_build::to_geo(&GeomRef(g, geometry_type)))
            .map_err(|e| format!("geometry cannot be read: {e}"))?,
    };
    let properties = fbs
        .properties()
        .map_or_else(|| Ok(Map::new()), |p| columns.decode(p.bytes()))
        .map_err(|e| format!("properties cannot be read: {e}"))?;
    Ok((geometry, properties))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Bytes of the packed R-tree the header announces (0 without one), computed with checks
/// (the crate asserts on a node size of 1 and overflows on absurd counts).
fn index_size(features: u64, node_size: u16) -> Result<usize, &'static str> {
    if node_size == 0 || features == 0 {
        return Ok(0);
    }
    if node_size < 2 {
        return Err("the spatial index node size is 1; FlatGeobuf needs at least 2");
    }
    let mut n = usize::try_from(features).map_err(|_| "the feature count is too large")?;
    let mut nodes = n;
    // As the reference implementation: a do-while, so one feature still gets a root node.
    loop {
        n = n.div_ceil(usize::from(node_size));
        nodes = nodes
            .checked_add(n)
            .ok_or("the feature count is too large")?;
        if n == 1 {
            break;
        }
    }
    nodes
        .checked_mul(NODE_SIZE)
        .ok_or("the feature count is too large")
}

/// The number of whole size-prefixed features at the start of `b`, and where they end.
fn whole_features(b: &[u8]) -> (usize, usize) {
    let (mut n, mut at) = (0, 0);
    while let Some(len) = u32_at(b, at) {
        let Some(next) = (at + 4).checked_add(len as usize).filter(|&e| e <= b.len()) else {
            break;
        };
        at = next;
        n += 1;
    }
    (n, at)
}

/// A FlatGeobuf geometry with the type to read it as, for geozero.
struct GeomRef<'a>(FgbGeometry<'a>, GeometryType);

impl geozero::GeozeroGeometry for GeomRef<'_> {
    fn process_geom<P: geozero::GeomProcessor>(
        &self,
        processor: &mut P,
    ) -> geozero::error::Result<()> {
        self.0.process(processor, self.1)
    }
}

/// Checks that every index the crate's geometry reader will use is inside its vector.
fn check_geometry(g: &FgbGeometry, ty: GeometryType, depth: usize) -> Result<(), String> {
    if depth > 32 {
        return Err("geometry parts nested too deep".to_owned());
    }
    let ty = if ty == GeometryType::Unknown {
        g.type_()
    } else {
        ty
    };
    let xy = g.xy().map_or(0, |v| v.len());
    if xy % 2 != 0 {
        return Err(format!("{xy} x/y values; they come in pairs"));
    }
    let points = xy / 2;
    for (what, len) in [
        ("z", g.z().map(|v| v.len())),
        ("m", g.m().map(|v| v.len())),
        ("t", g.t().map(|v| v.len())),
        ("tm", g.tm().map(|v| v.len())),
    ] {
        if len.is_some_and(|n| n < points) {
            return Err(format!("fewer {what} values than points"));
        }
    }
    let parts = |expect: Option<GeometryType>| -> Result<(), String> {
        let parts = g.parts().ok_or("a multi-part geometry without parts")?;
        for p in parts {
            check_geometry(&p, expect.unwrap_or_else(|| p.type_()), depth + 1)?;
        }
        Ok(())
    };
    match ty {
        GeometryType::Point if xy < 2 => Err("a point without coordinates".to_owned()),
        GeometryType::Point
        | GeometryType::MultiPoint
        | GeometryType::LineString
        | GeometryType::CircularString => Ok(()),
        GeometryType::MultiLineString
        | GeometryType::Polygon
        | GeometryType::Triangle
        | GeometryType::TIN => check_ends(g, points),
        GeometryType::MultiPolygon | GeometryType::PolyhedralSurface => {
            parts(Some(GeometryType::Polygon))
        }
        GeometryType::GeometryCollection
        | GeometryType::CompoundCurve
        | GeometryType::CurvePolygon
        | GeometryType::MultiCurve
        | GeometryType::MultiSurface => parts(None),
        other => Err(format!("unknown geometry type {}", other.0)),
    }
}

/// Ring/part ends must ascend and stay within the coordinates.
fn check_ends(g: &FgbGeometry, points: usize) -> Result<(), String> {
    let Some(ends) = g.ends() else { return Ok(()) };
    if ends.len() <= 1 {
        return Ok(());
    }
    let mut prev = 0usize;
    for e in ends {
        let e = e as usize;
        if e < prev || e > points {
            return Err(format!(
                "part end {e} outside 0..={points} or before the previous end {prev}"
            ));
        }
        prev = e;
    }
    Ok(())
}

/// The header's column schema, for decoding property bytes.
struct Columns {
    names: Vec<String>,
    types: Vec<ColumnType>,
    binary: Vec<String>,
}

impl Columns {
    fn of(header: &Header) -> Self {
        let mut c = Self {
            names: Vec::new(),
            types: Vec::new(),
            binary: Vec::new(),
        };
        let Some(columns) = header.columns() else {
            return c;
        };
        for col in columns {
            c.names.push(col.name().to_owned());
            c.types.push(col.type_());
            if col.type_() == ColumnType::Binary {
                c.binary.push(col.name().to_owned());
            }
        }
        c
    }

    /// Decodes a feature's property bytes: repeated (u16 column index, value).
    fn decode(&self, b: &[u8]) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        let mut at = 0;
        let cut = || "property bytes are cut off".to_owned();
        let take = |at: &mut usize, n: usize| -> Result<&[u8], String> {
            let s = b.get(*at..*at + n).ok_or_else(cut)?;
            *at += n;
            Ok(s)
        };
        // A trailing byte after the last value occurs in files from some writers.
        while at + 1 < b.len() {
            let i = usize::from(u16::from_le_bytes([b[at], b[at + 1]]));
            at += 2;
            let (Some(name), Some(&ty)) = (self.names.get(i), self.types.get(i)) else {
                return Err(format!(
                    "property for column {i}, but the header has {} columns",
                    self.names.len()
                ));
            };
            let fixed = |at: &mut usize, n: usize| -> Result<[u8; 8], String> {
                let mut buf = [0u8; 8];
                buf[..n].copy_from_slice(take(at, n)?);
                Ok(buf)
            };
            let value = match ty {
                ColumnType::Bool => Value::Bool(fixed(&mut at, 1)?[0] != 0),
                ColumnType::Byte => Value::from(fixed(&mut at, 1)?[0] as i8),
                ColumnType::UByte => Value::from(fixed(&mut at, 1)?[0]),
                ColumnType::Short => {
                    let v = fixed(&mut at, 2)?;
                    Value::from(i16::from_le_bytes([v[0], v[1]]))
                }
                ColumnType::UShort => {
                    let v = fixed(&mut at, 2)?;
                    Value::from(u16::from_le_bytes([v[0], v[1]]))
                }
                ColumnType::Int => {
                    let v = fixed(&mut at, 4)?;
                    Value::from(i32::from_le_bytes([v[0], v[1], v[2], v[3]]))
                }
                ColumnType::UInt => {
                    let v = fixed(&mut at, 4)?;
                    Value::from(u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
                }
                ColumnType::Float => {
                    let v = fixed(&mut at, 4)?;
                    float(f64::from(f32::from_le_bytes([v[0], v[1], v[2], v[3]])))
                }
                ColumnType::Long => Value::from(i64::from_le_bytes(fixed(&mut at, 8)?)),
                ColumnType::ULong => Value::from(u64::from_le_bytes(fixed(&mut at, 8)?)),
                ColumnType::Double => float(f64::from_le_bytes(fixed(&mut at, 8)?)),
                ColumnType::String
                | ColumnType::DateTime
                | ColumnType::Json
                | ColumnType::Binary => {
                    let v = fixed(&mut at, 4)?;
                    let len = u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize;
                    let s = take(&mut at, len)?;
                    match ty {
                        ColumnType::Binary => continue,
                        ColumnType::Json => {
                            let text = String::from_utf8_lossy(s);
                            serde_json::from_str(&text)
                                .unwrap_or_else(|_| Value::String(text.into_owned()))
                        }
                        _ => Value::String(String::from_utf8_lossy(s).into_owned()),
                    }
                }
                other => return Err(format!("column {name} has unknown type {}", other.0)),
            };
            out.insert(name.clone(), value);
        }
        // Columns without a value in this feature are null, as in GDAL.
        for n in &self.names {
            if !out.contains_key(n) && !self.binary.contains(n) {
                out.insert(n.clone(), Value::Null);
            }
        }
        Ok(out)
    }
}

fn float(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The header's CRS: its EPSG code, else its WKT; an unsupported one is `None` with a note.
fn crs(header: &Header, note: &mut Option<String>) -> Option<Crs> {
    let c = header.crs()?;
    let org_epsg = c.org().is_none_or(|o| o.eq_ignore_ascii_case("EPSG"));
    let from_code = (org_epsg && c.code() > 0)
        .then(|| u32::try_from(c.code()).ok())
        .flatten()
        .and_then(|code| Crs::from_epsg(code).ok());
    let found = from_code.or_else(|| c.wkt().and_then(Crs::from_prj));
    if found.is_none() && (c.code() > 0 || c.wkt().is_some()) {
        *note = Some(format!(
            "CRS {}:{} is not one onemap reads; declare the CRS (--crs) if the coordinates are in a supported one",
            c.org().unwrap_or("EPSG"),
            c.code()
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_sizes_match_the_crate_and_refuse_nonsense() {
        for (n, node) in [(1u64, 16u16), (15, 16), (17, 16), (1000, 16), (5, 2)] {
            assert_eq!(
                index_size(n, node).unwrap(),
                ::flatgeobuf::packed_r_tree::PackedRTree::index_size(n as usize, node)
            );
        }
        assert!(index_size(10, 1).is_err());
        assert!(index_size(u64::MAX, 16).is_err());
        assert_eq!(index_size(0, 16), Ok(0));
    }

    #[test]
    fn whole_features_stop_at_a_cut() {
        let mut b = Vec::new();
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(b"abc");
        b.extend_from_slice(&10u32.to_le_bytes());
        b.extend_from_slice(b"xy");
        assert_eq!(whole_features(&b), (1, 7));
        assert_eq!(whole_features(&b[..2]), (0, 0));
    }
}
