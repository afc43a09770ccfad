//! GPX 1.0/1.1 tracks (what a GPS handset or a patrol app exports): every `<trkseg>` is
//! one feature, a line through its `<trkpt>`s, with properties `times` (each point's
//! `<time>`, when every point has one), `worker` (the track's `<name>`, else the file's
//! `<metadata><author><name>` or `<metadata><name>`), `name`, `track` and `segment` (0-based
//! positions). Waypoints and routes carry no walked time and are not read. The feature id
//! is derived from the file's bytes and the segment's position, so importing the same file
//! twice writes the same patrols again rather than new ones. GPX is always WGS 84 lon/lat.
//!
//! Read with `quick-xml` (the reader KML's check uses), event by event: no recursion, so
//! nesting cannot exhaust the stack.

use std::borrow::Cow;

use geo_types::{Coord, Geometry, LineString};
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

use crate::crs::Crs;
use crate::formats::{ErrorKind, Problem};
use crate::source::{Source, SourceError, SourceOptions};

/// Patrol ids of GPX segments lie in `[BASE, 2 * BASE)`: above any id a store gives out by
/// counting (GPS ingest, the demo), below 2^53 so that JavaScript clients read them exactly.
pub const GPX_ID_BASE: u64 = 1 << 52;

/// Segments one file may have before ids derived from it could repeat.
const MAX_SEGMENTS: u64 = 1 << 20;

/// FNV-1a, 64 bits: a stable hash of the file's bytes (std's hasher may change between
/// releases, and an id must not).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The patrol id of the `ordinal`-th segment of a file whose bytes hash to `hash`.
fn segment_id(hash: u64, ordinal: u64) -> u64 {
    // 32 bits of the hash above 20 bits of segment position: 52 bits under the base.
    GPX_ID_BASE | ((hash & 0xffff_ffff) << 20) | (ordinal % MAX_SEGMENTS)
}

/// One `<trkpt>` being read.
#[derive(Debug, Default)]
struct Point {
    coord: Option<Coord<f64>>,
    time: Option<String>,
    error: Option<String>,
}

/// One `<trkseg>` being read.
#[derive(Debug, Default)]
struct Segment {
    coords: Vec<Coord<f64>>,
    times: Vec<Option<String>>,
    errors: Vec<String>,
}

/// One `<trk>` being read.
#[derive(Debug, Default)]
struct Track {
    name: Option<String>,
    segments: Vec<Segment>,
}

/// Where the reader is, by the elements it is inside (local names: a namespace prefix is
/// dropped).
#[derive(Debug, Default)]
struct State {
    path: Vec<Vec<u8>>,
    text: String,
    metadata_name: Option<String>,
    author_name: Option<String>,
    tracks: Vec<Track>,
    point: Option<Point>,
}

impl State {
    fn inside(&self, names: &[&[u8]]) -> bool {
        self.path.len() >= names.len()
            && self.path[self.path.len() - names.len()..]
                .iter()
                .zip(names)
                .all(|(a, b)| a.as_slice() == *b)
    }

    fn start(&mut self, e: &BytesStart<'_>) {
        let name = e.local_name().as_ref().to_vec();
        self.text.clear();
        match name.as_slice() {
            b"trk" => self.tracks.push(Track::default()),
            b"trkseg" => {
                if let Some(t) = self.tracks.last_mut() {
                    t.segments.push(Segment::default());
                }
            }
            b"trkpt" if self.inside(&[b"trkseg"]) => self.point = Some(trkpt(e)),
            _ => {}
        }
        self.path.push(name);
    }

    fn end(&mut self) {
        let text = std::mem::take(&mut self.text);
        let text = text.trim();
        let Some(name) = self.path.pop() else {
            return;
        };
        match name.as_slice() {
            b"name" if self.inside(&[b"trk"]) => {
                if let Some(t) = self.tracks.last_mut() {
                    t.name = Some(text.to_owned()).filter(|s| !s.is_empty());
                }
            }
            b"name"
                if self.inside(&[b"metadata", b"author"]) || self.inside(&[b"gpx", b"author"]) =>
            {
                self.author_name = Some(text.to_owned()).filter(|s| !s.is_empty());
            }
            // GPX 1.0 puts the file's name under <gpx> itself.
            b"name" if self.inside(&[b"metadata"]) || self.path.len() == 1 => {
                self.metadata_name = Some(text.to_owned()).filter(|s| !s.is_empty());
            }
            b"time" if self.inside(&[b"trkpt"]) => {
                if let Some(p) = self.point.as_mut() {
                    p.time = Some(text.to_owned()).filter(|s| !s.is_empty());
                }
            }
            b"trkpt" => {
                let Some(p) = self.point.take() else {
                    return;
                };
                let Some(seg) = self.tracks.last_mut().and_then(|t| t.segments.last_mut()) else {
                    return;
                };
                match (p.coord, p.error) {
                    (Some(c), None) => {
                        seg.coords.push(c);
                        seg.times.push(p.time);
                    }
                    (_, e) => seg.errors.push(format!(
                        "track point {}: {}",
                        seg.coords.len() + seg.errors.len(),
                        e.unwrap_or_else(|| "no lat/lon".to_owned())
                    )),
                }
            }
            _ => {}
        }
    }
}

/// The position of a `<trkpt lat=".." lon="..">`, or why it has none.
fn trkpt(e: &BytesStart<'_>) -> Point {
    let mut lat = None;
    let mut lon = None;
    for a in e.attributes().flatten() {
        let key = a.key.local_name();
        let value = String::from_utf8_lossy(&a.value).trim().to_owned();
        match key.as_ref() {
            b"lat" => lat = Some(value),
            b"lon" => lon = Some(value),
            _ => {}
        }
    }
    let number = |what: &str, v: Option<String>| -> Result<f64, String> {
        let v = v.ok_or_else(|| format!("no {what} attribute"))?;
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{what} {v:?} is not a number"))
    };
    match (number("lon", lon), number("lat", lat)) {
        (Ok(x), Ok(y)) => Point {
            coord: Some(Coord { x, y }),
            ..Point::default()
        },
        (Err(e), _) | (_, Err(e)) => Point {
            error: Some(e),
            ..Point::default()
        },
    }
}

/// The text of an entity reference (`&amp;`, `&#x4E2D;`).
fn entity(name: &str) -> Option<Cow<'static, str>> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(|c| Cow::Owned(c.to_string()));
    }
    quick_xml::escape::resolve_predefined_entity(name).map(Cow::Borrowed)
}

/// Reads a `.gpx` file's tracks.
pub(crate) fn read(name: &str, bytes: &[u8], opts: &SourceOptions) -> Result<Source, SourceError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = quick_xml::Reader::from_reader(text);
    let mut state = State::default();
    let malformed = |reader: &quick_xml::Reader<&[u8]>, e: &dyn std::fmt::Display| {
        SourceError::Malformed(format!(
            "{name}: not well-formed GPX at byte {}: {e}",
            reader.error_position()
        ))
    };
    let mut points = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => state.start(&e),
            Ok(Event::Empty(e)) => {
                if e.local_name().as_ref() == b"trkpt" {
                    points += 1;
                    opts.limits
                        .check_vertices(name, state.tracks.len(), points)?;
                }
                state.start(&e);
                state.end();
            }
            Ok(Event::End(_)) => {
                if state.path.last().is_some_and(|n| n.as_slice() == b"trkpt") {
                    points += 1;
                    // A file of one endless segment is refused before it is all held.
                    opts.limits
                        .check_vertices(name, state.tracks.len(), points)?;
                }
                if state.path.last().is_some_and(|n| n.as_slice() == b"trkseg") {
                    points = 0;
                }
                state.end();
            }
            Ok(Event::Text(t)) => {
                let s = t.decode().map_err(|e| malformed(&reader, &e))?;
                state.text.push_str(&s);
            }
            Ok(Event::CData(t)) => {
                let s = t.decode().map_err(|e| malformed(&reader, &e))?;
                state.text.push_str(&s);
            }
            Ok(Event::GeneralRef(r)) => {
                let n = r.decode().map_err(|e| malformed(&reader, &e))?;
                match entity(&n) {
                    Some(s) => state.text.push_str(&s),
                    None => return Err(malformed(&reader, &format!("unknown entity &{n};"))),
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(malformed(&reader, &e)),
        }
    }
    if !state.path.is_empty() {
        return Err(SourceError::Malformed(format!(
            "{name}: the GPX breaks off inside <{}>",
            String::from_utf8_lossy(state.path.last().map_or(&[][..], Vec::as_slice))
        )));
    }
    into_source(name, bytes, state, opts)
}

/// One feature per segment, in file order.
fn into_source(
    name: &str,
    bytes: &[u8],
    state: State,
    opts: &SourceOptions,
) -> Result<Source, SourceError> {
    let mut source = Source {
        crs: Some(Crs::LonLat { epsg: 4326 }),
        ..Source::default()
    };
    let hash = fnv1a(bytes);
    let file_worker = state.author_name.or(state.metadata_name);
    let mut index = 0usize;
    for (ti, track) in state.tracks.into_iter().enumerate() {
        for (si, seg) in track.segments.into_iter().enumerate() {
            let fid = segment_id(hash, index as u64).to_string();
            if let Some(e) = seg.errors.first() {
                source.problems.push(Problem {
                    index,
                    id: Some(fid),
                    kind: ErrorKind::Geometry,
                    message: format!("track {ti} segment {si}: {e}"),
                });
                index += 1;
                continue;
            }
            let mut props = Map::new();
            if let Some(w) = track.name.clone().or_else(|| file_worker.clone()) {
                props.insert("worker".into(), w.into());
            }
            if let Some(n) = &track.name {
                props.insert("name".into(), n.clone().into());
            }
            props.insert("track".into(), ti.into());
            props.insert("segment".into(), si.into());
            let timed = seg.times.iter().filter(|t| t.is_some()).count();
            if timed == seg.times.len() && timed > 0 {
                props.insert(
                    "times".into(),
                    Value::Array(seg.times.into_iter().flatten().map(Value::from).collect()),
                );
            } else if timed > 0 {
                source.problems.push(Problem {
                    index,
                    id: Some(fid),
                    kind: ErrorKind::Geometry,
                    message: format!(
                        "track {ti} segment {si}: {} of {} points have no <time>; a patrol needs a time per point",
                        seg.times.len() - timed,
                        seg.times.len()
                    ),
                });
                index += 1;
                continue;
            }
            let geometry = Geometry::LineString(LineString(seg.coords));
            source.push(&opts.limits, name, index, Ok((Some(geometry), props)))?;
            if let Some(f) = source.features.last_mut().filter(|f| f.index == index) {
                f.fid = Some(fid);
            }
            index += 1;
        }
    }
    if index == 0 {
        source.notes.push(
            "the GPX has no track segments (<trk><trkseg>); waypoints and routes are not read"
                .to_owned(),
        );
    }
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <metadata><name>巡查 &amp; 记录</name><author><name>W433101001001001</name></author></metadata>
  <wpt lat="1" lon="2"><name>not a track</name></wpt>
  <trk><name>W433101001001002</name>
    <trkseg>
      <trkpt lat="28.30" lon="109.70"><ele>300</ele><time>2024-03-01T08:00:00Z</time></trkpt>
      <trkpt lat="28.31" lon="109.71"><time>2024-03-01T08:10:00Z</time></trkpt>
    </trkseg>
    <trkseg>
      <trkpt lat="28.32" lon="109.72"><time>2024-03-01T09:00:00Z</time></trkpt>
      <trkpt lat="28.33" lon="109.73"><time>2024-03-01T09:05:00.500Z</time></trkpt>
    </trkseg>
  </trk>
  <trk><trkseg><trkpt lat="28" lon="109"/><trkpt lat="28.1" lon="109.1"/></trkseg></trk>
</gpx>"#;

    #[test]
    fn one_feature_per_segment_with_worker_and_times() {
        let s = read("t.gpx", GPX.as_bytes(), &SourceOptions::default()).unwrap();
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.features.len(), 3);
        let f = &s.features[1];
        assert_eq!(f.properties["worker"], "W433101001001002");
        assert_eq!(f.properties["segment"], 1);
        assert_eq!(f.properties["times"][1], "2024-03-01T09:05:00.500Z");
        let Some(Geometry::LineString(l)) = &f.geometry else {
            panic!("not a line: {:?}", f.geometry);
        };
        assert_eq!(
            l.0[0],
            Coord {
                x: 109.72,
                y: 28.32
            }
        );
        // No track name: the file's author; no times at all: left to start/end or refusal.
        assert_eq!(s.features[2].properties["worker"], "W433101001001001");
        assert!(s.features[2].properties.get("times").is_none());
        // Ids: stable for the same bytes, different per segment, in the GPX range.
        let again = read("t.gpx", GPX.as_bytes(), &SourceOptions::default()).unwrap();
        let ids: Vec<u64> = s
            .features
            .iter()
            .map(|f| f.fid.as_deref().unwrap().parse().unwrap())
            .collect();
        let ids2: Vec<u64> = again
            .features
            .iter()
            .map(|f| f.fid.as_deref().unwrap().parse().unwrap())
            .collect();
        assert_eq!(ids, ids2);
        assert!(ids
            .iter()
            .all(|&i| (GPX_ID_BASE..2 * GPX_ID_BASE).contains(&i)));
        assert_eq!(
            ids.len(),
            ids.iter().collect::<std::collections::BTreeSet<_>>().len()
        );
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        for bad in [
            "<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\">",
            "<gpx><trk></gpx>",
            "<gpx>&bogus;</gpx>",
        ] {
            assert!(
                read("b.gpx", bad.as_bytes(), &SourceOptions::default()).is_err(),
                "{bad}"
            );
        }
        // Binary noise reads as nothing or fails; it never panics.
        let _ = read(
            "n.gpx",
            &[0, 1, 0xff, b'<', b'&'],
            &SourceOptions::default(),
        );
        let s = read(
            "p.gpx",
            br#"<gpx><trk><trkseg><trkpt lat="x" lon="2"/><trkpt lat="1" lon="2"><time>2024-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"#,
            &SourceOptions::default(),
        )
        .unwrap();
        assert_eq!(s.problems.len(), 1);
        assert!(
            s.problems[0].message.contains("lat \"x\""),
            "{:?}",
            s.problems
        );
        let s = read("e.gpx", b"<gpx/>", &SourceOptions::default()).unwrap();
        assert!(s.features.is_empty() && !s.notes.is_empty());
    }
}
