//! Point -> grid against brute force (geo predicates over every grid) and shapely.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixture::{self, Params, T0, T1};
use common::{checks, python};
use geo_core::index::Core;
use serde_json::json;

fn core() -> Core {
    Core::new(fixture::dataset(&Params::small()))
}

#[test]
fn locate_matches_brute_force_on_100k_random_points() {
    let core = core();
    let pts = checks::random_points(&core.to_dataset(), 100_000, 1);
    checks::locate_matches_brute_force(&core, &pts, None);
    let answered = pts
        .iter()
        .filter(|p| core.locate(p.0, p.1).unwrap().grid.is_some())
        .count();
    // The fixture's grids cover most of the sampled box: a check that answers were given.
    assert!(answered > 70_000, "{answered}");
}

#[test]
fn locate_at_uses_the_revision_valid_then() {
    let core = core();
    let pts = checks::random_points(&core.to_dataset(), 10_000, 2);
    for t in [T0 - 1, T0, T1 - 1, T1, T1 + 86_400 * 365] {
        checks::locate_matches_brute_force(&core, &pts, Some(t));
    }
    // Before any revision, no grid; a redrawn cell answers differently before and after T1.
    assert!(core
        .locate_at(pts[0].0, pts[0].1, T0 - 1)
        .unwrap()
        .grid
        .is_none());
    let old = core
        .grids()
        .iter()
        .position(|g| g.valid_to == Some(T1))
        .unwrap();
    let c = geo::InteriorPoint::interior_point(&core.grids()[old].geometry).unwrap();
    let before = core.locate_at(c.x(), c.y(), T1 - 1).unwrap().grid.unwrap();
    let after = core.locate_at(c.x(), c.y(), T1).unwrap().grid.unwrap();
    assert_eq!(before.index, old);
    assert_ne!(after.index, old);
    assert_eq!(
        core.locate(c.x(), c.y()).unwrap().grid.unwrap().index,
        after.index
    );
}

#[test]
fn boundary_points_resolve_to_exactly_one_grid() {
    let ds = fixture::dataset(&Params::small());
    let pts = fixture::boundary_points(&ds, 20_000);
    let core = Core::new(ds.clone());
    let shared = checks::locate_matches_brute_force(&core, &pts, None);
    assert!(shared > 5_000, "only {shared} points on shared boundaries");
    checks::boundary_points_are_deterministic(&ds, &pts);
}

#[test]
fn locate_matches_shapely_on_10k_points() {
    let core = core();
    let ds = &core.to_dataset();
    let mut pts = checks::random_points(ds, 7_000, 3);
    pts.extend(fixture::boundary_points(ds, 3_000));
    let answers: Vec<Option<usize>> = pts
        .iter()
        .map(|&(x, y)| core.locate(x, y).unwrap().grid.map(|g| g.index))
        .collect();
    let ring = |r: &geo_types::LineString<f64>| r.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>();
    let features: Vec<_> = ds
        .grids
        .iter()
        .enumerate()
        .filter(|(_, g)| g.valid_to.is_none())
        .map(|(i, g)| {
            let polys: Vec<_> = g
                .geometry
                .0
                .iter()
                .map(|p| {
                    std::iter::once(ring(p.exterior()))
                        .chain(p.interiors().iter().map(ring))
                        .collect::<Vec<_>>()
                })
                .collect();
            json!({"type": "Feature", "properties": {"index": i},
                   "geometry": {"type": "MultiPolygon", "coordinates": polys}})
        })
        .collect();
    let doc = json!({
        "grids": {"type": "FeatureCollection", "features": features},
        "points": pts.iter().map(|p| [p.0, p.1]).collect::<Vec<_>>(),
        "answers": answers,
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("locate.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = python::run("locate_shapely.py", &[&file]);
    assert!(out.contains(" 0 mismatches"), "{out}");
}
