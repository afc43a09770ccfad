//! The service's state: one struct behind an `Arc`, shared by every handler.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use geo_core::index::Core;
use geo_core::store::{Applied, ChangeSet, Store};

use crate::config::Config;
use crate::error::ApiError;
use crate::tile_cache::TileCache;

/// Everything a handler may need.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    core: RwLock<Option<Arc<Core>>>,
    config: Config,
    tiles: TileCache,
    status: RwLock<String>,
    /// Serialises writes: store, core and cache change in one order.
    write: tokio::sync::Mutex<()>,
}

impl AppState {
    /// State over a store; the core is installed once it has been loaded.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                core: RwLock::new(None),
                tiles: TileCache::new(config.tile_cache_bytes),
                config,
                status: RwLock::new("starting".to_owned()),
                write: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The service's configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The encoded-tile cache.
    #[must_use]
    pub fn tiles(&self) -> &TileCache {
        &self.inner.tiles
    }

    /// Commits a write: the store first (acknowledged once on disk), then the core shows it
    /// and every cached tile the write touched is dropped.
    pub async fn apply(&self, changes: ChangeSet) -> Result<Applied, ApiError> {
        self.write(move |_| Ok((changes, ()))).await.map(|(a, ())| a)
    }

    /// The one write path: `build` makes the change set from the current core while no other
    /// write runs (so a check against the core, such as "is this step allowed now" or "is the
    /// edit's base revision still current", holds until the write is committed); then the
    /// store commits it, the core takes it, the touched tiles are dropped, and the reply
    /// carries the change record and whatever `build` returned.
    ///
    /// A `build` error writes nothing and is returned as is.
    pub async fn write<T: Send + 'static>(
        &self,
        build: impl FnOnce(&Core) -> Result<(ChangeSet, T), ApiError> + Send + 'static,
    ) -> Result<(Applied, T), ApiError> {
        let _one_writer = self.inner.write.lock().await;
        let core = self.core()?;
        let (changes, out) = build(&core)?;
        let applied = self.inner.store.apply(changes).await?;
        let data = self.inner.store.load().await?;
        let core = tokio::task::spawn_blocking(move || Core::new(data))
            .await
            .map_err(|e| ApiError::Internal(format!("core rebuild stopped: {e}")))?;
        // Invalidate after the swap: a tile rendered from the old core between the two
        // carries an older generation and is not stored.
        if let Ok(mut guard) = self.inner.core.write() {
            *guard = Some(Arc::new(core));
        }
        self.inner.tiles.invalidate(&applied);
        Ok((applied, out))
    }

    /// The durable store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The in-memory core, or 503 while it is loading.
    pub fn core(&self) -> Result<Arc<Core>, ApiError> {
        let guard = self
            .inner
            .core
            .read()
            .map_err(|_| ApiError::Internal("core lock poisoned".into()))?;
        guard
            .clone()
            .ok_or_else(|| ApiError::Unavailable(format!("not ready: {}", self.status())))
    }

    /// Installs a freshly built core (start-up, or after a write).
    pub fn set_core(&self, core: Core) {
        if let Ok(mut guard) = self.inner.core.write() {
            *guard = Some(Arc::new(core));
        }
        self.set_status("ready");
    }

    /// What the service is doing while not ready (loading, generating demo data...).
    #[must_use]
    pub fn status(&self) -> String {
        self.inner
            .status
            .read()
            .map_or_else(|_| "unknown".to_owned(), |s| s.clone())
    }

    /// Updates the start-up status shown by `/ready`.
    pub fn set_status(&self, status: &str) {
        if let Ok(mut s) = self.inner.status.write() {
            status.clone_into(&mut s);
        }
    }

    /// Where the web map's build lives, if it is served.
    #[must_use]
    pub fn web_dir(&self) -> Option<&PathBuf> {
        self.inner.config.web_dir.as_ref()
    }
}
