//! The checks on the demo prefecture: 5,382 grids against the 1,797 villages. The demo
//! partition is clean by construction (grids tile their village, shared edges carry the
//! same vertices), so any error finding here is a false alarm of the checks. Prints the
//! time taken (no timing assertion: the machine is shared).

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::time::Instant;

use geo_core::codes::AdminCode;
use geo_core::demo::{generate_partition, DemoConfig};
use geo_core::model::Layer;
use geo_core::validate::{check_areas, Area, ParentArea, Severity, Tolerances};

#[test]
fn demo_prefecture_grids_have_no_errors() {
    let d = generate_partition(&DemoConfig::prefecture()).unwrap();
    let codes: Vec<String> = d.grids.iter().map(|g| g.code.to_string()).collect();
    let villages: Vec<String> = d.grids.iter().map(|g| g.village.to_string()).collect();
    let areas: Vec<Area<'_>> = d
        .grids
        .iter()
        .enumerate()
        .map(|(i, g)| Area {
            index: i,
            code: &codes[i],
            name: Some(&g.name),
            parent: Some(&villages[i]),
            geometry: &g.geometry,
        })
        .collect();
    let vcodes: Vec<(String, usize)> = d
        .admin
        .iter()
        .enumerate()
        .filter(|(_, u)| matches!(u.code, AdminCode::Village(_)))
        .map(|(i, u)| (u.code.to_string(), i))
        .collect();
    let parents: Vec<ParentArea<'_>> = vcodes
        .iter()
        .map(|(c, i)| ParentArea {
            code: c,
            geometry: &d.admin[*i].geometry,
        })
        .collect();
    assert_eq!((areas.len(), parents.len()), (5_382, 1_797));
    let tol = Tolerances::default();
    let mut best = f64::INFINITY;
    let mut findings = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        findings = check_areas(Layer::Grids, &areas, &parents, &tol);
        best = best.min(t.elapsed().as_secs_f64());
    }
    eprintln!(
        "validate: 5,382 grids against 1,797 villages, all checks: {:.3} s (best of 3, {} cores, test profile)",
        best,
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    let mut by: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for f in &findings {
        *by.entry((format!("{:?}", f.severity), f.check.as_str()))
            .or_default() += 1;
    }
    eprintln!("findings by severity and check: {by:?}");
    for f in findings.iter().take(20) {
        eprintln!("  {f}");
    }
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {}",
        errors.len(),
        errors[0]
    );

    // Without villages: gaps are holes in the union of all grids.
    let t = Instant::now();
    let findings = check_areas(Layer::Grids, &areas, &[], &tol);
    eprintln!(
        "validate: 5,382 grids without villages (gaps from the union): {:.3} s, {} findings",
        t.elapsed().as_secs_f64(),
        findings.len()
    );
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn demo_admin_units_of_all_levels_in_one_file_have_no_errors() {
    // Prefecture, counties, townships and villages together, no parents given: units are
    // compared only with their own level, and each is checked against its parent in the file.
    let d = generate_partition(&DemoConfig::prefecture()).unwrap();
    let codes: Vec<String> = d.admin.iter().map(|u| u.code.to_string()).collect();
    let areas: Vec<Area<'_>> = d
        .admin
        .iter()
        .enumerate()
        .map(|(i, u)| Area {
            index: i,
            code: &codes[i],
            name: Some(&u.name),
            parent: None,
            geometry: &u.geometry,
        })
        .collect();
    let t = Instant::now();
    let findings = check_areas(Layer::Admin, &areas, &[], &Tolerances::default());
    eprintln!(
        "validate: {} admin units of 4 levels: {:.3} s, {} findings",
        areas.len(),
        t.elapsed().as_secs_f64(),
        findings.len()
    );
    for f in findings.iter().take(20) {
        eprintln!("  {f}");
    }
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {}",
        errors.len(),
        errors[0]
    );
}

/// The misfit cleaning must leave a coverage that fits alone, however close its meandering
/// boundaries pass each other (a narrow neck of a grid, two bends of a river a few
/// decimetres apart): nothing moves, nothing is inserted, against the villages too.
#[test]
fn cleaning_leaves_meandering_grids_that_fit_as_they_are() {
    use geo_core::validate::clean_coverage_against;
    let d = generate_partition(
        &DemoConfig::county_sample()
            .with_grids(700)
            .with_edge_vertices(100),
    )
    .unwrap();
    let villages: Vec<_> = d
        .admin
        .iter()
        .filter(|u| matches!(u.code, AdminCode::Village(_)))
        .map(|u| &u.geometry)
        .collect();
    let drawn: Vec<_> = d.grids.iter().map(|g| g.geometry.clone()).collect();
    let vertices: usize = drawn
        .iter()
        .flat_map(|m| &m.0)
        .map(|p| p.exterior().0.len())
        .sum();
    assert!(vertices > 100 * drawn.len(), "{vertices} vertices");
    for fixed in [Vec::new(), villages] {
        let mut geoms = drawn.clone();
        let done = clean_coverage_against(&mut geoms, &fixed, 0.5);
        assert_eq!(
            (done.features, done.moved, done.inserted, done.kept.len()),
            (0, 0, 0, 0),
            "{done:?}"
        );
        assert!(geoms == drawn);
    }
}
