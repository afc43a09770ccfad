//! `onemap bench`: a quick in-process throughput check on the store's own data
//! (criterion benches in geo-core/benches are the reference figures).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use rand::{Rng, SeedableRng};

/// Measures locate and 10-nearest-camera throughput on one core.
#[allow(clippy::print_stdout)]
pub async fn run(store_path: &super::StoreLoc, queries: usize) -> anyhow::Result<ExitCode> {
    let store = super::open_store(store_path).await?;
    let core = super::load_core(store.as_ref()).await?;
    let Some(extent) = core.extent(geo_core::model::Layer::Grids) else {
        anyhow::bail!("the store has no grids to measure against");
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let points: Vec<(f64, f64)> = (0..queries.max(1))
        .map(|_| {
            (
                rng.random_range(extent.min().x..extent.max().x),
                rng.random_range(extent.min().y..extent.max().y),
            )
        })
        .collect();
    let started = Instant::now();
    let mut found = 0usize;
    for &(lon, lat) in &points {
        if black_box(core.locate(lon, lat)?).grid.is_some() {
            found += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    say!(
        "locate:            {:>12.0} lookups/s ({} points, {found} in a grid)",
        points.len() as f64 / secs,
        points.len()
    );
    let n = points.len().min(200_000);
    let started = Instant::now();
    for &(lon, lat) in &points[..n] {
        black_box(core.nearest_cameras(lon, lat, 10)?);
    }
    let secs = started.elapsed().as_secs_f64();
    say!(
        "nearest 10 cameras:{:>12.0} queries/s ({n} points)",
        n as f64 / secs
    );
    Ok(ExitCode::SUCCESS)
}
