//! `/tiles/{layer}/{z}/{x}/{y}.mvt` through the router in-process: bytes equal to
//! `render_tile` under the parsed filter, 204/304/400/404/503 behaviours.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::Core;
use geo_core::model::{Category, Layer};
use geo_core::render::{render_tile, TileFilter};
use geo_core::store::gpkg::GpkgStore;
use geo_core::tile::TileCoord;
use http_body_util::BodyExt;
use tile_server::{app, AppState};
use tower::ServiceExt;

fn dataset() -> &'static geo_core::model::Dataset {
    static DATA: OnceLock<geo_core::model::Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(300)
            .with_incidents(20_000)
            .with_cameras(2_000)
            .with_workers(500)
            .with_patrols(50)
            .with_points_per_patrol(50);
        generate(&cfg).unwrap()
    })
}

/// A router over the small demo (`ready`: with its core installed) and the core itself.
fn router(ready: bool) -> (Router, Option<Core>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = GpkgStore::open(dir.path().join("t.gpkg")).unwrap();
    let state = AppState::new(
        Arc::new(store),
        tile_server::Config {
            // Reads as the open local demo's anonymous caller.
            access: tile_server::auth::AccessMode::Open,
            ..tile_server::Config::default()
        },
    );
    let core = ready.then(|| {
        state.set_core(Core::new(dataset().clone()));
        Core::new(dataset().clone())
    });
    (app(state), core, dir)
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

async fn get(router: &Router, uri: &str, if_none_match: Option<&str>) -> Reply {
    let mut req = Request::builder().uri(uri);
    if let Some(tag) = if_none_match {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn jishou(z: u32) -> TileCoord {
    TileCoord::containing(109.74, 28.31, z).unwrap()
}

#[tokio::test]
async fn tiles_equal_render_tile_under_the_query_filter() {
    let (router, core, _dir) = router(true);
    let core = core.unwrap();
    let cases: Vec<(Layer, TileCoord, &str, TileFilter)> = vec![
        (Layer::Cameras, jishou(13), "", TileFilter::default()),
        (Layer::Grids, jishou(12), "", TileFilter::default()),
        (Layer::Admin, jishou(10), "", TileFilter::default()),
        (Layer::Incidents, jishou(11), "", TileFilter::default()),
        (
            Layer::Incidents,
            jishou(11),
            "?category=dispute,petition&from=2025-01-01T00:00:00Z",
            TileFilter {
                categories: vec![Category::Dispute, Category::Petition],
                from: Some(1_735_689_600),
                ..TileFilter::default()
            },
        ),
        (
            Layer::Incidents,
            jishou(13),
            "?raw=1&to=2025-01-01T08:00:00%2B08:00",
            TileFilter {
                raw: true,
                to: Some(1_735_689_600),
                ..TileFilter::default()
            },
        ),
    ];
    for (layer, coord, query, filter) in cases {
        let want = render_tile(&core, layer, coord, &filter).unwrap();
        assert!(!want.is_empty(), "{layer} {coord} {query}");
        let uri = format!("/tiles/{layer}/{coord}.mvt{query}");
        let r = get(&router, &uri, None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.headers[header::CONTENT_TYPE],
            "application/vnd.mapbox-vector-tile"
        );
        assert!(r.headers.contains_key(header::CACHE_CONTROL));
        assert_eq!(r.body, want, "{uri}");
    }
    // The filter changes the tile: a filtered cluster tile differs from the unfiltered one.
    let all = get(
        &router,
        &format!("/tiles/incidents/{}.mvt", jishou(11)),
        None,
    )
    .await;
    let some = get(
        &router,
        &format!("/tiles/incidents/{}.mvt?category=fire_hazard", jishou(11)),
        None,
    )
    .await;
    assert_ne!(all.body, some.body);
}

#[tokio::test]
async fn etag_revalidation_gives_304() {
    let (router, _, _dir) = router(true);
    let uri = format!("/tiles/cameras/{}.mvt", jishou(12));
    let first = get(&router, &uri, None).await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"'),
        "strong ETag {tag}"
    );
    let again = get(&router, &uri, Some(&tag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.headers[header::ETAG], tag.as_str());
    let stale = get(&router, &uri, Some("\"0-0000000000000000\"")).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body, first.body);
    // Another tile has another tag.
    let other = get(&router, &format!("/tiles/cameras/{}.mvt", jishou(13)), None).await;
    assert_ne!(other.headers[header::ETAG], tag.as_str());
}

#[tokio::test]
async fn empty_tiles_are_204() {
    let (router, _, _dir) = router(true);
    let far = TileCoord::containing(-20.0, -40.0, 12).unwrap();
    for layer in Layer::ALL {
        let r = get(&router, &format!("/tiles/{layer}/{far}.mvt"), None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{layer}");
        assert!(r.body.is_empty());
    }
    // A filter that matches nothing empties an incident tile.
    let r = get(
        &router,
        &format!(
            "/tiles/incidents/{}.mvt?from=2099-01-01T00:00:00Z",
            jishou(11)
        ),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bad_requests_are_json_errors() {
    let (router, _, _dir) = router(true);
    let cases = [
        ("/tiles/roads/12/3300/1711.mvt", StatusCode::NOT_FOUND),
        ("/tiles/cameras/12/3300/1711.png", StatusCode::NOT_FOUND),
        ("/tiles/cameras/12/3300/1711", StatusCode::NOT_FOUND),
        ("/tiles/cameras/23/0/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/cameras/2/4/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/cameras/2/0/-1.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/cameras/x/0/0.mvt", StatusCode::BAD_REQUEST),
        (
            "/tiles/incidents/12/3300/1711.mvt?category=fire",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/tiles/incidents/12/3300/1711.mvt?status=done",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/tiles/incidents/12/3300/1711.mvt?from=yesterday",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/tiles/incidents/12/3300/1711.mvt?raw=maybe",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/tiles/incidents/12/3300/1711.mvt?from=2025-01-01T00:00:00Z&to=2024-01-01T00:00:00Z",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (uri, want) in cases {
        let r = get(&router, uri, None).await;
        assert_eq!(
            r.status,
            want,
            "{uri}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            json["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{uri}: {json}"
        );
    }
}

#[tokio::test]
async fn not_ready_is_503() {
    let (router, _, _dir) = router(false);
    let r = get(&router, "/tiles/cameras/12/3300/1711.mvt", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}
