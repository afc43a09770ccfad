//! Shapefile export of one layer: `.shp`, `.shx`, `.dbf` (UTF-8 text), `.prj` (CGCS2000,
//! EPSG:4490, in the ESRI WKT GDAL writes) and `.cpg` (`UTF-8`), side by side or in a `.zip`.
//!
//! The fields are the feature id (`id`) and the layer's properties, named by
//! [`dbf_field_name`]; lists and objects are JSON text, times RFC 3339 text. Text longer
//! than a DBF field holds (254 bytes) is cut. Patrols are `PolyLineM` shapes whose M values
//! are the vertex times in Unix seconds, so their `times` list is not a field.
//!
//! An existing file is never overwritten; when writing fails part way, the files written
//! so far are removed.

mod fields;
mod shapes;

pub use fields::dbf_field_name;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Cursor, Seek, Write};
use std::path::{Path, PathBuf};

use ::shapefile::dbase::TableWriterBuilder;
use ::shapefile::ShapeWriter;
use serde_json::Value;

use crate::formats::geometry::from_geojson;
use crate::formats::{for_each_feature, property_names};
use crate::model::{Dataset, Layer};
use crate::Result;
use fields::{Column, Row};
use shapes::ShapeKind;

/// EPSG:4490 (CGCS2000 lon/lat) as `gdalsrsinfo -o wkt_esri EPSG:4490` prints it.
pub const PRJ_4490: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// The `.cpg` content: the DBF text is UTF-8.
const CPG: &str = "UTF-8";

/// The columns of `layer`: the id, then the properties (a patrol's times are its M values).
fn columns(layer: Layer, personal: bool) -> Vec<Column> {
    std::iter::once("id")
        .chain(property_names(layer, personal))
        .filter(|p| !(layer == Layer::Patrols && *p == "times"))
        .map(Column::new)
        .collect()
}

/// A feature's value for `column`.
fn value<'a>(f: &'a geojson::Feature, id: &'a Value, column: &Column) -> &'a Value {
    if column.property == "id" {
        return id;
    }
    f.properties
        .as_ref()
        .and_then(|p| p.get(column.property))
        .unwrap_or(&Value::Null)
}

fn id_value(f: &geojson::Feature) -> Value {
    crate::formats::feature_id(f)
        .ok()
        .flatten()
        .map_or(Value::Null, Value::from)
}

/// Writes the `.shp`, `.shx` and `.dbf` of `layer`; returns the number of features.
fn write_parts<W: Write + Seek>(
    data: &Dataset,
    layer: Layer,
    personal: bool,
    shp: &mut W,
    shx: &mut W,
    dbf: &mut W,
) -> Result<usize> {
    // First pass: the column types and widths every value needs.
    let mut cols = columns(layer, personal);
    for_each_feature(data, layer, None, personal, |f| -> Result<()> {
        let id = id_value(&f);
        for c in &mut cols {
            let v = value(&f, &id, c).clone();
            c.see(&v);
        }
        Ok(())
    })?;
    let mut table = TableWriterBuilder::new();
    for c in &cols {
        table = c.define(table)?;
    }
    let mut table = table.build_with_dest(&mut *dbf);
    let mut shapes = ShapeWriter::with_shx(&mut *shp, &mut *shx);
    let kind = ShapeKind::of(layer);
    let mut n = 0_usize;
    for_each_feature(data, layer, None, personal, |f| -> Result<()> {
        let id = id_value(&f);
        let g = f
            .geometry
            .as_ref()
            .ok_or_else(|| crate::Error::Invalid(format!("feature {id} has no geometry")))?;
        let g = from_geojson(g)?;
        let times = f.properties.as_ref().and_then(|p| p.get("times"));
        shapes::write(&mut shapes, kind, g, times)
            .map_err(|e| crate::Error::Invalid(format!("{layer} {id}: {e}")))?;
        let row = Row(cols.iter().map(|c| c.cell(value(&f, &id, c))).collect());
        table
            .write_record(&row)
            .map_err(|e| crate::Error::Invalid(format!("{layer} {id}: writing the .dbf: {e}")))?;
        n += 1;
        Ok(())
    })?;
    shapes
        .finalize()
        .map_err(|e| crate::Error::Invalid(format!("writing the .shp: {e}")))?;
    table
        .finalize()
        .map_err(|e| crate::Error::Invalid(format!("writing the .dbf: {e}")))?;
    Ok(n)
}

/// The error for an export onto an existing file.
fn exists(path: &Path) -> crate::Error {
    crate::Error::Io(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} exists; onemap does not overwrite files", path.display()),
    ))
}

/// Creates `path`, refusing to replace an existing file.
fn create_new(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => exists(path),
            kind => crate::Error::Io(std::io::Error::new(
                kind,
                format!("{}: {e}", path.display()),
            )),
        })
}

/// Files created so far, removed again unless the export completes.
struct Created(Vec<PathBuf>);

impl Created {
    fn create(&mut self, path: &Path) -> Result<BufWriter<File>> {
        let f = create_new(path)?;
        self.0.push(path.to_owned());
        Ok(BufWriter::new(f))
    }

    fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes `layer` of `data` as a Shapefile at `path` (`.shp`; or `.zip` for the set zipped,
/// the members named after the zip): returns the number of features written. Nothing is
/// overwritten: an existing file is an error.
pub fn write_shapefile(data: &Dataset, layer: Layer, personal: bool, path: &Path) -> Result<usize> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "zip" {
        return write_zip(data, layer, personal, path);
    }
    let with = |e: &str| path.with_extension(e);
    let paths = ["shp", "shx", "dbf", "prj", "cpg"].map(with);
    // All five are checked before the first is written, so a clash leaves nothing behind.
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(exists(p));
    }
    let mut created = Created(Vec::new());
    let [shp, shx, dbf, prj, cpg] = &paths;
    let mut shp_w = created.create(shp)?;
    let mut shx_w = created.create(shx)?;
    let mut dbf_w = created.create(dbf)?;
    let n = write_parts(data, layer, personal, &mut shp_w, &mut shx_w, &mut dbf_w)?;
    for mut w in [shp_w, shx_w, dbf_w] {
        w.flush()?;
    }
    created.create(prj)?.write_all(PRJ_4490.as_bytes())?;
    created.create(cpg)?.write_all(CPG.as_bytes())?;
    created.keep();
    Ok(n)
}

fn write_zip(data: &Dataset, layer: Layer, personal: bool, path: &Path) -> Result<usize> {
    let stem = path
        .file_stem()
        .map_or_else(|| layer.to_string(), |s| s.to_string_lossy().into_owned());
    let mut created = Created(Vec::new());
    let file = created.create(path)?;
    let (mut shp, mut shx, mut dbf) = (
        Cursor::new(Vec::new()),
        Cursor::new(Vec::new()),
        Cursor::new(Vec::new()),
    );
    let n = write_parts(data, layer, personal, &mut shp, &mut shx, &mut dbf)?;
    let zip_err = |e: zip::result::ZipError| crate::Error::Invalid(format!("writing the zip: {e}"));
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let members: [(&str, &[u8]); 5] = [
        ("shp", shp.get_ref()),
        ("shx", shx.get_ref()),
        ("dbf", dbf.get_ref()),
        ("prj", PRJ_4490.as_bytes()),
        ("cpg", CPG.as_bytes()),
    ];
    for (ext, bytes) in members {
        zip.start_file(format!("{stem}.{ext}"), options)
            .map_err(zip_err)?;
        zip.write_all(bytes)?;
    }
    zip.finish().map_err(zip_err)?.flush()?;
    created.keep();
    Ok(n)
}
