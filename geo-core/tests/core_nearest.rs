//! k nearest cameras and workers against sorting every haversine distance.
#![allow(clippy::unwrap_used)]

mod common;

use common::checks;
use common::fixture::{self, Params};
use geo_core::index::Core;

#[test]
fn nearest_matches_brute_force() {
    let core = Core::new(fixture::dataset(&Params::small()));
    let mut queries = checks::random_points(&core.to_dataset(), 2_000, 6);
    // On cameras (distance 0 and exact ties) and far away.
    queries.extend(
        core.to_dataset()
            .cameras
            .iter()
            .step_by(49)
            .take(200)
            .map(|c| (c.location.x(), c.location.y())),
    );
    queries.extend([
        (0.0, 0.0),
        (-70.0, -45.0),
        (180.0, 90.0),
        (-180.0, -90.0),
        (109.0, 28.5),
    ]);
    checks::nearest_matches_brute_force(&core, &queries, &[1, 10, 0, 37, 3, 10_000]);
}
