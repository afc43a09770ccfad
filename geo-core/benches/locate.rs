//! Point -> grid with the admin chain (`Core::locate`) on a prefecture-sized dataset.
//! SPEC target: >= 2,000,000 lookups/s on one core.
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

/// Runs `f` over `pts` `rounds` times; prints lookups/s of wall time and of CPU time.
fn timed(name: &str, pts: &[(f64, f64)], rounds: usize, f: &dyn Fn(&(f64, f64)) -> bool) {
    let cpu = cpu_seconds();
    let t = Instant::now();
    let mut n = 0usize;
    for _ in 0..rounds {
        for p in pts {
            n += usize::from(f(p));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu).map_or(f64::NAN, |(b, a)| b - a);
    let total = (pts.len() * rounds) as f64;
    eprintln!(
        "{name}: {:.0} lookups/s wall, {:.0} lookups per CPU-second ({n} answers)",
        total / secs,
        total / cpu
    );
}

fn bench(c: &mut Criterion) {
    let t = Instant::now();
    let ds = dataset();
    let built = t.elapsed();
    let t = Instant::now();
    let core = Core::new(ds);
    eprintln!(
        "dataset: {} grids, {} admin units, {} cameras, {} workers, {} grid vertices; generated in {built:.2?}, indexed in {:.2?}",
        core.data().grids.len(),
        core.data().admin.len(),
        core.data().cameras.len(),
        core.data().workers.len(),
        core.data().grids.iter().map(|g| g.geometry.0.iter().map(|p| p.exterior().0.len()).sum::<usize>()).sum::<usize>(),
        t.elapsed()
    );
    let uniform = points(core.data(), 100_000);
    let incidents = incident_points(core.data());
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
        timed("locate (grid + admin chain + workers)", pts, 20, &|p| {
            black_box(core.locate(p.0, p.1)).is_ok()
        });
        timed(
            "grid_at (bucket grid + exact point-in-polygon only)",
            pts,
            20,
            &|p| black_box(core.grid_at(p.0, p.1)).is_some(),
        );
        timed("locate + h3_res9() (the JSON's cell)", pts, 5, &|p| {
            black_box(core.locate(p.0, p.1).map(|l| l.h3_res9())).is_ok()
        });
        timed("h3 cell at res 9 only", pts, 5, &|p| {
            black_box(geo_core::h3::cell_at(p.0, p.1, 9)).is_ok()
        });
        timed(
            "locate_at (R-tree over all revisions + point-in-polygon + chain)",
            pts,
            5,
            &|p| black_box(core.locate_at(p.0, p.1, at_t)).is_ok(),
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
