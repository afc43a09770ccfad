//! The load pipeline: CRS, field mapping, checks, repairs, and the all-or-nothing decision.

use std::collections::{BTreeSet, HashMap, HashSet};

use geo::{BoundingRect, InteriorPoint};
use geo_types::{Geometry, MultiPolygon, Point};
use serde_json::{Map, Value};

use super::defaults::{fill_patrol_times, IncidentDefaults};
use super::fields::{Defaults, FieldMap};
use super::mapping::{self, ValueCounts};
use super::{repairs, LeftOut, LoadOptions, Prepared, Report, Tally};
use crate::codes::AdminLevel;
use crate::crs::{self, Crs, ONEMAP};
use crate::formats::{format_time, Collector, ErrorKind};
use crate::model::{Dataset, Grid, Layer, Worker};
use crate::source::{Source, SourceFeature};
use crate::validate::{self, Area, Check, Finding, ParentArea, Severity, Spot};

/// One feature on its way in: lon/lat geometry and onemap-named properties.
#[derive(Clone)]
pub(super) struct Row {
    pub(super) index: usize,
    pub(super) id: Option<String>,
    pub(super) geometry: Geometry<f64>,
    pub(super) props: Map<String, Value>,
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
            Finding::new(p.kind.check(), Severity::Error, p.message.clone())
                .at_feature(p.index, p.id.as_deref()),
        );
    }
    if let Some(enc) = source
        .encoding
        .as_ref()
        .filter(|e| !e.declared && e.name != "UTF-8")
    {
        report.findings.push(Finding::new(
            Check::Encoding,
            Severity::Warning,
            format!(
                "the file does not say its text encoding (no .cpg); the text was not UTF-8 and was read as {}: check the names, or say --encoding",
                enc.name
            ),
        ));
    }
    let notes = source.crs_note.iter().map(|n| (Check::Crs, n));
    for (check, note) in notes.chain(source.notes.iter().map(|n| (Check::Attribute, n))) {
        report
            .findings
            .push(Finding::new(check, Severity::Warning, note.clone()));
    }
    let mut tally = Tally::new();
    let mut incident_defaults = IncidentDefaults::default();
    let mut columns = Vec::new();
    let (mut rows, fields, crs_ok) = reproject_rows(
        source,
        opts,
        &mut report,
        &mut tally,
        &mut incident_defaults,
        &mut columns,
    );
    if !crs_ok {
        let mut prepared = refused(report);
        prepared.left_out = left_out(rows, &[], &prepared.report);
        prepared.columns = columns;
        return prepared;
    }
    if layer == Layer::Grids {
        adopt_current_revisions(&mut rows, &fields, context);
    }
    rows.retain(|r| !matches!(r.geometry, Geometry::GeometryCollection(ref c) if c.0.is_empty()));
    if layer == Layer::Incidents {
        place_in_units(&mut rows, context, &mut tally);
    }
    check(layer, &mut rows, opts, context, &mut report);
    let (data, mapped) = map_rows(layer, &rows, &mut report, &mut tally);
    let mut gathered = tally.into_findings(report.features);
    incident_defaults.name_examples(&mut gathered);
    report.findings.extend(gathered);
    dedupe(&mut report.findings);
    let mut prepared = decide(layer, data, &mapped, opts, report);
    prepared.left_out = left_out(rows, &mapped, &prepared.report);
    prepared.columns = columns;
    prepared
}

/// The rows that are not written: all of them when nothing is, else those not mapped or
/// skipped.
fn left_out(rows: Vec<Row>, mapped: &[usize], report: &Report) -> Vec<LeftOut> {
    let skipped: BTreeSet<usize> = report.skipped.iter().copied().collect();
    let written: BTreeSet<usize> = if report.accepted == 0 {
        BTreeSet::new()
    } else {
        mapped
            .iter()
            .copied()
            .filter(|i| !skipped.contains(i))
            .collect()
    };
    rows.into_iter()
        .filter(|r| !written.contains(&r.index))
        .map(|r| LeftOut {
            index: r.index,
            id: r.id,
            geometry: r.geometry,
        })
        .collect()
}

/// The report alone: nothing may be written.
fn refused(mut report: Report) -> Prepared {
    report.accepted = 0;
    sort_findings(&mut report.findings);
    Prepared {
        data: Dataset::default(),
        report,
        left_out: Vec::new(),
        columns: Vec::new(),
    }
}

/// Moves every geometry into onemap lon/lat and names properties the onemap way. The flag
/// is false when the file's coordinates cannot be in the CRS at all (the rows are then
/// those that could, for the preview).
#[allow(clippy::too_many_lines)] // one pass over the rows: geometry, names, defaults
fn reproject_rows(
    source: Source,
    opts: &LoadOptions,
    report: &mut Report,
    tally: &mut Tally,
    incident_defaults: &mut IncidentDefaults,
    columns: &mut Vec<mapping::Column>,
) -> (Vec<Row>, FieldMap, bool) {
    let (crs, from) = choose_crs(opts.crs, source.crs, report);
    report.crs = Some(crs.to_string());
    report.crs_from = from;
    let mut fields = FieldMap::for_source(opts.layer, &source);
    if let Some(m) = &opts.mapping {
        fields.apply_columns(opts.layer, &m.columns);
        mapped_columns_missing(m, &source, report);
        report.mapping = Some(mapping::Applied::new(m, &ValueCounts::new()));
    }
    *columns = mapping::columns(opts.layer, &source, &fields);
    let mut value_counts = ValueCounts::new();
    let transform = match crs.to_lon_lat() {
        Ok(t) => t,
        Err(e) => {
            report
                .findings
                .push(Finding::new(Check::Crs, Severity::Error, e.to_string()));
            return (Vec::new(), fields, false);
        }
    };
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
        let geometry = match (geometry, opts.layer) {
            (Some(mut g), _) => match crs::reproject(&transform, &mut g) {
                Ok(()) => g,
                Err(e) => {
                    crs_errors.push(
                        Finding::new(Check::Crs, Severity::Error, e.to_string())
                            .at_feature(index, id.as_deref()),
                    );
                    continue;
                }
            },
            // A roster row: the worker gets a position with the first GPS fix.
            (None, Layer::Workers) => {
                tally.add(
                    Check::Geometry,
                    Severity::Warning,
                    "no position: kept without one until the worker's first GPS fix",
                    index,
                );
                Geometry::Point(Worker::NO_FIX)
            }
            // An incident row without coordinates: placed in its grid or village below.
            (None, Layer::Incidents) => Geometry::Point(Worker::NO_FIX),
            (None, _) => {
                tally.add(
                    Check::Geometry,
                    Severity::Error,
                    "the feature has no geometry",
                    index,
                );
                continue;
            }
        };
        let mut props = fields.canonical_mapped(
            opts.layer,
            &properties,
            &defaults,
            opts.mapping.as_ref(),
            &mut value_counts,
        );
        match opts.layer {
            Layer::Incidents => {
                incident_defaults.fill(&mut props, index, &opts.categories, &opts.deadlines, tally);
            }
            Layer::Patrols => {
                if let Some(w) = &opts.worker {
                    props.insert("worker".into(), w.clone().into());
                }
                fill_patrol_times(&mut props, &geometry, index, tally);
            }
            _ => {}
        }
        rows.push(Row {
            index,
            id,
            geometry,
            props,
        });
    }
    if let Some(m) = &opts.mapping {
        report.mapping = Some(mapping::Applied::new(m, &value_counts));
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
        return (rows, fields, false);
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
    (rows, fields, true)
}

/// One file-level error per column the mapping reads that the file lacks (its geometry
/// columns are the reader's to find).
fn mapped_columns_missing(m: &mapping::Mapping, source: &Source, report: &mut Report) {
    if source.features.is_empty() {
        return;
    }
    let keys: BTreeSet<&str> = source
        .features
        .iter()
        .take(10_000)
        .flat_map(|f| f.properties.keys().map(String::as_str))
        .collect();
    for (column, property) in &m.columns {
        if ["lon", "lat", "wkt"].contains(&property.as_str()) || keys.contains(column.as_str()) {
            continue;
        }
        let mut have: Vec<&str> = keys.iter().copied().take(30).collect();
        if keys.len() > have.len() {
            have.push("...");
        }
        report.findings.push(Finding::new(
            Check::Attribute,
            Severity::Error,
            format!(
                "the mapping {} reads column {column:?} as {property}, but the file has no column {column:?} (its columns: {}); fix the mapping or the file",
                m.file,
                have.join(", ")
            ),
        ));
    }
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

/// A grid row of a past revision (`valid_to` set): history, not part of today's partition.
fn is_past_revision(layer: Layer, r: &Row) -> bool {
    layer == Layer::Grids && !r.props.get("valid_to").is_none_or(Value::is_null)
}

/// Closes the misfits narrower than `tolerance_m` between the file's areas, and between
/// them and the stored boundaries they must meet ([`fixed_references`]), in place
/// ([`validate::clean_coverage_against`]). Past grid revisions are history and stay as
/// they were (they overlap their successors by design).
pub(super) fn clean_areas(
    layer: Layer,
    rows: &mut [Row],
    context: &Dataset,
    tolerance_m: f64,
) -> validate::Cleaning {
    let fixed = fixed_references(layer, rows, context);
    clean_rows(layer, rows, &fixed, &HashSet::new(), tolerance_m)
}

/// Cleans the areas of `rows` other than those at file positions in `skip` against `fixed`.
fn clean_rows(
    layer: Layer,
    rows: &mut [Row],
    fixed: &[&MultiPolygon<f64>],
    skip: &HashSet<usize>,
    tolerance_m: f64,
) -> validate::Cleaning {
    let mut at = Vec::with_capacity(rows.len());
    let mut geoms = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter_mut().enumerate() {
        if is_past_revision(layer, r) || skip.contains(&r.index) {
            continue;
        }
        if let Geometry::MultiPolygon(m) = &mut r.geometry {
            at.push(i);
            geoms.push(std::mem::replace(m, MultiPolygon(Vec::new())));
        }
    }
    let mut cleaning = validate::clean_coverage_against(&mut geoms, fixed, tolerance_m);
    for k in &mut cleaning.kept {
        *k = rows[at[*k]].index;
    }
    for (i, g) in at.into_iter().zip(geoms) {
        rows[i].geometry = Geometry::MultiPolygon(g);
    }
    cleaning
}

/// The stored boundaries a file's areas must meet, near the file: for grids the villages and
/// the current grids the file does not replace, for admin units the units the file does
/// not hold (parents, neighbours). They stay as stored; the file's misfits against them
/// close like those between its own features.
fn fixed_references<'a>(
    layer: Layer,
    rows: &[Row],
    context: &'a Dataset,
) -> Vec<&'a MultiPolygon<f64>> {
    let Some(extent) = rows
        .iter()
        .filter_map(|r| as_area(&r.geometry)?.bounding_rect())
        .reduce(|a, b| {
            geo_types::Rect::new(
                geo_types::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo_types::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    else {
        return Vec::new();
    };
    let codes: BTreeSet<&str> = rows.iter().filter_map(|r| r.id.as_deref()).collect();
    let near = |g: &MultiPolygon<f64>| {
        g.bounding_rect().is_some_and(|b| {
            b.min().x <= extent.max().x
                && extent.min().x <= b.max().x
                && b.min().y <= extent.max().y
                && extent.min().y <= b.max().y
        })
    };
    match layer {
        Layer::Grids => {
            let villages = context
                .admin
                .iter()
                .filter(|a| a.level() == AdminLevel::Village)
                .map(|a| &a.geometry);
            let grids = context
                .grids
                .iter()
                .filter(|g| g.valid_to.is_none() && !codes.contains(g.code.to_string().as_str()))
                .map(|g| &g.geometry);
            villages.chain(grids).filter(|g| near(g)).collect()
        }
        Layer::Admin => context
            .admin
            .iter()
            .filter(|a| !codes.contains(a.code.to_string().as_str()))
            .map(|a| &a.geometry)
            .filter(|g| near(g))
            .collect(),
        _ => Vec::new(),
    }
}

/// The cleaning must only close misfits: an overlap between two features that the file as
/// drawn does not have was made by it, and both features go back to their drawn shapes
/// (listed as kept). Checked only when the cleaned file has overlaps, so a clean file pays
/// for one run of the checks.
fn undo_made_overlaps(
    layer: Layer,
    rows: &mut [Row],
    drawn: &[Geometry<f64>],
    findings: Vec<Finding>,
    cleaning: &mut validate::Cleaning,
    context: &Dataset,
    opts: &LoadOptions,
) -> Vec<Finding> {
    let overlaps = overlap_pairs(&findings);
    if overlaps.is_empty() {
        return findings;
    }
    let mut cleaned: Vec<Geometry<f64>> = Vec::with_capacity(rows.len());
    for (r, d) in rows.iter_mut().zip(drawn) {
        cleaned.push(std::mem::replace(&mut r.geometry, d.clone()));
    }
    let before = overlap_pairs(&check_areas(layer, rows, context, opts));
    let made: HashSet<usize> = overlaps
        .iter()
        .filter(|p| !before.contains(p))
        .flat_map(|&(a, b)| [a, b])
        .collect();
    for (r, c) in rows.iter_mut().zip(cleaned) {
        if !made.contains(&r.index) {
            r.geometry = c;
        }
    }
    cleaning.kept.extend(made);
    cleaning.kept.sort_unstable();
    cleaning.kept.dedup();
    if cleaning.kept.is_empty() {
        return findings;
    }
    clean_kept(layer, rows, drawn, context, cleaning, opts, &before)
}

/// The pairs of features (lower position first) that `findings` say overlap.
fn overlap_pairs(findings: &[Finding]) -> HashSet<(usize, usize)> {
    findings
        .iter()
        .filter(|f| f.check == validate::Check::Overlap)
        .filter_map(|f| f.index.zip(f.other_index))
        .map(|(a, b)| (a.min(b), a.max(b)))
        .collect()
}

/// The features left as drawn, cleaned once more on their own with everything else fixed
/// (their neighbours as the first cleaning left them, and the stored boundaries), so they
/// meet their neighbours without moving them; one that makes an overlap the file as drawn
/// (`before`) does not have stays as drawn. Returns the findings of the checks after.
fn clean_kept(
    layer: Layer,
    rows: &mut [Row],
    drawn: &[Geometry<f64>],
    context: &Dataset,
    cleaning: &mut validate::Cleaning,
    opts: &LoadOptions,
    before: &HashSet<(usize, usize)>,
) -> Vec<Finding> {
    let kept: HashSet<usize> = cleaning.kept.iter().copied().collect();
    let others: HashSet<usize> = rows
        .iter()
        .map(|r| r.index)
        .filter(|i| !kept.contains(i))
        .collect();
    let rest: Vec<MultiPolygon<f64>> = rows
        .iter()
        .filter(|r| others.contains(&r.index) && !is_past_revision(layer, r))
        .filter_map(|r| as_area(&r.geometry).cloned())
        .collect();
    let mut fixed = fixed_references(layer, rows, context);
    fixed.extend(rest.iter());
    let again = clean_rows(layer, rows, &fixed, &others, cleaning.tolerance_m);
    let findings = check_areas(layer, rows, context, opts);
    let made: HashSet<usize> = overlap_pairs(&findings)
        .difference(before)
        .flat_map(|&(a, b)| [a, b])
        .filter(|i| kept.contains(i))
        .collect();
    cleaning.moved += again.moved;
    cleaning.inserted += again.inserted;
    cleaning.area_m2 += again.area_m2;
    cleaning.widest_m = cleaning.widest_m.max(again.widest_m);
    cleaning.kept = made.iter().chain(&again.kept).copied().collect();
    cleaning.kept.sort_unstable();
    cleaning.kept.dedup();
    if made.is_empty() {
        return findings;
    }
    for (r, d) in rows.iter_mut().zip(drawn) {
        if made.contains(&r.index) {
            r.geometry = d.clone();
        }
    }
    check_areas(layer, rows, context, opts)
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
            normalise_areas(rows);
            let drawn: Option<Vec<Geometry<f64>>> = (opts.tolerances.misfit_m > 0.0)
                .then(|| rows.iter().map(|r| r.geometry.clone()).collect());
            if drawn.is_some() {
                report.cleaning = Some(clean_areas(layer, rows, context, opts.tolerances.misfit_m));
            }
            let mut findings = check_areas(layer, rows, context, opts);
            if let (Some(drawn), Some(cleaning)) = (drawn, report.cleaning.as_mut()) {
                findings =
                    undo_made_overlaps(layer, rows, &drawn, findings, cleaning, context, opts);
            }
            let (mut findings, lines) =
                repairs::apply(layer, rows, context, opts, &opts.repairs, findings);
            report.repairs = lines;
            repairs::withdraw_failed(&mut findings, &opts.repairs);
            repairs::keep_honest_offers(layer, rows, context, opts, &mut findings);
            report.findings.extend(findings);
        }
        Layer::Cameras | Layer::Centers | Layer::Workers | Layer::Incidents => {
            let spots: Vec<Spot<'_>> = rows
                .iter()
                .filter_map(|r| {
                    let location = match &r.geometry {
                        // A worker without a fix (and an incident that could not be
                        // placed, reported as such) has no place to check.
                        Geometry::Point(p) if !(p.x().is_finite() && p.y().is_finite()) => {
                            return None
                        }
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

/// A grid file without revision columns corrects the grids it names in place: each takes
/// the revision number and start of the stored current revision of its code, so that an
/// import never overwrites a past revision (grids are keyed by code and revision). A
/// redraw that should start a new revision says so with `revision`/`valid_from` columns.
fn adopt_current_revisions(rows: &mut [Row], fields: &FieldMap, context: &Dataset) {
    let has = |name| fields.column(name).is_some();
    if has("revision") {
        return;
    }
    let current: HashMap<String, &Grid> = context
        .grids
        .iter()
        .filter(|g| g.valid_to.is_none())
        .map(|g| (g.code.to_string(), g))
        .collect();
    for r in rows {
        let Some(g) = r.id.as_deref().and_then(|id| current.get(id)) else {
            continue;
        };
        r.props.insert("revision".into(), g.revision.into());
        if !has("valid_from") {
            if let Some(t) = format_time(g.valid_from) {
                r.props.insert("valid_from".into(), t.into());
            }
        }
    }
}

/// Positions at and above this stand for grids already in the store, checked beside the
/// file's so that a partial file is not told its village is one big gap, and so that a new
/// grid overlapping a stored neighbour is caught.
const STORED_BASE: usize = usize::MAX / 2;

/// The store's current grids in the villages the file's grids belong to, that the file
/// does not replace.
fn stored_neighbours<'a>(areas: &[Area<'_>], context: &'a Dataset) -> Vec<(String, &'a Grid)> {
    let villages: BTreeSet<&str> = areas
        .iter()
        .filter(|a| a.code.len() == 15)
        // `get`: a code of 15 bytes may hold multi-byte characters (fuzz/import_geojson).
        .filter_map(|a| a.code.get(..12))
        .collect();
    let replaced: BTreeSet<&str> = areas.iter().map(|a| a.code).collect();
    context
        .grids
        .iter()
        .filter(|g| g.valid_to.is_none())
        .map(|g| (g.code.to_string(), g))
        .filter(|(code, _)| villages.contains(&code[..12]) && !replaced.contains(code.as_str()))
        .collect()
}

/// Drops what was found about stored grids alone, and names a stored neighbour as such.
fn about_the_file(findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| f.index.is_none_or(|i| i < STORED_BASE))
        .map(|mut f| {
            if let Some(o) = f.other_index.filter(|&o| o >= STORED_BASE) {
                f.message = f
                    .message
                    .replace(&format!("(feature {o})"), "(already in the store)");
                f.other_index = None;
            }
            f
        })
        .collect()
}

/// A polygon layer's geometry once [`normalise_areas`] has run.
pub(super) fn as_area(g: &Geometry<f64>) -> Option<&MultiPolygon<f64>> {
    match g {
        Geometry::MultiPolygon(mp) => Some(mp),
        _ => None,
    }
}

/// Single polygons become multipolygons: the checks, repairs and model take those.
fn normalise_areas(rows: &mut [Row]) {
    for r in rows {
        if let Geometry::Polygon(p) = &r.geometry {
            r.geometry = Geometry::MultiPolygon(MultiPolygon(vec![p.clone()]));
        }
    }
}

pub(super) fn check_areas(
    layer: Layer,
    rows: &[Row],
    context: &Dataset,
    opts: &LoadOptions,
) -> Vec<Finding> {
    // Past grid revisions (valid_to set) are history, not part of today's partition: they
    // may overlap their successors and share their code.
    let mut areas: Vec<Area<'_>> = rows
        .iter()
        .filter(|r| !is_past_revision(layer, r))
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
        let stored = stored_neighbours(&areas, context);
        areas.extend(stored.iter().enumerate().map(|(k, (code, g))| Area {
            index: STORED_BASE + k,
            code,
            name: Some(g.name.as_str()),
            parent: None,
            geometry: &g.geometry,
        }));
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
        let findings = validate::check_areas(layer, &areas, &parents, &opts.tolerances);
        return about_the_file(findings);
    }
    // Admin units are checked level by level (a prefecture and its counties both have six
    // digits), each against the level above, taken from the file and from the store.
    let mut findings = Vec::new();
    let mut by_rank: HashMap<usize, Vec<Area<'_>>> = HashMap::new();
    for a in &areas {
        by_rank.entry(admin_rank(a.code)).or_default().push(*a);
    }
    let context_codes: Vec<(String, &MultiPolygon<f64>)> = context
        .admin
        .iter()
        .map(|a| (a.code.to_string(), &a.geometry))
        .collect();
    let mut ranks: Vec<usize> = by_rank.keys().copied().collect();
    ranks.sort_unstable();
    for rank in ranks {
        let above = rank.checked_sub(1);
        let mut parents: Vec<ParentArea<'_>> = above
            .and_then(|r| by_rank.get(&r))
            .map(|v| {
                v.iter()
                    .map(|a| ParentArea {
                        code: a.code,
                        geometry: a.geometry,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let from_store: Vec<ParentArea<'_>> = context_codes
            .iter()
            .filter(|(c, _)| Some(admin_rank(c)) == above && !parents.iter().any(|p| p.code == c))
            .map(|(code, geometry)| ParentArea { code, geometry })
            .collect();
        parents.extend(from_store);
        let group = by_rank.get(&rank).map(Vec::as_slice).unwrap_or_default();
        findings.extend(validate::check_areas(
            layer,
            group,
            &parents,
            &opts.tolerances,
        ));
    }
    findings
}

/// The depth of an admin code: province 0, prefecture 1, county 2, township 3, village 4;
/// a code that does not parse goes by its length (6 county, 9 township, 12 village) or to
/// a group of its own.
fn admin_rank(code: &str) -> usize {
    match code.parse::<crate::codes::AdminCode>() {
        Ok(c) => c.level() as usize,
        Err(_) => match code.len() {
            6 => AdminLevel::County as usize,
            9 => AdminLevel::Township as usize,
            12 => AdminLevel::Village as usize,
            _ => 5,
        },
    }
}

/// Builds the model values; a feature the layer's mapping refuses becomes a finding.
/// Returns the dataset and, for each value in it, its position in the file.
fn map_rows(
    layer: Layer,
    rows: &[Row],
    report: &mut Report,
    tally: &mut Tally,
) -> (Dataset, Vec<usize>) {
    let mut collector = Collector::new(layer);
    let mut mapped = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(id) = r.id.as_deref() else {
            continue;
        };
        match collector.add(id, r.geometry.clone(), &r.props) {
            Ok(()) => mapped.push(r.index),
            Err(e) => {
                let check = e.kind.check();
                // A refusal that every row shares (a required column missing) is one finding
                // with the rows it concerns; other refusals stay one finding per feature with
                // its place.
                if e.kind == ErrorKind::MissingAttribute {
                    tally.add(check, Severity::Error, &e.message, r.index);
                    continue;
                }
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

/// Places incidents that came without coordinates inside the unit the row names: the grid
/// (its current revision), else the village (a grid code's first 12 digits count), at an
/// interior point of the unit's polygon. What cannot be placed is an error of its rows.
fn place_in_units(rows: &mut [Row], context: &Dataset, tally: &mut Tally) {
    let unplaced = |r: &Row| matches!(r.geometry, Geometry::Point(p) if !(p.x().is_finite() && p.y().is_finite()));
    if !rows.iter().any(unplaced) {
        return;
    }
    let grids: HashMap<String, &Grid> = context
        .grids
        .iter()
        .filter(|g| g.valid_to.is_none())
        .map(|g| (g.code.to_string(), g))
        .collect();
    let villages: HashMap<String, &MultiPolygon<f64>> = context
        .admin
        .iter()
        .filter(|a| a.level() == AdminLevel::Village)
        .map(|a| (a.code.to_string(), &a.geometry))
        .collect();
    // One interior point per unit: every incident of a grid gets the same place.
    let mut points: HashMap<String, Option<Point<f64>>> = HashMap::new();
    for r in rows.iter_mut().filter(|r| unplaced(r)) {
        let code_of = |key: &str| {
            r.props.get(key).and_then(|v| match v {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let grid = code_of("grid");
        let village = code_of("village")
            .or_else(|| grid.as_deref().and_then(|g| g.get(..12)).map(str::to_owned));
        let mut placed = None;
        if let Some(g) = grid.as_deref().and_then(|c| grids.get(c)) {
            let p = *points
                .entry(g.code.to_string())
                .or_insert_with(|| g.geometry.interior_point());
            placed = p.map(|p| (p, "no coordinates: placed at an interior point of its grid"));
        }
        if placed.is_none() {
            if let Some((code, mp)) = village.as_deref().and_then(|c| villages.get_key_value(c)) {
                let p = *points
                    .entry(code.clone())
                    .or_insert_with(|| mp.interior_point());
                placed = p.map(|p| (p, "no coordinates: placed at an interior point of its village (no grid of the row is in the store)"));
            }
        }
        match placed {
            Some((p, message)) => {
                r.geometry = Geometry::Point(p);
                tally.add(Check::Geometry, Severity::Warning, message, r.index);
            }
            None => tally.add(
                Check::Geometry,
                Severity::Error,
                "no coordinates, and no grid or village code of a unit in the store to place it in",
                r.index,
            ),
        }
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
    sort_findings(findings);
}

/// File order: what is about the whole file first, then feature by feature.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (f.index, f.check));
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
    // An overlap names two features: both are left out, as neither boundary can be
    // trusted until one is fixed.
    let bad: BTreeSet<usize> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .flat_map(|f| {
            [f.index, f.other_index]
                .into_iter()
                .flatten()
                .chain(f.rows.iter().copied())
        })
        .collect();
    // A gathered finding lists its rows unless it is about every row.
    let file_error = report
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.index.is_none() && f.rows.is_empty());
    if file_error || (!bad.is_empty() && !opts.skip_invalid) {
        return refused(report);
    }
    let keep: Vec<bool> = mapped.iter().map(|i| !bad.contains(i)).collect();
    retain(&mut data, layer, &keep);
    report.skipped = bad.into_iter().collect();
    report.accepted = crate::formats::layer_len(&data, layer);
    Prepared {
        data,
        report,
        left_out: Vec::new(),
        columns: Vec::new(),
    }
}

/// Keeps the values whose `keep` flag (parallel to the layer) is set.
fn retain(data: &mut Dataset, layer: Layer, keep: &[bool]) {
    fn filter<T>(v: &mut Vec<T>, keep: &[bool]) {
        let mut flags = keep.iter();
        v.retain(|_| flags.next().copied().unwrap_or(false));
    }
    match layer {
        Layer::Admin => filter(&mut data.admin, keep),
        Layer::Grids => filter(&mut data.grids, keep),
        Layer::Cameras => filter(&mut data.cameras, keep),
        Layer::Patrols => filter(&mut data.patrols, keep),
        Layer::Workers => filter(&mut data.workers, keep),
        Layer::Centers => filter(&mut data.centers, keep),
        Layer::Incidents => {
            filter(&mut data.incidents, keep);
            if !data.incident_details.is_empty() {
                filter(&mut data.incident_details, keep);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use geo_types::{polygon, Geometry, Point};
    use serde_json::{json, Map, Value};

    use super::{map_rows, Row};
    use crate::load::{LoadOptions, Report, Tally};
    use crate::model::Layer;
    use crate::source::Source;
    use crate::validate::{Check, Severity};

    fn square() -> Geometry<f64> {
        Geometry::Polygon(polygon![
            (x: 110.0, y: 28.0), (x: 110.001, y: 28.0), (x: 110.001, y: 28.001), (x: 110.0, y: 28.001)
        ])
    }

    /// A grid's properties, every required one set.
    fn grid_props() -> Map<String, Value> {
        let Value::Object(m) = json!({
            "name": "第一网格",
            "kind": "basic",
            "valid_from": "2024-01-01T00:00:00Z",
        }) else {
            unreachable!()
        };
        m
    }

    /// Maps one grid row and returns the report's findings and the tally.
    fn map_grid(id: &str, geometry: Geometry<f64>, props: Map<String, Value>) -> (Report, Tally) {
        let opts = LoadOptions::new(Layer::Grids);
        let mut report = Report::new("grids.geojson", &Source::default(), &opts);
        let mut tally = Tally::new();
        let rows = [Row {
            index: 0,
            id: Some(id.to_owned()),
            geometry,
            props,
        }];
        let (data, mapped) = map_rows(Layer::Grids, &rows, &mut report, &mut tally);
        assert!(
            data.grids.is_empty() && mapped.is_empty(),
            "the row was refused"
        );
        (report, tally)
    }

    /// The one error finding of `report`.
    fn the_error(report: &Report) -> (Check, &str) {
        let errors: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        (errors[0].check, errors[0].message.as_str())
    }

    #[test]
    fn a_crs_remark_is_a_crs_warning_and_other_remarks_attribute_warnings() {
        let crs = "CRS EPSG:9999 is not one onemap reads";
        let blob = "column(s) photo hold binary data (BLOB) and are not read";
        let source = Source {
            crs_note: Some(crs.to_owned()),
            notes: vec![blob.to_owned()],
            ..Source::default()
        };
        let opts = LoadOptions::new(Layer::Cameras);
        let p = super::prepare(source, "f.gpkg", &opts, &crate::model::Dataset::default());
        let warnings: Vec<_> = p
            .report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(|f| (f.check, f.message.as_str()))
            .collect();
        assert!(warnings.contains(&(Check::Crs, crs)), "{warnings:?}");
        assert!(warnings.contains(&(Check::Attribute, blob)), "{warnings:?}");
    }

    #[test]
    fn a_malformed_code_is_a_malformed_code_finding() {
        let (report, _) = map_grid("4331010010010", square(), grid_props());
        let (check, message) = the_error(&report);
        assert_eq!(check, Check::MalformedCode, "{message}");
        assert!(message.contains("13 digits"), "{message}");
    }

    #[test]
    fn a_village_its_code_does_not_name_is_a_mismatch_finding() {
        let mut props = grid_props();
        props.insert("village".into(), json!("433101001002"));
        let (report, _) = map_grid("433101001001003", square(), props);
        assert_eq!(the_error(&report).0, Check::CodeVillageMismatch);
    }

    #[test]
    fn a_geometry_of_the_wrong_type_is_a_geometry_finding() {
        let (report, _) = map_grid(
            "433101001001003",
            Geometry::Point(Point::new(110.0, 28.0)),
            grid_props(),
        );
        let (check, message) = the_error(&report);
        assert_eq!(check, Check::Geometry, "{message}");
        assert!(message.contains("Point"), "{message}");
    }

    #[test]
    fn a_ring_too_short_is_a_geometry_finding() {
        // Text rules took this for an attribute: its message names no geometry type.
        let short = Geometry::Polygon(polygon![(x: 110.0, y: 28.0), (x: 110.001, y: 28.0)]);
        let (report, _) = map_grid("433101001001003", short, grid_props());
        let (check, message) = the_error(&report);
        assert_eq!(check, Check::Geometry, "{message}");
        assert!(message.contains("ring"), "{message}");
    }

    #[test]
    fn a_wrong_attribute_value_is_an_attribute_finding() {
        let mut props = grid_props();
        props.insert("kind".into(), json!("nonsense"));
        let (report, _) = map_grid("433101001001003", square(), props);
        assert_eq!(the_error(&report).0, Check::Attribute);
    }

    #[test]
    fn a_missing_attribute_is_gathered_under_attribute() {
        let mut props = grid_props();
        props.remove("name");
        let (report, tally) = map_grid("433101001001003", square(), props);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert_eq!(
            tally.count(Check::Attribute, "missing required property name"),
            1
        );
    }
}
