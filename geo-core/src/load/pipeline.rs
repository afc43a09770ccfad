//! The load pipeline: CRS, field mapping, checks, repairs, and the all-or-nothing decision.

use std::collections::{BTreeSet, HashMap};

use geo::{BoundingRect, InteriorPoint};
use geo_types::{Geometry, MultiPolygon, Point};
use serde_json::{Map, Value};

use super::fields::{Defaults, FieldMap};
use super::{LoadOptions, Prepared, Report};
use crate::codes::AdminLevel;
use crate::crs::{self, Crs, ONEMAP};
use crate::formats::{format_time, Collector};
use crate::model::{Dataset, Layer};
use crate::source::{Source, SourceFeature};
use crate::validate::{self, Area, Check, Finding, ParentArea, Severity, Spot};

/// One feature on its way in: lon/lat geometry and onemap-named properties.
struct Row {
    index: usize,
    id: Option<String>,
    geometry: Geometry<f64>,
    props: Map<String, Value>,
}

/// How many refused coordinates make the whole file's CRS wrong rather than a few features.
const CRS_FILE_SHARE: f64 = 0.5;

/// Turns a read `source` into a layer of onemap data, checked against `context` (the data
/// already in the store: villages for grids, parent units for admin).
#[must_use]
pub fn prepare(source: Source, file: &str, opts: &LoadOptions, context: &Dataset) -> Prepared {
    let mut report = Report::new(file, &source, opts);
    let layer = opts.layer;
    for p in &source.problems {
        report.findings.push(
            Finding::new(Check::Geometry, Severity::Error, p.message.clone())
                .at_feature(p.index, p.id.as_deref()),
        );
    }
    let Some(mut rows) = reproject_rows(source, opts, &mut report) else {
        return refused(report);
    };
    rows.retain(|r| !matches!(r.geometry, Geometry::GeometryCollection(ref c) if c.0.is_empty()));
    check(layer, &mut rows, opts, context, &mut report);
    let (data, mapped) = map_rows(layer, &rows, &mut report);
    dedupe(&mut report.findings);
    decide(layer, data, &mapped, opts, report)
}

/// The report alone: nothing may be written.
fn refused(mut report: Report) -> Prepared {
    report.accepted = 0;
    report.findings.sort_by_key(|f| (f.index, f.check));
    Prepared {
        data: Dataset::default(),
        report,
    }
}

/// Moves every geometry into onemap lon/lat and names properties the onemap way.
/// `None` when the file's coordinates cannot be in the CRS at all.
fn reproject_rows(source: Source, opts: &LoadOptions, report: &mut Report) -> Option<Vec<Row>> {
    let (crs, from) = choose_crs(opts.crs, source.crs, report);
    report.crs = Some(crs.to_string());
    report.crs_from = from;
    let transform = match crs.to_lon_lat() {
        Ok(t) => t,
        Err(e) => {
            report
                .findings
                .push(Finding::new(Check::Crs, Severity::Error, e.to_string()));
            return None;
        }
    };
    let keys: BTreeSet<&str> = source
        .features
        .iter()
        .take(10_000)
        .flat_map(|f| f.properties.keys().map(String::as_str))
        .collect();
    let fields = FieldMap::new(opts.layer, keys);
    let defaults = Defaults {
        now: format_time(chrono::Utc::now().timestamp()).unwrap_or_default(),
    };
    let defaulted = fields.defaulted(opts.layer, &defaults);
    if !defaulted.is_empty() && !source.features.is_empty() {
        report.defaults = defaulted
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
    }
    let total = source.features.len();
    let mut crs_errors = Vec::new();
    let mut rows = Vec::with_capacity(total);
    for SourceFeature {
        index,
        fid,
        geometry,
        properties,
    } in source.features
    {
        let id = fields.id_of(&properties, fid.as_deref());
        let Some(mut geometry) = geometry else {
            report.findings.push(
                Finding::new(
                    Check::Geometry,
                    Severity::Error,
                    "the feature has no geometry".into(),
                )
                .at_feature(index, id.as_deref()),
            );
            continue;
        };
        if let Err(e) = crs::reproject(&transform, &mut geometry) {
            crs_errors.push(
                Finding::new(Check::Crs, Severity::Error, e.to_string())
                    .at_feature(index, id.as_deref()),
            );
            continue;
        }
        let props = fields.canonical(opts.layer, &properties, &defaults);
        rows.push(Row {
            index,
            id,
            geometry,
            props,
        });
    }
    if total > 0 && crs_errors.len() as f64 >= total as f64 * CRS_FILE_SHARE {
        let first = crs_errors
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default();
        report.findings.push(Finding::new(
            Check::Crs,
            Severity::Error,
            format!(
                "{} of {total} features cannot be in {crs} ({first}); declare the file's CRS with --crs",
                crs_errors.len()
            ),
        ));
        return None;
    }
    report.findings.extend(crs_errors);
    if report.features > 0 && id_missing(&rows) {
        report.findings.push(Finding::new(
            Check::Attribute,
            Severity::Error,
            format!(
                "no key column found for {}; name it {} (or one of the usual names, see the docs)",
                opts.layer,
                key_name(opts.layer)
            ),
        ));
    }
    Some(rows)
}

/// The CRS to read in: the option, else the file's, else onemap's; warns when the option
/// overrides a different CRS the file declares.
fn choose_crs(option: Option<Crs>, file: Option<Crs>, report: &mut Report) -> (Crs, &'static str) {
    match (option, file) {
        (Some(c), file) => {
            if let Some(f) = file.filter(|f| !same_datum(*f, c)) {
                report.findings.push(Finding::new(
                    Check::Crs,
                    Severity::Warning,
                    format!("the file says {f} but {c} was asked for; reading as {c}"),
                ));
            }
            (c, "option")
        }
        (None, Some(c)) => (c, "file"),
        (None, None) => (ONEMAP, "default"),
    }
}

fn id_missing(rows: &[Row]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.id.is_none())
}

fn key_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Admin | Layer::Grids | Layer::Centers => "code",
        _ => "id",
    }
}

/// Lon/lat CRSs on datums onemap treats as one.
fn same_datum(a: Crs, b: Crs) -> bool {
    a == b || matches!((a, b), (Crs::LonLat { .. }, Crs::LonLat { .. }))
}

fn text<'a>(props: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    props.get(key).and_then(Value::as_str)
}

/// Runs the layer's checks, applies asked-for repairs, and checks again after repairs.
fn check(
    layer: Layer,
    rows: &mut [Row],
    opts: &LoadOptions,
    context: &Dataset,
    report: &mut Report,
) {
    match layer {
        Layer::Admin | Layer::Grids => {
            let mut findings = check_areas(layer, rows, context, opts);
            let asked = opts.repairs.make_valid
                || opts.repairs.snap_m.is_some()
                || opts.repairs.assign_overlaps;
            if asked && findings.iter().any(|f| f.repair.is_some()) {
                let slots: Vec<usize> = (0..rows.len())
                    .filter(|&i| as_area(&rows[i].geometry).is_some())
                    .collect();
                let mut geoms: Vec<MultiPolygon<f64>> = slots
                    .iter()
                    .filter_map(|&i| as_area(&rows[i].geometry).cloned())
                    .collect();
                // Findings name file positions; repair_areas wants positions in `geoms`.
                let slot_of: HashMap<usize, usize> = slots
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| (rows[i].index, k))
                    .collect();
                let local: Vec<Finding> = findings
                    .iter()
                    .filter_map(|f| {
                        let mut f = f.clone();
                        f.index = Some(*slot_of.get(&f.index?)?);
                        Some(f)
                    })
                    .collect();
                report.repairs = validate::repair_areas(&mut geoms, &local, &opts.repairs);
                for (k, g) in slots.iter().zip(geoms) {
                    rows[*k].geometry = Geometry::MultiPolygon(g);
                }
                findings = check_areas(layer, rows, context, opts);
            }
            report.findings.extend(findings);
        }
        Layer::Cameras | Layer::Centers | Layer::Workers | Layer::Incidents => {
            let spots: Vec<Spot<'_>> = rows
                .iter()
                .filter_map(|r| {
                    let location = match &r.geometry {
                        Geometry::Point(p) => *p,
                        _ => return None,
                    };
                    Some(Spot {
                        index: r.index,
                        code: r.id.as_deref()?,
                        name: text(&r.props, "name"),
                        location,
                    })
                })
                .collect();
            report.findings.extend(validate::check_spots(layer, &spots));
        }
        Layer::Patrols => {}
    }
}

/// A polygon geometry as a multipolygon, normalising a single polygon in place first.
fn as_area(g: &Geometry<f64>) -> Option<&MultiPolygon<f64>> {
    match g {
        Geometry::MultiPolygon(mp) => Some(mp),
        _ => None,
    }
}

fn check_areas(
    layer: Layer,
    rows: &mut [Row],
    context: &Dataset,
    opts: &LoadOptions,
) -> Vec<Finding> {
    for r in rows.iter_mut() {
        if let Geometry::Polygon(p) = &r.geometry {
            r.geometry = Geometry::MultiPolygon(MultiPolygon(vec![p.clone()]));
        }
    }
    let areas: Vec<Area<'_>> = rows
        .iter()
        .filter_map(|r| {
            Some(Area {
                index: r.index,
                code: r.id.as_deref()?,
                name: text(&r.props, "name"),
                parent: text(
                    &r.props,
                    if layer == Layer::Grids {
                        "village"
                    } else {
                        "parent"
                    },
                ),
                geometry: as_area(&r.geometry)?,
            })
        })
        .collect();
    if layer == Layer::Grids {
        let parents: Vec<(String, &MultiPolygon<f64>)> = context
            .admin
            .iter()
            .filter(|a| a.level() == AdminLevel::Village)
            .map(|a| (a.code.to_string(), &a.geometry))
            .collect();
        let parents: Vec<ParentArea<'_>> = parents
            .iter()
            .map(|(code, geometry)| ParentArea { code, geometry })
            .collect();
        return validate::check_areas(layer, &areas, &parents, &opts.tolerances);
    }
    // Admin units are checked level by level, each against the level above, taken
    // from the file and from the store.
    let mut findings = Vec::new();
    let mut by_len: HashMap<usize, Vec<Area<'_>>> = HashMap::new();
    for a in &areas {
        by_len.entry(a.code.len()).or_default().push(*a);
    }
    let mut lens: Vec<usize> = by_len.keys().copied().collect();
    lens.sort_unstable();
    for len in lens {
        let parent_len = match len {
            12 => 9,
            9 => 6,
            _ => 0,
        };
        let mut parents: Vec<ParentArea<'_>> = by_len
            .get(&parent_len)
            .map(|v| {
                v.iter()
                    .map(|a| ParentArea {
                        code: a.code,
                        geometry: a.geometry,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let context_codes: Vec<(String, &MultiPolygon<f64>)> = context
            .admin
            .iter()
            .map(|a| (a.code.to_string(), &a.geometry))
            .filter(|(c, _)| c.len() == parent_len && !parents.iter().any(|p| p.code == c))
            .collect();
        parents.extend(
            context_codes
                .iter()
                .map(|(code, geometry)| ParentArea { code, geometry }),
        );
        let group = by_len.get(&len).map(Vec::as_slice).unwrap_or_default();
        findings.extend(validate::check_areas(
            layer,
            group,
            &parents,
            &opts.tolerances,
        ));
    }
    findings
}

/// Builds the model values; a feature the layer's mapping refuses becomes a finding.
/// Returns the dataset and, for each value in it, its position in the file.
fn map_rows(layer: Layer, rows: &[Row], report: &mut Report) -> (Dataset, Vec<usize>) {
    let mut collector = Collector::new(layer);
    let mut mapped = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(id) = r.id.as_deref() else {
            continue;
        };
        match collector.add(id, r.geometry.clone(), &r.props) {
            Ok(()) => mapped.push(r.index),
            Err(e) => {
                let check = classify(&e.message);
                let mut f =
                    Finding::new(check, Severity::Error, e.message).at_feature(r.index, Some(id));
                if let Some(p) = place(&r.geometry) {
                    f = f.at(p);
                }
                report.findings.push(f);
            }
        }
    }
    (collector.finish(), mapped)
}

/// Which check a mapping refusal belongs to.
pub(super) fn classify(message: &str) -> Check {
    if message.contains("does not match grid code") {
        Check::CodeVillageMismatch
    } else if message.contains("digits") || message.contains("code") && message.contains("not") {
        Check::MalformedCode
    } else if message.contains("geometry")
        || message.contains("Point")
        || message.contains("Polygon")
        || message.contains("LineString")
    {
        Check::Geometry
    } else {
        Check::Attribute
    }
}

/// A point inside (or on) `g`, for placing a finding.
fn place(g: &Geometry<f64>) -> Option<Point<f64>> {
    g.interior_point()
        .or_else(|| g.bounding_rect().map(|r| r.center().into()))
}

/// One finding per feature and check: the mapping and the checks can both see a bad code.
fn dedupe(findings: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    findings.retain(|f| match f.index {
        None => true,
        Some(i) => f.other.is_some() || seen.insert((i, f.check, f.severity == Severity::Error)),
    });
    findings.sort_by_key(|f| (f.index.unwrap_or(usize::MAX), f.check));
}

/// All or nothing: everything when there is no error; the valid rest with `skip_invalid`
/// (unless the error is about the whole file); nothing otherwise.
pub(super) fn decide(
    layer: Layer,
    mut data: Dataset,
    mapped: &[usize],
    opts: &LoadOptions,
    mut report: Report,
) -> Prepared {
    let bad: BTreeSet<usize> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.index)
        .collect();
    let file_error = report
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.index.is_none());
    if file_error || (!bad.is_empty() && !opts.skip_invalid) {
        return refused(report);
    }
    // Overlaps name two features: both are left out, as neither boundary can be trusted.
    let others: BTreeSet<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.other.clone())
        .collect();
    let keep: Vec<bool> = mapped.iter().map(|i| !bad.contains(i)).collect();
    retain(&mut data, layer, &keep, &others);
    report.skipped = bad.into_iter().collect();
    report.accepted = crate::formats::layer_len(&data, layer);
    Prepared { data, report }
}

/// Keeps the values whose `keep` flag is set and whose key is not in `drop_keys`.
fn retain(data: &mut Dataset, layer: Layer, keep: &[bool], drop_keys: &BTreeSet<String>) {
    fn filter<T>(
        v: &mut Vec<T>,
        keep: &[bool],
        key: impl Fn(&T) -> String,
        drop_keys: &BTreeSet<String>,
    ) {
        let mut i = 0;
        v.retain(|x| {
            let k = keep.get(i).copied().unwrap_or(false);
            i += 1;
            k && !drop_keys.contains(&key(x))
        });
    }
    match layer {
        Layer::Admin => filter(&mut data.admin, keep, |x| x.code.to_string(), drop_keys),
        Layer::Grids => filter(&mut data.grids, keep, |x| x.code.to_string(), drop_keys),
        Layer::Cameras => filter(&mut data.cameras, keep, |x| x.id.to_string(), drop_keys),
        Layer::Patrols => filter(&mut data.patrols, keep, |x| x.id.0.to_string(), drop_keys),
        Layer::Workers => filter(&mut data.workers, keep, |x| x.id.0.clone(), drop_keys),
        Layer::Centers => filter(&mut data.centers, keep, |x| x.code.to_string(), drop_keys),
        Layer::Incidents => {
            let details = !data.incident_details.is_empty();
            let mut i = 0;
            let mut kept = Vec::new();
            data.incidents.retain(|x| {
                let k = keep.get(i).copied().unwrap_or(false)
                    && !drop_keys.contains(&x.id.0.to_string());
                kept.push(k);
                i += 1;
                k
            });
            if details {
                let mut j = 0;
                data.incident_details.retain(|_| {
                    let k = kept.get(j).copied().unwrap_or(false);
                    j += 1;
                    k
                });
            }
        }
    }
}
