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

/// A core and how it was made.
pub struct Loaded {
    /// The core, showing the store's changes up to its sequence.
    pub core: Core,
    /// The change the snapshot showed, when the core came from it (with the store's later
    /// changes replayed onto it); `None` when it was built from the store.
    pub snapshot_seq: Option<u64>,
}

/// The core from the snapshot at `snapshot` when it fits the store (same store, a sequence
/// the store has reached, the changes after it replayable, the same feature counts once
/// they are replayed), else from the store.
pub async fn load_core_with_snapshot(
    store: &dyn Store,
    snapshot: &std::path::Path,
) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let Some(identity) = store_identity(store).await? else {
        return Ok(Loaded {
            core: load_core(store).await?,
            snapshot_seq: None,
        });
    };
    match from_snapshot(store, snapshot, identity).await {
        Ok((core, shown)) => {
            tracing::info!(
                snapshot = %snapshot.display(),
                snapshot_seq = shown,
                seq = core.seq(),
                total_secs = started.elapsed().as_secs_f64(),
                "core loaded from its snapshot"
            );
            Ok(Loaded {
                core,
                snapshot_seq: Some(shown),
            })
        }
        Err(why) => {
            tracing::info!("core snapshot not used: {why:#}");
            Ok(Loaded {
                core: load_core(store).await?,
                snapshot_seq: None,
            })
        }
    }
}

/// At most this many features named by the changes after a snapshot are replayed onto it;
/// beyond, reading the store is as quick.
const REPLAY_KEYS: usize = 200_000;

async fn from_snapshot(
    store: &dyn Store,
    path: &std::path::Path,
    identity: String,
) -> anyhow::Result<(Core, u64)> {
    let seq = store.seq().await?;
    let header = geo_core::index::read_snapshot_header(path)?;
    anyhow::ensure!(
        header.seq <= seq,
        "the snapshot shows change {} but the store ends at {seq} (a store restored from a backup?)",
        header.seq
    );
    let owned = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || Core::read_snapshot(&owned, &identity));
    // The store counts its rows meanwhile (a second of SQL at province scale).
    let counts = async {
        let mut counts: Vec<(geo_core::model::Layer, u64)> = Vec::new();
        for layer in geo_core::model::Layer::ALL {
            counts.push((layer, store.count(layer).await?));
        }
        Ok::<_, geo_core::Error>(counts)
    };
    let (core, stored) = tokio::join!(read, counts);
    let core = core.context("snapshot reader stopped")??;
    let (core, stored) = (replay(store, core).await?, stored?);
    // Counted before the replay read the changes: a write meanwhile (another server on the
    // same database) makes them differ, and the store is read instead; never a wrong core.
    let shown = core.counts();
    for (layer, stored) in stored {
        let shown = shown.get(layer.as_str()).copied().unwrap_or(0) as u64;
        anyhow::ensure!(
            stored == shown,
            "{stored} {layer} in the store, {shown} in the snapshot"
        );
    }
    Ok((core, header.seq))
}

/// `core` with the store's changes after its sequence applied, as a replica follows them.
async fn replay(store: &dyn Store, core: Core) -> anyhow::Result<Core> {
    let mut since = core.seq();
    let mut keys = Vec::new();
    let mut last = since;
    loop {
        let page = store
            .changes(geo_core::store::ChangeQuery {
                since,
                limit: 1000,
                ..Default::default()
            })
            .await?;
        let Some(end) = page.last().map(|r| r.seq) else {
            break;
        };
        for record in page {
            let named = record.keys.with_context(|| {
                format!(
                    "change {} ({}) names no features to replay",
                    record.seq,
                    record.kind.as_str()
                )
            })?;
            keys.extend(named);
            anyhow::ensure!(
                keys.len() <= REPLAY_KEYS,
                "more than {REPLAY_KEYS} features changed since the snapshot"
            );
        }
        since = end;
        last = end;
    }
    if keys.is_empty() {
        return Ok(core);
    }
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    let replayed = keys.len();
    let changes = geo_core::store::changes_for(
        store,
        ChangeSet::new(
            geo_core::store::ChangeKind::Import,
            "replay",
            "changes after the snapshot",
        ),
        keys,
    )
    .await?;
    let core = tokio::task::spawn_blocking(move || core.apply(&changes).at_seq(last))
        .await
        .context("replay stopped")?;
    tracing::info!(
        features = replayed,
        seq = last,
        "changes after the snapshot replayed"
    );
    Ok(core)
}

/// A store's identity for its snapshot: its first change (number, time, kind). A store
/// made again, or another store at the same place, has another. `None`: an empty store.
pub async fn store_identity(store: &dyn Store) -> anyhow::Result<Option<String>> {
    let first = store
        .changes(geo_core::store::ChangeQuery {
            limit: 1,
            ..Default::default()
        })
        .await?;
    Ok(first
        .first()
        .map(|c| format!("{}@{} {}", c.seq, c.time, c.kind.as_str())))
}

/// Where the core snapshot of a store lives unless `serve --snapshot` says: beside a
/// GeoPackage (`FILE.core`); for a database, in the user's cache folder, one per database.
#[must_use]
pub fn default_snapshot(loc: &StoreLoc) -> Option<PathBuf> {
    match loc {
        StoreLoc::File(path) => {
            let mut name = path.file_name()?.to_os_string();
            name.push(".core");
            Some(path.with_file_name(name))
        }
        StoreLoc::Postgres(url) => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            // The host, port and database, without user or password, as a file name.
            let place = url.rsplit_once('@').map_or(url.as_str(), |(_, host)| host);
            let name: String = place
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            Some(cache.join("onemap").join(format!("{name}.core")))
        }
    }
}
