//! Any `GeoJSON` or NDJSON file, whatever its properties.

use geojson::{feature::Id, Feature, GeoJson};
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::crs::Crs;
use crate::formats::{ErrorKind, Problem};
use crate::limits::{LimitError, Limits};
use crate::source::{Source, SourceError, SourceFeature};

/// The feature, or the kind of problem that keeps it out and what it is.
fn feature(index: usize, f: Feature) -> Result<SourceFeature, (ErrorKind, String)> {
    // geo-types closes every ring it is given: an unclosed one must be caught here.
    if let Some(g) = &f.geometry {
        if let Some(finding) = crate::validate::check_geojson_rings(index, None, g) {
            return Err((ErrorKind::InvalidRing, finding.message));
        }
    }
    // The geojson crate's conversion indexes a position's `[1]` unchecked and panics on
    // `[109.7]` (found by `fuzz/import_geojson`): such a position is refused first. (Ranges
    // are left to the CRS check, which reports them as such.)
    if let Some(g) = &f.geometry {
        if has_short_position(g) {
            return Err((
                ErrorKind::Geometry,
                "a position has fewer than two coordinates (expected [lon, lat])".into(),
            ));
        }
    }
    let geometry = match f.geometry {
        None => None,
        Some(g) => Some(
            geo_types::Geometry::<f64>::try_from(g)
                .map_err(|e| (ErrorKind::Geometry, e.to_string()))?,
        ),
    };
    Ok(SourceFeature {
        index,
        fid: f.id.map(|id| match id {
            Id::String(s) => s,
            Id::Number(n) => n.to_string(),
        }),
        geometry,
        properties: f.properties.unwrap_or_default(),
    })
}

fn push(source: &mut Source, index: usize, f: Feature) {
    match feature(index, f) {
        Ok(sf) => source.features.push(sf),
        Err((kind, message)) => source.problems.push(Problem::new(index, kind, message)),
    }
}

/// Whether a position of the geometry has fewer than two numbers.
fn has_short_position(g: &geojson::Geometry) -> bool {
    use geojson::GeometryValue as V;
    let short = |p: &geojson::Position| p.as_slice().len() < 2;
    match &g.value {
        V::Point { coordinates } => short(coordinates),
        V::MultiPoint { coordinates } | V::LineString { coordinates } => {
            coordinates.iter().any(short)
        }
        V::MultiLineString { coordinates } | V::Polygon { coordinates } => {
            coordinates.iter().flatten().any(short)
        }
        V::MultiPolygon { coordinates } => coordinates.iter().flatten().flatten().any(short),
        V::GeometryCollection { geometries } => geometries.iter().any(has_short_position),
    }
}

/// Vertices of a `GeoJSON` geometry, counted before it is converted.
fn vertices(g: &geojson::Geometry) -> usize {
    use geojson::GeometryValue as V;
    match &g.value {
        V::Point { .. } => 1,
        V::MultiPoint { coordinates } | V::LineString { coordinates } => coordinates.len(),
        V::MultiLineString { coordinates } | V::Polygon { coordinates } => {
            coordinates.iter().map(Vec::len).sum()
        }
        V::MultiPolygon { coordinates } => coordinates.iter().flatten().map(Vec::len).sum(),
        V::GeometryCollection { geometries } => geometries.iter().map(vertices).sum(),
    }
}

/// The limits checked on one feature as soon as it is parsed, before it is kept.
fn check(
    file: &str,
    limits: &Limits,
    source: &Source,
    index: usize,
    f: &Feature,
) -> Result<(), LimitError> {
    limits.check_count(file, source.features.len())?;
    match &f.geometry {
        Some(g) => limits.check_vertices(file, index, vertices(g)),
        None => Ok(()),
    }
}

/// A `FeatureCollection`, a single `Feature` or a bare geometry, named `file` in messages.
///
/// A collection's features are parsed one at a time and each is checked against `limits`
/// as soon as it is parsed: the first one past them stops the reading (a parse of the whole
/// document first would have paid for everything it holds).
pub(crate) fn read_collection(
    file: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Source, SourceError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| SourceError::Malformed(format!("GeoJSON is not UTF-8: {e}")))?;
    // RFC 7946 GeoJSON is lon/lat; a legacy "crs" member may say otherwise.
    let mut source = Source {
        crs: Some(Crs::LonLat { epsg: 4326 }),
        ..Source::default()
    };
    let mut refused = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let top = TopLevel {
        file,
        limits,
        source: &mut source,
        refused: &mut refused,
    }
    .deserialize(&mut de)
    .and_then(|top| de.end().map(|()| top));
    if let Some(e) = refused {
        return Err(e.into());
    }
    let not_geojson =
        |e: &dyn std::fmt::Display| SourceError::Malformed(format!("not GeoJSON: {e}"));
    match top.map_err(|e| not_geojson(&e))? {
        Top::Collection { crs } => {
            if let Some(c) = crs
                .as_ref()
                .and_then(|c| c.pointer("/properties/name"))
                .and_then(|n| n.as_str())
            {
                source.crs = c.parse().ok();
            }
        }
        Top::Other => {
            // One Feature or a bare geometry: its vertices counted on the text first, so
            // that one past the limit is never built.
            let as_feature = serde_json::from_str::<FeatureProbe<'_>>(text).ok();
            let as_geometry = serde_json::from_str::<GeometryProbe<'_>>(text).ok();
            let counted = as_feature
                .and_then(|f| f.geometry)
                .map_or(0, |g| g.vertices())
                .max(as_geometry.map_or(0, |g| g.vertices()));
            limits.check_vertices(file, 0, counted)?;
            let gj: GeoJson = serde_json::from_str(text).map_err(|e| not_geojson(&e))?;
            match gj {
                GeoJson::FeatureCollection(_) => {
                    return Err(not_geojson(&"a FeatureCollection without features"))
                }
                GeoJson::Feature(f) => {
                    check(file, limits, &source, 0, &f)?;
                    push(&mut source, 0, f);
                }
                GeoJson::Geometry(g) => {
                    let f = Feature {
                        geometry: Some(g),
                        ..Feature::default()
                    };
                    check(file, limits, &source, 0, &f)?;
                    push(&mut source, 0, f);
                }
            }
        }
    }
    Ok(source)
}

/// What the top-level object was, once its features (if any) are read into the source.
enum Top {
    /// A `FeatureCollection`, with its legacy `crs` member.
    Collection { crs: Option<Value> },
    /// Anything without `features`: a Feature or a geometry (read again from the text).
    Other,
}

/// The top-level object: `features` streamed through [`Features`], the rest kept.
struct TopLevel<'a> {
    file: &'a str,
    limits: &'a Limits,
    source: &'a mut Source,
    refused: &'a mut Option<LimitError>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Top;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Top;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON object (FeatureCollection, Feature or geometry)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut features = false;
        // Only what a collection needs is kept; the rest (a lone Feature's geometry, say)
        // is skipped without being built and read again from the text if it is needed.
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" && !features {
                features = true;
                map.next_value_seed(Features {
                    file: self.file,
                    limits: self.limits,
                    source: &mut *self.source,
                    refused: &mut *self.refused,
                })?;
            } else if key == "type" || key == "crs" {
                let v: Value = map.next_value()?;
                rest.insert(key, v);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !features {
            return Ok(Top::Other);
        }
        match rest.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => Ok(Top::Collection {
                crs: rest.remove("crs"),
            }),
            other => Err(A::Error::custom(format!(
                "an object with features has type {other:?}; expected \"FeatureCollection\""
            ))),
        }
    }
}

/// The `features` array, read one feature at a time into the source.
struct Features<'a> {
    file: &'a str,
    limits: &'a Limits,
    source: &'a mut Source,
    refused: &'a mut Option<LimitError>,
}

impl<'de> DeserializeSeed<'de> for Features<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of GeoJSON features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        // Each feature is first taken as its text (borrowed, no copy) and its coordinates
        // counted there, so that a feature past the vertex limit is refused before the
        // parse builds it (a million-vertex polygon would cost a hundred MB to build).
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            if let Ok(probe) = serde_json::from_str::<FeatureProbe<'_>>(raw.get()) {
                let counted = probe.geometry.as_ref().map_or(0, GeometryProbe::vertices);
                if let Err(e) = self.limits.check_vertices(self.file, index, counted) {
                    return refuse(self.refused, e);
                }
            }
            let f: Feature = serde_json::from_str(raw.get()).map_err(A::Error::custom)?;
            if let Err(e) = check(self.file, self.limits, self.source, index, &f) {
                return refuse(self.refused, e);
            }
            push(self.source, index, f);
            index += 1;
        }
        Ok(())
    }
}

/// Stops the parse for `e`, kept in `slot` so that the caller returns it typed.
fn refuse<E: serde::de::Error>(slot: &mut Option<LimitError>, e: LimitError) -> Result<(), E> {
    let message = e.to_string();
    *slot = Some(e);
    Err(E::custom(message))
}

/// A feature's geometry as text, to count its vertices before it is parsed.
#[derive(Deserialize)]
struct FeatureProbe<'a> {
    #[serde(borrow)]
    geometry: Option<GeometryProbe<'a>>,
}

/// A geometry's `coordinates` as text, or its member geometries.
#[derive(Deserialize)]
struct GeometryProbe<'a> {
    #[serde(borrow)]
    coordinates: Option<&'a RawValue>,
    #[serde(borrow)]
    geometries: Option<Vec<GeometryProbe<'a>>>,
}

impl GeometryProbe<'_> {
    /// Positions in the coordinates: each is an array that starts with a number.
    fn vertices(&self) -> usize {
        let own = self.coordinates.map_or(0, |c| {
            let text = c.get().as_bytes();
            let mut n = 0;
            let mut i = 0;
            while i < text.len() {
                if text[i] == b'[' {
                    let mut j = i + 1;
                    while j < text.len() && text[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if j < text.len() && matches!(text[j], b'-' | b'+' | b'.' | b'0'..=b'9') {
                        n += 1;
                    }
                    i = j;
                } else {
                    i += 1;
                }
            }
            n
        });
        let members = self
            .geometries
            .as_ref()
            .map_or(0, |gs| gs.iter().map(GeometryProbe::vertices).sum());
        own + members
    }
}

/// One feature per line; blank lines are skipped. Each is checked against `limits` as it
/// is read.
pub(crate) fn read_lines(file: &str, bytes: &[u8], limits: &Limits) -> Result<Source, SourceError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| SourceError::Malformed(format!("NDJSON is not UTF-8: {e}")))?;
    let mut source = Source {
        crs: Some(Crs::LonLat { epsg: 4326 }),
        ..Source::default()
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Ok(probe) = serde_json::from_str::<FeatureProbe<'_>>(line) {
            let counted = probe.geometry.as_ref().map_or(0, GeometryProbe::vertices);
            limits.check_vertices(file, i, counted)?;
        }
        match line.parse::<Feature>() {
            Ok(f) => {
                check(file, limits, &source, i, &f)?;
                push(&mut source, i, f);
            }
            Err(e) => source.problems.push(Problem::new(
                i,
                ErrorKind::Geometry,
                format!("line {}: not a GeoJSON feature: {e}", i + 1),
            )),
        }
    }
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_of_one_number_is_an_error_not_a_panic() {
        // fuzz/import_geojson found it: the geojson crate's conversion panicked on it.
        let text = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
            "geometry":{"type":"Polygon","coordinates":[[[109.7,28.3],[28.31],[109.73,28.4],[109.7,28.3]]]}}]}"#;
        let got = read_collection("x.geojson", text, &Limits::default());
        let problems = got.map_or(1, |s| s.problems.len());
        assert!(problems >= 1, "the short position must be reported");
    }

    #[test]
    fn an_unclosed_ring_is_an_invalid_ring_and_a_bad_geometry_a_geometry_problem() {
        let text = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[109.7,28.3],[109.71,28.3],[109.71,28.31],[109.7,28.31]]]}},
            {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[109.7,28.3],[28.31],[109.73,28.4],[109.7,28.3]]]}}]}"#;
        let s = read_collection("x.geojson", text, &Limits::default()).unwrap();
        let kinds: Vec<_> = s.problems.iter().map(|p| (p.index, p.kind)).collect();
        assert_eq!(
            kinds,
            [(0, ErrorKind::InvalidRing), (1, ErrorKind::Geometry)],
            "{:?}",
            s.problems
        );
    }

    fn ring(n: usize) -> String {
        let mut pts: Vec<String> = (0..n - 1)
            .map(|i| {
                format!(
                    "[{},{}]",
                    100.0 + i as f64 * 1e-4,
                    20.0 + (i % 2) as f64 * 1e-4
                )
            })
            .collect();
        pts.push(pts[0].clone());
        format!(
            r#"{{"type":"Feature","properties":{{"n":{n}}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
            pts.join(",")
        )
    }

    fn limits(vertices: usize, features: usize) -> Limits {
        Limits {
            vertices,
            features,
            ..Limits::default()
        }
    }

    #[test]
    fn collections_still_read_with_their_crs() {
        let text = format!(
            r#"{{"features":[{},{}],"crs":{{"type":"name","properties":{{"name":"EPSG:4490"}}}},"type":"FeatureCollection"}}"#,
            ring(5),
            ring(6)
        );
        let s = read_collection("f.geojson", text.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(s.features.len(), 2);
        assert_eq!(s.crs, Some(Crs::LonLat { epsg: 4490 }));
        let one = read_collection("f.geojson", ring(5).as_bytes(), &Limits::default()).unwrap();
        assert_eq!(one.features.len(), 1);
        let bare = r#"{"type":"Point","coordinates":[1,2]}"#;
        let s = read_collection("f.geojson", bare.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(s.features.len(), 1);
        for bad in [
            "[1,2]",
            r#"{"type":"Feature","features":[]}"#,
            r#"{"type":"FeatureCollection"}"#,
            "{} x",
        ] {
            assert!(
                matches!(
                    read_collection("f.geojson", bad.as_bytes(), &Limits::default()),
                    Err(SourceError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_first_feature_past_the_vertex_limit_stops_the_reading() {
        // The third feature is cut off: the reading never gets there.
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{},{},{{"type":"Feat"#,
            ring(10),
            ring(11)
        );
        let e = read_collection("f.geojson", text.as_bytes(), &limits(10, 100)).unwrap_err();
        let SourceError::Limit(e) = e else {
            panic!("{e}")
        };
        assert_eq!(
            e,
            LimitError::Vertices {
                file: "f.geojson".into(),
                index: 1,
                vertices: 11,
                max: 10
            }
        );
        let e = read_collection("f.geojson", ring(11).as_bytes(), &limits(10, 100)).unwrap_err();
        assert!(
            matches!(
                e,
                SourceError::Limit(LimitError::Vertices {
                    index: 0,
                    vertices: 11,
                    ..
                })
            ),
            "{e}"
        );
        let bare = r#"{"coordinates":[[1,2],[3,4],[5,6]],"type":"LineString"}"#;
        let e = read_collection("f.geojson", bare.as_bytes(), &limits(2, 100)).unwrap_err();
        assert!(
            matches!(
                e,
                SourceError::Limit(LimitError::Vertices { vertices: 3, .. })
            ),
            "{e}"
        );
        let lines = format!("{}\n{}\n", ring(10), ring(11));
        let e = read_lines("f.ndjson", lines.as_bytes(), &limits(10, 100)).unwrap_err();
        assert!(
            matches!(e, SourceError::Limit(LimitError::Vertices { index: 1, .. })),
            "{e}"
        );
    }

    #[test]
    fn the_probe_counts_positions_exactly() {
        let count = |g: &str| {
            let p: GeometryProbe<'_> = serde_json::from_str(g).unwrap();
            p.vertices()
        };
        assert_eq!(count(r#"{"type":"Point","coordinates":[1,2]}"#), 1);
        assert_eq!(
            count(
                r#"{"type":"Polygon","bbox":[0,0,1,1],"coordinates":[[ [0,0],[1, 0],[ -1,1e3],[0,0]],[[0.5,0.5]]]}"#
            ),
            5
        );
        assert_eq!(
            count(
                r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}]}"#
            ),
            3
        );
        for n in [4, 10, 11] {
            let text = ring(n);
            let f: FeatureProbe<'_> = serde_json::from_str(&text).unwrap();
            assert_eq!(f.geometry.unwrap().vertices(), n);
        }
    }

    #[test]
    fn one_feature_more_than_the_limit_is_refused() {
        let fc = |n: usize| {
            let fs: Vec<String> = (0..n).map(|_| ring(4)).collect();
            format!(
                r#"{{"type":"FeatureCollection","features":[{}]}}"#,
                fs.join(",")
            )
        };
        assert!(read_collection("f.geojson", fc(3).as_bytes(), &limits(10, 3)).is_ok());
        let e = read_collection("f.geojson", fc(4).as_bytes(), &limits(10, 3)).unwrap_err();
        assert!(
            matches!(e, SourceError::Limit(LimitError::Features { max: 3, .. })),
            "{e}"
        );
    }
}
