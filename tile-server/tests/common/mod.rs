//! What the in-process tests share: a service over a fresh store holding the one-county
//! sample, users with tokens, and requests through the router.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use geo_core::access::{token, Role, User};
use geo_core::codes::AdminCode;
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::Core;
use geo_core::store::gpkg::GpkgStore;
use geo_core::store::{ChangeKind, ChangeSet, Store};
use http_body_util::BodyExt;
use tile_server::auth::AccessMode;
use tile_server::{app, AppState, Config};
use tower::ServiceExt;

/// The open local demo's configuration (anonymous callers read), no rate budget.
pub fn open() -> Config {
    Config {
        access: AccessMode::Open,
        rate_per_user: 0,
        ..Config::default()
    }
}

/// A ready service over a store holding [`DemoConfig::county_sample`]; keep the directory
/// as long as the service.
pub async fn service(config: Config) -> (AppState, Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = GpkgStore::open(dir.path().join("t.gpkg")).unwrap();
    store
        .apply(ChangeSet {
            upserts: generate(&DemoConfig::county_sample()).unwrap(),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    let data = store.load().await.unwrap();
    let state = AppState::new(Arc::new(store), config);
    state.set_core(Core::new(data));
    let router = app(state.clone());
    (state, router, dir)
}

/// Makes user `name` with `role`, bound to `unit` (`None`: unbound), and returns a token.
pub async fn user_token(
    state: &AppState,
    name: &str,
    role: Role,
    unit: Option<AdminCode>,
) -> String {
    let issued = token::issue(name, "test", 0).unwrap();
    state
        .apply(ChangeSet {
            users: vec![User {
                name: name.into(),
                role,
                unit,
                disabled: false,
                created_at: 0,
            }],
            tokens: vec![issued.record],
            kind: ChangeKind::Users,
            author: "test".into(),
            summary: format!("user {name}"),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    issued.token
}

/// `GET uri` with `headers`: status, headers and body.
pub async fn get_with(
    router: &Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, body)
}

/// `GET uri` with `token` as a bearer, if any: status and body.
pub async fn get_as(router: &Router, uri: &str, token: Option<&str>) -> (StatusCode, Vec<u8>) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|b| vec![("authorization", b)])
        .unwrap_or_default();
    let (status, _, body) = get_with(router, uri, &headers).await;
    (status, body)
}
