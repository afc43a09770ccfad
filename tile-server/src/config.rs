//! How a service is set up: every knob `onemap serve` has, in one place.

use std::path::PathBuf;

use geo_core::model::DeadlinePolicy;

use crate::auth::AccessMode;

/// Default tile cache size: 256 MiB holds the demo prefecture's z10-z16 working set.
pub const DEFAULT_TILE_CACHE_MB: u64 = 256;

/// The service's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The web map's build, served at `/` when set.
    pub web_dir: Option<PathBuf>,
    /// Bytes of encoded tiles kept in memory (0: no cache).
    pub tile_cache_bytes: u64,
    /// A raster basemap drawn beneath the layers: an XYZ URL template such as Tianditu's
    /// Web Mercator tiles (`.../{z}/{x}/{y}...`). Unset: no basemap, no outside request.
    pub basemap_url: Option<String>,
    /// Days to closure per incident category: the deadline of a report that states none.
    pub deadlines: DeadlinePolicy,
    /// Whether anonymous callers may read (the local demo) or everyone signs in.
    pub access: AccessMode,
    /// Requests per second a signed-in user may make, sustained (0: no limit).
    pub rate_per_user: u32,
    /// Where the core snapshot is kept (read at start, rewritten as the data changes);
    /// `None`: no snapshot, every start reads the whole store.
    pub snapshot: Option<PathBuf>,
    /// How often the snapshot is rewritten while the data changes.
    pub snapshot_every: std::time::Duration,
}

/// Default time between snapshot rewrites: a restart then replays at most this much.
pub const DEFAULT_SNAPSHOT_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl Default for Config {
    fn default() -> Self {
        Self {
            web_dir: None,
            tile_cache_bytes: DEFAULT_TILE_CACHE_MB << 20,
            basemap_url: None,
            deadlines: DeadlinePolicy::default(),
            access: AccessMode::default(),
            rate_per_user: crate::auth::DEFAULT_RATE_PER_S,
            snapshot: None,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
        }
    }
}
