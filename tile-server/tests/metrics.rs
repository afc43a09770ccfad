//! `/metrics` (SPEC 6): the exposition parses with the Prometheus project's own Python
//! parser, its counts follow what was asked (a tile miss then a hit, routes by template,
//! a write through the store), its gauges agree with the core and the store, and only an
//! admin reads it.
#![allow(clippy::unwrap_used, clippy::panic, clippy::float_cmp)]

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use axum::Router;
use geo_core::access::Role;
use tile_server::auth::AccessMode;
use tile_server::{AppState, Config};

mod common;

async fn service(access: AccessMode) -> (AppState, Router, tempfile::TempDir) {
    common::service(Config {
        access,
        ..common::open()
    })
    .await
}

async fn user(state: &AppState, name: &str, role: Role) -> String {
    common::user_token(state, name, role, None).await
}

async fn get(router: &Router, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let (status, body) = common::get_as(router, uri, token).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Every sample of the exposition as `name{k="v",...}` -> value, read by the
/// `prometheus_client` Python package's `OpenMetrics` parser (labels sorted by name).
fn parse(text: &str) -> HashMap<String, f64> {
    let script = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        print(f"{s.name}{{{labels}}}\t{s.value!r}")
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the exposition does not parse: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

fn sample(m: &HashMap<String, f64>, key: &str) -> f64 {
    *m.get(key)
        .unwrap_or_else(|| panic!("no sample {key}; have {:?}", m.keys().collect::<Vec<_>>()))
}

#[tokio::test]
async fn counts_follow_requests_and_gauges_follow_state() {
    let (state, router, _dir) = service(AccessMode::Open).await;
    let tile = "/tiles/grids/12/3300/1711.mvt";
    let (s1, _) = get(&router, tile, None).await;
    let (s2, _) = get(&router, tile, None).await;
    assert_eq!(s1, s2);
    for _ in 0..3 {
        assert_eq!(get(&router, "/api/summary", None).await.0, StatusCode::OK);
    }
    let code = state.core().unwrap().grids()[0].code;
    assert_eq!(
        get(&router, &format!("/api/grids/{code}/stats"), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        get(&router, "/api/grids/1/stats", None).await.0,
        StatusCode::BAD_REQUEST
    );
    // A write through the store: a user (the admin reading the figures below).
    let ops = user(&state, "ops", Role::Admin).await;

    let (status, text) = get(&router, "/metrics", Some(&ops)).await;
    assert_eq!(status, StatusCode::OK);
    let m = parse(&text);
    let tiles = |cache: &str| {
        sample(
            &m,
            &format!(r#"onemap_tile_requests_total{{cache="{cache}",layer="grids"}}"#),
        )
    };
    assert_eq!((tiles("miss"), tiles("hit")), (1.0, 1.0));
    assert_eq!(
        sample(&m, r#"onemap_tile_render_seconds_count{layer="grids"}"#),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"onemap_http_requests_total{method="GET",route="/api/summary",status="200"}"#
        ),
        3.0
    );
    // One series per route template, whatever the code in the path.
    assert_eq!(
        sample(
            &m,
            r#"onemap_http_requests_total{method="GET",route="/api/grids/{code}/stats",status="200"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"onemap_http_requests_total{method="GET",route="/api/grids/{code}/stats",status="400"}"#
        ),
        1.0
    );
    assert!(
        !text.contains(&code.to_string()),
        "a code leaked into a label"
    );
    assert_eq!(
        sample(
            &m,
            r#"onemap_http_request_duration_seconds_count{route="/api/summary"}"#
        ),
        3.0
    );
    assert!(sample(&m, "onemap_store_write_seconds_count{}") >= 1.0);
    assert_eq!(sample(&m, "onemap_store_write_failures_total{}"), 0.0);
    // Gauges: the core's sizes and sequence, the store's, the lag between them.
    let core = state.core().unwrap();
    for (layer, n) in core.counts() {
        assert_eq!(
            sample(&m, &format!(r#"onemap_core_features{{layer="{layer}"}}"#)),
            n as f64,
            "{layer}"
        );
    }
    let store_seq = state.store().seq().await.unwrap();
    assert!(store_seq >= 2);
    assert_eq!(
        sample(&m, "onemap_store_change_sequence{}"),
        store_seq as f64
    );
    assert_eq!(
        sample(&m, "onemap_core_change_sequence{}"),
        core.seq() as f64
    );
    assert_eq!(sample(&m, "onemap_replica_lag_changes{}"), 0.0);
    let (tiles_held, bytes) = state.tiles().usage();
    assert_eq!(sample(&m, "onemap_tile_cache_tiles{}"), tiles_held as f64);
    assert_eq!(sample(&m, "onemap_tile_cache_bytes{}"), bytes as f64);
}

#[tokio::test]
async fn only_an_admin_reads_them() {
    let (state, router, _dir) = service(AccessMode::Login).await;
    let viewer = user(&state, "viewer", Role::Viewer).await;
    let admin = user(&state, "admin", Role::Admin).await;
    assert_eq!(
        get(&router, "/metrics", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&router, "/api/summary", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&router, "/metrics", Some(&viewer)).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, text) = get(&router, "/metrics", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    let m = parse(&text);
    // The anonymous requests were refused before routing, and counted as such; the
    // viewer's by the route.
    assert_eq!(
        sample(&m, r#"onemap_http_refused_total{status="401"}"#),
        2.0
    );
    assert_eq!(
        sample(
            &m,
            r#"onemap_http_requests_total{method="GET",route="/metrics",status="403"}"#
        ),
        1.0
    );
}
