//! A Shapefile's `.dbf` attribute table, with text decoded in the encoding the set declares
//! or, failing that, the one its bytes fit.
//!
//! `dbase` parses the table, but it would decode text itself with one fixed encoding before
//! we know which one is right. So it reads text through `x-user-defined`, which maps every
//! byte to one char and back without loss (ASCII stays, 0x80-0xFF become U+F780-U+F7FF):
//! the raw bytes of every character field are recovered, the encoding is chosen over all of
//! them at once, and only then is anything decoded.
//!
//! The encoding, in order: the caller's (`--encoding`), the `.cpg`, the DBF header's
//! language driver id (0x4D and 0x7A are CP936, i.e. GBK; 0x57 "ANSI" and the rest say
//! nothing reliable), else detection: UTF-8 when all text is valid UTF-8, else GB18030.

use std::io::Cursor;

use encoding_rs::{Encoding, GB18030, X_USER_DEFINED};
use serde_json::{Map, Number, Value};
use shapefile::dbase::{self, FieldIndex, FieldType, FieldValue, ReadingOptions, TrimOption};

use crate::source::text;
use crate::source::{EncodingUsed, SourceError};

/// Byte offset of the language driver id in the DBF header.
const LDID_OFFSET: usize = 29;

/// A field's value before text is decoded.
enum Cell {
    /// Raw bytes of a character field, trailing spaces trimmed; empty is null.
    Text(Vec<u8>),
    /// Anything else, already JSON.
    Value(Value),
}

/// One DBF record as read.
pub(super) enum Row {
    /// Marked deleted: not a feature.
    Deleted,
    /// The attributes, names as in the file.
    Record(Map<String, Value>),
    /// A field could not be read: what and why.
    Bad(String),
}

/// The decoded table.
pub(super) struct Table {
    /// One row per record, in file order.
    pub rows: Vec<Row>,
    /// The encoding the text was decoded with.
    pub encoding: EncodingUsed,
}

/// Where the encoding comes from when the file or the caller says.
pub(super) struct Declared<'a> {
    /// The caller's choice (`--encoding`), first.
    pub option: Option<&'a str>,
    /// The `.cpg` content.
    pub cpg: Option<&'a [u8]>,
}

/// The encoding the caller or the files declare, if any; an unknown caller label is an
/// error (a typo must not silently fall back), an unknown `.cpg` is ignored.
fn declared_encoding(
    label: &str,
    declared: &Declared<'_>,
    ldid: Option<u8>,
) -> Result<Option<&'static Encoding>, SourceError> {
    if let Some(opt) = declared.option {
        return text::encoding_for_label(opt).map(Some).ok_or_else(|| {
            SourceError::Malformed(format!(
                "{label}: unknown text encoding {opt:?}; use e.g. UTF-8, GBK, GB18030, CP936"
            ))
        });
    }
    if let Some(enc) = declared
        .cpg
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(text::encoding_for_label)
    {
        return Ok(Some(enc));
    }
    Ok(match ldid {
        Some(0x4D | 0x7A) => Some(GB18030),
        _ => None,
    })
}

/// The bytes `x-user-defined` text stands for.
fn carried_bytes(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match u32::from(c) {
            b @ 0..=0x7F => out.push(b as u8),
            b @ 0xF780..=0xF7FF => out.push((b - 0xF700) as u8),
            // encoding_rs sniffs a UTF-8 byte-order mark and then decodes the rest as UTF-8:
            // those chars stand for their UTF-8 bytes.
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

/// A JSON number for `f`, integral values as integers; non-finite values are null.
fn number(f: f64) -> Value {
    // 2^53: beyond it an f64 no longer holds every integer.
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        return Value::from(f as i64);
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn cell(value: FieldValue) -> Result<Cell, String> {
    Ok(Cell::Value(match value {
        FieldValue::Character(s) => {
            return Ok(Cell::Text(s.map(|s| carried_bytes(&s)).unwrap_or_default()))
        }
        FieldValue::Numeric(n) => n.map_or(Value::Null, number),
        // Via its shortest text, so that 0.1f32 becomes 0.1 and not 0.10000000149011612.
        FieldValue::Float(n) => n
            .and_then(|f| f.to_string().parse::<f64>().ok())
            .map_or(Value::Null, number),
        FieldValue::Double(f) | FieldValue::Currency(f) => number(f),
        FieldValue::Integer(i) => Value::from(i),
        FieldValue::Logical(b) => b.map_or(Value::Null, Value::Bool),
        FieldValue::Date(d) => d.map_or(Value::Null, |d| {
            Value::from(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }),
        FieldValue::DateTime(dt) => {
            let (d, t) = (dt.date(), dt.time());
            Value::from(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                t.hours(),
                t.minutes(),
                t.seconds()
            ))
        }
        FieldValue::Memo(_) => return Err("memo fields (.dbt) are not supported".to_owned()),
    }))
}

/// `dbase` refuses a header whose last-update date is impossible, which some writers leave
/// at zero; the date means nothing to us, so such a date is replaced.
fn repair_header_date(bytes: &mut [u8]) {
    if let Some(date) = bytes.get_mut(1..4) {
        if !(1..=12).contains(&date[1]) || !(1..=31).contains(&date[2]) {
            date.copy_from_slice(&[95, 7, 26]);
        }
    }
}

/// Reads the table in `bytes` (the `.dbf` of the set `label`).
pub(super) fn read(
    label: &str,
    mut bytes: Vec<u8>,
    declared: &Declared<'_>,
) -> Result<Table, SourceError> {
    let malformed = |e: &dyn std::fmt::Display| SourceError::Malformed(format!("{label}: {e}"));
    let ldid = bytes.get(LDID_OFFSET).copied();
    let declared = declared_encoding(label, declared, ldid)?;
    repair_header_date(&mut bytes);

    let carrier = dbase::encoding::EncodingRs::from(X_USER_DEFINED);
    let mut file = dbase::File::open_with_encoding(Cursor::new(bytes.as_slice()), carrier)
        .map_err(|e| malformed(&format!("not a dBase table: {e}")))?;
    // Leading spaces may be part of a name; trailing ones are padding.
    file.set_options(ReadingOptions::default().character_trim(TrimOption::End));
    let fields: Vec<(Vec<u8>, FieldType)> = file
        .fields()
        .iter()
        .map(|f| (carried_bytes(f.name().trim_end()), f.field_type()))
        .collect();

    // The header's record count is not to be trusted with an allocation: at most as many
    // records as the bytes can hold.
    let record_bytes = 1 + fields.len().max(1);
    let mut raw: Vec<Option<Result<Vec<Cell>, String>>> =
        Vec::with_capacity(file.num_records().min(bytes.len() / record_bytes));
    for i in 0..file.num_records() {
        let Some(mut rec) = file.record(i) else {
            break;
        };
        match rec.is_deleted() {
            Ok(true) => {
                raw.push(None);
                continue;
            }
            Ok(false) => {}
            Err(e) => {
                // A table that breaks off: every record from here on is missing.
                raw.push(Some(Err(format!("record unreadable: {e}"))));
                break;
            }
        }
        let cells = (0..fields.len())
            .map(|j| {
                rec.read_field(FieldIndex(j))
                    .map_err(|e| e.to_string())
                    .and_then(cell)
                    .map_err(|e| format!("field {}: {e}", fields[j].0.escape_ascii()))
            })
            .collect::<Result<Vec<_>, _>>();
        raw.push(Some(cells));
    }

    let samples = fields.iter().map(|(name, _)| name.as_slice()).chain(
        raw.iter()
            .flatten()
            .flatten()
            .flatten()
            .filter_map(|c| match c {
                Cell::Text(b) => Some(b.as_slice()),
                Cell::Value(_) => None,
            }),
    );
    let (enc, encoding) = text::choose(declared, samples);

    let names: Vec<String> = fields
        .iter()
        .map(|(name, _)| text::decode(enc, name))
        .collect();
    let rows = raw
        .into_iter()
        .map(|r| match r {
            None => Row::Deleted,
            Some(Err(e)) => Row::Bad(e),
            Some(Ok(cells)) => Row::Record(
                names
                    .iter()
                    .cloned()
                    .zip(cells)
                    .map(|(name, c)| {
                        let v = match c {
                            Cell::Text(b) if b.is_empty() => Value::Null,
                            Cell::Text(b) => Value::from(text::decode(enc, &b)),
                            Cell::Value(v) => v,
                        };
                        (name, v)
                    })
                    .collect(),
            ),
        })
        .collect();
    Ok(Table { rows, encoding })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let (s, _, _) = X_USER_DEFINED.decode(&all);
        assert_eq!(carried_bytes(&s), all);
    }

    #[test]
    fn numbers_keep_integers_integral() {
        assert_eq!(number(42.0), Value::from(42));
        assert_eq!(number(-3.5), Value::from(-3.5));
        assert_eq!(number(f64::NAN), Value::Null);
        assert_eq!(number(1e300), Value::from(1e300));
    }

    #[test]
    fn declared_order_is_option_cpg_ldid() {
        let d = |option, cpg| Declared { option, cpg };
        let gbk = Some(GB18030);
        assert_eq!(
            declared_encoding("t", &d(Some("gbk"), Some(b"UTF-8")), None).unwrap(),
            gbk
        );
        assert_eq!(
            declared_encoding("t", &d(None, Some(b"UTF-8")), Some(0x4D)).unwrap(),
            Some(encoding_rs::UTF_8)
        );
        assert_eq!(
            declared_encoding("t", &d(None, None), Some(0x4D)).unwrap(),
            gbk
        );
        assert_eq!(
            declared_encoding("t", &d(None, None), Some(0x7A)).unwrap(),
            gbk
        );
        assert_eq!(
            declared_encoding("t", &d(None, None), Some(0x57)).unwrap(),
            None
        );
        assert_eq!(
            declared_encoding("t", &d(None, Some(b"nonsense")), None).unwrap(),
            None
        );
        assert!(declared_encoding("t", &d(Some("nonsense"), None), None).is_err());
    }
}
