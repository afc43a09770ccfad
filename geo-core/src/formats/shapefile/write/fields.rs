//! The `.dbf` side of a Shapefile export: onemap's property names in the 10 bytes a DBF
//! field name may have, a column type that holds every value of the layer, and the cells.

use ::shapefile::dbase::{FieldName, FieldWriter, TableWriterBuilder, WritableRecord};
use serde_json::Value;

/// The longest DBF field name, in bytes.
const NAME_BYTES: usize = 10;
/// The widest DBF field (the `dbase` crate formats a value in a 255-byte buffer).
const MAX_WIDTH: usize = 254;
/// Integers beyond 2^53 do not survive the f64 `dbase` writes numbers through.
const MAX_EXACT: u64 = 1 << 53;

/// The DBF field name (at most 10 bytes) onemap writes for the property `name`, so that a
/// Shapefile read back can be mapped to onemap's names.
///
/// The name is cut after 10 bytes (at a character boundary), which is also what GDAL's
/// `ogr2ogr` does, so a Shapefile made from onemap's `GeoJSON` by GDAL maps back the same
/// way. No two properties of one layer share their first 10 bytes (a test checks every
/// layer), so the names stay unique. The names that change:
///
/// | property        | DBF field    | layer              |
/// |-----------------|--------------|--------------------|
/// | `position_type` | `position_t` | cameras            |
/// | `azimuth_deg`   | `azimuth_de` | cameras            |
/// | `subcategory`   | `subcategor` | incidents          |
/// | `supervision`   | `supervisio` | incidents          |
/// | `reported_at`   | `reported_a` | incidents          |
/// | `accepted_at`   | `accepted_a` | incidents          |
/// | `dispatched_at` | `dispatched` | incidents          |
/// | `handling_at`   | `handling_a` | incidents          |
/// | `verifying_at`  | `verifying_` | incidents          |
/// | `cancelled_at`  | `cancelled_` | incidents          |
/// | `postponed_at`  | `postponed_` | incidents          |
/// | `sent_back_at`  | `sent_back_` | incidents          |
/// | `description`   | `descriptio` | incidents (personal) |
///
/// Every other property (`id`, `name`, `households`, `valid_from`, `fov_deg`...) keeps its name.
#[must_use]
pub fn dbf_field_name(name: &str) -> String {
    let mut end = name.len().min(NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No value yet.
    Empty,
    Logical,
    /// Numbers; `decimals` 0 while all are integers.
    Numeric {
        decimals: usize,
    },
    Text,
}

/// One column: its name and what the values seen need.
#[derive(Debug, Clone)]
pub(super) struct Column {
    /// The property (`id` for the feature id).
    pub property: &'static str,
    kind: Kind,
    /// Widest value, in bytes of its DBF text.
    width: usize,
    /// Widest integer part of a number, sign included.
    int_width: usize,
}

/// A value as the DBF will hold it.
pub(super) enum Cell {
    Text(Option<String>),
    Number(Option<f64>),
    Logical(Option<bool>),
}

/// A number's DBF text: the shortest that reads back the same, without an exponent (which
/// `serde_json` would use for 1e20 and a DBF number cannot hold).
fn number_text(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (None, Some(u), _) => u.to_string(),
        (None, None, Some(f)) => f.to_string(),
        (None, None, None) => n.to_string(),
    }
}

/// Whether `n` survives being written through an f64.
fn exact(n: &serde_json::Number) -> bool {
    n.as_u64().map_or_else(
        || n.as_i64().is_none_or(|i| i.unsigned_abs() <= MAX_EXACT),
        |u| u <= MAX_EXACT,
    )
}

/// A value as text: strings as they are, lists and objects as JSON.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `s` cut to at most `MAX_WIDTH` bytes at a character boundary.
fn fit(mut s: String) -> String {
    if s.len() > MAX_WIDTH {
        let mut end = MAX_WIDTH;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

impl Column {
    /// A column for `property` before any value is seen; the id is always text so that
    /// codes keep their leading zeros and all their digits.
    pub fn new(property: &'static str) -> Self {
        Self {
            property,
            kind: if property == "id" {
                Kind::Text
            } else {
                Kind::Empty
            },
            width: 1,
            int_width: 1,
        }
    }

    /// Widens the column for `v`.
    pub fn see(&mut self, v: &Value) {
        let len = match v {
            Value::Null => return,
            Value::Bool(_) => {
                self.kind = match self.kind {
                    Kind::Empty | Kind::Logical => Kind::Logical,
                    _ => Kind::Text,
                };
                5
            }
            Value::Number(n) => {
                let t = number_text(n);
                let (int, decimals) = t
                    .split_once('.')
                    .map_or((t.len(), 0), |(i, f)| (i.len(), f.len()));
                self.int_width = self.int_width.max(int);
                self.kind = match self.kind {
                    Kind::Empty if exact(n) || decimals > 0 => Kind::Numeric { decimals },
                    Kind::Numeric { decimals: d } if exact(n) || decimals > 0 => Kind::Numeric {
                        decimals: d.max(decimals),
                    },
                    _ => Kind::Text,
                };
                t.len()
            }
            other => {
                self.kind = Kind::Text;
                text(other).map_or(0, |s| s.len())
            }
        };
        self.width = self.width.max(len);
    }

    /// The column settled: numbers too wide for a DBF number become text.
    fn settled(&self) -> Kind {
        match self.kind {
            Kind::Numeric { decimals } if self.number_width(decimals) > MAX_WIDTH => Kind::Text,
            Kind::Empty => Kind::Text,
            k => k,
        }
    }

    fn number_width(&self, decimals: usize) -> usize {
        // Integer part (sign included), the point, the decimals.
        self.int_width + usize::from(decimals > 0) + decimals
    }

    /// Adds the column to the table definition.
    pub fn define(&self, b: TableWriterBuilder) -> crate::Result<TableWriterBuilder> {
        let name = dbf_field_name(self.property);
        let field = FieldName::try_from(name.as_str())
            .map_err(|e| crate::Error::Invalid(format!("DBF field {name:?}: {e}")))?;
        Ok(match self.settled() {
            Kind::Logical => b.add_logical_field(field),
            Kind::Numeric { decimals } => {
                let w = self.number_width(decimals);
                b.add_numeric_field(field, w as u8, decimals as u8)
            }
            Kind::Text | Kind::Empty => {
                b.add_character_field(field, self.width.clamp(1, MAX_WIDTH) as u8)
            }
        })
    }

    /// The cell for `v` in this column; text longer than a DBF field holds is cut.
    pub fn cell(&self, v: &Value) -> Cell {
        match self.settled() {
            Kind::Logical => Cell::Logical(v.as_bool()),
            Kind::Numeric { .. } => Cell::Number(v.as_f64()),
            Kind::Text | Kind::Empty => Cell::Text(text(v).map(fit)),
        }
    }
}

/// One record's cells, in column order.
pub(super) struct Row(pub Vec<Cell>);

impl WritableRecord for Row {
    fn write_using<W: std::io::Write>(
        &self,
        w: &mut FieldWriter<'_, W>,
    ) -> Result<(), ::shapefile::dbase::FieldError> {
        for c in &self.0 {
            match c {
                Cell::Text(s) => w.write_next_field_value(s)?,
                Cell::Number(n) => w.write_next_field_value(n)?,
                Cell::Logical(b) => w.write_next_field_value(b)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::property_names;
    use crate::model::Layer;

    #[test]
    fn names_fit_and_stay_unique_in_every_layer() {
        for layer in Layer::ALL {
            let mut names: Vec<String> = std::iter::once("id")
                .chain(property_names(layer, true))
                .map(dbf_field_name)
                .collect();
            assert!(names.iter().all(|n| n.len() <= NAME_BYTES && !n.is_empty()));
            let n = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), n, "{layer}: {names:?}");
        }
        assert_eq!(dbf_field_name("position_type"), "position_t");
        assert_eq!(dbf_field_name("name"), "name");
        // Never cut inside a character.
        assert_eq!(dbf_field_name("网格名称abcd"), "网格名");
    }

    #[test]
    fn columns_take_the_type_all_values_fit() {
        let mut ints = Column::new("households");
        for v in [Value::from(12), Value::Null, Value::from(-345)] {
            ints.see(&v);
        }
        assert_eq!(ints.settled(), Kind::Numeric { decimals: 0 });
        assert_eq!(ints.number_width(0), 4);

        let mut reals = Column::new("azimuth_deg");
        for v in [Value::from(12), Value::from(0.125), Value::from(-3.5)] {
            reals.see(&v);
        }
        assert_eq!(reals.settled(), Kind::Numeric { decimals: 3 });
        assert_eq!(reals.number_width(3), 6);

        let mut mixed = Column::new("x");
        mixed.see(&Value::from(1));
        mixed.see(&Value::from("a"));
        assert_eq!(mixed.settled(), Kind::Text);

        let mut huge = Column::new("x");
        huge.see(&Value::from(u64::MAX));
        assert_eq!(huge.settled(), Kind::Text);

        let mut big = Column::new("x");
        big.see(&Value::from(1e20));
        assert_eq!(big.settled(), Kind::Numeric { decimals: 0 });
        assert_eq!(big.number_width(0), 21);

        let mut empty = Column::new("valid_to");
        empty.see(&Value::Null);
        assert_eq!(empty.settled(), Kind::Text);

        let mut id = Column::new("id");
        id.see(&Value::from(7));
        assert_eq!(id.settled(), Kind::Text);
    }

    #[test]
    fn long_text_is_cut_at_a_character() {
        let s = fit("网".repeat(100));
        assert_eq!(s.len(), 252);
    }
}
