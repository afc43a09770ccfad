//! One module per CLI command; shared start-up steps live here.

pub mod bench;
pub mod demo;
pub mod export;
pub mod import;
pub mod migrate;
pub mod serve;
pub mod user;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use geo_core::demo::DemoConfig;
use geo_core::index::Core;
use geo_core::store::gpkg::GpkgStore;
use geo_core::store::{ChangeSet, Store};

/// Where the data lives: a GeoPackage file or a PostgreSQL database.
#[derive(Debug, Clone)]
pub enum StoreLoc {
    /// The embedded store.
    File(PathBuf),
    /// The PostGIS store at this URL.
    Postgres(String),
}

impl StoreLoc {
    /// Whether there is a store to read (a database always is: it is created on open).
    pub fn exists(&self) -> bool {
        match self {
            StoreLoc::File(p) => p.exists(),
            StoreLoc::Postgres(_) => true,
        }
    }
}

impl std::fmt::Display for StoreLoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLoc::File(p) => write!(f, "{}", p.display()),
            // The URL may hold a password: shown without it.
            StoreLoc::Postgres(url) => {
                let shown = url.rsplit_once('@').map_or(url.as_str(), |(_, host)| host);
                write!(f, "PostgreSQL {shown}")
            }
        }
    }
}

/// Opens (or creates) the store.
pub async fn open_store(loc: &StoreLoc) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match loc {
        StoreLoc::File(path) => Arc::new(
            GpkgStore::open(path)
                .with_context(|| format!("cannot open store {}", path.display()))?,
        ),
        StoreLoc::Postgres(url) => Arc::new(
            geo_core::store::PostgisStore::open(url)
                .await
                .with_context(|| format!("cannot open store {loc}"))?,
        ),
    })
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
            kind: geo_core::store::ChangeKind::Demo,
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

/// Whether the store holds the generated demo data: its first change loaded it.
pub async fn holds_demo(store: &dyn Store) -> anyhow::Result<bool> {
    let first = store
        .changes(geo_core::store::ChangeQuery {
            limit: 1,
            ..Default::default()
        })
        .await?;
    Ok(first
        .first()
        .is_some_and(|c| c.kind == geo_core::store::ChangeKind::Demo))
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
