//! What the benches share: the real demo prefecture, the two query point sets, and timed
//! loops that report wall and CPU throughput (the machine is shared).
#![allow(clippy::unwrap_used, dead_code)]

use std::time::Instant;

use geo_core::demo::DemoConfig;
use geo_core::model::Dataset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Incident-like query points: the demo generator's incident locations.
pub const INCIDENTS: usize = 100_000;

/// The benchmark's data: the real demo prefecture (5,382 grids, 59,000 cameras, 15,000
/// workers), with incidents only as query points and no patrols.
pub fn dataset() -> Dataset {
    let config = DemoConfig::prefecture()
        .with_incidents(INCIDENTS)
        .with_patrols(0);
    geo_core::demo::generate(&config).unwrap()
}

/// Query points where incidents happen (the generator places them inside grids).
pub fn incident_points(ds: &Dataset) -> Vec<(f64, f64)> {
    ds.incidents
        .iter()
        .map(|i| (i.location.x(), i.location.y()))
        .collect()
}

/// `n` seeded points uniform over the bounding box of `coords`.
pub fn uniform_points(
    coords: impl Iterator<Item = (f64, f64)>,
    n: usize,
    seed: u64,
) -> Vec<(f64, f64)> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in coords {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| (rng.random_range(x0..x1), rng.random_range(y0..y1)))
        .collect()
}

/// CPU time of this thread (user + system), from /proc (clock ticks of 1/100 s): the
/// machine is shared, so wall time alone understates throughput.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Runs `f` over `pts` `rounds` times (it returns how many answers it got) and prints
/// `unit`/s of wall time and per CPU-second.
pub fn timed(
    name: &str,
    unit: &str,
    pts: &[(f64, f64)],
    rounds: usize,
    f: &dyn Fn(&(f64, f64)) -> usize,
) {
    let cpu = cpu_seconds();
    let t = Instant::now();
    let mut n = 0usize;
    for _ in 0..rounds {
        for p in pts {
            n += f(p);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu).map_or(f64::NAN, |(b, a)| b - a);
    let total = (pts.len() * rounds) as f64;
    eprintln!(
        "{name}: {:.0} {unit}/s wall, {:.0} {unit} per CPU-second ({n} answers)",
        total / secs,
        total / cpu
    );
}
