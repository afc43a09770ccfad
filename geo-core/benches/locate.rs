//! Point -> grid with the admin chain (`Core::locate`) on a prefecture-sized dataset.
//! SPEC target: >= 2,000,000 lookups/s on one core.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/fixture.rs"]
mod fixture;

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use geo_core::index::Core;
use geo_core::model::Dataset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The benchmark's data: swap in the real demo generator here.
fn dataset() -> Dataset {
    fixture::dataset(&fixture::Params::prefecture())
}

/// Query points spread over the dataset's grids (their bounding box).
fn points(ds: &Dataset, n: usize) -> Vec<(f64, f64)> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for g in &ds.grids {
        for c in g.geometry.0.iter().flat_map(|p| p.exterior().0.iter()) {
            (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(9);
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
    let t = Instant::now();
    let ds = dataset();
    let built = t.elapsed();
    let t = Instant::now();
    let core = Core::new(ds);
    eprintln!(
        "dataset: {} grids, {} admin units, {} vertices; generated in {built:.2?}, indexed in {:.2?}",
        core.data().grids.len(),
        core.data().admin.len(),
        core.data().grids.iter().map(|g| g.geometry.0.iter().map(|p| p.exterior().0.len()).sum::<usize>()).sum::<usize>(),
        t.elapsed()
    );
    let pts = points(core.data(), 100_000);
    let hits = pts
        .iter()
        .filter(|p| core.grid_at(p.0, p.1).is_some())
        .count();
    eprintln!("{hits} of {} points fall in a grid", pts.len());

    // Plain timed loops, for lookups/s figures independent of criterion's reporting.
    let at_t = geo_core::model::UnixTime::MAX;
    let inside: std::collections::HashSet<(u64, u64)> = pts
        .iter()
        .filter(|p| core.grid_at(p.0, p.1).is_some())
        .map(|p| (p.0.to_bits(), p.1.to_bits()))
        .collect();
    for (name, f) in [
        (
            "locate (grid + admin chain + workers + h3)",
            &(|p: &(f64, f64)| black_box(core.locate(p.0, p.1)).is_ok())
                as &dyn Fn(&(f64, f64)) -> bool,
        ),
        (
            "grid_at (bucket grid + exact point-in-polygon only)",
            &|p: &(f64, f64)| black_box(core.grid_at(p.0, p.1)).is_some(),
        ),
        ("grid_at + h3 cell (no answer assembly)", &|p: &(
            f64,
            f64,
        )| {
            black_box(core.grid_at(p.0, p.1)).is_some()
                & black_box(geo_core::h3::cell_at(p.0, p.1, 9)).is_ok()
        }),
        ("locate, points inside grids only", &|p: &(f64, f64)| {
            inside.contains(&(p.0.to_bits(), p.1.to_bits()))
                && black_box(core.locate(p.0, p.1)).is_ok()
        }),
        ("h3 cell at res 9 only", &|p: &(f64, f64)| {
            black_box(geo_core::h3::cell_at(p.0, p.1, 9)).is_ok()
        }),
        (
            "locate_at (R-tree over all revisions + point-in-polygon + chain)",
            &|p: &(f64, f64)| black_box(core.locate_at(p.0, p.1, at_t)).is_ok(),
        ),
    ] {
        let cpu = cpu_seconds();
        let t = Instant::now();
        let mut n = 0usize;
        for _ in 0..10 {
            for p in &pts {
                n += usize::from(f(p));
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds().zip(cpu).map_or(f64::NAN, |(b, a)| b - a);
        let total = (pts.len() * 10) as f64;
        eprintln!(
            "{name}: {:.0} lookups/s wall, {:.0} lookups per CPU-second ({n} answers)",
            total / secs,
            total / cpu
        );
    }

    let mut g = c.benchmark_group("locate");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.bench_function("locate_100k", |b| {
        b.iter(|| {
            for p in &pts {
                black_box(core.locate(p.0, p.1).ok());
            }
        });
    });
    g.bench_function("grid_at_100k", |b| {
        b.iter(|| {
            for p in &pts {
                black_box(core.grid_at(p.0, p.1));
            }
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
