//! The live feed: every committed write becomes a [`LiveEvent`] (its change sequence
//! number, kind, keys, dirty box, and the fresh incidents and worker positions as the map
//! draws them), broadcast to every open `/api/live` stream and kept in a ring of recent
//! events, so that a client reconnecting with `Last-Event-ID` gets exactly what it missed
//! (from the ring, or rebuilt from the store's change table when it is older).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use geo_core::access::Scope;
use geo_core::codes::GridCode;
use geo_core::index::Core;
use geo_core::model::Layer;
use geo_core::store::{Applied, ChangeKind, ChangeQuery, FeatureKey};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::error::ApiError;

/// Recent events kept for reconnecting clients.
const RING: usize = 8_192;
/// Features carried by one event at most; a bigger write (an import) carries its keys and
/// dirty box only, and clients reload what it touched.
const MAX_FEATURES: usize = 5_000;
/// Keys listed by one event at most.
const MAX_KEYS: usize = 1_000;

/// A worker's new position, as the live map moves it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerMove {
    /// Worker id.
    pub id: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// When the fix was taken (RFC 3339).
    pub seen_at: Option<String>,
    /// The grids the worker serves (to cut the feed by region).
    pub grids: Vec<GridCode>,
}

/// One committed write as the live map needs it.
#[derive(Debug, Serialize)]
pub struct LiveEvent {
    /// The change sequence number (the SSE `id`).
    pub seq: u64,
    /// What kind of write (the SSE `event` name).
    pub kind: ChangeKind,
    /// When it was committed (RFC 3339).
    pub time: Option<String>,
    /// Who made it.
    pub author: String,
    /// What it was.
    pub summary: String,
    /// Layers touched.
    pub layers: Vec<Layer>,
    /// Rows written.
    pub rows: u64,
    /// The lon/lat box it touched, `[west, south, east, north]`.
    pub dirty: Option<[f64; 4]>,
    /// The features written (`layer/key`), at most [`MAX_KEYS`].
    pub keys: Vec<String>,
    /// Whether `keys` (or the features below) were cut short.
    pub truncated: bool,
    /// Incidents written, as `GeoJSON` features (no personal fields) with their grid.
    pub incidents: Vec<Value>,
    /// Workers moved.
    pub workers: Vec<WorkerMove>,
    /// Grids written (every revision of these codes may have changed).
    pub grids: Vec<GridCode>,
    /// The event as JSON, made once for every client that sees it whole.
    #[serde(skip)]
    json: OnceLock<Arc<str>>,
}

fn rfc3339(t: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(t, 0).map(|d| d.to_rfc3339())
}

impl LiveEvent {
    /// The event of change record `a`, with the features it names as `core` shows them.
    #[must_use]
    pub fn of(core: &Core, a: &Applied) -> Self {
        let keys = a.keys.as_deref().unwrap_or_default();
        let mut incidents = Vec::new();
        let mut workers = Vec::new();
        let mut grids = Vec::new();
        let mut truncated = a.keys.is_none() || keys.len() > MAX_KEYS;
        for k in keys {
            if incidents.len() + workers.len() >= MAX_FEATURES {
                truncated = true;
                break;
            }
            match k {
                FeatureKey::Incident(id) => {
                    let Some(i) = core.incident_index(*id) else {
                        continue;
                    };
                    if let Some(mut f) = core.to_feature(Layer::Incidents, i, false) {
                        let grid = core
                            .incident_grid(i)
                            .and_then(|g| core.grids().get(g))
                            .map(|g| g.code);
                        if let Some(p) = f.properties.as_mut() {
                            p.insert("grid".into(), serde_json::json!(grid));
                        }
                        if let Ok(v) = serde_json::to_value(f) {
                            incidents.push(v);
                        }
                    }
                }
                FeatureKey::Worker(id) => {
                    let Some(w) = core.worker_index(id).and_then(|i| core.workers().get(i)) else {
                        continue;
                    };
                    workers.push(WorkerMove {
                        id: w.id.0.clone(),
                        lon: w.location.x(),
                        lat: w.location.y(),
                        seen_at: rfc3339(w.seen_at),
                        grids: w.grids.clone(),
                    });
                }
                FeatureKey::Grid(code) => grids.push(*code),
                _ => {}
            }
        }
        Self {
            seq: a.seq,
            kind: a.kind,
            time: rfc3339(a.time),
            author: a.author.clone(),
            summary: a.summary.clone(),
            layers: a.layers.clone(),
            rows: a.rows,
            dirty: a
                .dirty
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
            keys: keys
                .iter()
                .take(MAX_KEYS)
                .map(ToString::to_string)
                .collect(),
            truncated,
            incidents,
            workers,
            grids,
            json: OnceLock::new(),
        }
    }

    /// The event as a caller of `scope` may see it: incidents by their grid, workers by
    /// the grids they serve, grids by code; keys of what was cut are left out (the dirty
    /// box stays: it says where to reload, not what). Unscoped callers share [`Self::json`].
    #[must_use]
    pub fn json_for(&self, scope: &Scope) -> Arc<str> {
        if scope.is_all() {
            return self.json();
        }
        let grid_in = |v: &Value| {
            v.get("properties")
                .and_then(|p| p.get("grid"))
                .and_then(Value::as_str)
                .is_some_and(|g| scope.contains_code(g))
        };
        let incidents: Vec<Value> = self
            .incidents
            .iter()
            .filter(|v| grid_in(v))
            .cloned()
            .collect();
        let workers: Vec<WorkerMove> = self
            .workers
            .iter()
            .filter(|w| w.grids.iter().any(|g| scope.contains_grid(*g)))
            .cloned()
            .collect();
        let grids: Vec<GridCode> = self
            .grids
            .iter()
            .copied()
            .filter(|g| scope.contains_grid(*g))
            .collect();
        let mut keys: Vec<String> = incidents
            .iter()
            .filter_map(|v| v.get("id").and_then(Value::as_u64))
            .map(|id| format!("incidents/{id}"))
            .collect();
        keys.extend(workers.iter().map(|w| format!("workers/{}", w.id)));
        keys.extend(grids.iter().map(|g| format!("grids/{g}")));
        let cut = Self {
            seq: self.seq,
            kind: self.kind,
            time: self.time.clone(),
            author: self.author.clone(),
            summary: self.summary.clone(),
            layers: self.layers.clone(),
            rows: self.rows,
            dirty: self.dirty,
            keys,
            truncated: self.truncated,
            incidents,
            workers,
            grids,
            json: OnceLock::new(),
        };
        cut.json()
    }

    /// The event as JSON.
    #[must_use]
    pub fn json(&self) -> Arc<str> {
        Arc::clone(self.json.get_or_init(|| {
            serde_json::to_string(self).map_or_else(|_| Arc::from("{}"), Arc::from)
        }))
    }
}

/// The broadcast of new events and the ring of recent ones.
pub struct LiveFeed {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    recent: Mutex<VecDeque<Arc<LiveEvent>>>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveFeed {
    /// An empty feed.
    #[must_use]
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1_024);
        Self {
            tx,
            recent: Mutex::new(VecDeque::with_capacity(RING)),
        }
    }

    /// Announces a committed write (called in commit order, under the write lock).
    pub fn announce(&self, core: &Core, applied: &Applied) {
        let event = Arc::new(LiveEvent::of(core, applied));
        if let Ok(mut ring) = self.recent.lock() {
            if ring.len() == RING {
                ring.pop_front();
            }
            ring.push_back(Arc::clone(&event));
        }
        // No subscriber is not an error.
        let _ = self.tx.send(event);
    }

    /// Clients subscribed now (each `/api/live` stream holds one receiver).
    #[must_use]
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// A receiver of every event announced from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    /// The events after `seq` from the ring, if the ring still holds all of them (or there
    /// are none); `None` when some are older than the ring.
    #[must_use]
    pub fn recent_since(&self, seq: u64) -> Option<Vec<Arc<LiveEvent>>> {
        let ring = self.recent.lock().ok()?;
        match ring.front() {
            // The ring starts right after `seq` or before it: complete.
            Some(first) if first.seq <= seq + 1 => {
                Some(ring.iter().filter(|e| e.seq > seq).cloned().collect())
            }
            Some(_) => None,
            None => Some(Vec::new()),
        }
    }
}

/// The events after `seq`, oldest first: from the ring when it reaches back that far,
/// else rebuilt from the store's change records (features as they are now).
pub async fn events_since(
    state: &crate::AppState,
    seq: u64,
    limit: usize,
) -> Result<Vec<Arc<LiveEvent>>, ApiError> {
    if let Some(mut events) = state.live().recent_since(seq) {
        // The ring ends at the last announced write, which may be behind the store only
        // while a write is being published; those come through the broadcast.
        events.truncate(limit);
        return Ok(events);
    }
    let core = state.core()?;
    let records = state
        .store()
        .changes(ChangeQuery {
            since: seq,
            limit,
            ..ChangeQuery::default()
        })
        .await?;
    Ok(records
        .iter()
        .map(|a| Arc::new(LiveEvent::of(&core, a)))
        .collect())
}
