//! The durable truth behind the in-memory core. One [`Store`] trait, implemented by the
//! embedded GeoPackage store (default) and the PostGIS store.
//!
//! Every writer (import, incident report and workflow, GPS ingest, grid edits, users, a
//! replica applying another server's change) builds one [`ChangeSet`] and hands it to
//! [`Store::apply`]; the [`Applied`] it returns is the change's record in the change table
//! (sequence number, keys, dirty box, author, origin): the audit log, the live feed's
//! cursor and what replicas catch up from.

pub mod gpkg;
pub mod postgis;

pub use gpkg::GpkgStore;
pub use postgis::PostgisStore;

use async_trait::async_trait;
use geo_types::Rect;
use serde::{Deserialize, Serialize};

use crate::access::{TokenRecord, User};
use crate::model::{Dataset, IncidentDetails, IncidentId, Layer, Step, UnixTime, WorkerId};
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

impl FeatureKey {
    /// The layer the key belongs to.
    #[must_use]
    pub const fn layer(&self) -> Layer {
        match self {
            FeatureKey::Admin(_) => Layer::Admin,
            FeatureKey::Grid(_) => Layer::Grids,
            FeatureKey::Camera(_) => Layer::Cameras,
            FeatureKey::Incident(_) => Layer::Incidents,
            FeatureKey::Patrol(_) => Layer::Patrols,
            FeatureKey::Worker(_) => Layer::Workers,
            FeatureKey::Center(_) => Layer::Centers,
        }
    }

    /// The key as written in URLs (without the layer).
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            FeatureKey::Admin(c) | FeatureKey::Center(c) => c.to_string(),
            FeatureKey::Grid(c) => c.to_string(),
            FeatureKey::Camera(c) => c.to_string(),
            FeatureKey::Incident(i) => i.0.to_string(),
            FeatureKey::Patrol(p) => p.0.to_string(),
            FeatureKey::Worker(w) => w.0.clone(),
        }
    }

    /// Parses `layer` and a key as written by [`FeatureKey::key`].
    pub fn parse(layer: Layer, key: &str) -> Result<Self> {
        let bad =
            |e: &dyn std::fmt::Display| crate::Error::Invalid(format!("{layer} key {key:?}: {e}"));
        Ok(match layer {
            Layer::Admin => FeatureKey::Admin(key.parse()?),
            Layer::Grids => FeatureKey::Grid(key.parse()?),
            Layer::Cameras => FeatureKey::Camera(key.parse()?),
            Layer::Incidents => FeatureKey::Incident(IncidentId(key.parse().map_err(|e| bad(&e))?)),
            Layer::Patrols => {
                FeatureKey::Patrol(crate::model::PatrolId(key.parse().map_err(|e| bad(&e))?))
            }
            Layer::Workers => FeatureKey::Worker(crate::model::WorkerId(key.to_owned())),
            Layer::Centers => FeatureKey::Center(key.parse()?),
        })
    }
}

impl std::fmt::Display for FeatureKey {
    /// `layer/key`, the form kept in the change table.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.layer(), self.key())
    }
}

impl std::str::FromStr for FeatureKey {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        let (layer, key) = s
            .split_once('/')
            .ok_or_else(|| crate::Error::Invalid(format!("feature key {s:?} is not layer/key")))?;
        FeatureKey::parse(layer.parse()?, key)
    }
}

impl Serialize for FeatureKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FeatureKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What kind of write a change is: the live feed's event name and the audit log's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A file import (CLI or wizard) or the demo data.
    #[default]
    Import,
    /// New incidents reported.
    Report,
    /// Incident workflow steps.
    Step,
    /// GPS positions of workers (their tracks and last positions).
    Positions,
    /// A grid boundary or attribute edit (new revisions).
    Edit,
    /// A revert to an earlier grid revision (itself new revisions).
    Revert,
    /// Users and tokens.
    Users,
    /// A store copied from another (`onemap migrate`).
    Migrate,
    /// The generated demo dataset (a store whose first change is this one holds demo data,
    /// which a local server may show without login).
    Demo,
}

impl ChangeKind {
    /// Every kind.
    pub const ALL: [ChangeKind; 9] = [
        ChangeKind::Import,
        ChangeKind::Report,
        ChangeKind::Step,
        ChangeKind::Positions,
        ChangeKind::Edit,
        ChangeKind::Revert,
        ChangeKind::Users,
        ChangeKind::Migrate,
        ChangeKind::Demo,
    ];

    /// The kind's name in the change table, the API and the live feed.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Import => "import",
            ChangeKind::Report => "report",
            ChangeKind::Step => "step",
            ChangeKind::Positions => "positions",
            ChangeKind::Edit => "edit",
            ChangeKind::Revert => "revert",
            ChangeKind::Users => "users",
            ChangeKind::Migrate => "migrate",
            ChangeKind::Demo => "demo",
        }
    }

    /// Parses the name written by [`ChangeKind::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One incident workflow step as the history keeps it (the lifecycle in the core keeps
/// only the step times).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The incident.
    pub incident: IncidentId,
    /// The step taken (the incident's status after it).
    pub step: Step,
    /// When it was taken.
    pub time: UnixTime,
    /// Who took it.
    pub author: String,
    /// The worker it was dispatched to, for `dispatched`.
    pub worker: Option<WorkerId>,
    /// Free text (reason for a send-back, postponement...).
    pub note: String,
}

/// One GPS fix of a worker, as received (the raw record behind tracks and last positions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Who.
    pub worker: WorkerId,
    /// When the fix was taken.
    pub time: UnixTime,
    /// Longitude (CGCS2000).
    pub lon: f64,
    /// Latitude (CGCS2000).
    pub lat: f64,
    /// Horizontal accuracy in metres, when the device says.
    pub accuracy_m: Option<f32>,
}

/// What a copy of a store carries besides its features and users (`onemap migrate`):
/// every workflow step, raw GPS fix and token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    /// Workflow steps, by incident, oldest first.
    pub steps: Vec<StepRecord>,
    /// Raw GPS fixes, by worker, oldest first.
    pub positions: Vec<Position>,
    /// Tokens (their hashes), by id.
    pub tokens: Vec<TokenRecord>,
}

/// One all-or-nothing write: features to insert or replace (matched by key), keys to
/// delete, and the records that go with them (workflow steps, raw GPS fixes, users and
/// tokens), with who made it and from where.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// Features to insert, or to replace when their key exists. Grids match on
    /// (code, revision); incidents carry their details in `incident_details` (or none).
    pub upserts: Dataset,
    /// Features to delete.
    pub deletes: Vec<FeatureKey>,
    /// Workflow steps to add to incidents' histories.
    pub steps: Vec<StepRecord>,
    /// Raw GPS fixes to keep (a fix already stored for that worker and time is ignored).
    pub positions: Vec<Position>,
    /// Users to create or replace (by name).
    pub users: Vec<User>,
    /// Tokens to create or replace (by id).
    pub tokens: Vec<TokenRecord>,
    /// What kind of write this is.
    pub kind: ChangeKind,
    /// Who made the change (user name, or `cli`, `demo`).
    pub author: String,
    /// Where it came from (client address, `cli`, a replica's name).
    pub origin: String,
    /// What the change is, in a few words (for the audit log).
    pub summary: String,
}

impl ChangeSet {
    /// An empty change set of `kind` by `author`.
    #[must_use]
    pub fn new(kind: ChangeKind, author: impl Into<String>, summary: impl Into<String>) -> Self {
        Self {
            kind,
            author: author.into(),
            summary: summary.into(),
            ..Self::default()
        }
    }

    /// The keys of every feature this change set writes or deletes.
    #[must_use]
    pub fn keys(&self) -> Vec<FeatureKey> {
        let d = &self.upserts;
        let mut keys: Vec<FeatureKey> = Vec::new();
        keys.extend(d.admin.iter().map(|a| FeatureKey::Admin(a.code)));
        keys.extend(d.grids.iter().map(|g| FeatureKey::Grid(g.code)));
        keys.extend(d.cameras.iter().map(|c| FeatureKey::Camera(c.id)));
        keys.extend(d.incidents.iter().map(|i| FeatureKey::Incident(i.id)));
        keys.extend(d.patrols.iter().map(|p| FeatureKey::Patrol(p.id)));
        keys.extend(d.workers.iter().map(|w| FeatureKey::Worker(w.id.clone())));
        keys.extend(d.centers.iter().map(|c| FeatureKey::Center(c.code)));
        keys.extend(self.deletes.iter().cloned());
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        keys.retain(|k| seen.insert(k.clone()));
        keys
    }
}

/// At most this many keys are kept in a change record; a bigger write (an import) records
/// its layers only, and replicas reload those layers.
pub const MAX_RECORDED_KEYS: usize = 10_000;

/// A committed write: its row in the change table. What indexes, tile caches, the live
/// feed, the audit log and replicas all update from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// The store's change sequence number of this write.
    pub seq: u64,
    /// When it was committed.
    pub time: UnixTime,
    /// What kind of write it was.
    pub kind: ChangeKind,
    /// Who made it.
    pub author: String,
    /// Where it came from.
    pub origin: String,
    /// What it was, in a few words.
    pub summary: String,
    /// Layers touched.
    pub layers: Vec<Layer>,
    /// Rows written or deleted.
    pub rows: u64,
    /// Bounding box (lon/lat) of everything written or deleted, old and new geometry.
    pub dirty: Option<Rect<f64>>,
    /// The features written or deleted; `None` when there were more than
    /// [`MAX_RECORDED_KEYS`] (the whole of `layers` is then to be reloaded).
    pub keys: Option<Vec<FeatureKey>>,
}

/// A row of the change table, as the live feed, the audit log and replicas read it.
pub type ChangeRecord = Applied;

/// `changes` completed with the store's current state of `keys`, the features a change
/// record names: what the store has is upserted, what it no longer has was deleted. How a
/// replica (or a snapshot) catches up with writes it did not make.
pub async fn changes_for(
    store: &dyn Store,
    mut changes: ChangeSet,
    keys: Vec<FeatureKey>,
) -> Result<ChangeSet> {
    changes.upserts = store.load_keys(keys.clone()).await?;
    let found: std::collections::HashSet<_> = changes.keys().into_iter().collect();
    changes.deletes = keys.into_iter().filter(|k| !found.contains(k)).collect();
    Ok(changes)
}

/// Which change records to read: after a sequence number, optionally filtered (the audit
/// log's query).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeQuery {
    /// Records with `seq > since`.
    pub since: u64,
    /// At most this many (oldest first).
    pub limit: usize,
    /// Only by this author.
    pub author: Option<String>,
    /// Only of this kind.
    pub kind: Option<ChangeKind>,
    /// Only committed at or after this time.
    pub from: Option<UnixTime>,
    /// Only committed before this time.
    pub to: Option<UnixTime>,
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

    /// Reads the features with these keys (every revision of a grid; incidents without
    /// details); keys not found are left out. Replicas apply others' changes with it.
    async fn load_keys(&self, keys: Vec<FeatureKey>) -> Result<Dataset>;

    /// Writes a change set in one transaction.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied>;

    /// Writes several change sets in one durable commit (group commit), each all or
    /// nothing on its own: one failing leaves the others written.
    async fn apply_many(&self, changes: Vec<ChangeSet>) -> Result<Vec<Result<Applied>>> {
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            out.push(self.apply(c).await);
        }
        Ok(out)
    }

    /// The sequence number of the last committed change (0 for none).
    async fn seq(&self) -> Result<u64>;

    /// Change records, oldest first.
    async fn changes(&self, query: ChangeQuery) -> Result<Vec<ChangeRecord>>;

    /// One incident's personal and free-text details.
    async fn incident_details(&self, id: IncidentId) -> Result<Option<IncidentDetails>>;

    /// One incident's workflow history, oldest step first.
    async fn incident_steps(&self, id: IncidentId) -> Result<Vec<StepRecord>>;

    /// A worker's raw GPS fixes in `[from, to)`, oldest first.
    async fn positions(
        &self,
        worker: WorkerId,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<Vec<Position>>;

    /// Every user.
    async fn users(&self) -> Result<Vec<User>>;

    /// Every workflow step, raw GPS fix and token (what a migration copies besides the
    /// features and users).
    async fn records(&self) -> Result<Records>;

    /// A token by its public id, with its user.
    async fn token(&self, id: String) -> Result<Option<(TokenRecord, User)>>;

    /// Feature count of one layer (current and past grid revisions included).
    async fn count(&self, layer: Layer) -> Result<u64>;

    /// Runs the store's own integrity check; `Err(Corrupt)` if it fails.
    async fn check_integrity(&self) -> Result<()>;

    /// Notices of changes other processes commit to the same store: the value changes
    /// (its number means nothing) whenever there may be new change records to read, also
    /// after a reconnection that may have missed some. `None` for a store no other
    /// process writes (the GeoPackage file). Each call starts its own listener.
    fn change_notices(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}
