//! Label points (where a grid's or admin unit's name is drawn): every one lies inside its
//! polygon, checked by shapely (`tests/py/label_inside.py`), by `geo`'s `Contains` and, for
//! grids, by the core's own point -> grid lookup; a concave grid of the kind outside tools
//! make (a U whose centroid lies outside it) included; and an edit moves the point with the
//! outline.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::python;
use geo::{BooleanOps, BoundingRect, Centroid, Contains};
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::{label_point, Core};
use geo_core::model::{Dataset, Grid};
use geo_core::store::{ChangeKind, ChangeSet};
use geo_types::{coord, Coord, MultiPolygon, Point, Rect};
use serde_json::json;

fn data() -> Dataset {
    let cfg = DemoConfig::prefecture()
        .with_counties(1)
        .with_grids(300)
        .with_incidents(1_000)
        .with_cameras(100)
        .with_workers(50)
        .with_patrols(5)
        .with_points_per_patrol(10);
    generate(&cfg).unwrap()
}

/// `grid` with a notch cut from its top edge down past its centroid: a U, as drawn by hand
/// in another GIS, whose centroid lies in the notch. `None` if the cut does not give that.
fn u_shaped(grid: &MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
    let b = grid.bounding_rect()?;
    let c = grid.centroid()?;
    let w = b.width();
    let notch = Rect::new(
        coord! { x: c.x() - 0.15 * w, y: c.y() - 0.15 * b.height() },
        coord! { x: c.x() + 0.15 * w, y: b.max().y + 1.0 },
    )
    .to_polygon();
    let u = grid.difference(&MultiPolygon(vec![notch]));
    let inside = u.centroid().is_some_and(|c| u.contains(&c));
    (u.0.len() == 1 && !inside).then_some(u)
}

/// The label of every feature, for shapely.
fn shapely_check(features: &[(String, &MultiPolygon<f64>, Coord<f64>)]) -> String {
    let ring = |r: &geo_types::LineString<f64>| r.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>();
    let features: Vec<_> = features
        .iter()
        .map(|(id, g, p)| {
            let polys: Vec<_> =
                g.0.iter()
                    .map(|p| {
                        std::iter::once(ring(p.exterior()))
                            .chain(p.interiors().iter().map(ring))
                            .collect::<Vec<_>>()
                    })
                    .collect();
            json!({"id": id, "label": [p.x, p.y],
                   "geometry": {"type": "MultiPolygon", "coordinates": polys}})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("labels.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({ "features": features })).unwrap(),
    )
    .unwrap();
    python::run("label_inside.py", &[&file])
}

#[test]
fn every_label_point_lies_inside_its_polygon() {
    let mut ds = data();
    // Concave grids as another tool draws them, replacing demo grids in place (their
    // neighbours keep their outlines: the U is a subset of the grid it replaces).
    let mut made = 0;
    for g in ds.grids.iter_mut().step_by(7) {
        if let Some(u) = u_shaped(&g.geometry) {
            g.geometry = u;
            made += 1;
        }
    }
    assert!(made >= 10, "only {made} U-shaped grids");
    let core = Core::new(ds);

    let mut features = Vec::new();
    for (i, g) in core.grids().iter().enumerate() {
        let p = core
            .grid_label(i)
            .unwrap_or_else(|| panic!("grid {} has no label", g.code));
        assert!(g.geometry.contains(&Point(p)), "grid {}: {p:?}", g.code);
        // The core's own point-in-polygon finds the grid at its label point.
        assert_eq!(core.grid_at(p.x, p.y), Some(i), "grid {}: {p:?}", g.code);
        features.push((g.code.to_string(), &g.geometry, p));
    }
    for (i, a) in core.admin().iter().enumerate() {
        let p = core
            .admin_label(i)
            .unwrap_or_else(|| panic!("unit {} has no label", a.code));
        assert!(a.geometry.contains(&Point(p)), "unit {}: {p:?}", a.code);
        features.push((a.code.to_string(), &a.geometry, p));
    }
    let out = shapely_check(&features);
    assert!(out.contains(" 0 outside"), "{out}");
    // The fixture does what it says: shapely finds the U-shaped grids' centroids outside.
    let centroids_outside: usize = out
        .split(" centroids outside")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(centroids_outside >= made, "{out}");
}

#[test]
fn a_u_shaped_redraw_moves_the_label_inside_the_new_outline() {
    let ds = data();
    let mut core = Core::new(ds.clone());
    let (index, g, u) = ds
        .grids
        .iter()
        .enumerate()
        .find_map(|(i, g)| u_shaped(&g.geometry).map(|u| (i, g.clone(), u)))
        .unwrap();
    let before = core.grid_label(index).unwrap();
    let centroid = u.centroid().unwrap();
    // The old label (near the middle) falls in the notch.
    let at = g.valid_from + 1_000;
    let mut ended = g.clone();
    ended.valid_to = Some(at);
    let redrawn = Grid {
        revision: g.revision + 1,
        valid_from: at,
        geometry: u.clone(),
        ..g.clone()
    };
    let mut change = ChangeSet::new(ChangeKind::Edit, "t", "redraw as a U");
    change.upserts.grids = vec![ended, redrawn];
    core = core.apply(&change);
    let new = core.grid_revision(g.code, g.revision + 1).unwrap();
    let p = core.grid_label(new).unwrap();
    assert!(u.contains(&Point(p)), "{p:?}");
    assert!(
        !u.contains(&centroid),
        "the U's centroid must lie outside it"
    );
    assert_eq!(core.grid_at(p.x, p.y), Some(new));
    // The ended revision keeps the point of its own outline.
    assert_eq!(core.grid_label(index), Some(before));
    assert!(g.geometry.contains(&Point(before)));
    // The same point as computed alone.
    assert_eq!(label_point(&u), Some(p));
}

/// What computing every label point costs on the full demo prefecture (prints, never
/// asserts): `cargo test --release -p geo-core --test core_labels -- --ignored --nocapture`.
#[test]
#[ignore = "timing: run by hand"]
#[allow(clippy::print_stdout)]
fn label_point_cost_on_the_demo_prefecture() {
    let core = Core::new(generate(&DemoConfig::prefecture()).unwrap());
    let time = |what: &str, n: usize, f: &dyn Fn(usize) -> Option<Coord<f64>>| {
        let t = std::time::Instant::now();
        let mut worst = (std::time::Duration::ZERO, 0);
        for i in 0..n {
            let one = std::time::Instant::now();
            assert!(f(i).is_some());
            worst = worst.max((one.elapsed(), i));
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{what}: {n} in {:.0} ms, {:.1} us each, worst {:.2} ms (#{})",
            secs * 1e3,
            secs * 1e6 / n as f64,
            worst.0.as_secs_f64() * 1e3,
            worst.1
        );
    };
    time("grids", core.grids().len(), &|i| core.grid_label(i));
    time("admin units", core.admin().len(), &|i| core.admin_label(i));
}
