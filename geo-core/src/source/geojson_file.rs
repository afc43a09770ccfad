//! Any `GeoJSON` or NDJSON file, whatever its properties.

use geojson::{feature::Id, Feature, GeoJson};

use super::{Source, SourceError, SourceFeature};
use crate::crs::Crs;
use crate::formats::Problem;

fn feature(index: usize, f: Feature) -> Result<SourceFeature, String> {
    // geo-types closes every ring it is given: an unclosed one must be caught here.
    if let Some(g) = &f.geometry {
        if let Some(finding) = crate::validate::check_geojson_rings(index, None, g) {
            return Err(finding.message);
        }
    }
    let geometry = match f.geometry {
        None => None,
        Some(g) => Some(geo_types::Geometry::<f64>::try_from(g).map_err(|e| e.to_string())?),
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
        Err(message) => source.problems.push(Problem {
            index,
            id: None,
            message,
        }),
    }
}

/// A `FeatureCollection`, a single `Feature` or a bare geometry.
pub(super) fn read_collection(bytes: &[u8]) -> Result<Source, SourceError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| SourceError::Malformed(format!("GeoJSON is not UTF-8: {e}")))?;
    let gj: GeoJson = text
        .parse()
        .map_err(|e| SourceError::Malformed(format!("not GeoJSON: {e}")))?;
    // RFC 7946 GeoJSON is lon/lat; a legacy "crs" member may say otherwise.
    let mut source = Source {
        crs: Some(Crs::LonLat { epsg: 4326 }),
        ..Source::default()
    };
    match gj {
        GeoJson::FeatureCollection(fc) => {
            if let Some(c) = fc
                .foreign_members
                .as_ref()
                .and_then(|m| m.get("crs"))
                .and_then(|c| c.pointer("/properties/name"))
                .and_then(|n| n.as_str())
            {
                source.crs = c.parse().ok();
            }
            for (i, f) in fc.features.into_iter().enumerate() {
                push(&mut source, i, f);
            }
        }
        GeoJson::Feature(f) => push(&mut source, 0, f),
        GeoJson::Geometry(g) => push(
            &mut source,
            0,
            Feature {
                geometry: Some(g),
                ..Feature::default()
            },
        ),
    }
    Ok(source)
}

/// One feature per line; blank lines are skipped.
pub(super) fn read_lines(bytes: &[u8]) -> Result<Source, SourceError> {
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
        match line.parse::<Feature>() {
            Ok(f) => push(&mut source, i, f),
            Err(e) => source.problems.push(Problem {
                index: i,
                id: None,
                message: format!("line {}: not a GeoJSON feature: {e}", i + 1),
            }),
        }
    }
    Ok(source)
}
