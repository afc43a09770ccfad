//! The repairs of admin units and grids on import, and the honesty of those the report
//! offers.
//!
//! A repair asked for runs in stages, each followed by the checks: rebuild invalid shapes
//! (`MakeValid`), then close the misfits under the snapping distance with the coverage
//! cleaning ([`validate::clean_coverage_against`], the file's neighbours and the stored
//! boundaries it meets), then the vertex snapping and overlap assignment of
//! [`validate::repair_areas`] for whatever is left. A finding that stands after the
//! repair it was offered ran loses the offer, and says so.
//!
//! An offer not taken up is a promise: before the report goes out, each repair offered is
//! tried on a copy of the file, and a finding it would not close loses the offer. The
//! trial costs a run of the checks per kind of repair offered, paid only when one is.

use geo::Intersects;
use geo_types::{Geometry, MultiPolygon};

use super::pipeline::{as_area, check_areas, clean_areas, Row};
use super::LoadOptions;
use crate::model::{Dataset, Layer};
use crate::validate::{self, Check, Finding, Repair, Repairs};

/// Applies `repairs` to `rows` (whose checks found `findings`) and returns the findings
/// that remain, with a line per repair done.
pub(super) fn apply(
    layer: Layer,
    rows: &mut [Row],
    context: &Dataset,
    opts: &LoadOptions,
    repairs: &Repairs,
    mut findings: Vec<Finding>,
) -> (Vec<Finding>, Vec<String>) {
    let mut lines = Vec::new();
    let offered = |fs: &[Finding], r: Repair| fs.iter().any(|f| f.offers(r));
    if repairs.make_valid && offered(&findings, Repair::MakeValid) {
        let only = Repairs {
            make_valid: true,
            ..Repairs::default()
        };
        lines.extend(repair_in_place(rows, &findings, &only));
        findings = check_areas(layer, rows, context, opts);
    }
    let snap = repairs.snap_m.filter(|d| *d > 0.0);
    if let Some(d) = snap.filter(|_| offered(&findings, Repair::Snap)) {
        let cleaning = clean_areas(layer, rows, context, d);
        if cleaning.features > 0 {
            lines.push(format!("snapped: {}", cleaning.summary()));
        }
        findings = check_areas(layer, rows, context, opts);
    }
    let rest = Repairs {
        make_valid: false,
        snap_m: snap.filter(|_| offered(&findings, Repair::Snap)),
        assign_overlaps: repairs.assign_overlaps && offered(&findings, Repair::AssignOverlap),
    };
    if rest.snap_m.is_some() || rest.assign_overlaps {
        lines.extend(repair_in_place(rows, &findings, &rest));
        findings = check_areas(layer, rows, context, opts);
    }
    (findings, lines)
}

/// Runs [`validate::repair_areas`] on the rows' areas, which it takes by file position.
fn repair_in_place(rows: &mut [Row], findings: &[Finding], repairs: &Repairs) -> Vec<String> {
    let len = rows.iter().map(|r| r.index + 1).max().unwrap_or(0);
    let mut geoms = vec![MultiPolygon::<f64>(Vec::new()); len];
    for r in rows.iter() {
        if let Some(g) = as_area(&r.geometry) {
            geoms[r.index] = g.clone();
        }
    }
    let lines = validate::repair_areas(&mut geoms, findings, repairs);
    for r in rows.iter_mut() {
        if as_area(&r.geometry).is_some() {
            r.geometry = Geometry::MultiPolygon(std::mem::replace(
                &mut geoms[r.index],
                MultiPolygon(Vec::new()),
            ));
        }
    }
    lines
}

/// The kinds of repair `repairs` asks for.
fn asked(repairs: &Repairs) -> impl Iterator<Item = Repair> {
    [
        repairs.make_valid.then_some(Repair::MakeValid),
        repairs.snap_m.filter(|d| *d > 0.0).map(|_| Repair::Snap),
        repairs.assign_overlaps.then_some(Repair::AssignOverlap),
    ]
    .into_iter()
    .flatten()
}

/// Findings still standing after the repairs asked for ran: an offer of one of those did
/// not do what it said.
pub(super) fn withdraw_failed(findings: &mut [Finding], repairs: &Repairs) {
    for r in asked(repairs) {
        for f in findings.iter_mut() {
            f.withdraw(r);
        }
    }
}

/// Tries each repair offered and not asked for on a copy of `rows`, and takes the offer
/// back from the findings it leaves standing.
pub(super) fn keep_honest_offers(
    layer: Layer,
    rows: &[Row],
    context: &Dataset,
    opts: &LoadOptions,
    findings: &mut [Finding],
) {
    let taken: Vec<Repair> = asked(&opts.repairs).collect();
    let trials = [
        (
            Repair::Snap,
            Repairs {
                snap_m: Some(opts.tolerances.snap_m),
                ..Repairs::default()
            },
        ),
        (
            Repair::AssignOverlap,
            Repairs {
                assign_overlaps: true,
                ..Repairs::default()
            },
        ),
    ];
    for (kind, repairs) in trials {
        if taken.contains(&kind) || !findings.iter().any(|f| f.offers(kind)) {
            continue;
        }
        let mut copy = rows.to_vec();
        let (after, _) = apply(layer, &mut copy, context, opts, &repairs, findings.to_vec());
        for f in findings.iter_mut().filter(|f| f.offers(kind)) {
            if after.iter().any(|a| same_problem(f, a)) {
                f.withdraw(kind);
            }
        }
    }
}

/// Whether `after` (found once a repair ran) is the problem `before` was: the same
/// check on the same feature, the same pair of neighbours, or a gap in the same parent
/// that still covers some of the old one.
fn same_problem(before: &Finding, after: &Finding) -> bool {
    if before.check != after.check {
        return false;
    }
    match before.check {
        Check::Overlap => {
            let pair = |f: &Finding| {
                f.index
                    .zip(f.other_index)
                    .map(|(a, b)| (a.min(b), a.max(b)))
            };
            pair(before).is_some() && pair(before) == pair(after)
        }
        Check::Gap => {
            before.id == after.id
                && match (&before.geometry, &after.geometry) {
                    (Some(a), Some(b)) => a.intersects(b),
                    _ => before.lon == after.lon && before.lat == after.lat,
                }
        }
        _ => before.index == after.index,
    }
}
