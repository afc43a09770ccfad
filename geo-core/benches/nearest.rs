//! 10 nearest cameras (`Core::nearest_cameras`) on a prefecture-sized dataset.
//! SPEC target: >= 500,000 queries/s on one core.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::hint::black_box;

use common::{dataset, incident_points, timed, uniform_points};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use geo_core::index::Core;

fn bench(c: &mut Criterion) {
    let core = Core::new(dataset());
    eprintln!(
        "dataset: {} cameras, {} workers",
        core.cameras().len(),
        core.workers().len()
    );
    let camera_coords = core
        .cameras()
        .iter()
        .map(|c| (c.location.x(), c.location.y()));
    let uniform = uniform_points(camera_coords, 100_000, 10);
    let incidents = incident_points(&core.to_dataset());

    for (set, pts) in [
        ("uniform over the cameras' extent", &uniform),
        ("at incident locations", &incidents),
    ] {
        for (what, k) in [
            ("10 nearest cameras", 10),
            ("1 nearest camera", 1),
            ("100 nearest cameras", 100),
        ] {
            let rounds = if k > 10 { 1 } else { 10 };
            timed(
                &format!("{what}, {} points {set}", pts.len()),
                "queries",
                pts,
                rounds,
                &|p| black_box(core.nearest_cameras(p.0, p.1, k)).map_or(0, |v| v.len()),
            );
        }
    }

    let mut g = c.benchmark_group("nearest");
    g.throughput(Throughput::Elements(uniform.len() as u64));
    for (set, pts) in [("uniform", &uniform), ("incidents", &incidents)] {
        g.bench_function(format!("cameras_k10_100k_{set}"), |b| {
            b.iter(|| {
                for p in pts {
                    black_box(core.nearest_cameras(p.0, p.1, 10).ok());
                }
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
