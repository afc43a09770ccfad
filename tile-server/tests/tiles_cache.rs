//! The tile cache through the router over a real GeoPackage store: a store write drops the
//! tiles it touches (and only those), gzip is served from the cache, and TileJSON and the
//! style point only back at this server.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Read;

use axum::http::{header, StatusCode};
use axum::Router;
use geo_core::access::{Role, Scope};
use geo_core::model::{Dataset, Layer};
use geo_core::render::{render_tile, TileFilter, TileLayer};
use geo_core::store::ChangeSet;
use geo_core::tile::TileCoord;
use serde_json::Value;
use tile_server::tile_cache::TileKey;
use tile_server::{AppState, Config};

mod common;

/// The open local demo's configuration: tiles read anonymously.
fn open() -> Config {
    common::open()
}

async fn service(config: Config) -> (AppState, Router, tempfile::TempDir) {
    common::service(config).await
}

async fn get(
    router: &Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    common::get_with(router, uri, headers).await
}

fn url(layer: &str, c: TileCoord) -> String {
    format!("/tiles/{layer}/{}/{}/{}.mvt", c.z(), c.x(), c.y())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_write_refreshes_the_tiles_it_touches_and_keeps_the_others() {
    let (state, router, _dir) = service(open()).await;
    let core = state.core().unwrap();
    let cam = core.cameras()[0].clone();
    let (lon, lat) = (cam.location.x(), cam.location.y());
    let here = TileCoord::containing(lon, lat, 15).unwrap();
    let heat = TileCoord::containing(lon, lat, 11).unwrap();
    // A tile of the same layer far from the write (another corner of the county).
    let far_cam = core
        .cameras()
        .iter()
        .find(|c| (c.location.x() - lon).abs() + (c.location.y() - lat).abs() > 0.3)
        .unwrap();
    let far = TileCoord::containing(far_cam.location.x(), far_cam.location.y(), 15).unwrap();

    let (s, _, before_here) = get(&router, &url("cameras", here), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, before_far) = get(&router, &url("cameras", far), &[]).await;
    let (_, _, before_heat) = get(&router, &url("heatmap", heat), &[]).await;
    let key = |layer: TileLayer, c| TileKey::new(layer, c, TileFilter::default(), Scope::ALL);
    let cams = TileLayer::Data(Layer::Cameras);
    assert!(state.tiles().get(&key(cams, here)).is_some());
    assert!(state.tiles().get(&key(cams, far)).is_some());
    assert!(state.tiles().get(&key(TileLayer::Heatmap, heat)).is_some());

    // Write a second camera and a new incident next to the first camera.
    let mut upserts = Dataset::default();
    let mut new_cam = cam.clone();
    new_cam.id = "43310100001320099999".parse().unwrap();
    new_cam.location = geo_types::Point::new(lon + 0.000_2, lat);
    upserts.cameras.push(new_cam);
    let mut inc = core.to_dataset().incidents[0].clone();
    inc.id = geo_core::model::IncidentId(9_999_999);
    inc.location = geo_types::Point::new(lon, lat);
    upserts.incidents.push(inc);
    let applied = state
        .apply(ChangeSet {
            upserts,
            author: "test".into(),
            summary: "one camera, one incident".into(),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    assert!(applied.layers.contains(&Layer::Cameras));

    // The touched tiles are gone from the cache and come back with the new data...
    assert!(state.tiles().get(&key(cams, here)).is_none());
    assert!(state.tiles().get(&key(TileLayer::Heatmap, heat)).is_none());
    let (_, _, after_here) = get(&router, &url("cameras", here), &[]).await;
    assert_ne!(after_here, before_here);
    let new_core = state.core().unwrap();
    assert_eq!(
        after_here,
        render_tile(
            &new_core,
            Layer::Cameras,
            here,
            &TileFilter::default(),
            &Scope::ALL
        )
        .unwrap()
    );
    assert!(new_core.to_dataset().cameras.len() == core.to_dataset().cameras.len() + 1);
    let (_, _, after_heat) = get(&router, &url("heatmap", heat), &[]).await;
    assert_ne!(after_heat, before_heat);
    // ...and the untouched one is still served from the cache, unchanged.
    assert!(state.tiles().get(&key(cams, far)).is_some());
    let (_, _, after_far) = get(&router, &url("cameras", far), &[]).await;
    assert_eq!(after_far, before_far);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_redraw_refreshes_the_tiles_of_its_old_and_new_label_point() {
    let (state, router, _dir) = service(open()).await;
    let core = state.core().unwrap();
    let (index, grid) = core
        .grids()
        .iter()
        .enumerate()
        .find(|(_, g)| g.valid_to.is_none())
        .unwrap();
    let g = (**grid).clone();
    let old = core.grid_label(index).unwrap();
    let zoom = 15;
    let old_tile = TileCoord::containing(old.x, old.y, zoom).unwrap();
    let (s, _, before) = get(&router, &url("grids", old_tile), &[]).await;
    assert_eq!(s, StatusCode::OK);
    // Moved by more than a z15 tile's width: the label point lands in another tile.
    let mut ended = g.clone();
    ended.valid_to = Some(g.valid_from + 1);
    let mut redrawn = g.clone();
    redrawn.revision += 1;
    redrawn.valid_from = g.valid_from + 1;
    let east = |ring: &mut geo_types::LineString<f64>| ring.0.iter_mut().for_each(|c| c.x += 0.015);
    for p in &mut redrawn.geometry.0 {
        p.exterior_mut(east);
        p.interiors_mut(|rings| rings.iter_mut().for_each(east));
    }
    state
        .apply(ChangeSet {
            upserts: Dataset {
                grids: vec![ended, redrawn],
                ..Dataset::default()
            },
            author: "test".into(),
            summary: "grid moved east".into(),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    let new_core = state.core().unwrap();
    let moved = new_core.grid_revision(g.code, g.revision + 1).unwrap();
    let new = new_core.grid_label(moved).unwrap();
    let new_tile = TileCoord::containing(new.x, new.y, zoom).unwrap();
    assert_ne!(new_tile, old_tile);
    let key = |c| {
        TileKey::new(
            TileLayer::Data(Layer::Grids),
            c,
            TileFilter::default(),
            Scope::ALL,
        )
    };
    assert!(state.tiles().get(&key(old_tile)).is_none());
    for c in [old_tile, new_tile] {
        let (_, _, served) = get(&router, &url("grids", c), &[]).await;
        let fresh = render_tile(
            &new_core,
            Layer::Grids,
            c,
            &TileFilter::default(),
            &Scope::ALL,
        )
        .unwrap();
        assert_eq!(served, fresh, "{c}");
    }
    let (_, _, after) = get(&router, &url("grids", old_tile), &[]).await;
    assert_ne!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_is_served_when_asked_and_the_cache_can_be_off() {
    for cache_bytes in [0u64, 64 << 20] {
        let config = Config {
            tile_cache_bytes: cache_bytes,
            ..open()
        };
        let (state, router, _dir) = service(config).await;
        let c = TileCoord::containing(109.74, 28.31, 12).unwrap();
        let origin = [("origin", "http://intranet.example")];
        let (s, h, plain) = get(&router, &url("grids", c), &origin).await;
        assert_eq!(s, StatusCode::OK);
        assert!(h.get(header::CONTENT_ENCODING).is_none());
        // Tiles answer cross-origin GETs themselves; the other routes through the CORS layer.
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        let (_, h, _) = get(&router, "/tiles/grids.json", &origin).await;
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        let (s, h, zipped) = get(&router, &url("grids", c), &[("accept-encoding", "gzip")]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        assert!(zipped.len() < plain.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain);
        assert_eq!(state.tiles().is_enabled(), cache_bytes > 0);
        assert_eq!(state.tiles().usage().0 > 0, cache_bytes > 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tilejson_and_style_point_only_at_this_server() {
    let (state, router, _dir) = service(open()).await;
    let host = [("host", "onemap.example:8080")];
    let origin = "http://onemap.example:8080/";
    for layer in TileLayer::ALL {
        let (s, _, body) = get(&router, &format!("/tiles/{layer}.json"), &host).await;
        assert_eq!(s, StatusCode::OK, "{layer}");
        let tj: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(tj["tilejson"], "3.0.0");
        let tiles = tj["tiles"][0].as_str().unwrap();
        assert_eq!(
            tiles,
            format!("{origin}tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt")
        );
        assert_eq!(tj["vector_layers"][0]["id"], layer.as_str());
        assert!(!tj["vector_layers"][0]["fields"]
            .as_object()
            .unwrap()
            .is_empty());
        // Polygon layers with names list their label points as a second vector layer.
        let label = geo_core::render::schema::label_layer(layer);
        assert_eq!(
            tj["vector_layers"][1]["id"].as_str(),
            label.map(|l| l.name),
            "{layer}"
        );
        assert_eq!(
            tj["vector_layers"].as_array().unwrap().len(),
            1 + usize::from(label.is_some())
        );
        let b: Vec<f64> = tj["bounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let ext = state.core().unwrap().extent(layer.source()).unwrap();
        assert_eq!(b, vec![ext.min().x, ext.min().y, ext.max().x, ext.max().y]);
    }
    // Filters pass into the tile URLs, and bad ones are refused.
    let q = "from=2024-01-01T00:00:00Z&category=fire_hazard";
    let (_, _, body) = get(&router, &format!("/tiles/heatmap.json?{q}"), &host).await;
    let tj: Value = serde_json::from_slice(&body).unwrap();
    assert!(tj["tiles"][0]
        .as_str()
        .unwrap()
        .ends_with(&format!(".mvt?{q}")));
    let (s, _, _) = get(&router, "/tiles/heatmap.json?category=roads", &host).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = get(&router, "/tiles/roads.json", &host).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, _, body) = get(&router, "/style.json", &host).await;
    assert_eq!(s, StatusCode::OK);
    let style: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(style["version"], 8);
    // Every URL anywhere in the style is on this origin, and every source resolves.
    let text = serde_json::to_string(&style).unwrap();
    for (i, _) in text.match_indices("://") {
        let start = text[..i].rfind('"').unwrap() + 1;
        assert!(
            text[start..].starts_with(origin),
            "outside URL at {}",
            &text[start..i + 40]
        );
    }
    for (name, src) in style["sources"].as_object().unwrap() {
        let path = src["url"]
            .as_str()
            .unwrap()
            .strip_prefix(origin.trim_end_matches('/'))
            .unwrap();
        let (s, _, _) = get(&router, path, &host).await;
        assert_eq!(s, StatusCode::OK, "source {name}");
    }
    for layer in style["layers"].as_array().unwrap() {
        if let Some(src) = layer["source"].as_str() {
            assert!(style["sources"].get(src).is_some(), "{layer}");
        }
        // Names of polygons come from their label points: a symbol layer over the
        // polygons would draw a name in every tile the polygon crosses.
        if layer["type"] == "symbol" && matches!(layer["source"].as_str(), Some("admin" | "grids"))
        {
            let named = layer["source-layer"].as_str().unwrap();
            assert!(named.ends_with("_label"), "{layer}");
        }
    }
    let labelled: Vec<&str> = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["type"] == "symbol")
        .filter_map(|l| l["source-layer"].as_str())
        .collect();
    assert!(
        labelled.contains(&"grids_label") && labelled.contains(&"admin_label"),
        "{labelled:?}"
    );
    // A configured basemap is the one outside URL, drawn first after the background.
    let config = Config {
        basemap_url: Some("http://t0.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}".into()),
        ..open()
    };
    let (_, router, _dir2) = service(config).await;
    let (_, _, body) = get(&router, "/style.json", &host).await;
    let style: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(style["layers"][1]["id"], "basemap");
    assert_eq!(style["sources"]["basemap"]["type"], "raster");
}

/// A user bound to `unit` and a token for them, written to the store.
async fn user_token(state: &AppState, name: &str, unit: geo_core::codes::AdminCode) -> String {
    common::user_token(state, name, Role::Viewer, Some(unit)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_are_cut_to_the_callers_unit_and_cached_per_scope() {
    let (state, router, _dir) = service(open()).await;
    let core = state.core().unwrap();
    let jishou = core.locate(109.74, 28.31).unwrap();
    let (county, township) = (jishou.county.unwrap().code, jishou.township.unwrap().code);
    let county_token = user_token(&state, "county-viewer", county).await;
    let township_token = user_token(&state, "township-viewer", township).await;
    let c = TileCoord::containing(109.74, 28.31, 11).unwrap();
    for layer in ["grids", "cameras", "incidents", "heatmap"] {
        // The county user first: their tile goes into the cache...
        let mut bodies = Vec::new();
        for (token, scope) in [
            (Some(&county_token), Scope::unit(county)),
            (Some(&township_token), Scope::unit(township)),
            (None, Scope::ALL),
        ] {
            let auth = token.map(|t| format!("Bearer {t}"));
            let headers: Vec<(&str, &str)> =
                auth.iter().map(|a| ("authorization", a.as_str())).collect();
            let (s, h, body) = get(&router, &url(layer, c), &headers).await;
            assert_eq!(s, StatusCode::OK, "{layer} {scope:?}");
            // ...and the township user gets their own cut, not the county's cached tile.
            let l: TileLayer = layer.parse().unwrap();
            let want = render_tile(&core, l, c, &TileFilter::default(), &scope).unwrap();
            assert_eq!(body, want, "{layer} {scope:?}");
            let key = TileKey::new(l, c, TileFilter::default(), scope);
            assert!(state.tiles().get(&key).is_some(), "{layer} {scope:?}");
            let private = token.is_some();
            assert_eq!(
                h[header::CACHE_CONTROL]
                    .to_str()
                    .unwrap()
                    .starts_with("private"),
                private
            );
            bodies.push(body);
        }
        assert_ne!(
            bodies[0], bodies[1],
            "{layer}: the township's tile is the county's"
        );
    }
}
