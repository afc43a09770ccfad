//! What a planner must know before saving: the new boundaries checked for validity
//! (self-intersection), size (area and vertex limits), their village, overlaps with the
//! grids around, and territory the edit leaves uncovered (gaps).

use std::collections::HashSet;

use geo::{Area, BooleanOps, BoundingRect, Centroid, CoordsIter, Validation};
use geo_types::MultiPolygon;

use super::Edit;
use crate::codes::{AdminCode, GridCode};
use crate::index::{Core, Filter};
use crate::model::{Grid, Layer};
use crate::validate::{area_m2, Check, Finding, Severity, Tolerances};

/// Limits on an edited grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Smallest grid area, m² (smaller is an error).
    pub min_area_m2: f64,
    /// Largest grid area, m² (larger is a warning: a grid a worker can walk).
    pub max_area_m2: f64,
    /// Most vertices in one grid (more is an error: a drawing mistake or an import).
    pub max_vertices: usize,
    /// Overlaps and gaps smaller than this (m²) are digitising noise.
    pub min_piece_m2: f64,
    /// Share of a grid that may lie outside its village.
    pub outside_share: f64,
}

impl Default for Limits {
    fn default() -> Self {
        let t = Tolerances::default();
        Self {
            min_area_m2: 100.0,
            max_area_m2: 50e6,
            max_vertices: 10_000,
            min_piece_m2: t.min_area_m2,
            outside_share: t.outside_share,
        }
    }
}

/// Whether any finding blocks the commit.
#[must_use]
pub fn blocking(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

fn finding(check: Check, severity: Severity, g: &Grid, message: String) -> Finding {
    let mut f = Finding::new(check, severity, message);
    f.id = Some(g.code.to_string());
    if let Some(c) = g.geometry.centroid() {
        f = f.at(c);
    }
    f
}

/// Checks the edit's new revisions against `core` and `limits`.
#[must_use]
pub fn findings(core: &Core, edit: &Edit, limits: &Limits) -> Vec<Finding> {
    let mut out = Vec::new();
    let edited: HashSet<GridCode> = edit
        .before
        .iter()
        .chain(edit.after.iter())
        .map(|g| g.code)
        .collect();
    let attribute_only = edit.before.len() == edit.after.len()
        && edit
            .before
            .iter()
            .zip(&edit.after)
            .all(|(b, a)| b.code == a.code && b.geometry == a.geometry);
    for g in &edit.after {
        per_grid(core, g, limits, &mut out);
    }
    if attribute_only {
        return out;
    }
    // Overlaps: with the grids around (as they stay) and among the new revisions.
    for (k, g) in edit.after.iter().enumerate() {
        let Some(bbox) = g.geometry.bounding_rect() else {
            continue;
        };
        let filter = Filter {
            bbox: Some(bbox),
            ..Filter::default()
        };
        let around = core.query(Layer::Grids, &filter).unwrap_or_default();
        let others = around
            .iter()
            .map(|&i| &*core.grids()[i])
            .filter(|o| o.valid_to.is_none() && !edited.contains(&o.code))
            .chain(edit.after[k + 1..].iter());
        for o in others {
            let piece = g.geometry.intersection(&o.geometry);
            let a = area_m2(&piece);
            if a > limits.min_piece_m2 {
                let mut f = finding(
                    Check::Overlap,
                    Severity::Error,
                    g,
                    format!("grid {} overlaps grid {} by {a:.0} m²", g.code, o.code),
                );
                f.other = Some(o.code.to_string());
                f.area_m2 = Some(a);
                if let Some(c) = piece.centroid() {
                    f = f.at(c);
                }
                f.geometry = Some(piece.into());
                out.push(f);
            }
        }
    }
    // Gaps: what the replaced revisions covered and nothing covers now.
    let before = union_of(edit.before.iter().map(|g| &g.geometry));
    let after = union_of(edit.after.iter().map(|g| &g.geometry));
    let mut lost = before.difference(&after);
    if area_m2(&lost) > limits.min_piece_m2 {
        if let Some(bbox) = lost.bounding_rect() {
            let filter = Filter {
                bbox: Some(bbox),
                ..Filter::default()
            };
            for i in core.query(Layer::Grids, &filter).unwrap_or_default() {
                let o = &core.grids()[i];
                if o.valid_to.is_none() && !edited.contains(&o.code) {
                    lost = lost.difference(&o.geometry);
                }
            }
        }
        let a = area_m2(&lost);
        if a > limits.min_piece_m2 {
            // Retiring a grid leaves its territory uncovered on purpose: a warning.
            let severity = if edit.after.is_empty() {
                Severity::Warning
            } else {
                Severity::Error
            };
            let mut f = Finding::new(
                Check::Gap,
                severity,
                format!("the edit leaves {a:.0} m² that no grid covers"),
            );
            f.area_m2 = Some(a);
            if let Some(c) = lost.centroid() {
                f = f.at(c);
            }
            f.geometry = Some(lost.into());
            out.push(f);
        }
    }
    out
}

fn union_of<'a>(geoms: impl Iterator<Item = &'a MultiPolygon<f64>>) -> MultiPolygon<f64> {
    geoms.fold(MultiPolygon(vec![]), |acc, g| {
        if acc.0.is_empty() {
            g.clone()
        } else {
            acc.union(g)
        }
    })
}

/// The checks on one grid alone: validity, size, vertices, village.
fn per_grid(core: &Core, g: &Grid, limits: &Limits, out: &mut Vec<Finding>) {
    if g.geometry.0.is_empty() {
        out.push(finding(
            Check::Geometry,
            Severity::Error,
            g,
            format!("grid {} has no boundary", g.code),
        ));
        return;
    }
    if let Err(e) = g.geometry.check_validation() {
        out.push(finding(
            Check::SelfIntersection,
            Severity::Error,
            g,
            format!("grid {}'s boundary is not a valid polygon: {e}", g.code),
        ));
    }
    let vertices = g.geometry.coords_count();
    if vertices > limits.max_vertices {
        out.push(finding(
            Check::Geometry,
            Severity::Error,
            g,
            format!(
                "grid {} has {vertices} vertices, more than {}",
                g.code, limits.max_vertices
            ),
        ));
    }
    let a = area_m2(&g.geometry);
    if a < limits.min_area_m2 {
        let mut f = finding(
            Check::Sliver,
            Severity::Error,
            g,
            format!(
                "grid {} is {a:.0} m², smaller than {:.0} m²",
                g.code, limits.min_area_m2
            ),
        );
        f.area_m2 = Some(a);
        out.push(f);
    } else if a > limits.max_area_m2 {
        let mut f = finding(
            Check::Geometry,
            Severity::Warning,
            g,
            format!(
                "grid {} is {:.1} km², larger than {:.1} km²",
                g.code,
                a / 1e6,
                limits.max_area_m2 / 1e6
            ),
        );
        f.area_m2 = Some(a);
        out.push(f);
    }
    let village = core
        .admin_by_code(AdminCode::Village(g.code.village()))
        .filter(|v| !v.geometry.0.is_empty());
    match village {
        None => out.push(finding(
            Check::CodeVillageMismatch,
            Severity::Warning,
            g,
            format!(
                "village {} of grid {} has no boundary to check against",
                g.code.village(),
                g.code
            ),
        )),
        Some(v) => {
            let outside = g.geometry.difference(&v.geometry);
            let share = outside.unsigned_area() / g.geometry.unsigned_area().max(f64::MIN_POSITIVE);
            if share > limits.outside_share {
                let mut f = finding(
                    Check::OutsideParent,
                    Severity::Error,
                    g,
                    format!(
                        "{:.1}% of grid {} lies outside its village {}",
                        share * 100.0,
                        g.code,
                        v.code
                    ),
                );
                f.other = Some(v.code.to_string());
                f.area_m2 = Some(area_m2(&outside));
                if let Some(c) = outside.centroid() {
                    f = f.at(c);
                }
                f.geometry = Some(outside.into());
                out.push(f);
            }
        }
    }
}
