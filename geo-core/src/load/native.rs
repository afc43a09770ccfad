//! The fast way in for onemap's own CSV (what `onemap export --format csv` writes): rows go
//! straight into model values without the per-feature attribute maps of foreign files,
//! which is what makes a million incidents load in seconds. The checks are the same.

use std::collections::BTreeSet;

use geo_types::Point;

use super::pipeline::decide;
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
    // A mapping renames columns or values: the general path applies it.
    if !(point_layer && lon_lat && default_columns) || opts.mapping.is_some() {
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
    let (data, read) = match read_parallel(bytes, layer) {
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
            Finding::new(p.kind.check(), Severity::Error, p.message)
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
    decide(layer, data, &mapped, opts, report)
}

/// Below this size one thread reads the file; above it, one thread per half.
const PARALLEL_BYTES: usize = 1 << 20;

/// Reads onemap CSV with two threads when it is large: the data rows are cut in two at a
/// row boundary and each half is read behind its own copy of the header.
fn read_parallel(bytes: &[u8], layer: Layer) -> crate::Result<(Dataset, formats::ReadReport)> {
    let opts = CsvOptions::default();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let split = (bytes.len() >= PARALLEL_BYTES && threads > 1)
        .then(|| split_rows(bytes))
        .flatten();
    let Some((header_end, mid)) = split else {
        return formats::read_csv(bytes, layer, &opts);
    };
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| {
            let r = std::io::Read::chain(&bytes[..header_end], &bytes[mid..]);
            formats::read_csv(r, layer, &opts)
        });
        let first = formats::read_csv(&bytes[..mid], layer, &opts);
        (first, second.join())
    });
    let (mut data, mut report) = first?;
    let (more, more_report) =
        second.map_err(|_| crate::Error::Invalid("the CSV reader thread stopped".into()))??;
    let offset = report.features + report.problems.len();
    report.features += more_report.features;
    report
        .problems
        .extend(more_report.problems.into_iter().map(|mut p| {
            p.index += offset;
            p
        }));
    data.append(more);
    Ok((data, report))
}

/// The end of the header line and a row boundary near the middle of the data: a newline
/// outside quotes (an even number of `"` before it, as RFC 4180 doubles quotes in fields).
fn split_rows(bytes: &[u8]) -> Option<(usize, usize)> {
    let header_end = bytes.iter().position(|&b| b == b'\n')? + 1;
    let half = header_end + (bytes.len() - header_end) / 2;
    #[allow(clippy::naive_bytecount)] // once per file; not worth a crate
    let mut quotes = bytes[header_end..half]
        .iter()
        .filter(|&&b| b == b'"')
        .count();
    for (i, &b) in bytes.iter().enumerate().skip(half) {
        match b {
            b'"' => quotes += 1,
            b'\n' if quotes % 2 == 0 => {
                return (i + 1 < bytes.len()).then_some((header_end, i + 1));
            }
            _ => {}
        }
    }
    None
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
