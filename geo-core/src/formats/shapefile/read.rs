//! ESRI Shapefiles: a `.shp` with its `.shx`, `.dbf`, `.prj` and `.cpg` beside it (any case
//! of extension), or all of them in a `.zip` (in any folder of it; with several sets,
//! `SourceOptions::layer` names one by its file stem). A `.dbf` alone is read as a table
//! without geometries.
//!
//! Geometries stay in the file's CRS; the `.prj` text is kept in `Source::prj` and, when
//! onemap recognises it, named in `Source::crs`. Records marked deleted in the `.dbf` are
//! not features (as GDAL reads them).

mod dbf;
mod shapes;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::crs::Crs;
use crate::formats::{ErrorKind, Problem};
use crate::source::zip_bundle::{looks_like_zip, Member, ZipBundle};
use crate::source::{Source, SourceError, SourceFeature, SourceFormat, SourceOptions};

/// The property that carries a `PolyLineM`'s measures (one M value per vertex, `null` where
/// there is none) unless the `.dbf` has a field of that name: onemap writes a patrol's
/// vertex times (Unix seconds) there.
pub const MEASURES: &str = "m";

/// An M value as JSON: whole numbers (Unix seconds) as integers.
fn measure(m: f64) -> Value {
    // 2^53: beyond it an f64 no longer holds every integer.
    if m.fract() == 0.0 && m.abs() < 9_007_199_254_740_992.0 {
        Value::from(m as i64)
    } else {
        Value::from(m)
    }
}

/// The files of one Shapefile set, as bytes.
#[derive(Default)]
struct Parts {
    /// How messages name the set (a path, or `archive.zip:folder/name`).
    label: String,
    /// The set's name: the file stem.
    layer: String,
    shp: Option<Vec<u8>>,
    shx: Option<Vec<u8>>,
    dbf: Option<Vec<u8>>,
    prj: Option<Vec<u8>>,
    cpg: Option<Vec<u8>>,
}

impl Parts {
    fn slot(&mut self, ext: &str) -> Option<&mut Option<Vec<u8>>> {
        Some(match ext {
            "shp" => &mut self.shp,
            "shx" => &mut self.shx,
            "dbf" => &mut self.dbf,
            "prj" => &mut self.prj,
            "cpg" => &mut self.cpg,
            _ => return None,
        })
    }
}

fn io_error(path: &Path, source: std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The files beside `path` with the same stem, by lower-case extension.
fn siblings(path: &Path) -> Result<Vec<(String, PathBuf)>, SourceError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let p = entry.map_err(|e| io_error(dir, e))?.path();
        let same_stem = p
            .file_stem()
            .is_some_and(|s| s.to_string_lossy().to_lowercase() == stem);
        if let (true, Some(ext)) = (same_stem, p.extension()) {
            out.push((ext.to_string_lossy().to_ascii_lowercase(), p));
        }
    }
    Ok(out)
}

/// Reads the Shapefile at `path`: a `.shp` (finding its other files beside it), a `.zip`,
/// or a lone `.dbf`.
pub(crate) fn read_path(path: &Path, opts: &SourceOptions) -> Result<Source, SourceError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let label = path.display().to_string();
    if ext == "zip" {
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        return read_zip(&label, &bytes, opts);
    }
    let mut parts = Parts {
        label: label.clone(),
        layer: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..Parts::default()
    };
    for (e, p) in siblings(path)? {
        if let Some(slot) = parts.slot(&e) {
            *slot = Some(std::fs::read(&p).map_err(|err| io_error(&p, err))?);
        }
    }
    if ext == "shp" && parts.shp.is_none() {
        return Err(io_error(
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    read_parts(parts, opts)
}

/// Reads a Shapefile from memory: a `.zip` of the set, or a lone `.dbf` table.
pub(crate) fn read_bytes(
    name: &str,
    bytes: &[u8],
    opts: &SourceOptions,
) -> Result<Source, SourceError> {
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "zip" || looks_like_zip(bytes) {
        return read_zip(name, bytes, opts);
    }
    if ext == "dbf" {
        let parts = Parts {
            label: name.to_owned(),
            layer: stem(name).to_owned(),
            dbf: Some(bytes.to_vec()),
            ..Parts::default()
        };
        return read_parts(parts, opts);
    }
    Err(SourceError::Missing(format!(
        "{name}: a .shp alone has no attributes; upload the Shapefile as a .zip holding its .shp, .shx, .dbf, .prj and .cpg"
    )))
}

/// `grids` for `data/grids.shp`.
fn stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.rsplit_once('.').map_or(base, |(s, _)| s)
}

/// Reads the Shapefile set in a zip: the only one, or the one `opts.layer` names.
fn read_zip(label: &str, bytes: &[u8], opts: &SourceOptions) -> Result<Source, SourceError> {
    let mut zip = ZipBundle::open(label, bytes, opts.limits)?;
    let sets: Vec<Member> = zip
        .members()
        .iter()
        .filter(|m| m.extension() == "shp")
        .cloned()
        .collect();
    let names = || {
        sets.iter()
            .map(|m| stem(&m.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let set = match (&opts.layer, sets.as_slice()) {
        (_, []) => {
            let held: Vec<&str> = zip.members().iter().map(|m| m.name.as_str()).collect();
            return Err(SourceError::Missing(format!(
                "{label}: no .shp in the zip (it holds: {})",
                held.join(", ")
            )));
        }
        (Some(layer), _) => sets
            .iter()
            .find(|m| {
                stem(&m.name).eq_ignore_ascii_case(layer)
                    || m.stem_path().eq_ignore_ascii_case(layer)
            })
            .ok_or_else(|| {
                SourceError::Missing(format!(
                    "{label}: no Shapefile named {layer:?} in the zip; it holds: {}",
                    names()
                ))
            })?,
        (None, [one]) => one,
        (None, _) => {
            return Err(SourceError::Missing(format!(
                "{label} holds {} Shapefiles: {}; choose one with --layer",
                sets.len(),
                names()
            )))
        }
    }
    .clone();
    let mut parts = Parts {
        label: format!("{label}:{}", set.name),
        layer: stem(&set.name).to_owned(),
        ..Parts::default()
    };
    let stem_path = set.stem_path().to_lowercase();
    let members: Vec<Member> = zip
        .members()
        .iter()
        .filter(|m| m.stem_path().to_lowercase() == stem_path)
        .cloned()
        .collect();
    for m in members {
        if let Some(slot) = parts.slot(&m.extension()) {
            *slot = Some(zip.read(&m)?);
        }
    }
    read_parts(parts, opts)
}

/// Reads one set, turning any panic of the parsing crates into an error: the bytes come
/// from outside and must never bring the service down.
fn read_parts(parts: Parts, opts: &SourceOptions) -> Result<Source, SourceError> {
    let label = parts.label.clone();
    catch_unwind(AssertUnwindSafe(|| assemble(parts, opts))).unwrap_or_else(|_| {
        Err(SourceError::Malformed(format!(
            "{label}: not a readable Shapefile (the parser failed on it)"
        )))
    })
}

fn assemble(parts: Parts, opts: &SourceOptions) -> Result<Source, SourceError> {
    let label = parts.label;
    let Some(dbf_bytes) = parts.dbf else {
        return Err(SourceError::Missing(format!(
            "{label}: the .dbf is missing; a Shapefile needs its .shp, .shx and .dbf together"
        )));
    };
    let table = dbf::read(
        &label,
        dbf_bytes,
        &dbf::Declared {
            option: opts.encoding.as_deref(),
            cpg: parts.cpg.as_deref(),
        },
    )?;
    let shapes = parts
        .shp
        .as_deref()
        .map(|shp| shapes::read(&label, shp, parts.shx.as_deref(), &opts.limits))
        .transpose()?;
    let prj = parts
        .prj
        .map(|p| String::from_utf8_lossy(&p).trim().to_owned())
        .filter(|p| !p.is_empty());

    let mut source = Source {
        format: Some(SourceFormat::Shapefile),
        layer_name: Some(parts.layer),
        crs: prj.as_deref().and_then(Crs::from_prj),
        prj,
        encoding: Some(table.encoding),
        ..Source::default()
    };
    let problem = |index: usize, message: String| Problem::new(index, ErrorKind::Geometry, message);
    let (mut records, notes, cut_short) = match shapes {
        Some(s) => (Some(s.records.into_iter()), s.notes, s.cut_short),
        None => (None, Vec::new(), false),
    };
    source.notes.extend(notes);
    let rows = table.rows.len();
    for (index, row) in table.rows.into_iter().enumerate() {
        let shape = records.as_mut().map(Iterator::next);
        let mut properties = match row {
            dbf::Row::Deleted => continue,
            dbf::Row::Bad(message) => {
                source.problems.push(problem(index, message));
                continue;
            }
            dbf::Row::Record(p) => p,
        };
        let (geometry, measures) = match shape {
            None => (None, None),
            Some(Some(Ok(r))) => (r.geometry, r.measures),
            Some(Some(Err(message))) => {
                source.problems.push(problem(index, message));
                continue;
            }
            Some(None) => {
                let why = if cut_short {
                    "the .shp breaks off before its shape"
                } else {
                    "the .shp has fewer shapes than the .dbf has records"
                };
                source.problems.push(problem(
                    index,
                    format!("record {index} has no shape: {why}"),
                ));
                continue;
            }
        };
        if let Some(ms) = measures {
            if !properties.contains_key(MEASURES) {
                let ms = ms.into_iter().map(|m| m.map_or(Value::Null, measure));
                properties.insert(MEASURES.to_owned(), Value::Array(ms.collect()));
            }
        }
        opts.limits
            .check_feature(&label, index, source.features.len(), geometry.as_ref())?;
        source.features.push(SourceFeature {
            index,
            fid: None,
            geometry,
            properties,
        });
    }
    if let Some(extra) = records.map(Iterator::count).filter(|&n| n > 0) {
        source.problems.push(problem(
            rows,
            format!("the .shp has {extra} more shapes than the .dbf has records; they have no attributes and were not read"),
        ));
    }
    Ok(source)
}
