//! Checks a change set before anything is written, so that a bad one writes nothing and
//! the error names the offending feature.

use geo_types::{Coord, LineString, MultiPolygon};

use crate::model::Dataset;
use crate::store::ChangeSet;
use crate::{Error, Result};

/// Largest integer an f64 M value holds exactly (2^53), for patrol vertex times.
const MAX_EXACT_F64: i64 = 1 << 53;

fn coord_ok(c: Coord<f64>) -> bool {
    c.x.is_finite()
        && c.y.is_finite()
        && (-180.0..=180.0).contains(&c.x)
        && (-90.0..=90.0).contains(&c.y)
}

fn check_coords(
    what: &dyn Fn() -> String,
    coords: impl IntoIterator<Item = Coord<f64>>,
) -> Result<()> {
    match coords.into_iter().find(|c| !coord_ok(*c)) {
        Some(c) => Err(Error::Invalid(format!(
            "{}: coordinate ({}, {}) is not a finite lon/lat in [-180, 180] x [-90, 90]",
            what(),
            c.x,
            c.y
        ))),
        None => Ok(()),
    }
}

fn check_ring(what: &dyn Fn() -> String, ring: &LineString<f64>) -> Result<()> {
    if ring.0.len() < 4 || !ring.is_closed() {
        return Err(Error::Invalid(format!(
            "{}: a polygon ring needs at least 4 points and must be closed, found {} points",
            what(),
            ring.0.len()
        )));
    }
    check_coords(what, ring.0.iter().copied())
}

fn check_multipolygon(what: &dyn Fn() -> String, mp: &MultiPolygon<f64>) -> Result<()> {
    if mp.0.is_empty() {
        return Err(Error::Invalid(format!("{}: geometry is empty", what())));
    }
    for p in mp {
        check_ring(what, p.exterior())?;
        for r in p.interiors() {
            check_ring(what, r)?;
        }
    }
    Ok(())
}

fn check_list_item(what: &dyn Fn() -> String, item: &str) -> Result<()> {
    if item.is_empty() || item.contains(',') {
        return Err(Error::Invalid(format!(
            "{}: id {item:?} must be non-empty and contain no comma (lists are stored comma-separated)",
            what()
        )));
    }
    Ok(())
}

fn check_f32(what: &dyn Fn() -> String, name: &str, v: Option<f32>) -> Result<()> {
    match v {
        Some(x) if !x.is_finite() => Err(Error::Invalid(format!(
            "{}: {name} {x} is not finite",
            what()
        ))),
        _ => Ok(()),
    }
}

/// Checks every feature of a change set; `Err(Invalid)` names the first bad one.
pub fn validate(changes: &ChangeSet) -> Result<()> {
    let d: &Dataset = &changes.upserts;
    if !d.incident_details.is_empty() && d.incident_details.len() != d.incidents.len() {
        return Err(Error::Invalid(format!(
            "incident_details has {} entries; it must be empty or parallel to the {} incidents",
            d.incident_details.len(),
            d.incidents.len()
        )));
    }
    for a in &d.admin {
        check_multipolygon(&|| format!("admin unit {}", a.code), &a.geometry)?;
    }
    for g in &d.grids {
        let what = || format!("grid {} revision {}", g.code, g.revision);
        check_multipolygon(&what, &g.geometry)?;
        if g.village != g.code.village() {
            return Err(Error::Invalid(format!(
                "{}: village {} is not the code's village {}",
                what(),
                g.village,
                g.code.village()
            )));
        }
        if g.revision == 0 {
            return Err(Error::Invalid(format!("{}: revisions start at 1", what())));
        }
        if g.valid_to.is_some_and(|end| end < g.valid_from) {
            return Err(Error::Invalid(format!(
                "{}: valid_to is before valid_from",
                what()
            )));
        }
        for w in &g.workers {
            check_list_item(&what, &w.0)?;
        }
    }
    for c in &d.cameras {
        let what = || format!("camera {}", c.id);
        check_coords(&what, [c.location.0])?;
        check_f32(&what, "azimuth_deg", c.azimuth_deg)?;
        check_f32(&what, "fov_deg", c.fov_deg)?;
        check_f32(&what, "range_m", c.range_m)?;
    }
    for i in &d.incidents {
        let what = || format!("incident {}", i.id.0);
        check_coords(&what, [i.location.0])?;
        if i64::try_from(i.id.0).is_err() {
            return Err(Error::Invalid(format!(
                "{}: id is above {}",
                what(),
                i64::MAX
            )));
        }
        if usize::from(i.subcategory) >= i.category.subcategories().len()
            && i.subcategory != crate::model::UNSPECIFIED_SUBCATEGORY
        {
            return Err(Error::Invalid(format!(
                "{}: subcategory {} does not exist in category {}",
                what(),
                i.subcategory,
                i.category.as_str()
            )));
        }
    }
    for p in &d.patrols {
        check_patrol(p)?;
    }
    for w in &d.workers {
        let what = || format!("worker {}", w.id);
        check_list_item(&what, &w.id.0)?;
        if w.has_fix() {
            check_coords(&what, [w.location.0])?;
        }
    }
    for c in &d.centers {
        check_coords(&|| format!("center {}", c.code), [c.location.0])?;
    }
    Ok(())
}

/// Checks one patrol track: ids, one ascending time per vertex, coordinates.
fn check_patrol(p: &crate::model::Patrol) -> Result<()> {
    let what = || format!("patrol {}", p.id.0);
    if i64::try_from(p.id.0).is_err() {
        return Err(Error::Invalid(format!(
            "{}: id is above {}",
            what(),
            i64::MAX
        )));
    }
    if p.track.0.is_empty() || p.times.len() != p.track.0.len() {
        return Err(Error::Invalid(format!(
            "{}: has {} points and {} times; it needs at least one point and one time per point",
            what(),
            p.track.0.len(),
            p.times.len()
        )));
    }
    if p.times.windows(2).any(|w| w[1] < w[0]) {
        return Err(Error::Invalid(format!(
            "{}: vertex times must be ascending",
            what()
        )));
    }
    if p.times.iter().any(|t| t.abs() > MAX_EXACT_F64) {
        return Err(Error::Invalid(format!(
            "{}: a vertex time is out of range",
            what()
        )));
    }
    check_list_item(&what, &p.worker.0)?;
    check_coords(&what, p.track.0.iter().copied())?;
    Ok(())
}
