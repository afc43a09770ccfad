//! Operations figures in the Prometheus text format at `GET /metrics` (SPEC 6): requests
//! and latency per route, tiles served from the cache or rendered (and how long rendering
//! took), the tile cache's size, core part sizes, store write latency, the change sequence
//! and this server's lag behind the store.
//!
//! What happens is counted as it happens (an atomic add: the tile hot path pays a few
//! nanoseconds, through counters fetched once at start); what describes state (cache use,
//! core sizes, sequences) is read when scraped, so it is never stale. The exporter is
//! `prometheus-client`, the Prometheus project's own Rust client. Only an admin reads it.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use geo_core::render::TileLayer;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::auth::{need, Authorized};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The media type of the text exposition (`OpenMetrics`, which Prometheus reads).
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TileLabels {
    layer: &'static str,
    cache: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LayerLabels {
    layer: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabels {
    status: String,
}

/// Seconds from 0.25 ms to about 8 s, doubling.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Counters of one tile layer, fetched once so that a tile request takes no lock.
struct TileCounters {
    hit: Counter,
    miss: Counter,
    render: Histogram,
}

/// Every figure `/metrics` exposes.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    refused: Family<RefusedLabels, Counter>,
    tiles: Vec<TileCounters>,
    tile_bytes: Counter,
    write_seconds: Histogram,
    write_groups: Histogram,
    writes_failed: Counter,
    cache_tiles: Gauge,
    cache_bytes: Gauge,
    core_features: Family<LayerLabels, Gauge>,
    incident_delta: Gauge,
    core_seq: Gauge,
    store_seq: Gauge,
    lag: Gauge,
    live_subscribers: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every figure.
    #[must_use]
    #[allow(clippy::too_many_lines)] // one registration per figure, with its help text
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("onemap");
        let requests = Family::<RequestLabels, Counter>::default();
        r.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status (tiles: see tile_requests)",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        r.register(
            "http_request_duration_seconds",
            "Time to the response's head, by route template",
            latency.clone(),
        );
        let refused = Family::<RefusedLabels, Counter>::default();
        r.register(
            "http_refused",
            "Requests refused before routing: 401 without a valid token, 429 over the rate",
            refused.clone(),
        );
        let tile_family = Family::<TileLabels, Counter>::default();
        r.register(
            "tile_requests",
            "Tile requests by layer, answered from the tile cache (hit) or rendered (miss)",
            tile_family.clone(),
        );
        let render = Family::<LayerLabels, Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        r.register(
            "tile_render_seconds",
            "Rendering time of uncached tiles, by layer",
            render.clone(),
        );
        let tiles = TileLayer::ALL
            .iter()
            .map(|l| {
                let layer = l.as_str();
                // One at a time: a family's guard held while asking it again deadlocks.
                let hit = tile_family
                    .get_or_create(&TileLabels {
                        layer,
                        cache: "hit",
                    })
                    .clone();
                let miss = tile_family
                    .get_or_create(&TileLabels {
                        layer,
                        cache: "miss",
                    })
                    .clone();
                let render = render.get_or_create(&LayerLabels { layer }).clone();
                TileCounters { hit, miss, render }
            })
            .collect();
        let tile_bytes = Counter::default();
        r.register(
            "tile_body_bytes",
            "Bytes of tile bodies sent (gzipped where the client took gzip)",
            tile_bytes.clone(),
        );
        let write_seconds = latency_buckets();
        r.register(
            "store_write_seconds",
            "Time the store took to commit one group of writes durably",
            write_seconds.clone(),
        );
        let write_groups = Histogram::new(exponential_buckets(1.0, 2.0, 7));
        r.register(
            "store_write_group_size",
            "Writes committed together in one store transaction",
            write_groups.clone(),
        );
        let writes_failed = Counter::default();
        r.register(
            "store_write_failures",
            "Groups of writes the store could not commit (each answered 503)",
            writes_failed.clone(),
        );
        let cache_tiles = Gauge::default();
        r.register(
            "tile_cache_tiles",
            "Tiles in the tile cache",
            cache_tiles.clone(),
        );
        let cache_bytes = Gauge::default();
        r.register(
            "tile_cache_bytes",
            "Bytes of tiles in the tile cache",
            cache_bytes.clone(),
        );
        let core_features = Family::<LayerLabels, Gauge>::default();
        r.register(
            "core_features",
            "Features in the in-memory core, by layer (grids: every revision)",
            core_features.clone(),
        );
        let incident_delta = Gauge::default();
        r.register(
            "core_incident_delta",
            "Incidents written since the core's last fold (kept in its delta part)",
            incident_delta.clone(),
        );
        let core_seq = Gauge::default();
        r.register(
            "core_change_sequence",
            "The last change this server's core shows",
            core_seq.clone(),
        );
        let store_seq = Gauge::default();
        r.register(
            "store_change_sequence",
            "The last change the store holds (every server's writes)",
            store_seq.clone(),
        );
        let lag = Gauge::default();
        r.register(
            "replica_lag_changes",
            "Changes the store holds that this server's core does not show yet",
            lag.clone(),
        );
        let live_subscribers = Gauge::default();
        r.register(
            "live_subscribers",
            "Clients following /api/live",
            live_subscribers.clone(),
        );
        Self {
            registry: r,
            requests,
            latency,
            refused,
            tiles,
            tile_bytes,
            write_seconds,
            write_groups,
            writes_failed,
            cache_tiles,
            cache_bytes,
            core_features,
            incident_delta,
            core_seq,
            store_seq,
            lag,
            live_subscribers,
        }
    }

    /// Counts one answered request of a route.
    pub fn observe_request(&self, route: &str, method: &str, status: StatusCode, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status: status.as_str().to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts a request refused before routing.
    pub fn observe_refused(&self, status: StatusCode) {
        self.refused
            .get_or_create(&RefusedLabels {
                status: status.as_str().to_owned(),
            })
            .inc();
    }

    fn tile_counters(&self, layer: TileLayer) -> Option<&TileCounters> {
        let i = TileLayer::ALL.iter().position(|&l| l == layer)?;
        self.tiles.get(i)
    }

    /// Counts a tile answered from the cache.
    pub fn tile_hit(&self, layer: TileLayer) {
        if let Some(c) = self.tile_counters(layer) {
            c.hit.inc();
        }
    }

    /// Counts a tile rendered, and how long rendering took.
    pub fn tile_rendered(&self, layer: TileLayer, took: Duration) {
        if let Some(c) = self.tile_counters(layer) {
            c.miss.inc();
            c.render.observe(took.as_secs_f64());
        }
    }

    /// Counts the bytes of a tile body sent.
    pub fn tile_sent(&self, bytes: usize) {
        self.tile_bytes.inc_by(bytes as u64);
    }

    /// Records one group of writes the store committed (or failed to).
    pub fn observe_write(&self, writes: usize, took: Duration, ok: bool) {
        self.write_seconds.observe(took.as_secs_f64());
        self.write_groups.observe(writes as f64);
        if !ok {
            self.writes_failed.inc();
        }
    }

    /// The exposition: state read now, then every figure encoded.
    async fn render(&self, state: &AppState) -> ApiResult<String> {
        let (tiles, bytes) = state.tiles().usage();
        self.cache_tiles.set(gauge(tiles as u64));
        self.cache_bytes.set(gauge(bytes));
        self.live_subscribers
            .set(gauge(state.live().subscribers() as u64));
        let core_seq = match state.core() {
            Ok(core) => {
                for (layer, n) in core.counts() {
                    self.core_features
                        .get_or_create(&LayerLabels { layer })
                        .set(gauge(n as u64));
                }
                self.incident_delta
                    .set(gauge(core.incident_delta_len() as u64));
                self.core_seq.set(gauge(core.seq()));
                Some(core.seq())
            }
            Err(_) => None,
        };
        // A store that cannot answer now (a database restart) leaves the last figures.
        if let Ok(store_seq) = state.store().seq().await {
            self.store_seq.set(gauge(store_seq));
            if let Some(seq) = core_seq {
                self.lag.set(gauge(store_seq.saturating_sub(seq)));
            }
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(|e| ApiError::Internal(format!("metrics encoding: {e}")))?;
        Ok(out)
    }
}

/// A count as a gauge value (saturating: no count reaches `i64::MAX`).
fn gauge(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Middleware over the routed API: counts each answer by its route template (not its
/// path: one series per route, whatever the codes in it).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics().observe_request(
        &route,
        method.as_str(),
        response.status(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`: an admin's (the figures are the whole server's, not one unit's;
/// Prometheus sends the token as `authorization` in its scrape config).
pub async fn metrics(
    State(state): State<AppState>,
    _admin: Authorized<need::Admin>,
) -> ApiResult<Response> {
    let body = state.metrics().render(&state).await?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response())
}
