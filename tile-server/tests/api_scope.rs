//! The web map's queries cut to the caller's unit (SPEC 11): a user bound to a township
//! against the open demo's anonymous reader on the same store, in process.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

use axum::http::StatusCode;
use axum::Router;
use geo_core::access::Role;
use geo_core::codes::AdminCode;
use serde_json::Value;
use tile_server::AppState;

mod common;

async fn service() -> (AppState, Router, tempfile::TempDir) {
    common::service(common::open()).await
}

async fn user_token(state: &AppState, name: &str, unit: AdminCode) -> String {
    common::user_token(state, name, Role::Viewer, Some(unit)).await
}

async fn get(router: &Router, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let (status, body) = common::get_as(router, uri, token).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_answers_the_township_only() {
    let (state, router, _dir) = service().await;
    let core = state.core().unwrap();
    let here = core.locate(109.74, 28.31).unwrap();
    let township = here.township.unwrap().code;
    let county = here.county.unwrap().code;
    let t = township.to_string();
    let token = user_token(&state, "township-viewer", township).await;
    let tk = Some(token.as_str());
    // A point of another township (a camera's), and its grid.
    let (other_grid, other_at) = core
        .cameras()
        .iter()
        .find_map(|c| {
            let (x, y) = (c.location.x(), c.location.y());
            let at = core.locate(x, y).ok()?;
            let g = at.grid?;
            (!g.code.to_string().starts_with(&t)).then_some((g.code, (x, y)))
        })
        .unwrap();

    // Summary: counts of the township only, its extent.
    let (s, all) = get(&router, "/api/summary", None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, cut) = get(&router, "/api/summary", tk).await;
    for layer in ["grids", "cameras", "incidents", "admin"] {
        let (a, c) = (
            all["counts"][layer].as_u64().unwrap(),
            cut["counts"][layer].as_u64().unwrap(),
        );
        assert!(c > 0 && c < a, "{layer}: {c} of {a}");
    }
    // Counters count the township's incidents only.
    let (_, all_c) = get(&router, "/api/counters", None).await;
    let (_, cut_c) = get(&router, "/api/counters", tk).await;
    assert!(cut_c["open"].as_u64().unwrap() < all_c["open"].as_u64().unwrap());

    // Drill-down starts at the township.
    let (_, roots) = get(&router, "/api/admin", tk).await;
    let codes: Vec<&str> = roots["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, [t.as_str()]);
    let (s, _) = get(&router, &format!("/api/admin/{county}/children"), tk).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, kids) = get(&router, &format!("/api/admin/{t}/children"), tk).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!kids["children"].as_array().unwrap().is_empty());

    // Search by the county's code finds only the township's features.
    let (_, found) = get(&router, &format!("/api/search?q={county}&limit=100"), tk).await;
    let results = found["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        if r["layer"] != "cameras" {
            assert!(r["key"].as_str().unwrap().starts_with(&t), "{r}");
        }
    }

    // Figures: the township's own yes, the county's and another township's grid no.
    let (s, _) = get(&router, &format!("/api/admin/{t}/stats"), tk).await;
    assert_eq!(s, StatusCode::OK);
    for uri in [
        format!("/api/admin/{county}/stats"),
        format!("/api/grids/{other_grid}/stats"),
        format!("/api/ranking?parent={county}"),
    ] {
        let (s, _) = get(&router, &uri, tk).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        let (s, _) = get(&router, &uri, None).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
    }
    let (_, ranked) = get(&router, &format!("/api/ranking?parent={t}&limit=1000"), tk).await;
    assert!(ranked["grids"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["code"].as_str().unwrap().starts_with(&t)));

    // OGC items: only the township's grids and incidents, and no other's by id.
    let (_, grids) = get(&router, "/collections/grids/items?limit=10000", tk).await;
    let feats = grids["features"].as_array().unwrap();
    assert!(!feats.is_empty());
    assert_eq!(grids["numberMatched"].as_u64().unwrap(), feats.len() as u64);
    assert!(feats
        .iter()
        .all(|f| f["properties"]["village"].as_str().unwrap().starts_with(&t)));
    let (_, incidents) = get(&router, "/collections/incidents/items?limit=10000", tk).await;
    let n = incidents["numberMatched"].as_u64().unwrap();
    assert_eq!(n, cut["counts"]["incidents"].as_u64().unwrap());
    for f in incidents["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let at = core
            .locate(c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
            .unwrap();
        assert_eq!(at.township.map(|u| u.code), Some(township), "{f}");
    }
    // The incident time span is the township's: the first and last report it holds.
    let times: Vec<&str> = incidents["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["reported_at"].as_str().unwrap())
        .collect();
    let (first, last) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    assert_eq!(cut["incident_time"]["from"].as_str(), Some(*first));
    assert_eq!(cut["incident_time"]["to"].as_str(), Some(*last));
    assert!(all["incident_time"]["from"].as_str().unwrap() <= *first);
    // TileJSON and the style frame the township: its box holds every incident it sees and
    // is smaller than the whole layer's.
    for layer in ["incidents", "grids", "heatmap"] {
        let (_, tj_all) = get(&router, &format!("/tiles/{layer}.json"), None).await;
        let (_, tj) = get(&router, &format!("/tiles/{layer}.json"), tk).await;
        let b: Vec<f64> = (0..4).map(|k| tj["bounds"][k].as_f64().unwrap()).collect();
        let a: Vec<f64> = (0..4)
            .map(|k| tj_all["bounds"][k].as_f64().unwrap())
            .collect();
        assert!(
            (b[2] - b[0]) * (b[3] - b[1]) < (a[2] - a[0]) * (a[3] - a[1]),
            "{layer}: {b:?} vs {a:?}"
        );
        for f in incidents["features"].as_array().unwrap() {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            assert!(
                b[0] <= x && x <= b[2] && b[1] <= y && y <= b[3],
                "{layer}: ({x}, {y}) outside {b:?}"
            );
        }
    }
    let (s, _) = get(
        &router,
        &format!("/collections/grids/items/{other_grid}"),
        tk,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Point queries: outside the township nothing; nearest are the township's.
    let (x, y) = other_at;
    let (s, _) = get(&router, &format!("/api/locate?lon={x}&lat={y}"), tk).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(&router, "/api/locate?lon=109.74&lat=28.31", tk).await;
    assert_eq!(s, StatusCode::OK);
    let (_, near) = get(
        &router,
        &format!("/api/nearest/cameras?lon={x}&lat={y}&k=5"),
        tk,
    )
    .await;
    let cams = near["cameras"].as_array().unwrap();
    assert_eq!(cams.len(), 5);
    for c in cams {
        let at = core
            .locate(c["lon"].as_f64().unwrap(), c["lat"].as_f64().unwrap())
            .unwrap();
        assert_eq!(at.township.map(|u| u.code), Some(township), "{c}");
    }
    let (_, near) = get(
        &router,
        &format!("/api/nearest/workers?lon={x}&lat={y}&k=3"),
        tk,
    )
    .await;
    for w in near["workers"].as_array().unwrap() {
        let at = core
            .locate(w["lon"].as_f64().unwrap(), w["lat"].as_f64().unwrap())
            .unwrap();
        assert_eq!(at.township.map(|u| u.code), Some(township), "{w}");
    }
}
