//! H3 cells from h3o against the Python `h3` package (v4), and the per-cell counts.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::fixture::{self, Params};
use common::{checks, python};
use geo_core::h3::{cell_at, CellFilter, Resolution};
use geo_core::index::Core;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

#[test]
fn cells_match_python_h3_on_10k_points() {
    let ds = fixture::dataset(&Params::small());
    let mut pts = checks::random_points(&ds, 6_000, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..3_990 {
        pts.push((
            rng.random_range(-180.0..=180.0),
            rng.random_range(-90.0..=90.0),
        ));
    }
    pts.extend([
        (180.0, 0.0),
        (-180.0, 0.0),
        (0.0, 90.0),
        (0.0, -90.0),
        (0.0, 0.0),
        (180.0, 90.0),
        (-180.0, -90.0),
        (109.5, 28.0),
        (-0.0, -0.0),
        (1e-300, -1e-300),
    ]);
    let resolutions = [0u8, 3, 5, 7, 9, 11, 13, 15];
    let cells: BTreeMap<String, Vec<String>> = resolutions
        .iter()
        .map(|&r| {
            (
                r.to_string(),
                pts.iter()
                    .map(|&(x, y)| cell_at(x, y, r).unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    // Hexagon outlines (the heatmap's polygons) at the heatmap's resolutions.
    let boundaries: BTreeMap<String, Vec<[f64; 2]>> = pts
        .iter()
        .take(2_000)
        .enumerate()
        .map(|(i, &(x, y))| {
            let cell = cell_at(x, y, (i % 10) as u8).unwrap();
            let ring = cell.boundary().iter().map(|v| [v.lng(), v.lat()]).collect();
            (cell.to_string(), ring)
        })
        .collect();
    let doc = json!({
        "points": pts.iter().map(|p| [p.0, p.1]).collect::<Vec<_>>(),
        "cells": cells,
        "boundaries": boundaries,
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h3.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = python::run("h3_cells.py", &[&file]);
    assert!(out.contains(" 0 mismatches"), "{out}");
}

#[test]
fn core_cells_and_counts_match_recomputation() {
    let core = Core::new(fixture::dataset(&Params::small()));
    let ds = &core.to_dataset();
    for (i, inc) in ds.incidents.iter().enumerate() {
        assert_eq!(
            core.incident_cell(i),
            cell_at(inc.location.x(), inc.location.y(), 9).ok()
        );
    }
    for (i, c) in ds.cameras.iter().enumerate() {
        assert_eq!(
            core.camera_cell(i),
            cell_at(c.location.x(), c.location.y(), 9).ok()
        );
    }
    assert_eq!(core.incidents().count(), ds.incidents.len());
}

/// Every cell's count, at every resolution the heatmap and clusters use, is the number of
/// incidents the `h3` package's `latlng_to_cell` puts in it (not the incidents whose
/// resolution-9 cell descends from it), for the built part and for fresh reports alike.
#[test]
fn cell_counts_match_python_h3_at_every_resolution() {
    let mut ds = fixture::dataset(&Params::small());
    // Half of the incidents arrive after the core is built: they sit in its delta.
    let fresh = ds.incidents.split_off(ds.incidents.len() / 2);
    let core = Core::new(ds.clone());
    let mut changes = geo_core::store::ChangeSet::new(
        geo_core::store::ChangeKind::Report,
        "test",
        "fresh incidents",
    );
    let mut all = ds.incidents.clone();
    for inc in &fresh {
        changes.upserts.incidents.push(inc.clone());
        all.push(inc.clone());
    }
    let core = core.apply(&changes);
    let points: Vec<[f64; 2]> = all
        .iter()
        .map(|i| [i.location.x(), i.location.y()])
        .collect();
    let resolutions: Vec<u8> = (0..=9).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.json");
    std::fs::write(
        &file,
        json!({ "points": points, "resolutions": resolutions }).to_string(),
    )
    .unwrap();
    let out = python::run("h3_counts.py", &[&file]);
    let want: BTreeMap<String, BTreeMap<String, u32>> = serde_json::from_str(&out).unwrap();
    let mut differ_from_parent = 0;
    for (res, cells) in &want {
        let r: u8 = res.parse().unwrap();
        let mut total = 0;
        for (cell, n) in cells {
            let cell: geo_core::h3::CellIndex = cell.parse().unwrap();
            assert_eq!(
                core.incident_count(cell, &CellFilter::default()),
                *n,
                "{cell} at resolution {r}"
            );
            total += n;
        }
        assert_eq!(total as usize, all.len());
        // The reference really differs from counting resolution-9 descendants here.
        let res = Resolution::try_from(r).unwrap();
        differ_from_parent += all
            .iter()
            .filter(|i| {
                let (x, y) = (i.location.x(), i.location.y());
                cell_at(x, y, 9).unwrap().parent(res) != Some(cell_at(x, y, r).unwrap())
            })
            .count();
    }
    assert!(differ_from_parent > 0);
}

#[test]
fn ram_per_incident_is_within_budget() {
    // SPEC: <= 200 bytes of RAM per incident, record and indexes together.
    let mut ds = fixture::dataset(&Params::small());
    let with = Core::new(ds.clone()).index_heap_bytes();
    let n = ds.incidents.len();
    ds.incidents.clear();
    let without = Core::new(ds).index_heap_bytes();
    let per = std::mem::size_of::<geo_core::model::Incident>() + (with - without) / n;
    eprintln!(
        "RAM per incident: {per} bytes ({} record + {} index)",
        std::mem::size_of::<geo_core::model::Incident>(),
        (with - without) / n
    );
    assert!(per <= 200, "{per} bytes per incident");
}
