//! One module per CLI command; shared start-up steps live here.

pub mod bench;
pub mod demo;
pub mod export;
pub mod import;
pub mod serve;
pub mod user;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use geo_core::demo::DemoConfig;
use geo_core::index::Core;
use geo_core::store::gpkg::GpkgStore;
use geo_core::store::{ChangeSet, Store};

/// Opens (or creates) the embedded store.
pub fn open_store(path: &Path) -> anyhow::Result<Arc<dyn Store>> {
    let store =
        GpkgStore::open(path).with_context(|| format!("cannot open store {}", path.display()))?;
    Ok(Arc::new(store))
}

/// Generates the demo dataset and writes it to the store in one transaction.
pub async fn load_demo(store: &dyn Store, config: &DemoConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = config.clone();
    let data = tokio::task::spawn_blocking(move || geo_core::demo::generate(&config))
        .await
        .context("demo generator stopped")??;
    tracing::info!(
        grids = data.grids.len(),
        cameras = data.cameras.len(),
        incidents = data.incidents.len(),
        secs = started.elapsed().as_secs_f64(),
        "demo data generated"
    );
    let started = Instant::now();
    let applied = store
        .apply(ChangeSet {
            upserts: data,
            author: "onemap demo".into(),
            summary: "load the demo dataset".into(),
            ..ChangeSet::default()
        })
        .await?;
    tracing::info!(
        rows = applied.rows,
        secs = started.elapsed().as_secs_f64(),
        "demo data written to the store"
    );
    Ok(())
}

/// Reads every layer from the store and builds the in-memory core.
pub async fn load_core(store: &dyn Store) -> anyhow::Result<Core> {
    let started = Instant::now();
    // The sequence first: a write landing during the load is then shown, never skipped.
    let seq = store.seq().await?;
    let data = store.load().await?;
    let read = started.elapsed().as_secs_f64();
    let core = tokio::task::spawn_blocking(move || Core::new(data).at_seq(seq))
        .await
        .context("index builder stopped")?;
    tracing::info!(
        read_secs = read,
        total_secs = started.elapsed().as_secs_f64(),
        "core loaded"
    );
    Ok(core)
}
