//! The spatial core on the real demo prefecture (the benchmarks' data): point -> grid and
//! nearest cameras/workers against brute force, at uniform and at incident locations.
#![allow(clippy::unwrap_used)]

mod common;

use common::checks;
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::Core;

#[test]
fn demo_prefecture_locate_and_nearest_match_brute_force() {
    let config = DemoConfig::prefecture()
        .with_incidents(1_000)
        .with_patrols(0);
    let core = Core::new(generate(&config).unwrap());
    let ds = &core.to_dataset();
    let incidents: Vec<(f64, f64)> = ds
        .incidents
        .iter()
        .map(|i| (i.location.x(), i.location.y()))
        .collect();
    let mut pts = checks::random_points(ds, 1_000, 21);
    pts.extend(&incidents);
    checks::locate_matches_brute_force(&core, &pts, None);
    // Incidents are generated inside grids: every one must be answered with a grid.
    let answered = incidents
        .iter()
        .filter(|p| core.locate(p.0, p.1).unwrap().grid.is_some())
        .count();
    assert_eq!(answered, incidents.len());
    let mut queries = checks::random_points(ds, 20, 22);
    queries.extend(incidents.iter().step_by(50));
    checks::nearest_matches_brute_force(&core, &queries, &[10, 1, 100]);
}
