//! KML, and KMZ (its `doc.kml`, or the first `.kml`, in a zip): every Placemark, in nested
//! Documents and Folders, is a feature. Properties are its `name`, `description`, its
//! `ExtendedData` (`Data` values and `SchemaData`/`SimpleData`, as text) and the name of the
//! Folder it is in as `folder`; its `id` attribute is the feature id. Altitudes (Google
//! Earth writes them) are dropped. KML is always lon/lat WGS 84.
//!
//! `SourceOptions::layer` reads only the Placemarks in the Folder of that name (at any depth).
//!
//! The `kml` crate loops forever when a file ends inside an element and recurses once per
//! nesting level, so the text is first checked with `quick-xml` to be well-formed and not
//! absurdly deep; only then is it handed over.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use kml::types::{Element, Geometry as KmlGeometry, Placemark};
use kml::{Kml, KmlReader};
use quick_xml::events::Event;
use serde_json::{Map, Value};

use crate::crs::Crs;
use crate::formats::{ErrorKind, Problem};
use crate::limits::{LimitError, Limits};
use crate::source::zip_bundle::{looks_like_zip, Member, ZipBundle};
use crate::source::{Source, SourceError, SourceFeature, SourceFormat, SourceOptions};

/// Deeper nesting than this is not a map someone drew; it is refused before the recursive
/// parser could exhaust the stack.
const MAX_DEPTH: usize = 200;

/// Reads a `.kml` or `.kmz` (told apart by content, not name).
pub(crate) fn read_bytes(
    name: &str,
    bytes: &[u8],
    opts: &SourceOptions,
) -> Result<Source, SourceError> {
    let text: Cow<'_, [u8]> = if looks_like_zip(bytes) {
        Cow::Owned(kmz_document(name, bytes, opts)?)
    } else {
        Cow::Borrowed(bytes)
    };
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
    check_xml(name, text)?;
    catch_unwind(AssertUnwindSafe(|| read_kml(name, text, opts))).unwrap_or_else(|_| {
        Err(SourceError::Malformed(format!(
            "{name}: not readable KML (the parser failed on it)"
        )))
    })
}

/// The KML document of a KMZ: `doc.kml` at the top, else any `doc.kml`, else the first `.kml`.
fn kmz_document(name: &str, bytes: &[u8], opts: &SourceOptions) -> Result<Vec<u8>, SourceError> {
    let mut zip = ZipBundle::open(name, bytes, opts.limits)?;
    let kmls: Vec<_> = zip
        .members()
        .iter()
        .filter(|m| m.extension() == "kml")
        .cloned()
        .collect();
    let doc = |m: &&Member| m.file_name().eq_ignore_ascii_case("doc.kml");
    let chosen = kmls
        .iter()
        .find(|m| doc(m) && !m.name.contains('/'))
        .or_else(|| kmls.iter().find(doc))
        .or_else(|| kmls.first())
        .ok_or_else(|| SourceError::Missing(format!("{name}: no .kml inside the KMZ")))?;
    zip.read(chosen)
}

/// Refuses text that is not well-formed XML, breaks off, or nests too deep.
fn check_xml(name: &str, text: &[u8]) -> Result<(), SourceError> {
    let mut reader = quick_xml::Reader::from_reader(text);
    let mut depth = 0_usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SourceError::Malformed(format!(
                        "{name}: elements nested more than {MAX_DEPTH} deep"
                    )));
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(SourceError::Malformed(format!(
                    "{name}: not well-formed XML at byte {}: {e}",
                    reader.error_position()
                )))
            }
        }
    }
    if depth > 0 {
        return Err(SourceError::Malformed(format!(
            "{name}: the KML breaks off with {depth} elements still open (is the file cut short?)"
        )));
    }
    Ok(())
}

fn read_kml(name: &str, text: &[u8], opts: &SourceOptions) -> Result<Source, SourceError> {
    let root: Kml<f64> = KmlReader::<_, f64>::from_reader(text)
        .read()
        .map_err(|e| SourceError::Malformed(format!("{name}: not KML: {e}")))?;
    let mut walk = Walk {
        layer: opts.layer.as_deref(),
        found: false,
        folders: Vec::new(),
        document: None,
        index: 0,
        file: name,
        limits: opts.limits,
        refused: None,
        source: Source {
            format: Some(SourceFormat::Kml),
            crs: Some(Crs::LonLat { epsg: 4326 }),
            ..Source::default()
        },
    };
    walk.element(&root, None, opts.layer.is_none());
    if let Some(e) = walk.refused {
        return Err(e.into());
    }
    let mut source = walk.source;
    match (opts.layer.as_deref(), walk.found) {
        (Some(layer), false) => {
            return Err(SourceError::Missing(format!(
                "{name}: no Folder named {layer:?}; its folders are: {}",
                if walk.folders.is_empty() {
                    "(none)".to_owned()
                } else {
                    walk.folders.join(", ")
                }
            )))
        }
        (Some(layer), true) => source.layer_name = Some(layer.to_owned()),
        (None, _) => {
            source.layer_name = walk.document.or_else(|| {
                let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
                Some(base.rsplit_once('.').map_or(base, |(s, _)| s).to_owned())
            });
        }
    }
    Ok(source)
}

/// The walk through Documents and Folders.
struct Walk<'a> {
    /// The Folder asked for, if any.
    layer: Option<&'a str>,
    /// Whether that Folder was met.
    found: bool,
    /// Every Folder name met, for the message when `layer` is not among them.
    folders: Vec<String>,
    /// The first Document's name.
    document: Option<String>,
    /// Placemarks met so far (all of them, so that an index is a position in the file).
    index: usize,
    /// The file, for messages.
    file: &'a str,
    limits: Limits,
    /// The first limit a Placemark went past: the walk stops there.
    refused: Option<LimitError>,
    source: Source,
}

impl Walk<'_> {
    /// Visits `k`, inside the Folder named `folder`; `take` says whether its Placemarks are
    /// read (inside the Folder asked for, or no Folder asked for).
    fn element(&mut self, k: &Kml<f64>, folder: Option<&str>, take: bool) {
        if self.refused.is_some() {
            return;
        }
        match k {
            Kml::KmlDocument(d) => self.elements(&d.elements, folder, take),
            Kml::Document { elements, .. } => {
                if self.document.is_none() {
                    self.document = elements.iter().find_map(|e| match e {
                        Kml::Element(Element { name, content, .. }) if name == "name" => {
                            content.as_ref().map(|c| c.trim().to_owned())
                        }
                        _ => None,
                    });
                }
                self.elements(elements, folder, take);
            }
            Kml::Folder(f) => {
                let name = f.name.as_deref().map(str::trim);
                if let Some(n) = name {
                    self.folders.push(n.to_owned());
                }
                let chosen = self.layer.is_some() && name == self.layer;
                self.found |= chosen;
                self.elements(&f.elements, name.or(folder), take || chosen);
            }
            Kml::Placemark(p) => {
                let index = self.index;
                self.index += 1;
                if take {
                    self.placemark(index, p, folder);
                }
            }
            _ => {}
        }
    }

    fn elements(&mut self, ks: &[Kml<f64>], folder: Option<&str>, take: bool) {
        for k in ks {
            self.element(k, folder, take);
        }
    }

    fn placemark(&mut self, index: usize, p: &Placemark<f64>, folder: Option<&str>) {
        let fid = p.attrs.get("id").cloned();
        let geometry = match p.geometry.as_ref().map(geometry).transpose() {
            Ok(g) => g.flatten(),
            Err(message) => {
                self.source.problems.push(Problem {
                    index,
                    id: fid,
                    kind: ErrorKind::Geometry,
                    message,
                });
                return;
            }
        };
        let mut properties = Map::new();
        if let Some(n) = &p.name {
            properties.insert("name".to_owned(), Value::from(n.trim()));
        }
        if let Some(d) = &p.description {
            properties.insert("description".to_owned(), Value::from(d.trim()));
        }
        for child in &p.children {
            if child.name == "ExtendedData" {
                extended_data(child, &mut properties);
            }
        }
        if let Some(f) = folder {
            properties.entry("folder").or_insert_with(|| Value::from(f));
        }
        if let Err(e) = self.limits.check_feature(
            self.file,
            index,
            self.source.features.len(),
            geometry.as_ref(),
        ) {
            self.refused = Some(e);
            return;
        }
        self.source.features.push(SourceFeature {
            index,
            fid,
            geometry,
            properties,
        });
    }
}

/// `Data`/`value` and `SchemaData`/`SimpleData` pairs; `name` and `description` from the
/// Placemark itself win over a field of the same name.
fn extended_data(ext: &Element, properties: &mut Map<String, Value>) {
    let text = |e: &Element| e.content.as_deref().unwrap_or("").trim().to_owned();
    let mut put = |key: Option<&String>, value: String| {
        if let Some(k) = key {
            properties
                .entry(k.clone())
                .or_insert_with(|| Value::from(value));
        }
    };
    for item in &ext.children {
        match item.name.as_str() {
            "Data" => {
                let value = item.children.iter().find(|c| c.name == "value");
                put(item.attrs.get("name"), value.map(text).unwrap_or_default());
            }
            "SchemaData" => {
                for sd in item.children.iter().filter(|c| c.name == "SimpleData") {
                    put(sd.attrs.get("name"), text(sd));
                }
            }
            _ => {}
        }
    }
}

fn coords(cs: &[kml::types::Coord<f64>]) -> LineString<f64> {
    cs.iter().map(|c| Coord { x: c.x, y: c.y }).collect()
}

/// The geo-types geometry of a KML geometry, altitude dropped; `None` when it is empty.
fn geometry(g: &KmlGeometry<f64>) -> Result<Option<Geometry<f64>>, String> {
    Ok(Some(match g {
        KmlGeometry::Point(p) => Point::new(p.coord.x, p.coord.y).into(),
        KmlGeometry::LineString(l) if l.coords.is_empty() => return Ok(None),
        KmlGeometry::LineString(l) => coords(&l.coords).into(),
        KmlGeometry::LinearRing(r) if r.coords.is_empty() => return Ok(None),
        KmlGeometry::LinearRing(r) => coords(&r.coords).into(),
        KmlGeometry::Polygon(p) if p.outer.coords.is_empty() => return Ok(None),
        KmlGeometry::Polygon(p) => Polygon::new(
            coords(&p.outer.coords),
            p.inner.iter().map(|r| coords(&r.coords)).collect(),
        )
        .into(),
        KmlGeometry::MultiGeometry(m) => {
            let mut parts = Vec::new();
            for g in &m.geometries {
                match geometry(g)? {
                    Some(Geometry::GeometryCollection(gc)) => parts.extend(gc.0),
                    Some(Geometry::MultiPoint(x)) => parts.extend(x.0.into_iter().map(Into::into)),
                    Some(Geometry::MultiLineString(x)) => {
                        parts.extend(x.0.into_iter().map(Into::into));
                    }
                    Some(Geometry::MultiPolygon(x)) => {
                        parts.extend(x.0.into_iter().map(Into::into));
                    }
                    Some(one) => parts.push(one),
                    None => {}
                }
            }
            return Ok(multi(parts));
        }
        KmlGeometry::Element(e) => {
            return Err(format!(
                "{} geometry is not supported (Point, LineString, Polygon and MultiGeometry are)",
                e.name
            ))
        }
        other => return Err(format!("unsupported geometry {other:?}")),
    }))
}

/// The parts of a `MultiGeometry` as the narrowest geo-types multi-geometry.
fn multi(parts: Vec<Geometry<f64>>) -> Option<Geometry<f64>> {
    if parts.is_empty() {
        return None;
    }
    if parts.iter().all(|g| matches!(g, Geometry::Point(_))) {
        let ps = parts.into_iter().filter_map(|g| Point::try_from(g).ok());
        return Some(MultiPoint(ps.collect()).into());
    }
    if parts.iter().all(|g| matches!(g, Geometry::LineString(_))) {
        let ls = parts
            .into_iter()
            .filter_map(|g| LineString::try_from(g).ok());
        return Some(MultiLineString(ls.collect()).into());
    }
    if parts.iter().all(|g| matches!(g, Geometry::Polygon(_))) {
        let ps = parts.into_iter().filter_map(|g| Polygon::try_from(g).ok());
        return Some(MultiPolygon(ps.collect()).into());
    }
    Some(Geometry::GeometryCollection(GeometryCollection(parts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_short_and_deep_files_are_refused_before_parsing() {
        let cut = b"<kml><Document><Placemark><Point><coordinates>1,2";
        assert!(check_xml("t.kml", cut).is_err());
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(check_xml("t.kml", deep.as_bytes()).is_err());
        assert!(check_xml("t.kml", b"<kml><Document/></kml>").is_ok());
        assert!(check_xml("t.kml", b"<kml><a></b></kml>").is_err());
    }

    #[test]
    fn truncated_kml_is_an_error_not_a_hang() {
        // Both loop forever in the kml crate 0.15 when handed over directly.
        for cut in [
            "<kml><Placemark><name>x</name>",
            "<kml><Placemark><Point><coordinates>1,2</coordinates>",
        ] {
            assert!(read_bytes("t.kml", cut.as_bytes(), &SourceOptions::default()).is_err());
        }
    }
}
