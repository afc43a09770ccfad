//! onemap's HTTP service: routing, extraction and serialisation over `geo-core`.

pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod import_sessions;
pub mod live;
pub mod metrics;
pub mod params;
pub mod routes;
pub mod state;
pub mod tile_cache;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;

pub use config::Config;
pub use state::AppState;

/// The service's router over its state.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", get(routes::ops::root))
        .route("/health", get(routes::ops::health))
        .route("/ready", get(routes::ops::ready))
        .route("/metrics", get(metrics::metrics))
        .route("/conformance", get(routes::features::conformance))
        .route("/openapi.json", get(routes::features::openapi))
        .route(
            "/collections/{id}/queryables",
            get(routes::features::queryables),
        )
        .route("/collections", get(routes::features::collections))
        .route("/collections/{id}", get(routes::features::collection))
        .route(
            "/collections/{id}/items",
            get(routes::features::items).post(routes::edits::create_item),
        )
        .route(
            "/collections/{id}/items/{fid}",
            get(routes::features::item)
                .put(routes::edits::replace_item)
                .patch(routes::edits::patch_item)
                .delete(routes::edits::delete_item),
        )
        .route("/api/locate", get(routes::query::locate))
        .route("/api/nearest/cameras", get(routes::query::nearest_cameras))
        .route("/api/nearest/workers", get(routes::query::nearest_workers))
        .route("/tiles/{file}", get(routes::style::tile_json))
        .route("/style.json", get(routes::style::style))
        // The web map's query API (summary, drill-down, search, figures, incident panel).
        .route("/api/summary", get(routes::summary::summary))
        .route("/api/admin", get(routes::admin::roots))
        .route("/api/admin/{code}/children", get(routes::admin::children))
        .route("/api/admin/{code}/stats", get(routes::stats::admin_stats))
        .route("/api/grids/{code}/stats", get(routes::stats::grid_stats))
        .route("/api/ranking", get(routes::stats::ranking))
        .route("/api/search", get(routes::search::search))
        .route("/api/incidents/{id}", get(routes::incident::incident))
        .route("/api/counters", get(routes::summary::counters))
        .route("/api/changes", get(routes::live::changes))
        .route("/api/live", get(routes::live::live))
        // Live data in: reports, workflow steps, GPS fixes (batches get a larger body limit).
        .route(
            "/api/incidents",
            post(routes::ingest::report_incidents)
                .layer(DefaultBodyLimit::max(routes::ingest::MAX_BATCH)),
        )
        .route(
            "/api/incidents/{id}/{step}",
            post(routes::ingest::take_step),
        )
        .route(
            "/api/positions",
            post(routes::ingest::positions).layer(DefaultBodyLimit::max(routes::ingest::MAX_BATCH)),
        )
        // Grid edits: preview, commit, history, revert.
        .route("/api/edits/preview", post(routes::edits::preview))
        .route("/api/edits/commit", post(routes::edits::commit))
        .route("/api/edits", post(routes::edits::commit))
        .route("/api/grids/{code}/revisions", get(routes::edits::revisions))
        .route("/api/grids/{code}/diff", get(routes::edits::diff))
        .route("/api/grids/{code}/revert", post(routes::edits::revert))
        // Who is calling: sign in and out, users, the audit log.
        .route("/api/me", get(routes::session::me))
        .route("/api/login", post(routes::session::login))
        .route("/api/logout", post(routes::session::logout))
        .route("/api/users", get(routes::session::users))
        .route("/api/audit", get(routes::audit::audit))
        // The import wizard: upload, review, commit or cancel (its own body limit).
        .merge(routes::import::router())
        // Counted by route template; tiles count themselves (their route has no middleware).
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ));
    if let Some(dir) = state.web_dir() {
        router = router.fallback_service(ServeDir::new(dir));
    }
    // The tile hot path has no middleware (its handler takes the `Caller` itself): tiles
    // come gzipped from the tile cache, and a
    // tile GET is a CORS simple request, answered with `Access-Control-Allow-Origin: *`
    // by the handler itself (no preflight to serve).
    let tiles = Router::new().route("/tiles/{layer}/{z}/{x}/{y}", get(routes::tiles::tile));
    router
        .layer(middleware::from_fn_with_state(state.clone(), auth::gate))
        .layer(CompressionLayer::new())
        .layer(CorsLayer::permissive())
        .merge(tiles)
        .with_state(state)
}
