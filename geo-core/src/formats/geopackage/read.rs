//! Any feature table of any GeoPackage (GDAL, QGIS, onemap's own store): the geometry
//! from the GeoPackage binary (GP header + WKB, any type, Z/M dropped) through geozero, the
//! fid, and every other column as a property.
//!
//! Column values follow SQLite's storage class: INTEGER -> integer (BOOLEAN columns ->
//! true/false), REAL -> number, TEXT -> string (DATE/DATETIME text as is), NULL -> null.
//! BLOB columns are not read (a note in `problems` names them). The CRS comes from
//! `gpkg_geometry_columns.srs_id` -> `gpkg_spatial_ref_sys`: its EPSG code when the
//! organization is EPSG, else its WKT definition.

use std::io::Write;
use std::path::Path;

use geozero::wkb::{GpkgWkb, Wkb};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{Map, Value};

use crate::crs::Crs;
use crate::formats::{ErrorKind, Problem};
use crate::limits::{LimitError, Limits};
use crate::source::{geo_build, EncodingUsed, Source, SourceError, SourceFeature, SourceOptions};

/// Reads the GeoPackage at `path`, read-only.
pub(crate) fn read_path(
    path: &Path,
    name: &str,
    opts: &SourceOptions,
) -> Result<Source, SourceError> {
    // SQLite would report a missing file as "unable to open database file"; say it plainly.
    std::fs::metadata(path).map_err(|source| SourceError::Io {
        path: name.to_owned(),
        source,
    })?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_gpkg(name, &e))?;
    read(&conn, name, opts)
}

/// Reads a GeoPackage held in memory (an upload): SQLite needs a file, so it goes to a
/// temporary one that is removed afterwards.
pub(crate) fn read_bytes(
    name: &str,
    bytes: &[u8],
    opts: &SourceOptions,
) -> Result<Source, SourceError> {
    let io = |source| SourceError::Io {
        path: name.to_owned(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .suffix(".gpkg")
        .tempfile()
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.flush().map_err(io)?;
    // Opened read-write: it is our private copy, and a WAL-mode file needs its -shm.
    let conn = Connection::open_with_flags(
        tmp.path(),
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_gpkg(name, &e))?;
    let source = read(&conn, name, opts);
    drop(conn);
    source
}

fn not_gpkg(name: &str, e: &rusqlite::Error) -> SourceError {
    SourceError::Malformed(format!(
        "{name}: not a GeoPackage (SQLite cannot read it: {e})"
    ))
}

/// An SQL identifier in double quotes.
fn quote(id: &str) -> String {
    format!("\"{}\"", id.replace('"', "\"\""))
}

fn read(conn: &Connection, name: &str, opts: &SourceOptions) -> Result<Source, SourceError> {
    let sql = |e: rusqlite::Error| SourceError::Malformed(format!("{name}: {e}"));
    let has_contents: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = 'gpkg_contents'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| not_gpkg(name, &e))?
        > 0;
    if !has_contents {
        return Err(SourceError::Malformed(format!(
            "{name}: not a GeoPackage (an SQLite database without a gpkg_contents table)"
        )));
    }
    let tables: Vec<String> = conn
        // Attribute tables (a worker roster without positions) are read too, as features
        // without geometry.
        .prepare("SELECT table_name FROM gpkg_contents WHERE lower(data_type) IN ('features', 'attributes') ORDER BY table_name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(sql)?;
    // A GeoPackage that holds one layer among empty ones (as onemap's own export, which
    // keeps every table) reads without --table.
    let non_empty: Vec<String> = if opts.layer.is_none() && tables.len() > 1 {
        tables
            .iter()
            .filter(|t| {
                let sql = format!(
                    "SELECT EXISTS(SELECT 1 FROM \"{}\")",
                    t.replace('"', "\"\"")
                );
                conn.query_row(&sql, [], |r| r.get::<_, bool>(0))
                    .unwrap_or(true)
            })
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let candidates = if non_empty.len() == 1 {
        &non_empty
    } else {
        &tables
    };
    let table = choose_table(name, candidates, opts.layer.as_deref())?;

    // An attribute table has no entry in gpkg_geometry_columns: no geometry, no CRS.
    let geometry_column: Option<(String, i64)> = conn
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?1)",
            [&table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql)?;
    let is_features: bool = conn
        .query_row(
            "SELECT lower(data_type) = 'features' FROM gpkg_contents WHERE table_name = ?1",
            [&table],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if is_features && geometry_column.is_none() {
        return Err(SourceError::Malformed(format!(
            "{name}: feature table {table} has no entry in gpkg_geometry_columns"
        )));
    }

    let mut source = Source {
        layer_name: Some(table.clone()),
        // GeoPackage text is UTF-8 by specification.
        encoding: Some(EncodingUsed {
            name: "UTF-8".to_owned(),
            declared: true,
        }),
        ..Source::default()
    };
    if let Some((_, srs_id)) = &geometry_column {
        source.crs = crs(conn, *srs_id, &mut source.crs_note).map_err(sql)?;
    }
    let geom_col = geometry_column.map(|(c, _)| c).unwrap_or_default();

    let columns = table_columns(conn, &table).map_err(sql)?;
    let blobs: Vec<&str> = columns
        .iter()
        .filter(|c| {
            c.decl.contains("BLOB")
                && (geom_col.is_empty() || !c.name.eq_ignore_ascii_case(&geom_col))
        })
        .map(|c| c.name.as_str())
        .collect();
    if !blobs.is_empty() {
        source.notes.push(format!(
            "column(s) {} hold binary data (BLOB) and are not read",
            blobs.join(", ")
        ));
    }
    let mut refused = None;
    let mut limits = Limit {
        file: name,
        limits: &opts.limits,
        refused: &mut refused,
    };
    let read = read_rows(conn, &table, &geom_col, &columns, &mut source, &mut limits);
    if let Some(e) = refused {
        return Err(e.into());
    }
    read.map_err(sql)?;
    Ok(source)
}

/// The table to read: the one asked for, or the only one.
fn choose_table(
    name: &str,
    tables: &[String],
    wanted: Option<&str>,
) -> Result<String, SourceError> {
    let list = || tables.join(", ");
    match wanted {
        Some(w) => tables
            .iter()
            .find(|t| t.as_str() == w)
            .or_else(|| tables.iter().find(|t| t.eq_ignore_ascii_case(w)))
            .cloned()
            .ok_or_else(|| {
                SourceError::Missing(format!(
                    "{name}: no feature table {w:?}; its feature tables are: {}",
                    list()
                ))
            }),
        None => match tables {
            [] => Err(SourceError::Missing(format!(
                "{name}: the GeoPackage has no feature table"
            ))),
            [one] => Ok(one.clone()),
            _ => Err(SourceError::Missing(format!(
                "{name}: the GeoPackage has {} feature tables ({}); choose one with the layer option (--layer)",
                tables.len(),
                list()
            ))),
        },
    }
}

/// The CRS of `srs_id`; an unsupported one is `None` with a note.
fn crs(conn: &Connection, srs_id: i64, note: &mut Option<String>) -> rusqlite::Result<Option<Crs>> {
    let row: Option<(Option<String>, Option<i64>, Option<String>)> = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((org, code, definition)) = row else {
        return Ok(None);
    };
    let from_code = org
        .as_deref()
        .filter(|o| o.eq_ignore_ascii_case("EPSG"))
        .and(code)
        .and_then(|c| u32::try_from(c).ok())
        .and_then(|c| Crs::from_epsg(c).ok());
    let found = from_code.or_else(|| definition.as_deref().and_then(Crs::from_prj));
    // srs_id 0 and -1 are the specification's "undefined geographic/cartesian": nothing to say.
    if found.is_none() && srs_id > 0 {
        *note = Some(format!(
            "CRS {}:{} (srs_id {srs_id}) is not one onemap reads; declare the CRS (--crs) if the coordinates are in a supported one",
            org.as_deref().unwrap_or("?"),
            code.map_or_else(|| "?".to_owned(), |c| c.to_string()),
        ));
    }
    Ok(found)
}

struct Column {
    name: String,
    /// Declared type, upper case.
    decl: String,
    pk: bool,
}

fn table_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Column>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({})", quote(table)))?;
    let rows = stmt.query_map([], |r| {
        Ok(Column {
            name: r.get(1)?,
            decl: r
                .get::<_, Option<String>>(2)?
                .unwrap_or_default()
                .to_ascii_uppercase(),
            pk: r.get::<_, i64>(5)? > 0,
        })
    })?;
    rows.collect()
}

/// The limits rows are read under, and where the first one past them is told.
struct Limit<'a> {
    file: &'a str,
    limits: &'a Limits,
    refused: &'a mut Option<LimitError>,
}

/// Reads the rows one at a time; the first one past the limits stops the reading.
fn read_rows(
    conn: &Connection,
    table: &str,
    geom_col: &str,
    columns: &[Column],
    source: &mut Source,
    limit: &mut Limit<'_>,
) -> rusqlite::Result<()> {
    let list: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
    let mut stmt = conn.prepare(&format!("SELECT {} FROM {}", list.join(", "), quote(table)))?;
    let mut rows = stmt.query([])?;
    let mut index = 0;
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                // A damaged file: keep what was read and say where it stopped.
                source.problems.push(Problem::new(
                    index,
                    ErrorKind::Geometry,
                    format!("reading stopped at row {index}: {e}"),
                ));
                break;
            }
        };
        let mut fid = None;
        let mut geometry = Ok(None);
        let mut properties = Map::new();
        for (i, col) in columns.iter().enumerate() {
            let v = row.get_ref(i)?;
            if col.pk && fid.is_none() {
                fid = match v {
                    ValueRef::Integer(n) => Some(n.to_string()),
                    ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                    _ => None,
                };
                if fid.is_some() {
                    continue;
                }
            }
            if !geom_col.is_empty() && col.name.eq_ignore_ascii_case(geom_col) {
                geometry = match v {
                    ValueRef::Blob(b) => {
                        if let Some(m) = measures(b) {
                            properties.insert(crate::formats::MEASURES.to_owned(), m);
                        }
                        decode(b)
                    }
                    ValueRef::Null => Ok(None),
                    _ => Err("the geometry column holds a non-binary value".to_owned()),
                };
                continue;
            }
            if col.decl.contains("BLOB") {
                continue;
            }
            let value = match v {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) if col.decl == "BOOLEAN" => Value::Bool(n != 0),
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(x) => {
                    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                }
                ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => continue,
            };
            properties.insert(col.name.clone(), value);
        }
        if let Ok(g) = &geometry {
            let checked =
                limit
                    .limits
                    .check_feature(limit.file, index, source.features.len(), g.as_ref());
            if let Err(e) = checked {
                *limit.refused = Some(e);
                return Ok(());
            }
        }
        match geometry {
            Ok(geometry) => source.features.push(SourceFeature {
                index,
                fid,
                geometry,
                properties,
            }),
            Err(message) => source.problems.push(Problem {
                index,
                id: fid,
                kind: ErrorKind::Geometry,
                message: format!("geometry cannot be read: {message}"),
            }),
        }
        index += 1;
    }
    Ok(())
}

/// The M values of a `LINESTRING M` (a patrol's vertex times, as onemap's store writes
/// them), as the same `m` property the Shapefile reader gives: whole numbers as integers.
fn measures(blob: &[u8]) -> Option<Value> {
    let (line, m) = crate::store::gpkg::geom::decode_linestring_m(blob).ok()?;
    (!m.is_empty() && m.len() == line.0.len()).then(|| {
        Value::Array(
            m.into_iter()
                .map(|x| {
                    if x.fract() == 0.0 && x.abs() < 9e15 {
                        Value::from(x as i64)
                    } else {
                        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                    }
                })
                .collect(),
        )
    })
}

/// A GeoPackage binary geometry; plain WKB is accepted too (some older writers store it).
fn decode(blob: &[u8]) -> Result<Option<geo_types::Geometry<f64>>, String> {
    if blob.starts_with(b"GP") {
        // Flag bit 4: the geometry is empty.
        if blob.get(3).is_some_and(|f| f & 0b0001_0000 != 0) {
            return Ok(None);
        }
        geo_build::to_geo(&GpkgWkb(blob))
    } else {
        geo_build::to_geo(&Wkb(blob))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_choice_names_the_tables() {
        let t = vec!["grids".to_owned(), "roads".to_owned()];
        assert_eq!(choose_table("f", &t, Some("ROADS")).unwrap(), "roads");
        let e = choose_table("f", &t, None).unwrap_err().to_string();
        assert!(e.contains("grids, roads") && e.contains("--layer"), "{e}");
        let e = choose_table("f", &t, Some("x")).unwrap_err().to_string();
        assert!(e.contains("\"x\"") && e.contains("grids, roads"), "{e}");
        assert!(choose_table("f", &[], None).is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
