//! The fast way in for onemap's own CSV (what `onemap export --format csv` writes): rows go
//! straight into model values without the per-feature attribute maps of foreign files,
//! which is what makes a million incidents load in seconds. The checks are the same.

use std::collections::BTreeSet;

use geo_types::Point;

use super::pipeline::{classify, decide};
use super::{LoadOptions, Prepared, Report};
use crate::crs::Crs;
use crate::formats::{self, property_names, CsvOptions};
use crate::model::{Dataset, Layer};
use crate::source::{Source, SourceFormat};
use crate::validate::{self, Finding, Severity, Spot};

/// Whether `bytes` is onemap's own CSV of point layer `layer`, read in onemap's CRS: its
/// header is `id,lon,lat` and every property name of the layer.
#[must_use]
pub fn is_onemap_csv(bytes: &[u8], opts: &LoadOptions) -> bool {
    let point_layer = matches!(
        opts.layer,
        Layer::Cameras | Layer::Incidents | Layer::Workers | Layer::Centers
    );
    let lon_lat = opts.crs.is_none_or(|c| matches!(c, Crs::LonLat { .. }));
    let default_columns =
        opts.source.lon.is_none() && opts.source.lat.is_none() && opts.source.wkt.is_none();
    if !(point_layer && lon_lat && default_columns) {
        return false;
    }
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(header) = std::str::from_utf8(line) else {
        return false;
    };
    let cols: BTreeSet<&str> = header.trim_end_matches('\r').split(',').collect();
    ["id", "lon", "lat"]
        .into_iter()
        .chain(property_names(opts.layer, false))
        .all(|c| cols.contains(c))
}

/// Loads onemap's own CSV (see [`is_onemap_csv`]) of a point layer.
#[must_use]
pub fn prepare_onemap_csv(bytes: &[u8], file: &str, opts: &LoadOptions) -> Prepared {
    let layer = opts.layer;
    let source = Source {
        format: Some(SourceFormat::Csv),
        crs: Some(Crs::LonLat { epsg: 4490 }),
        ..Source::default()
    };
    let mut report = Report::new(file, &source, opts);
    report.crs = Some("EPSG:4490".into());
    report.crs_from = "file";
    let (data, read) = match formats::read_csv(bytes, layer, &CsvOptions::default()) {
        Ok(x) => x,
        Err(e) => {
            report.findings.push(Finding::new(
                validate::Check::Attribute,
                Severity::Error,
                e.to_string(),
            ));
            return decide(layer, Dataset::default(), &[], opts, report);
        }
    };
    report.features = read.features + read.problems.len();
    let bad_rows: BTreeSet<usize> = read.problems.iter().map(|p| p.index).collect();
    for p in read.problems {
        report.findings.push(
            Finding::new(classify(&p.message), Severity::Error, p.message)
                .at_feature(p.index, p.id.as_deref()),
        );
    }
    // Model values are in row order, bad rows left out.
    let mapped: Vec<usize> = (0..report.features)
        .filter(|i| !bad_rows.contains(i))
        .collect();
    let ids = ids(&data, layer);
    let spots: Vec<Spot<'_>> = ids
        .iter()
        .zip(&mapped)
        .map(|((id, location), &index)| Spot {
            index,
            code: id,
            name: None,
            location: *location,
        })
        .collect();
    report.findings.extend(validate::check_spots(layer, &spots));
    drop(spots);
    decide(layer, data, &mapped, opts, report)
}

/// Each point value's key and location.
fn ids(data: &Dataset, layer: Layer) -> Vec<(String, Point<f64>)> {
    match layer {
        Layer::Cameras => data
            .cameras
            .iter()
            .map(|c| (c.id.to_string(), c.location))
            .collect(),
        Layer::Incidents => data
            .incidents
            .iter()
            .map(|i| (i.id.0.to_string(), i.location))
            .collect(),
        Layer::Workers => data
            .workers
            .iter()
            .map(|w| (w.id.0.clone(), w.location))
            .collect(),
        Layer::Centers => data
            .centers
            .iter()
            .map(|c| (c.code.to_string(), c.location))
            .collect(),
        _ => Vec::new(),
    }
}
