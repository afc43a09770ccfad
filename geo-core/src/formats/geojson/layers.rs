//! `GeoJSON` `FeatureCollections` and NDJSON (one `GeoJSON` feature per line).
//!
//! Writers stream one feature at a time. The `GeoJSON` reader walks the `features` array
//! with a serde seed, turning each element into a feature as soon as it is parsed, so a
//! malformed feature is reported with its index while the others are kept.

use std::fmt;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};

use geojson::Feature;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::formats::mapping::{feature_id, for_each_feature, Collector};
use crate::formats::{ErrorKind, Problem, ReadReport};
use crate::model::{Dataset, Layer};
use crate::Result;

/// Writes `layer` (all, or the features at `indices`) as a `GeoJSON` `FeatureCollection`,
/// one feature at a time; returns the number of features written.
pub fn write_geojson(
    data: &Dataset,
    layer: Layer,
    indices: Option<&[usize]>,
    personal: bool,
    w: impl Write,
) -> Result<usize> {
    let mut w = BufWriter::with_capacity(1 << 16, w);
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let mut n = 0_usize;
    for_each_feature(data, layer, indices, personal, |f| -> Result<()> {
        if n > 0 {
            w.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut w, &f)?;
        n += 1;
        Ok(())
    })?;
    w.write_all(b"\n]}\n")?;
    w.flush()?;
    Ok(n)
}

/// Writes `layer` as NDJSON: one `GeoJSON` feature per line; returns the number written.
pub fn write_ndjson(
    data: &Dataset,
    layer: Layer,
    indices: Option<&[usize]>,
    personal: bool,
    w: impl Write,
) -> Result<usize> {
    let mut w = BufWriter::with_capacity(1 << 16, w);
    let mut n = 0_usize;
    for_each_feature(data, layer, indices, personal, |f| -> Result<()> {
        serde_json::to_writer(&mut w, &f)?;
        w.write_all(b"\n")?;
        n += 1;
        Ok(())
    })?;
    w.flush()?;
    Ok(n)
}

/// Features collected so far and the problems met.
struct Reading {
    collector: Collector,
    report: ReadReport,
    index: usize,
}

impl Reading {
    fn new(layer: Layer) -> Self {
        Self {
            collector: Collector::new(layer),
            report: ReadReport::default(),
            index: 0,
        }
    }

    fn problem(&mut self, id: Option<String>, kind: ErrorKind, message: String) {
        self.report.problems.push(Problem {
            index: self.index,
            id,
            kind,
            message,
        });
    }

    fn feature(&mut self, f: &Feature) {
        match self.collector.add_feature(f) {
            Ok(()) => self.report.features += 1,
            Err(e) => {
                let id = feature_id(f).ok().flatten();
                self.problem(id, e.kind, e.message);
            }
        }
    }

    /// A JSON value that should be a feature.
    fn value(&mut self, v: Value) {
        let id = match v.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        match serde_json::from_value::<Feature>(v) {
            Ok(f) => self.feature(&f),
            Err(e) => self.problem(
                id,
                ErrorKind::Attribute,
                format!("not a GeoJSON Feature: {e}"),
            ),
        }
    }

    fn finish(self) -> (Dataset, ReadReport) {
        (self.collector.finish(), self.report)
    }
}

/// Reads a `GeoJSON` `FeatureCollection` of `layer`: the good features, and every problem.
///
/// Only I/O errors are returned as `Err`; malformed JSON is a problem in the report, at the
/// index where it broke off (features before it are kept).
pub fn read_geojson(mut r: impl Read, layer: Layer) -> Result<(Dataset, ReadReport)> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)?;
    let mut reading = Reading::new(layer);
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let outcome = Top(&mut reading)
        .deserialize(&mut de)
        .and_then(|seen| de.end().map(|()| seen));
    match outcome {
        Ok(true) => {}
        Ok(false) => reading.problem(
            None,
            ErrorKind::Attribute,
            "the FeatureCollection has no features array".to_owned(),
        ),
        Err(e) => reading.problem(
            None,
            ErrorKind::Attribute,
            format!("the file is not a valid GeoJSON FeatureCollection: {e}"),
        ),
    }
    Ok(reading.finish())
}

/// Reads NDJSON (one `GeoJSON` feature per line; blank lines skipped) of `layer`.
pub fn read_ndjson(r: impl Read, layer: Layer) -> Result<(Dataset, ReadReport)> {
    let mut reading = Reading::new(layer);
    let mut r = BufReader::with_capacity(1 << 16, r);
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let mut s = line.as_slice();
        // GeoJSON text sequences (RFC 8142) put RS before each feature.
        while let [0x1e | b' ' | b'\t' | b'\r' | b'\n', rest @ ..] = s {
            s = rest;
        }
        if !s.is_empty() {
            match serde_json::from_slice::<Feature>(s) {
                Ok(f) => reading.feature(&f),
                Err(e) => match serde_json::from_slice::<Value>(s) {
                    // Valid JSON but not a feature: the value path finds the id for the report.
                    Ok(v) => reading.value(v),
                    Err(_) => reading.problem(
                        None,
                        ErrorKind::Attribute,
                        format!("line is not valid JSON: {e}"),
                    ),
                },
            }
        }
        reading.index += 1;
    }
    Ok(reading.finish())
}

/// The top-level object: finds `features` and hands each element to [`Reading`].
struct Top<'a>(&'a mut Reading);

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    let t: Value = map.next_value()?;
                    if t != "FeatureCollection" {
                        return Err(serde::de::Error::custom(format!(
                            "type is {t}, not \"FeatureCollection\""
                        )));
                    }
                }
                "features" => {
                    map.next_value_seed(Features(&mut *self.0))?;
                    seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(seen)
    }
}

/// The `features` array.
struct Features<'a>(&'a mut Reading);

impl<'de> DeserializeSeed<'de> for Features<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of GeoJSON features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.0.value(v);
            self.0.index += 1;
        }
        Ok(())
    }
}
