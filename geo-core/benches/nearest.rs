//! 10 nearest cameras (`Core::nearest_cameras`) on a prefecture-sized dataset.
//! SPEC target: >= 500,000 queries/s on one core.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use geo_core::demo::DemoConfig;
use geo_core::index::Core;
use geo_core::model::Dataset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Incident-like query points: the demo generator's incident locations.
const INCIDENTS: usize = 100_000;

/// The benchmark's data: the real demo prefecture (5,382 grids, 59,000 cameras, 15,000
/// workers), with incidents only as query points and no patrols.
fn dataset() -> Dataset {
    let config = DemoConfig::prefecture()
        .with_incidents(INCIDENTS)
        .with_patrols(0);
    geo_core::demo::generate(&config).unwrap()
}

/// Query points where incidents happen (the generator places them inside grids).
fn incident_points(ds: &Dataset) -> Vec<(f64, f64)> {
    ds.incidents
        .iter()
        .map(|i| (i.location.x(), i.location.y()))
        .collect()
}

/// Query points over the cameras' bounding box.
fn points(ds: &Dataset, n: usize) -> Vec<(f64, f64)> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for c in &ds.cameras {
        let (x, y) = (c.location.x(), c.location.y());
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    (0..n)
        .map(|_| (rng.random_range(x0..x1), rng.random_range(y0..y1)))
        .collect()
}

/// CPU time of this thread (user + system), from /proc (clock ticks of 1/100 s): the
/// machine is shared, so wall time alone understates throughput.
#[must_use]
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn bench(c: &mut Criterion) {
    let core = Core::new(dataset());
    eprintln!(
        "dataset: {} cameras, {} workers",
        core.data().cameras.len(),
        core.data().workers.len()
    );
    let uniform = points(core.data(), 100_000);
    let incidents = incident_points(core.data());

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
            let cpu = cpu_seconds();
            let t = Instant::now();
            let mut n = 0usize;
            for _ in 0..rounds {
                for p in pts {
                    n += black_box(core.nearest_cameras(p.0, p.1, k)).map_or(0, |v| v.len());
                }
            }
            let secs = t.elapsed().as_secs_f64();
            let cpu = cpu_seconds().zip(cpu).map_or(f64::NAN, |(b, a)| b - a);
            let total = (pts.len() * rounds) as f64;
            eprintln!(
                "{what}, {} points {set}: {:.0} queries/s wall, {:.0} per CPU-second ({n} results)",
                pts.len(),
                total / secs,
                total / cpu
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
