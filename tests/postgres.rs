//! `onemap serve --postgres URL`: the demo loads into PostGIS and serves the same tiles
//! and features as from the GeoPackage store; two servers on one database follow each
//! other's writes (the feature, and the SSE live feed of the second server).
//!
//! Each test makes its own database on `$ONEMAP_TEST_POSTGRES_HOST` (default the local
//! server `scripts/setup test` starts) and drops it after.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::many_single_char_names,
    clippy::too_many_lines
)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onemap_e2e::{onemap, onemap_bin, run, Server};
use serde_json::json;

/// `postgres://user@host:port` without a database.
fn server_url() -> String {
    std::env::var("ONEMAP_TEST_POSTGRES_HOST")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database for one test, dropped with it.
struct Db {
    name: String,
}

impl Db {
    fn create(tag: &str) -> Self {
        let name = format!("onemap_e2e_{tag}_{}", std::process::id());
        let admin = format!("{}/postgres", server_url());
        let _ = run(
            "psql",
            &[
                &admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ],
        );
        let _ = run("psql", &[&admin, "-qc", &format!("CREATE DATABASE {name}")]);
        Self { name }
    }

    fn url(&self) -> String {
        format!("{}/{}", server_url(), self.name)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let admin = format!("{}/postgres", server_url());
        let _ = std::process::Command::new("psql")
            .args([
                &admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .status();
    }
}

fn serve_pg(url: &str) -> Server {
    let dummy = std::env::temp_dir().join("onemap-unused.gpkg");
    Server::start_with(
        &dummy,
        &[OsStr::new("--postgres"), OsStr::new(url)],
        Duration::from_mins(5),
    )
}

/// The raw text of `/api/live` as it arrives, read on a thread.
fn sse_text(base: &str) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let out = Arc::clone(&text);
    let url = format!("{base}/api/live");
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(None)
            .build()
            .into();
        let resp = agent.get(&url).call().unwrap();
        for line in BufReader::new(resp.into_body().into_reader()).lines() {
            let Ok(line) = line else { return };
            let mut t = out.lock().unwrap();
            t.push_str(&line);
            t.push('\n');
        }
    });
    text
}

#[test]
fn postgis_serves_like_gpkg_and_replicas_follow() {
    let db = Db::create("replica");
    let bin = onemap_bin();
    let _ = run(
        bin.to_str().unwrap(),
        &["demo", "--counties", "1", "--postgres", &db.url()],
    );
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("same.gpkg");
    onemap(&["demo", "--counties", "1"], &gpkg);

    let a = serve_pg(&db.url());
    let b = serve_pg(&db.url());
    let file = Server::start(&gpkg, Duration::from_mins(5));

    // Parity: the same data answers the same from either store.
    assert_eq!(a.get("/ready")["counts"], file.get("/ready")["counts"]);
    for path in [
        "/collections/incidents/items?limit=20",
        "/collections/grids/items?limit=5",
        "/collections/cameras/items?limit=20",
        "/collections/patrols/items?limit=3",
    ] {
        // Links name each server's own port: the features and counts are compared.
        let (ga, gf) = (a.get(path), file.get(path));
        assert_eq!(ga["features"], gf["features"], "{path}");
        assert_eq!(ga["numberMatched"], gf["numberMatched"], "{path}");
        assert!(!ga["features"].as_array().unwrap().is_empty(), "{path}");
    }
    let mut compared = 0;
    // Tiles around the first camera, at a few zooms.
    let cam = file.get("/collections/cameras/items?limit=1");
    let p = &cam["features"][0]["geometry"]["coordinates"];
    let (clon, clat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    let tiles: Vec<(u32, u32, u32)> = [8u32, 11, 14]
        .into_iter()
        .map(|z| {
            let n = f64::from(1u32 << z);
            let x = ((clon + 180.0) / 360.0 * n) as u32;
            let r = clat.to_radians();
            let y =
                ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
            (z, x, y)
        })
        .collect();
    for (z, x, y) in tiles {
        for layer in ["incidents", "grids", "cameras"] {
            let path = format!("/tiles/{layer}/{z}/{x}/{y}.mvt");
            let (sa, ta) = a.get_bytes(&path);
            let (sf, tf) = file.get_bytes(&path);
            assert_eq!((sa, &ta), (sf, &tf), "{path}");
            compared += usize::from(sa == 200 && !ta.is_empty());
        }
    }
    assert!(compared > 0, "some compared tile holds data");

    // A write through A is shown by B, and B's live feed carries it.
    let live = sse_text(&b.base);
    std::thread::sleep(Duration::from_millis(300));
    let w = a.get("/collections/workers/items?limit=1");
    let c = &w["features"][0]["geometry"]["coordinates"];
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    let id = 912_345_678_u64;
    let (s, r) = a.post_json(
        "/api/incidents",
        &json!({ "type": "Feature", "id": id,
                 "geometry": { "type": "Point", "coordinates": [lon, lat] },
                 "properties": { "category": "dispute", "description": "邻里纠纷" } }),
    );
    assert_eq!(s, 201, "{r}");
    let started = Instant::now();
    loop {
        if let Ok((200, got)) = b.try_get(&format!("/api/incidents/{id}")) {
            assert_eq!(got["status"], "reported");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "B never showed the write"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("replica showed the write after {:?}", started.elapsed());
    let started = Instant::now();
    while !live.lock().unwrap().contains(&id.to_string()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "B's live feed never carried it: {}",
            live.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Durable: a fresh server on the database has it.
    drop(a);
    let c2 = serve_pg(&db.url());
    assert_eq!(
        c2.get(&format!("/api/incidents/{id}"))["status"],
        "reported"
    );
}
