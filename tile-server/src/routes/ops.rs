//! Operations endpoints: liveness, readiness and the landing page.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::state::AppState;

/// `GET /health`: the process is up.
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// `GET /ready`: 200 once the data is loaded and queries can be answered, 503 before.
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.core() {
        Ok(_) if state.catching_up() => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "catching up with the shared store" })),
        )
            .into_response(),
        Ok(core) => Json(json!({
            "status": "ready",
            "counts": core.counts(),
            "seq": core.seq(),
            "core": state.startup(),
            "snapshot_seq": state.snapshot_seq(),
        }))
        .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": state.status() })),
        )
            .into_response(),
    }
}

/// `?f=json|html` on the landing page.
#[derive(Debug, Deserialize)]
pub struct Format {
    f: Option<String>,
}

/// `GET /`: the web map for browsers, the OGC landing page for API clients.
pub async fn root(
    State(state): State<AppState>,
    Query(fmt): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or("");
    let wants_json = match fmt.f.as_deref() {
        Some("json") => true,
        Some(_) => false,
        None => !accept.contains("text/html"),
    };
    if wants_json {
        return Json(super::features::landing(&headers)).into_response();
    }
    if let Some(dir) = state.web_dir() {
        if let Ok(html) = tokio::fs::read_to_string(dir.join("index.html")).await {
            return Html(html).into_response();
        }
    }
    Html(FALLBACK_PAGE).into_response()
}

const FALLBACK_PAGE: &str = r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>onemap 一张图</title></head>
<body><h1>onemap 一张图</h1><p>onemap 的接口 (the API): <a href="/openapi.json">/openapi.json</a>.</p>
<ul><li><a href="/collections?f=json">/collections</a> OGC API Features</li>
<li><a href="/api/locate?lon=109.7385&amp;lat=28.3116">/api/locate</a></li>
<li><a href="/api/nearest/cameras?lon=109.7385&amp;lat=28.3116&amp;k=10">/api/nearest/cameras</a></li>
<li><a href="/ready">/ready</a></li></ul></body></html>"#;
