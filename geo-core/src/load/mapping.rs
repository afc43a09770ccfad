//! Mapping files (`--map FILE`, and the wizard's saved mappings): which file column is which
//! onemap property, and which file value is which onemap value, for files whose names and
//! codes no alias table can guess (a vendor's `事件类型` codes `01`, `02`..., a `交通` that
//! is a category and a subcategory in onemap).
//!
//! ```toml
//! layer = "incidents"                 # optional: the layer the mapping is for
//! [columns]                           # file column = onemap property
//! "事件类型" = "category"
//! "发生时间" = "reported_at"
//! [values.category]                   # per onemap property: file value = onemap value
//! "01" = "dispute"
//! "交通" = "safety_hazard/road"       # a category and one of its subcategories
//! ```
//!
//! The same as JSON: `{"layer": "incidents", "columns": {...}, "values": {"category": {...}}}`.
//! An explicit column wins over the alias guessing of [`super::FieldMap`]; a mapped value is
//! replaced before onemap's Chinese names are read, so a mapping may also say `"01" = "治安"`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::defaults::CategoryTarget;
use super::fields;
use crate::model::{Category, GridKind, Layer, Source, Step, Supervision};

/// A mapping file, read and checked against its layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// Where it was read from (named in errors and in the report).
    pub file: String,
    /// The layer it is for, when it says.
    pub layer: Option<Layer>,
    /// File column -> onemap property (`id`, `lon`, `lat` and `wkt` too).
    pub columns: BTreeMap<String, String>,
    /// onemap property -> (file value -> onemap value).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The file as written: names not yet checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    layer: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// Why a mapping file cannot be used; each names the file and the key (and line) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The file cannot be read (missing, not UTF-8).
    #[error("cannot read the mapping file {file}: {message}")]
    Unreadable {
        /// The mapping file.
        file: String,
        /// Why.
        message: String,
    },
    /// Not valid TOML or JSON, or not shaped as a mapping.
    #[error("{file}: not a mapping file ({format}{}): {message}", at(*line))]
    Syntax {
        /// The mapping file.
        file: String,
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The line of the fault, when the parser says.
        line: Option<usize>,
        /// What the parser found.
        message: String,
    },
    /// `layer = "..."` names no layer.
    #[error("{file}{}: layer {value:?} does not exist; one of {valid}", at(*line))]
    UnknownLayer {
        /// The mapping file.
        file: String,
        /// The line of the key.
        line: Option<usize>,
        /// The layer named.
        value: String,
        /// The layers there are.
        valid: String,
    },
    /// The mapping is for another layer than the import's.
    #[error("{file}: the mapping is for layer {mapping}, the file is imported as {asked}; say --layer {mapping} or use a mapping for {asked}")]
    LayerMismatch {
        /// The mapping file.
        file: String,
        /// Its layer.
        mapping: Layer,
        /// The import's.
        asked: Layer,
    },
    /// A property name that the layer does not have.
    #[error("{file}{}: {key}: {property:?} is not a property of {layer}; one of {valid}", at(*line))]
    UnknownProperty {
        /// The mapping file.
        file: String,
        /// The line of the key.
        line: Option<usize>,
        /// Where in the mapping: `columns."事件类型"` or `values.kind`.
        key: String,
        /// The name that is not a property.
        property: String,
        /// The layer.
        layer: Layer,
        /// The layer's properties.
        valid: String,
    },
    /// A value the property cannot take, or two columns for one property.
    #[error("{file}{}: {key}: {message}", at(*line))]
    BadValue {
        /// The mapping file.
        file: String,
        /// The line of the key.
        line: Option<usize>,
        /// Where in the mapping.
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },
}

fn at(line: Option<usize>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

/// Properties that are the file's geometry columns (read by [`crate::source`]).
const GEOMETRY_COLUMNS: [&str; 3] = ["lon", "lat", "wkt"];

/// Every onemap property a column of `layer` may be mapped to: the key `id`, the layer's
/// properties, and the CSV geometry columns `lon`, `lat`, `wkt`.
#[must_use]
pub fn properties(layer: Layer) -> Vec<&'static str> {
    std::iter::once("id")
        .chain(fields::property_names(layer))
        .chain(GEOMETRY_COLUMNS)
        .collect()
}

/// The onemap values property `property` of `layer` takes, when it is an enum (what a
/// file's values may be mapped to); for the incident category also `category/subcategory`.
#[must_use]
pub fn choices(layer: Layer, property: &str) -> Option<Vec<String>> {
    let own = |names: &[&str]| Some(names.iter().map(|s| (*s).to_owned()).collect());
    match (layer, property) {
        (Layer::Incidents, "category") => Some(
            Category::ALL
                .into_iter()
                .flat_map(|c| {
                    std::iter::once(c.as_str().to_owned()).chain(
                        c.subcategories()
                            .iter()
                            .map(move |(sub, _)| format!("{}/{sub}", c.as_str())),
                    )
                })
                .collect(),
        ),
        (Layer::Incidents, "status") => own(&Step::ALL.map(Step::as_str)),
        (Layer::Incidents, "source") => own(&Source::ALL.map(Source::as_str)),
        (Layer::Incidents, "supervision") => own(&Supervision::ALL.map(Supervision::as_str)),
        (Layer::Grids, "kind") => own(&GridKind::ALL.map(GridKind::as_str)),
        (Layer::Cameras, "ptz_type") => {
            own(&["dome", "hemisphere", "fixed_bullet", "remote_bullet"])
        }
        (Layer::Cameras, "status") => own(&["online", "offline"]),
        (Layer::Admin | Layer::Centers, "level") => {
            own(&["province", "prefecture", "county", "township", "village"])
        }
        _ => None,
    }
}

/// The first line of `text` holding `needle` (a key as written), 1-based.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

impl Mapping {
    /// Reads a mapping from `text`, TOML or JSON by `file`'s extension (`.toml`, `.json`);
    /// any other name is tried as JSON, then TOML. The names in it are checked when the
    /// layer is known ([`Mapping::check`]); the layer, if it names one, now.
    pub fn parse(file: &str, text: &str) -> Result<Self, MappingError> {
        let lower = file.to_ascii_lowercase();
        let text = text.trim_start_matches('\u{feff}');
        let raw = if lower.ends_with(".toml") {
            from_toml(file, text)?
        } else if lower.ends_with(".json") {
            from_json(file, text)?
        } else {
            match from_json(file, text) {
                Ok(raw) => raw,
                // Text that does not look like JSON was meant as TOML: its error says more.
                Err(e) if text.trim_start().starts_with('{') => return Err(e),
                Err(_) => from_toml(file, text)?,
            }
        };
        let layer = match raw.layer.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(l) => Some(l.parse::<Layer>().map_err(|_| MappingError::UnknownLayer {
                file: file.to_owned(),
                line: line_of(text, "layer"),
                value: l.to_owned(),
                valid: Layer::ALL.map(Layer::as_str).join(", "),
            })?),
        };
        let trim = |m: BTreeMap<String, String>| -> BTreeMap<String, String> {
            m.into_iter()
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect()
        };
        let mapping = Self {
            file: file.to_owned(),
            layer,
            columns: trim(raw.columns),
            values: raw
                .values
                .into_iter()
                .map(|(p, m)| (p.trim().to_owned(), trim(m)))
                .collect(),
        };
        mapping.check_names(text, layer)?;
        Ok(mapping)
    }

    /// Reads the mapping file at `path` ([`Mapping::parse`]).
    pub fn read(path: &std::path::Path) -> Result<Self, MappingError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| MappingError::Unreadable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Self::parse(&file, &text)
    }

    /// Checks the mapping against `layer`: its layer, if it names one, is `layer`; every
    /// property it names is one of `layer`'s, no property gets two columns, and every
    /// mapped value is one the property takes.
    pub fn check(&self, layer: Layer) -> Result<(), MappingError> {
        if let Some(mapping) = self.layer.filter(|l| *l != layer) {
            return Err(MappingError::LayerMismatch {
                file: self.file.clone(),
                mapping,
                asked: layer,
            });
        }
        self.check_names("", Some(layer))
    }

    /// [`Mapping::check`] without the layer test; `text` (the file, when at hand) gives
    /// the line of a fault. Without a layer nothing is checked.
    fn check_names(&self, text: &str, layer: Option<Layer>) -> Result<(), MappingError> {
        let Some(layer) = layer else {
            return Ok(());
        };
        let valid = properties(layer);
        let line = |needle: &str| line_of(text, needle);
        let unknown = |key: String, property: &str, needle: &str| MappingError::UnknownProperty {
            file: self.file.clone(),
            line: line(needle),
            key,
            property: property.to_owned(),
            layer,
            valid: valid.join(", "),
        };
        let mut taken: BTreeMap<&str, &str> = BTreeMap::new();
        for (column, property) in &self.columns {
            if !valid.contains(&property.as_str()) {
                return Err(unknown(format!("columns.{column:?}"), property, column));
            }
            if let Some(other) = taken.insert(property, column) {
                return Err(MappingError::BadValue {
                    file: self.file.clone(),
                    line: line(column),
                    key: format!("columns.{column:?}"),
                    message: format!(
                        "columns {other:?} and {column:?} both map to {property}; one column per property"
                    ),
                });
            }
        }
        for (property, values) in &self.values {
            let key = format!("values.{property}");
            if property == "id" || GEOMETRY_COLUMNS.contains(&property.as_str()) {
                return Err(MappingError::BadValue {
                    file: self.file.clone(),
                    line: line(&key),
                    key,
                    message: format!("the values of {property} cannot be mapped, only those of the layer's properties"),
                });
            }
            if !valid.contains(&property.as_str()) {
                return Err(unknown(key.clone(), property, &key));
            }
            for (from, to) in values {
                if let Err(message) = check_value(layer, property, to) {
                    return Err(MappingError::BadValue {
                        file: self.file.clone(),
                        line: line(from),
                        key: format!("{key}.{from:?}"),
                        message,
                    });
                }
            }
        }
        Ok(())
    }

    /// The category map of the incident category values ([`super::LoadOptions::categories`]).
    #[must_use]
    pub fn categories(&self) -> super::CategoryMap {
        self.values
            .get("category")
            .into_iter()
            .flatten()
            .filter_map(|(from, to)| Some((from.clone(), category_target(to).ok()?)))
            .collect()
    }

    /// The file column named for `property` (`lon`, `lat`, `wkt` for the CSV reader).
    #[must_use]
    pub fn column_for(&self, property: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(_, p)| *p == property)
            .map(|(c, _)| c.as_str())
    }

    /// The onemap value the mapping gives the file's value `v` of `property`.
    #[must_use]
    pub fn value(&self, property: &str, v: &Value) -> Option<&str> {
        let text = match v {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        self.values.get(property)?.get(&text).map(String::as_str)
    }

    /// Whether it says nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty() && self.values.values().all(BTreeMap::is_empty)
    }
}

/// A category value: onemap's `category[/subcategory]` or a category's Chinese name.
fn category_target(to: &str) -> Result<CategoryTarget, crate::Error> {
    match Category::ALL.into_iter().find(|c| c.name_zh() == to) {
        Some(c) => Ok(CategoryTarget {
            category: c,
            subcategory: None,
        }),
        None => CategoryTarget::parse(to),
    }
}

/// Whether `to` is a value `property` of `layer` takes (its enum's names, or the Chinese
/// ones onemap reads); properties that are not enums take anything.
fn check_value(layer: Layer, property: &str, to: &str) -> Result<(), String> {
    if (layer, property) == (Layer::Incidents, "category") {
        return category_target(to).map(|_| ()).map_err(|e| e.to_string());
    }
    let Some(names) = choices(layer, property) else {
        return Ok(());
    };
    let translated = fields::translate(layer, property, &Value::from(to));
    if names
        .iter()
        .any(|n| n == to || translated.as_str() == Some(n.as_str()))
    {
        Ok(())
    } else {
        Err(format!(
            "{to:?} is not a {property} of {layer}; one of {}",
            names.join(", ")
        ))
    }
}

fn from_toml(file: &str, text: &str) -> Result<RawMapping, MappingError> {
    toml::from_str(text).map_err(|e| MappingError::Syntax {
        file: file.to_owned(),
        format: "TOML",
        line: e
            .span()
            .map(|s| text.get(..s.start).unwrap_or(text).matches('\n').count() + 1),
        message: e.message().trim().to_owned(),
    })
}

fn from_json(file: &str, text: &str) -> Result<RawMapping, MappingError> {
    serde_json::from_str(text).map_err(|e| MappingError::Syntax {
        file: file.to_owned(),
        format: "JSON",
        line: (e.line() > 0).then(|| e.line()),
        message: e.to_string(),
    })
}

/// What a mapping did to one file: the report's `mapping`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The mapping file.
    pub file: String,
    /// File column -> onemap property, as applied.
    pub columns: Vec<Renamed>,
    /// File values replaced, with the rows each was found in.
    pub values: Vec<Replaced>,
}

/// A file column read as an onemap property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renamed {
    /// The file's column.
    pub column: String,
    /// The onemap property.
    pub property: String,
}

/// A file value replaced by an onemap value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replaced {
    /// The onemap property.
    pub property: String,
    /// The file's value.
    pub from: String,
    /// The onemap value.
    pub to: String,
    /// Rows that had it.
    pub rows: usize,
}

/// Rows per (property, file value) replaced by a mapping, counted while rows are read.
pub(super) type ValueCounts = BTreeMap<(&'static str, String), usize>;

impl Applied {
    /// What `mapping` did, given the rows per replaced value.
    pub(super) fn new(mapping: &Mapping, counts: &ValueCounts) -> Self {
        let values = counts
            .iter()
            .filter_map(|((property, from), rows)| {
                let to = mapping.values.get(*property)?.get(from)?;
                Some(Replaced {
                    property: (*property).to_owned(),
                    from: from.clone(),
                    to: to.clone(),
                    rows: *rows,
                })
            })
            .collect();
        Self {
            file: mapping.file.clone(),
            columns: mapping
                .columns
                .iter()
                .map(|(column, property)| Renamed {
                    column: column.clone(),
                    property: property.clone(),
                })
                .collect(),
            values,
        }
    }

    /// One line for the printed report.
    #[must_use]
    pub fn summary(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|r| format!("{} -> {}", r.column, r.property))
            .collect();
        let values: Vec<String> = self
            .values
            .iter()
            .map(|r| format!("{} {} -> {} ({} rows)", r.property, r.from, r.to, r.rows))
            .collect();
        format!(
            "mapped by {}: columns {}; values {}",
            self.file,
            if columns.is_empty() {
                "none".into()
            } else {
                columns.join(", ")
            },
            if values.is_empty() {
                "none".into()
            } else {
                values.join(", ")
            },
        )
    }
}

/// One column of a file as the wizard offers it for mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The file's name of it.
    pub name: String,
    /// The onemap property it is read as (`id` for the key), if any.
    pub property: Option<String>,
    /// Its distinct values with their row counts, most frequent first, when they are few
    /// (at most [`DISTINCT_MAX`]) or the column is read as an enum property.
    pub values: Vec<(String, usize)>,
    /// Whether it has more distinct values than are listed.
    pub more: bool,
}

/// Most distinct values listed per column.
pub const DISTINCT_MAX: usize = 50;

/// Values longer than this are text, not codes: not listed.
const VALUE_CHARS_MAX: usize = 60;

/// The columns of `source` (its first 10,000 features), each with the property `fields`
/// reads it as and, for code-like columns, its distinct values.
pub(super) fn columns(
    layer: Layer,
    source: &crate::source::Source,
    fields: &fields::FieldMap,
) -> Vec<Column> {
    let mut seen: BTreeMap<&str, (BTreeMap<String, usize>, bool)> = BTreeMap::new();
    for f in source.features.iter().take(10_000) {
        for (k, v) in &f.properties {
            let (values, more) = seen.entry(k.as_str()).or_default();
            let text = match v {
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            if text.is_empty() || text.chars().count() > VALUE_CHARS_MAX {
                *more |= !text.is_empty();
                continue;
            }
            if let Some(n) = values.get_mut(&text) {
                *n += 1;
            } else if values.len() <= DISTINCT_MAX {
                values.insert(text, 1);
            } else {
                *more = true;
            }
        }
    }
    let enums: BTreeSet<&str> = fields::property_names(layer)
        .filter(|p| choices(layer, p).is_some())
        .collect();
    seen.into_iter()
        .map(|(name, (values, more))| {
            let property = fields.property_of(name);
            let is_enum = property.is_some_and(|p| enums.contains(p));
            let few = values.len() <= DISTINCT_MAX && !more;
            let mut listed: Vec<(String, usize)> = if is_enum || few {
                values.into_iter().collect()
            } else {
                Vec::new()
            };
            let more = more || listed.len() > DISTINCT_MAX;
            listed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            listed.truncate(DISTINCT_MAX);
            Column {
                name: name.to_owned(),
                property: property.map(str::to_owned),
                values: listed,
                more,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
layer = "incidents"
[columns]
"事件类型" = "category"
"发生时间" = "reported_at"
"事件编号" = "id"
[values.category]
"01" = "dispute"
"交通" = "safety_hazard/road"
[values.status]
"已办结" = "closed"
"#;

    #[test]
    fn toml_and_json_read_alike() {
        let t = Mapping::parse("m.toml", TOML).unwrap();
        let json = serde_json::json!({
            "layer": "incidents",
            "columns": {"事件类型": "category", "发生时间": "reported_at", "事件编号": "id"},
            "values": {"category": {"01": "dispute", "交通": "safety_hazard/road"},
                       "status": {"已办结": "closed"}},
        })
        .to_string();
        let j = Mapping::parse("m.json", &json).unwrap();
        assert_eq!(t.columns, j.columns);
        assert_eq!(t.values, j.values);
        assert_eq!(t.layer, Some(Layer::Incidents));
        assert_eq!(j.layer, Some(Layer::Incidents));
        // Neither extension: JSON is tried first, then TOML.
        assert_eq!(Mapping::parse("m.map", &json).unwrap().values, t.values);
        assert_eq!(Mapping::parse("m", TOML).unwrap().columns, t.columns);
        assert!(t.check(Layer::Incidents).is_ok());
        let cats = t.categories();
        assert_eq!(cats["01"].category, Category::Dispute);
        assert_eq!(cats["交通"].category, Category::SafetyHazard);
        assert_eq!(cats["交通"].subcategory, Some("road"));
        assert_eq!(t.value("status", &Value::from(" 已办结 ")), Some("closed"));
        assert_eq!(t.column_for("category"), Some("事件类型"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let bad = "[columns]\n\"a\" = \"category\"\n\"b\" = \n";
        let e = Mapping::parse("bad.toml", bad).unwrap_err();
        let MappingError::Syntax { format, line, .. } = &e else {
            panic!("{e}");
        };
        assert_eq!(*format, "TOML");
        assert_eq!(*line, Some(3), "{e}");
        assert!(
            e.to_string()
                .starts_with("bad.toml: not a mapping file (TOML, line 3)"),
            "{e}"
        );
        let e = Mapping::parse("bad.json", "{\n\"columns\": {\"a\": 1}\n}").unwrap_err();
        assert!(
            matches!(
                e,
                MappingError::Syntax {
                    format: "JSON",
                    line: Some(2),
                    ..
                }
            ),
            "{e}"
        );
        // An unknown top-level key (a typo) is refused, not ignored.
        let e = Mapping::parse("t.toml", "[colums]\na = \"name\"\n").unwrap_err();
        assert!(e.to_string().contains("colums"), "{e}");
    }

    #[test]
    fn unknown_names_are_refused_with_the_valid_ones() {
        let e = Mapping::parse(
            "m.toml",
            "layer = \"incidents\"\n[columns]\n\"事件类型\" = \"categroy\"\n",
        )
        .unwrap_err();
        let MappingError::UnknownProperty {
            key,
            property,
            valid,
            line,
            ..
        } = &e
        else {
            panic!("{e}");
        };
        assert_eq!(property, "categroy");
        assert_eq!(key, "columns.\"事件类型\"");
        assert_eq!(*line, Some(3));
        assert!(
            valid.contains("category") && valid.contains("reported_at"),
            "{valid}"
        );
        let e = Mapping::parse("m.toml", "layer = \"streets\"\n").unwrap_err();
        assert!(matches!(e, MappingError::UnknownLayer { .. }), "{e}");
        // Without a layer in the file, the names are checked against the import's.
        let m = Mapping::parse("m.toml", "[values.kind]\n\"学校\" = \"school\"\n").unwrap();
        assert!(m.check(Layer::Grids).is_ok());
        let e = m.check(Layer::Incidents).unwrap_err();
        assert!(
            e.to_string()
                .contains("\"kind\" is not a property of incidents"),
            "{e}"
        );
        let m = Mapping::parse("m.toml", TOML).unwrap();
        assert!(matches!(
            m.check(Layer::Grids),
            Err(MappingError::LayerMismatch { .. })
        ));
    }

    #[test]
    fn bad_values_are_refused() {
        let e = Mapping::parse(
            "m.toml",
            "layer = \"incidents\"\n[values.category]\n\"01\" = \"traffic\"\n",
        )
        .unwrap_err();
        assert!(
            matches!(e, MappingError::BadValue { line: Some(3), .. }),
            "{e}"
        );
        assert!(e.to_string().contains("is not a category"), "{e}");
        let e = Mapping::parse(
            "m.toml",
            "layer = \"incidents\"\n[values.category]\n\"交通\" = \"dispute/road\"\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("not a subcategory of dispute"),
            "{e}"
        );
        let e = Mapping::parse(
            "m.json",
            r#"{"layer": "cameras", "values": {"status": {"1": "up"}}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("online, offline"), "{e}");
        // Chinese names onemap reads are values too.
        assert!(Mapping::parse(
            "m.json",
            r#"{"layer": "cameras", "values": {"status": {"1": "在线"}}}"#
        )
        .is_ok());
        let e = Mapping::parse(
            "m.json",
            r#"{"layer": "incidents", "columns": {"a": "category", "b": "category"}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("both map to category"), "{e}");
    }

    #[test]
    fn every_category_choice_parses() {
        for c in choices(Layer::Incidents, "category").unwrap() {
            assert!(category_target(&c).is_ok(), "{c}");
        }
        assert!(properties(Layer::Incidents).contains(&"reported_at"));
        assert!(choices(Layer::Incidents, "description").is_none());
    }

    /// A vendor's incident CSV with Chinese columns and its own category codes, loaded
    /// with a mapping: the categories are those the fixture's own table says.
    #[test]
    fn a_vendor_csv_loads_as_mapped() {
        use crate::model::Dataset;
        // The vendor's code, and what onemap should make of it (not read from the mapping).
        let vendor = [
            ("01", Category::Dispute, None),
            ("02", Category::PublicSecurity, None),
            ("交通", Category::SafetyHazard, Some("road")),
        ];
        let mut csv = String::from("事件编号,类别,事件类型,发生时间,经度,纬度\n");
        let mut want: BTreeMap<&str, usize> = BTreeMap::new();
        for i in 0..30_usize {
            let (code, cat, _) = vendor[i * 7 % 3];
            *want.entry(cat.as_str()).or_default() += 1;
            // 事件类型 holds a decoy: the mapping says the category is in 类别.
            csv.push_str(&format!(
                "{},{code},矛盾纠纷,2024-03-01T08:{:02}:00+08:00,109.7{i:02},28.3\n",
                8_800_000 + i,
                i % 60
            ));
        }
        let map = r#"
[columns]
"类别" = "category"
"事件编号" = "id"
[values.category]
"01" = "dispute"
"02" = "治安"
"交通" = "safety_hazard/road"
"#;
        let mut opts = super::super::LoadOptions::new(Layer::Incidents);
        opts.set_mapping(Mapping::parse("vendor.toml", map).unwrap())
            .unwrap();
        let p =
            super::super::prepare_bytes("events.csv", csv.as_bytes(), &opts, &Dataset::default())
                .unwrap();
        assert_eq!(p.report.errors(), 0, "{}", p.report);
        let mut got: BTreeMap<&str, usize> = BTreeMap::new();
        for inc in &p.data.incidents {
            *got.entry(inc.category.as_str()).or_default() += 1;
        }
        assert_eq!(got, want, "{}", p.report);
        let road = p
            .data
            .incidents
            .iter()
            .find(|i| i.category == Category::SafetyHazard)
            .unwrap();
        assert_eq!(
            Category::SafetyHazard.subcategories()[usize::from(road.subcategory)].0,
            "road"
        );
        let applied = p.report.mapping.as_ref().unwrap();
        let rows: usize = applied.values.iter().map(|r| r.rows).sum();
        assert_eq!(rows, 30);
        let codes = applied.values.iter().find(|r| r.from == "交通").unwrap();
        assert_eq!(codes.rows, want["safety_hazard"]);
        assert!(
            p.report.to_string().contains("类别 -> category"),
            "{}",
            p.report
        );
        // The columns for the wizard: the mapped one is the category, with its codes.
        let cat = p.columns.iter().find(|c| c.name == "类别").unwrap();
        assert_eq!(cat.property.as_deref(), Some("category"));
        assert_eq!(cat.values.len(), 3);
        let decoy = p.columns.iter().find(|c| c.name == "事件类型").unwrap();
        assert_eq!(decoy.property, None);

        // A column the file lacks is one clear error.
        let mut opts = super::super::LoadOptions::new(Layer::Incidents);
        opts.set_mapping(
            Mapping::parse("m.json", r#"{"columns": {"事件分类": "category"}}"#).unwrap(),
        )
        .unwrap();
        let p =
            super::super::prepare_bytes("events.csv", csv.as_bytes(), &opts, &Dataset::default())
                .unwrap();
        let missing: Vec<_> = p
            .report
            .findings
            .iter()
            .filter(|f| f.message.contains("no column \"事件分类\""))
            .collect();
        assert_eq!(missing.len(), 1, "{}", p.report);
        assert_eq!(p.report.accepted, 0);
    }
}
