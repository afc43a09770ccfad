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

/// `onemap migrate` there and back carries what a center cannot lose: every layer, the
/// users and their tokens (a token issued on the GeoPackage signs in on PostGIS and on the
/// GeoPackage made back from it), the incident workflow history and the raw GPS fixes.
#[test]
fn migrate_carries_tokens_steps_and_fixes_both_ways() {
    let db = Db::create("migrate");
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("from.gpkg");
    onemap(&["demo", "--counties", "1"], &gpkg);
    let server = Server::start(&gpkg, Duration::from_mins(5));
    let w = server.get("/collections/workers/items?limit=1&offset=3");
    let worker = w["features"][0]["id"].as_str().unwrap().to_owned();
    let c = &w["features"][0]["geometry"]["coordinates"];
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    let report = json!({
        "type": "Feature", "id": 900_000_001,
        "geometry": { "type": "Point", "coordinates": [lon, lat] },
        "properties": { "category": "dispute", "description": "邻里纠纷" },
    });
    let (s, r) = server.post_json("/api/incidents", &report);
    assert_eq!(s, 201, "{r}");
    for step in ["accept", "file"] {
        let (s, r) = server.post_json(
            &format!("/api/incidents/900000001/{step}"),
            &json!({ "note": format!("迁移前 {step}") }),
        );
        assert_eq!(s, 200, "{step}: {r}");
    }
    let fixes: Vec<_> = (0..3)
        .map(
            |k| json!({ "worker": worker, "time": 1_793_462_400 + 60 * k, "lon": lon, "lat": lat }),
        )
        .collect();
    let (s, r) = server.post_ndjson("/api/positions", &fixes);
    assert_eq!(s, 200, "{r}");
    let token = server.token.clone();
    let history = |s: &Server| s.get("/api/incidents/900000001")["history"].clone();
    let before = history(&server);
    drop(server);

    let bin = onemap_bin();
    let bin = bin.to_str().unwrap();
    let out = run(
        bin,
        &[
            "migrate",
            "--from",
            gpkg.to_str().unwrap(),
            "--postgres",
            &db.url(),
        ],
    );
    eprintln!("{out}");
    for what in ["tokens", "steps", "gps fixes", "users"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no {what} line in {out}"));
        let n: Vec<u64> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert!(n.len() == 2 && n[0] == n[1] && n[0] > 0, "{line}");
    }
    let back = dir.path().join("back.gpkg");
    let out = run(
        bin,
        &[
            "migrate",
            "--from-postgres",
            &db.url(),
            "--to",
            back.to_str().unwrap(),
        ],
    );
    assert!(out.contains("migrated"), "{out}");

    // The token issued on the first store signs in on both copies; the history is there.
    for s in [
        serve_pg(&db.url()),
        Server::start(&back, Duration::from_mins(5)),
    ] {
        let (status, _, me) = s.request(
            "GET",
            "/api/me",
            &[("authorization", &format!("Bearer {token}"))],
            None,
        );
        assert_eq!(status, 200);
        assert!(me["user"]["name"].is_string(), "{me}");
        assert_eq!(history(&s), before);
    }
}
