//! Export of one layer as FlatGeobuf, with onemap's own feature mapping (`id` + the layer's
//! property names), CGCS2000 (EPSG:4490) in the header and a packed Hilbert R-tree (so
//! features are stored in Hilbert order, not layer order; an empty layer gets no index, as
//! GDAL cannot size a tree over nothing).
//!
//! Columns are typed from the values: integers as `Long`, other numbers as `Double`,
//! booleans as `Bool`, lists and objects as `Json` (JSON text that GDAL and onemap's reader
//! read back as JSON), text and mixed columns as `String`. A null is an absent value.
//!
//! Patrols are `LineString M`: each vertex's time (Unix seconds) is its M value, as in the
//! GeoPackage store; the `times` property is written too, as a `Json` list of RFC 3339
//! times, so tools that ignore M (and onemap's import) still have them.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use ::flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo_types::LineString;
use geojson::{Feature, JsonObject};
use geozero::{ColumnValue, GeomProcessor, GeozeroGeometry, PropertyProcessor};
use serde_json::Value;

use crate::formats::{feature_id, for_each_feature, layer_len, property_names};
use crate::model::{Dataset, Layer};
use crate::store::gpkg::schema::CGCS2000_WKT;
use crate::{Error, Result};

/// How a column's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only nulls so far.
    Null,
    Bool,
    Long,
    Double,
    Json,
    Text,
}

impl Kind {
    fn of(v: &Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(_) => Self::Bool,
            Value::Number(n) if n.is_i64() => Self::Long,
            Value::Number(_) => Self::Double,
            Value::String(_) => Self::Text,
            Value::Array(_) | Value::Object(_) => Self::Json,
        }
    }

    /// The kind that holds both.
    fn join(self, other: Self) -> Self {
        match (self, other) {
            (a, b) if a == b => a,
            (Self::Null, b) => b,
            (a, Self::Null) => a,
            (Self::Long, Self::Double) | (Self::Double, Self::Long) => Self::Double,
            _ => Self::Text,
        }
    }

    fn column_type(self) -> ColumnType {
        match self {
            Self::Bool => ColumnType::Bool,
            Self::Long => ColumnType::Long,
            Self::Double => ColumnType::Double,
            Self::Json => ColumnType::Json,
            Self::Null | Self::Text => ColumnType::String,
        }
    }
}

fn fgb_err(e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("writing FlatGeobuf: {e}"))
}

/// Writes `layer` of `data` to a new FlatGeobuf file at `path` (personal properties only
/// when `personal`); refuses to overwrite an existing file. Returns the number of features.
pub fn write_flatgeobuf(
    data: &Dataset,
    layer: Layer,
    personal: bool,
    path: &Path,
) -> Result<usize> {
    let names = property_names(layer, personal);

    // First pass: each column's type, which the header must declare before any feature.
    let mut kinds = vec![Kind::Null; names.len()];
    for_each_feature::<Error>(data, layer, None, personal, |f| {
        let props = f.properties.unwrap_or_default();
        for (k, n) in kinds.iter_mut().zip(&names) {
            *k = k.join(props.get(*n).map_or(Kind::Null, Kind::of));
        }
        Ok(())
    })?;

    let (geometry_type, has_m) = match layer {
        Layer::Admin | Layer::Grids => (GeometryType::MultiPolygon, false),
        Layer::Patrols => (GeometryType::LineString, true),
        Layer::Cameras | Layer::Incidents | Layer::Workers | Layer::Centers => {
            (GeometryType::Point, false)
        }
    };
    let mut fgb = FgbWriter::create_with_options(
        layer.as_str(),
        geometry_type,
        FgbWriterOptions {
            // GDAL refuses an index over no features (it cannot size the tree).
            write_index: layer_len(data, layer) > 0,
            detect_type: false,
            promote_to_multi: true,
            has_m,
            crs: FgbCrs {
                org: Some("EPSG"),
                code: 4490,
                name: Some("CGCS2000"),
                wkt: Some(CGCS2000_WKT),
                ..FgbCrs::default()
            },
            title: Some(layer.as_str()),
            description: Some("exported by onemap"),
            ..FgbWriterOptions::default()
        },
    )
    .map_err(fgb_err)?;
    fgb.add_column("id", ColumnType::String, |_, c| c.nullable = false);
    for (n, k) in names.iter().zip(&kinds) {
        fgb.add_column(n, k.column_type(), |_, c| c.nullable = true);
    }

    // Second pass: the features, in layer order (patrol times come from the model).
    let mut count = 0;
    for_each_feature::<Error>(data, layer, None, personal, |f| {
        let measures = match layer {
            Layer::Patrols => data.patrols.get(count).map(|p| p.times.as_slice()),
            _ => None,
        };
        add_feature(&mut fgb, &f, &names, &kinds, measures)?;
        count += 1;
        Ok(())
    })?;

    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Invalid(format!(
                    "{} already exists; onemap does not overwrite files, choose another name",
                    path.display()
                ))
            } else {
                Error::Io(e)
            }
        })?;
    if let Err(e) = finish(fgb, file) {
        // A half-written file would look like a valid export to the next reader.
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(count)
}

fn finish(fgb: FgbWriter<'_>, file: File) -> Result<()> {
    let mut out = BufWriter::new(file);
    fgb.write(&mut out).map_err(fgb_err)?;
    out.flush()?;
    out.into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()?;
    Ok(())
}

fn add_feature(
    fgb: &mut FgbWriter<'_>,
    f: &Feature,
    names: &[&str],
    kinds: &[Kind],
    measures: Option<&[i64]>,
) -> Result<()> {
    let id = feature_id(f).ok().flatten().unwrap_or_default();
    let geometry = f
        .geometry
        .clone()
        .ok_or_else(|| Error::Invalid(format!("feature {id} has no geometry")))
        .and_then(|g| {
            geo_types::Geometry::<f64>::try_from(g)
                .map_err(|e| Error::Invalid(format!("feature {id}: {e}")))
        })?;
    let empty = JsonObject::new();
    let props = f.properties.as_ref().unwrap_or(&empty);
    let mut failed = None;
    let added = match (measures, &geometry) {
        (Some(m), geo_types::Geometry::LineString(line)) => {
            if m.len() != line.0.len() {
                return Err(Error::Invalid(format!(
                    "patrol {id} has {} times for {} vertices",
                    m.len(),
                    line.0.len()
                )));
            }
            fgb.add_feature_geom(LineM(line, m), |w| {
                failed = write_props(w, &id, props, names, kinds).err();
            })
        }
        _ => fgb.add_feature_geom(geometry, |w| {
            failed = write_props(w, &id, props, names, kinds).err();
        }),
    };
    added.map_err(|e| Error::Invalid(format!("writing FlatGeobuf feature {id}: {e}")))?;
    match failed {
        Some(e) => Err(Error::Invalid(format!(
            "writing FlatGeobuf feature {id}: {e}"
        ))),
        None => Ok(()),
    }
}

/// Writes `id` and the properties; nulls are left out (absent means null in FlatGeobuf).
fn write_props(
    w: &mut impl PropertyProcessor,
    id: &str,
    props: &JsonObject,
    names: &[&str],
    kinds: &[Kind],
) -> geozero::error::Result<()> {
    w.property(0, "id", &ColumnValue::String(id))?;
    for (i, (n, k)) in names.iter().zip(kinds).enumerate() {
        let col = i + 1;
        match (props.get(*n), k) {
            (None | Some(Value::Null), _) => {}
            (Some(Value::Bool(b)), Kind::Bool) => {
                w.property(col, n, &ColumnValue::Bool(*b))?;
            }
            (Some(Value::Number(x)), Kind::Long) if x.is_i64() => {
                w.property(col, n, &ColumnValue::Long(x.as_i64().unwrap_or_default()))?;
            }
            (Some(Value::Number(x)), Kind::Double) => {
                w.property(col, n, &ColumnValue::Double(x.as_f64().unwrap_or(f64::NAN)))?;
            }
            (Some(Value::String(s)), _) => {
                w.property(col, n, &ColumnValue::String(s))?;
            }
            (Some(v), Kind::Json) => {
                w.property(col, n, &ColumnValue::Json(&v.to_string()))?;
            }
            (Some(v), _) => {
                w.property(col, n, &ColumnValue::String(&v.to_string()))?;
            }
        }
    }
    Ok(())
}

/// A line string whose vertices carry M values (Unix seconds).
struct LineM<'a>(&'a LineString<f64>, &'a [i64]);

impl GeozeroGeometry for LineM<'_> {
    fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> geozero::error::Result<()> {
        p.linestring_begin(true, self.0 .0.len(), 0)?;
        for (i, (c, &m)) in self.0 .0.iter().zip(self.1).enumerate() {
            p.coordinate(c.x, c.y, None, Some(m as f64), None, None, i)?;
        }
        p.linestring_end(true, 0)
    }
}
