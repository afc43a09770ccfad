//! Point -> grid with the admin chain (`Core::locate`) on a prefecture-sized dataset.
//! SPEC target: >= 2,000,000 lookups/s on one core.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Instant;

use common::{dataset, incident_points, timed, uniform_points};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use geo_core::index::Core;

fn bench(c: &mut Criterion) {
    let t = Instant::now();
    let ds = dataset();
    let built = t.elapsed();
    let t = Instant::now();
    let core = Core::new(ds);
    eprintln!(
        "dataset: {} grids, {} admin units, {} cameras, {} workers, {} grid vertices; generated in {built:.2?}, indexed in {:.2?}",
        core.grids().len(),
        core.admin().len(),
        core.cameras().len(),
        core.workers().len(),
        core.grids().iter().map(|g| g.geometry.0.iter().map(|p| p.exterior().0.len()).sum::<usize>()).sum::<usize>(),
        t.elapsed()
    );
    let grid_coords = core
        .grids()
        .iter()
        .flat_map(|g| g.geometry.0.iter().flat_map(|p| p.exterior().0.iter()))
        .map(|c| (c.x, c.y));
    let uniform = uniform_points(grid_coords, 100_000, 9);
    let incidents = incident_points(&core.to_dataset());
    for (set, pts) in [
        ("uniform over the grids' extent", &uniform),
        ("at incident locations", &incidents),
    ] {
        let hits = pts
            .iter()
            .filter(|p| core.grid_at(p.0, p.1).is_some())
            .count();
        eprintln!("-- {} points {set}: {hits} fall in a grid", pts.len());
        // Plain timed loops, for lookups/s figures independent of criterion's reporting.
        let at_t = geo_core::model::UnixTime::MAX;
        timed(
            "locate (grid + admin chain + workers)",
            "lookups",
            pts,
            20,
            &|p| usize::from(black_box(core.locate(p.0, p.1)).is_ok()),
        );
        timed(
            "grid_at (bucket grid + exact point-in-polygon only)",
            "lookups",
            pts,
            20,
            &|p| usize::from(black_box(core.grid_at(p.0, p.1)).is_some()),
        );
        timed(
            "locate + h3_res9() (the JSON's cell)",
            "lookups",
            pts,
            5,
            &|p| usize::from(black_box(core.locate(p.0, p.1).map(|l| l.h3_res9())).is_ok()),
        );
        timed("h3 cell at res 9 only", "lookups", pts, 5, &|p| {
            usize::from(black_box(geo_core::h3::cell_at(p.0, p.1, 9)).is_ok())
        });
        timed(
            "locate_at (R-tree over all revisions + point-in-polygon + chain)",
            "lookups",
            pts,
            5,
            &|p| usize::from(black_box(core.locate_at(p.0, p.1, at_t)).is_ok()),
        );
    }

    let mut g = c.benchmark_group("locate");
    g.throughput(Throughput::Elements(uniform.len() as u64));
    for (set, pts) in [("uniform", &uniform), ("incidents", &incidents)] {
        g.bench_function(format!("locate_100k_{set}"), |b| {
            b.iter(|| {
                for p in pts {
                    black_box(core.locate(p.0, p.1).ok());
                }
            });
        });
        g.bench_function(format!("grid_at_100k_{set}"), |b| {
            b.iter(|| {
                for p in pts {
                    black_box(core.grid_at(p.0, p.1));
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
