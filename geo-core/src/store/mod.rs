//! The durable truth behind the in-memory core. One [`Store`] trait, implemented by the
//! embedded GeoPackage store (default) and, later, the PostGIS store.

pub mod gpkg;

pub use gpkg::GpkgStore;

use async_trait::async_trait;
use geo_types::Rect;

use crate::model::{Dataset, IncidentDetails, IncidentId, Layer};
use crate::Result;

/// A feature's key in its layer, for deletes and change reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeatureKey {
    /// Admin unit by code.
    Admin(crate::codes::AdminCode),
    /// Every revision of a grid.
    Grid(crate::codes::GridCode),
    /// Camera by GB/T 28181 id.
    Camera(crate::codes::CameraId),
    /// Incident by id.
    Incident(IncidentId),
    /// Patrol track by id.
    Patrol(crate::model::PatrolId),
    /// Worker by id.
    Worker(crate::model::WorkerId),
    /// Center by code.
    Center(crate::codes::AdminCode),
}

/// One all-or-nothing write: features to insert or replace (matched by key) and keys to delete.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// Features to insert, or to replace when their key exists. Grids match on
    /// (code, revision); incidents carry their details in `incident_details` (or none).
    pub upserts: Dataset,
    /// Features to delete.
    pub deletes: Vec<FeatureKey>,
    /// Who made the change (for the audit log).
    pub author: String,
    /// What the change is, in a few words (for the audit log).
    pub summary: String,
}

/// What a committed write changed, so that indexes and tile caches update from one place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// The store's change sequence number after this write.
    pub seq: u64,
    /// Layers touched.
    pub layers: Vec<Layer>,
    /// Rows written or deleted.
    pub rows: u64,
    /// Bounding box (lon/lat) of everything written or deleted, old and new geometry.
    pub dirty: Option<Rect<f64>>,
}

/// The operations onemap needs from durable storage.
///
/// A write is acknowledged (returns `Ok`) only once it is on disk; a failed write changes
/// nothing.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the store holds no features at all (a fresh store gets the demo data).
    async fn is_empty(&self) -> Result<bool>;

    /// Reads every layer for the in-memory core; incident details are left out.
    async fn load(&self) -> Result<Dataset>;

    /// Reads one layer (incidents without details): exports, and the context of an import.
    async fn load_layer(&self, layer: Layer) -> Result<Dataset>;

    /// Writes a change set in one transaction.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied>;

    /// One incident's personal and free-text details.
    async fn incident_details(&self, id: IncidentId) -> Result<Option<IncidentDetails>>;

    /// Feature count of one layer (current and past grid revisions included).
    async fn count(&self, layer: Layer) -> Result<u64>;

    /// Runs the store's own integrity check; `Err(Corrupt)` if it fails.
    async fn check_integrity(&self) -> Result<()>;
}
