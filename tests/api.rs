//! The real binary serving the demo prefecture: OGC API Features, locate, nearest cameras,
//! bad input, and the GeoPackage store read by GDAL's `ogrinfo`.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers of #[test] functions

use std::collections::HashSet;
use std::time::Duration;

use onemap_e2e::{haversine_m, ogr_feature_count, onemap, run, Server};

fn matched(server: &Server, query: &str) -> u64 {
    server.get(query)["numberMatched"]
        .as_u64()
        .expect("numberMatched")
}

#[test]
fn demo_prefecture_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("onemap.gpkg");
    // First start on an empty store generates and writes the demo prefecture.
    let server = Server::start(&store, Duration::from_mins(10));

    counts_match_the_spec(&server);
    // The bulk demo write was checkpointed: the .gpkg alone holds the data (a copy for QGIS).
    let wal = store.with_extension("gpkg-wal");
    let wal_len = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(
        wal_len < 4 << 20,
        "WAL still holds {wal_len} bytes after the demo load"
    );
    collections_and_paging(&server);
    time_and_category_filters_partition_the_incidents(&server);
    locate_finds_the_grid_a_point_was_taken_from(&server);
    nearest_cameras_match_brute_force(&server);
    bad_input_is_a_clear_4xx(&server);
    ogrinfo_reads_every_layer(&store);
    gdal_oapif_is_a_client(&server, dir.path());
    export_and_reimport(&store, dir.path());
}

fn export_and_reimport(store: &std::path::Path, dir: &std::path::Path) {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    // GeoJSON export of the grids, read by GDAL, imported into a fresh store.
    let (grids, fresh) = (path("grids.geojson"), dir.join("fresh.gpkg"));
    onemap(
        &["export", "grids", "--format", "geojson", "-o", &grids],
        store,
    );
    assert_eq!(ogr_feature_count(grids.as_ref(), "grids"), 5_382);
    onemap(&["import", "grids", &grids], &fresh);
    assert_eq!(ogr_feature_count(&fresh, "grids"), 5_382);
    // GeoPackage export of one layer.
    let cams = path("cameras.gpkg");
    onemap(
        &["export", "cameras", "--format", "gpkg", "-o", &cams],
        store,
    );
    assert_eq!(ogr_feature_count(cams.as_ref(), "cameras"), 59_000);
    // CSV export of the centers, imported back.
    let centers = path("centers.csv");
    onemap(
        &["export", "centers", "--format", "csv", "-o", &centers],
        store,
    );
    onemap(&["import", "centers", &centers], &fresh);
    assert_eq!(ogr_feature_count(&fresh, "centers"), 1_922);
}

fn counts_match_the_spec(server: &Server) {
    let ready = server.get("/ready");
    let counts = &ready["counts"];
    assert_eq!(counts["grids"], 5_382, "{ready}");
    assert_eq!(counts["cameras"], 59_000, "{ready}");
    assert_eq!(counts["incidents"], 1_000_000, "{ready}");
    assert_eq!(counts["patrols"], 2_000, "{ready}");
    assert_eq!(counts["workers"], 15_000, "{ready}");
}

fn collections_and_paging(server: &Server) {
    let cols = server.get("/collections");
    let ids: HashSet<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for l in [
        "admin",
        "grids",
        "cameras",
        "incidents",
        "patrols",
        "workers",
        "centers",
    ] {
        assert!(ids.contains(l), "collection {l} missing: {ids:?}");
    }
    let page1 = server.get("/collections/cameras/items?limit=50");
    assert_eq!(page1["numberMatched"], 59_000);
    assert_eq!(page1["numberReturned"], 50);
    let next = page1["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link");
    let href = next["href"].as_str().unwrap();
    let path = &href[href.find("/collections").unwrap()..];
    let page2 = server.get(path);
    let ids1: HashSet<String> = page1["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].to_string())
        .collect();
    let ids2: HashSet<String> = page2["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].to_string())
        .collect();
    assert_eq!(ids2.len(), 50);
    assert!(ids1.is_disjoint(&ids2), "pages overlap");
    // A single item by id has the same properties as in the list.
    let first = &page1["features"][0];
    let id = first["id"].as_str().unwrap();
    let one = server.get(&format!("/collections/cameras/items/{id}"));
    assert_eq!(one["properties"], first["properties"]);
    assert_eq!(one["geometry"], first["geometry"]);
}

fn time_and_category_filters_partition_the_incidents(server: &Server) {
    let window = "2024-03-01T00:00:00Z/2024-06-01T00:00:00Z";
    let total = matched(
        server,
        &format!("/collections/incidents/items?limit=1&datetime={window}"),
    );
    assert!(total > 10_000 && total < 1_000_000, "{total}");
    let by_category: u64 = [
        "dispute",
        "public_security",
        "fire_hazard",
        "safety_hazard",
        "environment",
        "petition",
        "other",
    ]
    .iter()
    .map(|c| {
        matched(
            server,
            &format!("/collections/incidents/items?limit=1&datetime={window}&category={c}"),
        )
    })
    .sum();
    assert_eq!(by_category, total, "categories must partition the window");
    // bbox: the four quadrants of a box partition it (up to points on the cut lines).
    let whole = matched(
        server,
        &format!(
            "/collections/incidents/items?limit=1&datetime={window}&bbox=109.6,28.2,109.9,28.4"
        ),
    );
    let quads: u64 = [
        "109.6,28.2,109.75,28.3",
        "109.75000001,28.2,109.9,28.3",
        "109.6,28.30000001,109.75,28.4",
        "109.75000001,28.30000001,109.9,28.4",
    ]
    .iter()
    .map(|b| {
        matched(
            server,
            &format!("/collections/incidents/items?limit=1&datetime={window}&bbox={b}"),
        )
    })
    .sum();
    assert!(whole > 0);
    assert!(
        quads <= whole && whole - quads <= whole / 1000 + 2,
        "quadrants {quads} vs whole {whole}"
    );
    // Every returned incident lies in the bbox and the window.
    let page = server.get(&format!(
        "/collections/incidents/items?limit=500&datetime={window}&bbox=109.6,28.2,109.9,28.4"
    ));
    for f in page["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            (109.6..=109.9).contains(&x) && (28.2..=28.4).contains(&y),
            "{f}"
        );
        let at = f["properties"]["reported_at"].as_str().unwrap();
        assert!(("2024-03-01".."2024-06-01T00:00:01").contains(&at), "{at}");
    }
}

fn locate_finds_the_grid_a_point_was_taken_from(server: &Server) {
    // Workers stand inside their grid (demo guarantee); their grid must be the one located.
    let workers = server.get("/collections/workers/items?limit=200");
    let mut checked = 0;
    for w in workers["features"].as_array().unwrap() {
        let c = &w["geometry"]["coordinates"];
        let loc = server.get(&format!("/api/locate?lon={}&lat={}", c[0], c[1]));
        let grid = loc["grid"]["code"].as_str().expect("point in a grid");
        let grids: Vec<&str> = w["properties"]["grids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        assert!(
            grids.contains(&grid),
            "worker {} in {grids:?} located in {grid}",
            w["id"]
        );
        assert_eq!(loc["village"]["code"].as_str().unwrap(), &grid[..12]);
        assert_eq!(loc["township"]["code"].as_str().unwrap(), &grid[..9]);
        assert_eq!(loc["county"]["code"].as_str().unwrap(), &grid[..6]);
        assert_eq!(loc["h3_res9"].as_str().unwrap().len(), 15);
        checked += 1;
    }
    assert!(checked >= 100);
}

fn nearest_cameras_match_brute_force(server: &Server) {
    let (lon, lat) = (109.7385, 28.3116);
    let got = server.get(&format!("/api/nearest/cameras?lon={lon}&lat={lat}&k=10"));
    let got_ids: Vec<&str> = got["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got_ids.len(), 10);
    // Brute force over every camera in a generous box, with our own haversine.
    let d = 0.1;
    let near = server.get(&format!(
        "/collections/cameras/items?limit=10000&bbox={},{},{},{}",
        lon - d,
        lat - d,
        lon + d,
        lat + d
    ));
    let mut all: Vec<(f64, String)> = near["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                haversine_m(lon, lat, c[0].as_f64().unwrap(), c[1].as_f64().unwrap()),
                f["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        all.len() >= 10 && all[9].0 < 9_000.0,
        "box too small for the check"
    );
    let want: Vec<&str> = all[..10].iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(got_ids, want);
    for (c, (dist, _)) in got["cameras"].as_array().unwrap().iter().zip(&all) {
        assert!(
            (c["distance_m"].as_f64().unwrap() - dist).abs() < 0.2,
            "{c} vs {dist}"
        );
    }
}

fn bad_input_is_a_clear_4xx(server: &Server) {
    for (path, status) in [
        ("/api/locate?lon=abc&lat=28", 400),
        ("/api/locate?lon=200&lat=28", 400),
        ("/api/locate?lat=28", 400),
        ("/api/locate?lon=NaN&lat=28", 400),
        ("/api/nearest/cameras?lon=109.7&lat=28.3&k=0", 400),
        ("/collections/nope/items", 404),
        ("/collections/cameras/items?limit=0", 400),
        ("/collections/cameras/items?bbox=1,2,3", 400),
        ("/collections/incidents/items?datetime=yesterday", 400),
        ("/collections/incidents/items?category=aliens", 400),
        ("/collections/cameras/items/12345", 404),
    ] {
        let (got, body) = server.try_get(path).unwrap();
        assert_eq!(got, status, "{path}: {body}");
        if got == 400 || got == 404 {
            assert!(
                body["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{path}: no message: {body}"
            );
        }
    }
}

fn ogrinfo_reads_every_layer(store: &std::path::Path) {
    let path = store.to_str().unwrap();
    for (layer, geom, count) in [
        ("grids", "Multi Polygon", "5382"),
        ("cameras", "Point", "59000"),
        ("incidents", "Point", "1000000"),
        ("patrols", "Measured Line String", "2000"),
        ("workers", "Point", "15000"),
    ] {
        let out = run("ogrinfo", &["-ro", "-so", path, layer]);
        assert!(out.contains(&format!("Geometry: {geom}")), "{layer}: {out}");
        assert!(
            out.contains(&format!("Feature Count: {count}")),
            "{layer}: {out}"
        );
    }
}

/// GDAL's OGC API Features driver (as QGIS uses it) lists the collections and fetches a
/// bbox with paging; it must get exactly the features our own bbox query matches.
fn gdal_oapif_is_a_client(server: &Server, dir: &std::path::Path) {
    let url = format!("OAPIF:{}/", server.base);
    let out = run("ogrinfo", &["-ro", "-so", &url]);
    for l in [
        "admin",
        "grids",
        "cameras",
        "incidents",
        "patrols",
        "workers",
        "centers",
    ] {
        assert!(
            out.contains(&format!(": {l} (title:")),
            "OAPIF does not list {l}: {out}"
        );
    }
    let out = run("ogrinfo", &["-ro", "-so", &url, "cameras"]);
    assert!(out.contains("Feature Count: 59000"), "{out}");
    let (x0, y0, x1, y1) = (109.70, 28.28, 109.76, 28.33);
    let got = dir.join("oapif.geojson");
    let _ = run(
        "ogr2ogr",
        &[
            "-f",
            "GeoJSON",
            got.to_str().unwrap(),
            &url,
            "cameras",
            "-spat",
            &x0.to_string(),
            &y0.to_string(),
            &x1.to_string(),
            &y1.to_string(),
        ],
    );
    let fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&got).unwrap()).unwrap();
    let fetched = fc["features"].as_array().unwrap().len() as u64;
    let want = matched(
        server,
        &format!("/collections/cameras/items?limit=1&bbox={x0},{y0},{x1},{y1}"),
    );
    assert!(want > 100, "{want}");
    assert_eq!(
        fetched, want,
        "GDAL fetched {fetched} cameras, the API matches {want}"
    );
    gdal_sends_the_attribute_filter(server, dir, &url);
}

/// An attribute filter on a queryable is sent to the server (GDAL's own debug log names
/// every URL it fetches), not applied to everything fetched: every page GDAL asks for
/// carries `category=fire_hazard`, and it gets exactly what the API matches.
fn gdal_sends_the_attribute_filter(server: &Server, dir: &std::path::Path, url: &str) {
    let (x0, y0, x1, y1) = (109.60, 28.20, 109.90, 28.45);
    let got = dir.join("oapif-filter.geojson");
    let out = std::process::Command::new("ogr2ogr")
        .args(["--debug", "on", "-f", "GeoJSON"])
        .arg(&got)
        .args([url, "incidents", "-oo", "PAGE_SIZE=1000"])
        .args(["-where", "category = 'fire_hazard'", "-spat"])
        .args([x0, y0, x1, y1].map(|v| v.to_string()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    let pages: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("HTTP: Fetch("))
        .filter(|u| u.contains("/collections/incidents/items?") && u.contains("bbox="))
        .collect();
    assert!(!pages.is_empty(), "no page fetched: {log}");
    for p in &pages {
        assert!(
            p.contains("category=fire_hazard"),
            "a page without the filter: {p}"
        );
    }
    let fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&got).unwrap()).unwrap();
    let features = fc["features"].as_array().unwrap();
    assert!(features
        .iter()
        .all(|f| f["properties"]["category"] == "fire_hazard"));
    let want = matched(
        server,
        &format!(
            "/collections/incidents/items?limit=1&category=fire_hazard&bbox={x0},{y0},{x1},{y1}"
        ),
    );
    assert!(want > 100, "{want}");
    assert_eq!(features.len() as u64, want);
    eprintln!(
        "GDAL OAPIF: {} pages with the filter for {want} incidents",
        pages.len()
    );
}
