//! The service's state: one struct behind an `Arc`, shared by every handler.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use geo_core::index::Core;
use geo_core::store::Store;

use crate::error::ApiError;

/// Everything a handler may need.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    core: RwLock<Option<Arc<Core>>>,
    web_dir: Option<PathBuf>,
    status: RwLock<String>,
}

impl AppState {
    /// State over a store; the core is installed once it has been loaded.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, web_dir: Option<PathBuf>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                core: RwLock::new(None),
                web_dir,
                status: RwLock::new("starting".to_owned()),
            }),
        }
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
        self.inner.web_dir.as_ref()
    }
}
