//! Reading typed properties from a `GeoJSON` object or a CSV row through one interface, so
//! that each layer's mapping is written once for every format.
//!
//! `GeoJSON` gives typed values, CSV gives text; each getter accepts both (a number written
//! as a string, a list as a JSON array in a CSV cell) and names the property and the value
//! when it refuses one.

use std::borrow::Cow;

use geojson::JsonObject;
use serde_json::Value;

use crate::formats::time::{format_time, parse_time};
use crate::formats::{ErrorKind, FeatureError};
use crate::model::UnixTime;

/// One property value as found in the input.
#[derive(Debug, Clone, Copy)]
pub enum Prop<'a> {
    /// A `GeoJSON` property.
    Json(&'a Value),
    /// A CSV cell (empty means null).
    Text(&'a str),
}

/// A source of named properties: a `GeoJSON` `properties` object or a CSV row.
pub trait Properties {
    /// The value under `key`, or `None` when absent.
    fn get(&self, key: &str) -> Option<Prop<'_>>;
}

impl Properties for JsonObject {
    fn get(&self, key: &str) -> Option<Prop<'_>> {
        serde_json::Map::get(self, key).map(Prop::Json)
    }
}

impl<P: Properties> Properties for Option<&P> {
    fn get(&self, key: &str) -> Option<Prop<'_>> {
        self.and_then(|p| p.get(key))
    }
}

fn bad(key: &str, what: impl std::fmt::Display, expected: &str) -> FeatureError {
    FeatureError::attribute(format!("property {key}: {what} is not {expected}"))
}

fn short(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 60 {
        let cut = (0..=60).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// A text property; numbers are accepted as their decimal text.
pub fn text<'a>(p: &'a impl Properties, key: &str) -> Result<Option<Cow<'a, str>>, FeatureError> {
    match p.get(key) {
        None | Some(Prop::Json(Value::Null)) => Ok(None),
        Some(Prop::Text(s)) => Ok((!s.is_empty()).then_some(Cow::Borrowed(s))),
        Some(Prop::Json(Value::String(s))) => Ok(Some(Cow::Borrowed(s.as_str()))),
        Some(Prop::Json(Value::Number(n))) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(Prop::Json(v)) => Err(bad(key, short(v), "a string")),
    }
}

/// An integer property that must fit `T`.
pub fn int<T: TryFrom<i64>>(p: &impl Properties, key: &str) -> Result<Option<T>, FeatureError> {
    let n: i64 = match p.get(key) {
        None | Some(Prop::Json(Value::Null) | Prop::Text("")) => return Ok(None),
        Some(Prop::Text(s)) => s
            .trim()
            .parse()
            .map_err(|_| bad(key, format!("{s:?}"), "an integer"))?,
        Some(Prop::Json(Value::String(s))) => s
            .trim()
            .parse()
            .map_err(|_| bad(key, format!("{s:?}"), "an integer"))?,
        Some(Prop::Json(v @ Value::Number(n))) => {
            n.as_i64().ok_or_else(|| bad(key, short(v), "an integer"))?
        }
        Some(Prop::Json(v)) => return Err(bad(key, short(v), "an integer")),
    };
    T::try_from(n)
        .map(Some)
        .map_err(|_| FeatureError::attribute(format!("property {key}: {n} is out of range")))
}

/// A finite floating-point property.
pub fn float(p: &impl Properties, key: &str) -> Result<Option<f64>, FeatureError> {
    let v = match p.get(key) {
        None | Some(Prop::Json(Value::Null) | Prop::Text("")) => return Ok(None),
        Some(Prop::Text(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| bad(key, format!("{s:?}"), "a number"))?,
        Some(Prop::Json(Value::String(s))) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| bad(key, format!("{s:?}"), "a number"))?,
        Some(Prop::Json(v @ Value::Number(n))) => {
            n.as_f64().ok_or_else(|| bad(key, short(v), "a number"))?
        }
        Some(Prop::Json(v)) => return Err(bad(key, short(v), "a number")),
    };
    if v.is_finite() {
        Ok(Some(v))
    } else {
        Err(bad(key, v, "a finite number"))
    }
}

/// A list of strings: a JSON array, or in a CSV cell a JSON array or `;`-separated text.
pub fn list(p: &impl Properties, key: &str) -> Result<Vec<String>, FeatureError> {
    let item = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(bad(key, short(other), "a list of strings")),
    };
    // A list written as text: a JSON array, or items separated the way spreadsheets and
    // GIS attribute tables do (`;`, `,`, and the full-width `；`, `，`, `、`).
    let from_text = |s: &str| {
        if s.trim_start().starts_with('[') {
            match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(a)) => a.iter().map(item).collect(),
                _ => Err(bad(key, format!("{s:?}"), "a JSON list of strings")),
            }
        } else {
            Ok(s.split([';', ',', '；', '，', '、'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect())
        }
    };
    match p.get(key) {
        None | Some(Prop::Json(Value::Null)) => Ok(Vec::new()),
        Some(Prop::Json(Value::Array(a))) => a.iter().map(item).collect(),
        Some(Prop::Json(Value::String(s))) => from_text(s),
        Some(Prop::Json(v)) => Err(bad(key, short(v), "a list of strings")),
        Some(Prop::Text(s)) => from_text(s),
    }
}

/// Times beyond ±2^53 s (±285 million years) are refused, so that lifecycle offsets and
/// durations computed from them cannot overflow.
const TIME_LIMIT: UnixTime = 1 << 53;

fn in_range(key: &str, t: UnixTime) -> Result<UnixTime, FeatureError> {
    if (-TIME_LIMIT..=TIME_LIMIT).contains(&t) {
        Ok(t)
    } else {
        Err(FeatureError::attribute(format!(
            "property {key}: time {t} is out of range"
        )))
    }
}

/// A time: RFC 3339 text, or Unix seconds as an integer.
pub fn time(p: &impl Properties, key: &str) -> Result<Option<UnixTime>, FeatureError> {
    time_any(p, key)?.map(|t| in_range(key, t)).transpose()
}

fn time_any(p: &impl Properties, key: &str) -> Result<Option<UnixTime>, FeatureError> {
    let s = match p.get(key) {
        None | Some(Prop::Json(Value::Null) | Prop::Text("")) => return Ok(None),
        Some(Prop::Json(v @ Value::Number(n))) => {
            return n
                .as_i64()
                .map(Some)
                .ok_or_else(|| bad(key, short(v), "a time"))
        }
        Some(Prop::Json(Value::String(s))) => s.as_str(),
        Some(Prop::Text(s)) => s,
        Some(Prop::Json(v)) => return Err(bad(key, short(v), "a time")),
    };
    match parse_time(s) {
        Ok(t) => Ok(Some(t)),
        // Unix seconds in text (a CSV cell) are accepted too.
        Err(e) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| FeatureError::attribute(format!("property {key}: {e}"))),
    }
}

/// A list of times (a patrol's vertex times).
pub fn times(p: &impl Properties, key: &str) -> Result<Vec<UnixTime>, FeatureError> {
    list(p, key)?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = match s.parse() {
                Ok(t) => t,
                Err(_) => parse_time(s)
                    .map_err(|e| FeatureError::attribute(format!("property {key}[{i}]: {e}")))?,
            };
            in_range(key, t)
        })
        .collect()
}

/// Turns an absent property into an error naming it.
pub fn required<T>(key: &str, v: Option<T>) -> Result<T, FeatureError> {
    v.ok_or_else(|| {
        FeatureError::new(
            ErrorKind::MissingAttribute,
            format!("missing required property {key}"),
        )
    })
}

/// The JSON value written for a time: RFC 3339 text, or Unix seconds past year 9999.
#[must_use]
pub fn time_value(t: UnixTime) -> Value {
    format_time(t).map_or_else(|| Value::from(t), Value::String)
}

/// The JSON value written for an optional time (`null` when absent).
#[must_use]
pub fn opt_time_value(t: Option<UnixTime>) -> Value {
    t.map_or(Value::Null, time_value)
}

/// The JSON value for an `f32` written with its shortest decimal form (0.1, not 0.10000000149).
#[must_use]
pub fn f32_value(v: Option<f32>) -> Value {
    v.and_then(|x| x.to_string().parse::<f64>().ok())
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}
