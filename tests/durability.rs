//! Writes through the real binary: an import is all-or-nothing (a bad feature, or `kill -9`
//! in the middle, leaves nothing behind), and an acknowledged write survives `kill -9` of
//! the server.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers of #[test] functions

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use onemap_e2e::{ogr_feature_count, onemap_bin, Server};

const CAMERA_A: &str = "43310100001320999991";
const CAMERA_B: &str = "43310100001320999992";

fn camera_geojson(id: &str, lon: f64, lat: f64) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"name":"乾州街道测试点位","ptz_type":"dome","position_type":4,"direction":1,"azimuth_deg":null,"fov_deg":null,"range_m":null,"status":"online"}}}}]}}"#
    )
}

fn incident_line(id: u64, lon: f64, lat: f64, category: &str, subcategory: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"category":"{category}","subcategory":"{subcategory}","source":"hotline","people":1,"status":"reported","reported_at":"2025-05-01T08:00:00Z","deadline":"2025-05-08T08:00:00Z","supervision":"none"}}}}"#
    )
}

fn import(store: &Path, layer: &str, file: &Path) -> std::process::Output {
    Command::new(onemap_bin())
        .args(["import", layer])
        .arg(file)
        .arg("--store")
        .arg(store)
        .output()
        .expect("run onemap import")
}

#[test]
#[allow(clippy::too_many_lines)] // one story: bad file, kill -9 mid-import, kill -9 after ack
fn imports_are_atomic_and_acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.gpkg");

    // A first import makes the store non-empty, so `serve` does not generate the demo.
    let a = dir.path().join("a.geojson");
    std::fs::write(&a, camera_geojson(CAMERA_A, 109.74, 28.31)).unwrap();
    let out = import(&store, "cameras", &a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // One bad feature among good ones: nothing is written, the report names it.
    let bad = dir.path().join("bad.ndjson");
    let mut f = std::fs::File::create(&bad).unwrap();
    for i in 0..100 {
        writeln!(
            f,
            "{}",
            incident_line(1_000 + i, 109.7, 28.3, "dispute", "neighbourhood")
        )
        .unwrap();
    }
    writeln!(
        f,
        "{}",
        incident_line(2_000, 209.7, 28.3, "dispute", "neighbourhood")
    )
    .unwrap();
    drop(f);
    let report = dir.path().join("report.json");
    let out = Command::new(onemap_bin())
        .args(["import", "incidents"])
        .arg(&bad)
        .arg("--store")
        .arg(&store)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a file with a bad feature must fail");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["written"], false);
    let errors: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0]["index"], 100, "{report}");
    assert_eq!(errors[0]["check"], "crs", "{report}");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("209.7"),
        "{report}"
    );
    assert_eq!(ogr_feature_count(&store, "incidents"), 0);

    // kill -9 in the middle of a large import: all or nothing, and the store still opens.
    let big = dir.path().join("big.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    let n = 300_000u64;
    for i in 0..n {
        let lon = 109.5 + (i % 1000) as f64 * 0.0004;
        let lat = 28.1 + (i / 1000) as f64 * 0.001;
        writeln!(
            f,
            "{}",
            incident_line(10_000 + i, lon, lat, "fire_hazard", "wiring")
        )
        .unwrap();
    }
    drop(f);
    for delay_ms in [150u64, 600, 1_500] {
        let mut child = Command::new(onemap_bin())
            .args(["import", "incidents"])
            .arg(&big)
            .arg("--store")
            .arg(&store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let status = child.wait().unwrap();
        let count = ogr_feature_count(&store, "incidents");
        eprintln!("import killed after {delay_ms} ms (had finished: {finished}): {count} incidents in the store");
        assert!(
            count == 0 || count == n,
            "after kill -9 at {delay_ms} ms: {count} incidents (finished: {finished}, {status})"
        );
        if count == n {
            break;
        }
    }

    // An acknowledged write (import exited 0) survives kill -9 of the running server.
    let server = Server::start(&store, Duration::from_mins(2));
    let (status, _) = server
        .try_get(&format!("/collections/cameras/items/{CAMERA_A}"))
        .unwrap();
    assert_eq!(status, 200);
    let b = dir.path().join("b.geojson");
    std::fs::write(&b, camera_geojson(CAMERA_B, 109.75, 28.32)).unwrap();
    let out = import(&store, "cameras", &b);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill9();
    let server = Server::start(&store, Duration::from_mins(2));
    let cam = server.get(&format!("/collections/cameras/items/{CAMERA_B}"));
    assert_eq!(cam["properties"]["name"], "乾州街道测试点位");
    assert_eq!(cam["geometry"]["coordinates"][0], 109.75);
    let counts = server.get("/ready")["counts"].clone();
    assert_eq!(counts["cameras"], 2, "{counts}");
    assert!(
        counts["incidents"] == 0 || counts["incidents"] == n,
        "{counts}"
    );
}

/// The grid, incident and heatmap tiles holding (`lon`, `lat`) from z8 to z15.
fn tiles_around(server: &Server, lon: f64, lat: f64) -> Vec<(String, u16, Vec<u8>)> {
    let mut tiles = Vec::new();
    for z in 8..=15u32 {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n).floor();
        let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor();
        for layer in ["grids", "incidents", "heatmap"] {
            let path = format!("/tiles/{layer}/{z}/{x}/{y}.mvt");
            let (status, body) = server.get_bytes(&path);
            assert_eq!(status, 200, "{path}");
            tiles.push((path, status, body));
        }
    }
    tiles
}

/// Polls `/ready` until the server says its core snapshot shows change `at_least` or later.
fn wait_for_snapshot(server: &Server, at_least: u64) -> u64 {
    let started = std::time::Instant::now();
    loop {
        let ready = server.get("/ready");
        if let Some(seq) = ready["snapshot_seq"].as_u64().filter(|&s| s >= at_least) {
            return seq;
        }
        assert!(
            started.elapsed() < Duration::from_mins(2),
            "no core snapshot written: {ready}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_restart_reads_the_core_snapshot_and_replays_the_writes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.gpkg");
    onemap_e2e::onemap(&["demo", "--counties", "1"], &store);
    let snapshot = dir.path().join("s.gpkg.core");

    // First start: built from the store, the snapshot written beside it at once.
    let server = Server::start(&store, Duration::from_mins(2));
    assert_eq!(server.get("/ready")["core"]["from"], "store");
    let shown = wait_for_snapshot(&server, 0);
    assert!(snapshot.is_file());
    let before = server.get("/ready")["counts"].clone();
    let first = server.get("/collections/incidents/items?limit=1");
    let at = &first["features"][0]["geometry"]["coordinates"];
    let (lon, lat) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    // An acknowledged report after the snapshot, then kill -9 before the next rewrite
    // (every 10 minutes by default).
    let (status, answer) = server.post_json(
        "/api/incidents",
        &serde_json::json!({
            "type": "Feature", "id": 900_000_777u64,
            "geometry": { "type": "Point", "coordinates": [lon, lat] },
            "properties": { "category": "dispute", "subcategory": "neighbourhood",
                            "description": "快照之后的上报" }
        }),
    );
    assert_eq!(status, 201, "{answer}");
    let written = answer["seq"].as_u64().unwrap();
    assert!(written > shown);
    server.kill9();

    // Second start: the snapshot, with the report replayed from the store's changes.
    let server = Server::start(&store, Duration::from_mins(2));
    let ready = server.get("/ready");
    assert_eq!(ready["core"]["from"], "snapshot", "{ready}");
    assert!(ready["seq"].as_u64().unwrap() >= written, "{ready}");
    let mut expected = before.clone();
    expected["incidents"] = serde_json::json!(before["incidents"].as_u64().unwrap() + 1);
    assert_eq!(ready["counts"], expected);
    let got = server.get("/api/incidents/900000777");
    assert_eq!(got["description"], "快照之后的上报", "{got}");
    let from_snapshot = tiles_around(&server, lon, lat);
    // Changes were replayed onto it: the snapshot is rewritten at once, past the report.
    assert!(wait_for_snapshot(&server, written) >= written);
    server.kill9();

    // A damaged snapshot is refused: the core is built from the store, the same data, and
    // a good snapshot is written again.
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&snapshot, &bytes).unwrap();
    let server = Server::start(&store, Duration::from_mins(2));
    let ready = server.get("/ready");
    assert_eq!(ready["core"]["from"], "store", "{ready}");
    assert_eq!(ready["counts"], expected);
    assert!(
        tiles_around(&server, lon, lat) == from_snapshot,
        "the tiles differ between the core from the snapshot and the core from the store"
    );
    assert_eq!(
        server.get("/api/incidents/900000777")["description"],
        "快照之后的上报"
    );
    let rewritten = wait_for_snapshot(&server, written);
    assert_eq!(Some(rewritten), ready["seq"].as_u64());
}
