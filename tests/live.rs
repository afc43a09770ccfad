//! Live data through the real binary (issue 10): reports and the workflow with
//! read-your-writes, idempotent reports, dispatch to the right worker, 409 on a step out of
//! order, rates from raw records against published figures, GPS ingest into tracks and
//! nearest workers, the SSE feed resumed with `Last-Event-ID`, fresh incidents in the
//! heatmap against a recount, and `kill -9` during sustained ingest.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onemap_e2e::{onemap, Server};
use serde_json::{json, Value};

/// A one-county demo store (a few seconds to make).
fn demo_store(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("live.gpkg");
    onemap(&["demo", "--counties", "1"], &store);
    store
}

fn start(store: &Path) -> Server {
    Server::start(store, Duration::from_mins(5))
}

/// A worker of the demo, with the grid they serve (workers stand inside their grid).
fn a_worker(server: &Server, nth: usize) -> (String, f64, f64, String) {
    let w = server.get(&format!("/collections/workers/items?limit=1&offset={nth}"));
    let f = &w["features"][0];
    let id = f["id"].as_str().unwrap().to_owned();
    let c = &f["geometry"]["coordinates"];
    let grid = f["properties"]["grids"][0].as_str().unwrap().to_owned();
    (id, c[0].as_f64().unwrap(), c[1].as_f64().unwrap(), grid)
}

fn feature(id: Option<u64>, lon: f64, lat: f64, props: &Value) -> Value {
    let mut f = json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [lon, lat] },
        "properties": props,
    });
    if let Some(id) = id {
        f["id"] = json!(id);
    }
    f
}

fn step(server: &Server, id: u64, step: &str, body: &Value) -> (u16, Value) {
    server.post_json(&format!("/api/incidents/{id}/{step}"), body)
}

#[test]
fn reports_and_workflow_read_their_writes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&demo_store(dir.path()));
    let (_, lon, lat, grid) = a_worker(&server, 3);
    let lead = server.get(&format!("/collections/grids/items/{grid}"))["properties"]["workers"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let before = server.get("/api/counters");

    // One report, read back at once.
    let props = json!({ "category": "fire_hazard", "subcategory": "ebike_charging",
                        "description": "楼道电动车充电", "reporter": "李四 13900000000" });
    let (s, r) = server.post_json(
        "/api/incidents",
        &feature(Some(900_000_001), lon, lat, &props),
    );
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["created"].as_u64(), r["existing"].as_u64()),
        (Some(1), Some(0))
    );
    let seq = r["seq"].as_u64().unwrap();
    let got = server.get("/api/incidents/900000001");
    assert_eq!(got["status"], "reported");
    assert_eq!(
        got["grid"]["code"],
        grid.as_str(),
        "placed in its grid: {got}"
    );
    // Deadline from the category policy: fire hazards two days.
    let rep = chrono_secs(got["reported_at"].as_str().unwrap());
    assert_eq!(
        chrono_secs(got["deadline"].as_str().unwrap()) - rep,
        2 * 86_400
    );
    let after = server.get("/api/counters");
    assert_eq!(
        after["today"].as_u64().unwrap(),
        before["today"].as_u64().unwrap() + 1
    );
    assert!(after["seq"].as_u64().unwrap() >= seq);

    // The same client id again: stored once.
    let (s, r) = server.post_json(
        "/api/incidents",
        &feature(Some(900_000_001), lon, lat, &props),
    );
    assert_eq!(
        (s, r["created"].as_u64(), r["existing"].as_u64()),
        (201, Some(0), Some(1))
    );
    // An NDJSON batch without ids: ids are given, and a bad line refuses the whole batch.
    let batch: Vec<Value> = (0..5)
        .map(|k| {
            feature(
                None,
                lon + 1e-5 * f64::from(k),
                lat,
                &json!({ "category": "dispute" }),
            )
        })
        .collect();
    let (s, r) = server.post_ndjson("/api/incidents", &batch);
    assert_eq!((s, r["created"].as_u64()), (201, Some(5)), "{r}");
    let ids: Vec<u64> = r["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 5);
    let mut bad = batch.clone();
    bad.push(feature(None, 200.0, lat, &json!({ "category": "dispute" })));
    let count = |s: &Server| {
        s.get("/collections/incidents/items?limit=1")["numberMatched"]
            .as_u64()
            .unwrap()
    };
    let n = count(&server);
    let (s, r) = server.post_ndjson("/api/incidents", &bad);
    assert_eq!(s, 400, "{r}");
    assert!(
        r["description"].as_str().unwrap().contains("feature 5"),
        "{r}"
    );
    assert_eq!(count(&server), n, "nothing of a refused batch is written");

    // The workflow: a step out of order names what may follow.
    let (s, r) = step(&server, 900_000_001, "close", &json!({}));
    assert_eq!(s, 409, "{r}");
    assert_eq!(r["detail"]["allowed"], json!(["accept", "cancel"]));
    for name in ["accept", "file"] {
        let (s, r) = step(&server, 900_000_001, name, &json!({ "note": "ok" }));
        assert_eq!(s, 200, "{name}: {r}");
    }
    let (s, r) = step(&server, 900_000_001, "dispatch", &json!({}));
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r["worker"],
        lead.as_str(),
        "dispatched to the grid's lead worker"
    );
    let (s, r) = step(&server, 900_000_001, "close", &json!({}));
    assert_eq!(s, 409);
    assert_eq!(
        r["detail"]["allowed"],
        json!(["handle", "postpone", "send_back"])
    );
    for name in ["handle", "verify", "close"] {
        let (s, r) = step(&server, 900_000_001, name, &json!({}));
        assert_eq!(s, 200, "{name}: {r}");
    }
    let got = server.get("/api/incidents/900000001");
    assert_eq!(got["status"], "closed");
    let steps: Vec<&str> = got["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "accepted",
            "filed",
            "dispatched",
            "handling",
            "verifying",
            "closed"
        ]
    );
    assert_eq!(got["steps"][2]["worker"], lead.as_str());
    // Unknown incident and unknown step.
    assert_eq!(step(&server, 42_424_242, "accept", &json!({})).0, 404);
    assert_eq!(step(&server, 900_000_001, "approve", &json!({})).0, 404);
}

fn chrono_secs(rfc3339: &str) -> i64 {
    let out = Command::new("python3")
        .args(["-c", "import sys,datetime;print(int(datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')).timestamp()))", rfc3339])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// 972 raw records in one grid, 911 closed of which 737 on time: the published figures
/// 911/972 = 93.72% and 737/972 = 75.82% come back through the figures API.
#[test]
fn rates_from_raw_records_match_published_figures() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(start(&demo_store(dir.path())));
    let (_, lon, lat, grid) = a_worker(&server, 5);
    // After the demo's last incident (2026-10-01), in grids valid then: the window holds
    // only these. One every 20 minutes: the last is closed by 2026-10-26, in the past.
    let t0 = 1_790_870_400; // 2026-10-01T16:00:00Z (2026-10-02 00:00 +08:00)
    let lines: Vec<Value> = (0..972u64)
        .map(|k| {
            let at = t0 + 1_200 * k as i64;
            feature(
                Some(800_000_000 + k),
                lon,
                lat,
                &json!({ "category": "dispute", "reported_at": at, "deadline": at + 7 * 86_400 }),
            )
        })
        .collect();
    let (s, r) = server.post_ndjson("/api/incidents", &lines);
    assert_eq!((s, r["created"].as_u64()), (201, Some(972)), "{r}");
    // Close 911: the first 737 within two days, the next 174 after ten; the rest stay open.
    let work: Vec<(u64, i64)> = (0..911u64)
        .map(|k| {
            let at = t0 + 1_200 * k as i64;
            (
                800_000_000 + k,
                if k < 737 {
                    at + 2 * 86_400
                } else {
                    at + 10 * 86_400
                },
            )
        })
        .collect();
    let work = Arc::new(Mutex::new(work));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (server, work) = (Arc::clone(&server), Arc::clone(&work));
            std::thread::spawn(move || loop {
                let Some((id, closed)) = work.lock().unwrap().pop() else {
                    return;
                };
                for (k, name) in ["accept", "file", "dispatch", "handle", "verify", "close"]
                    .iter()
                    .enumerate()
                {
                    let t = closed - 3_600 * (5 - k as i64);
                    let (s, r) = step(&server, id, name, &json!({ "time": t }));
                    assert_eq!(s, 200, "{id} {name}: {r}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = server.get(&format!(
        "/api/grids/{grid}/stats?from=2026-10-01T16:00:00Z"
    ));
    let inc = &stats["incidents"];
    assert_eq!(
        (
            inc["total"].as_u64(),
            inc["due"].as_u64(),
            inc["closed"].as_u64(),
            inc["closed_on_time"].as_u64()
        ),
        (Some(972), Some(972), Some(911), Some(737)),
        "{stats}"
    );
    assert_eq!(
        format!("{:.2}", inc["closure_rate"].as_f64().unwrap() * 100.0),
        "93.72"
    );
    assert_eq!(
        format!("{:.2}", inc["on_time_rate"].as_f64().unwrap() * 100.0),
        "75.82"
    );
}

#[test]
fn gps_fixes_build_tracks_and_move_workers() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&demo_store(dir.path()));
    let (worker, lon, lat, _) = a_worker(&server, 7);
    // Two local (UTC+8) days after the demo's last fixes: 2026-11-01 and 2026-11-02; sent
    // out of order, one repeated.
    let day1 = 1_793_462_400 + 3_600; // 2026-11-01 01:00 +08:00
    let day2 = day1 + 86_400;
    let fix =
        |t: i64, k: f64| json!({ "worker": worker, "time": t, "lon": lon + k * 1e-4, "lat": lat });
    let first = [fix(day1 + 60, 1.0), fix(day1, 0.0), fix(day2 + 30, 5.0)];
    let (s, r) = server.post_ndjson("/api/positions", &first);
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["tracks"].as_u64(), Some(2), "{r}");
    let second = [
        fix(day1 + 30, 0.5),
        fix(day1 + 60, 9.0),
        fix(day2, 4.0),
        fix(day2 + 90, 6.0),
    ];
    let (s, r) = server.post_ndjson("/api/positions", &second);
    assert_eq!(s, 200, "{r}");
    // The worker's tracks of those days: times ascending, the repeat kept once (first value).
    let tracks = server.get(
        "/collections/patrols/items?datetime=2026-10-31T00:00:00Z/2026-11-03T00:00:00Z&limit=1000",
    );
    let mine: Vec<&Value> = tracks["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["worker"] == worker.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{tracks}");
    let coords: Vec<Vec<f64>> = mine
        .iter()
        .map(|f| {
            f["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c[0].as_f64().unwrap())
                .collect()
        })
        .collect();
    let one_day: Vec<f64> = coords.iter().find(|c| c.len() == 3).unwrap().clone();
    let want: Vec<f64> = [0.0, 0.5, 1.0].iter().map(|k| lon + k * 1e-4).collect();
    for (a, b) in one_day.iter().zip(&want) {
        assert!((a - b).abs() < 1e-9, "{one_day:?} vs {want:?}");
    }
    assert!(coords
        .iter()
        .any(|c| c.len() == 3 && (c[2] - (lon + 6e-4)).abs() < 1e-9));
    // The newest fix is the worker's position: nearest workers answer it first.
    let near = server.get(&format!(
        "/api/nearest/workers?lon={}&lat={lat}&k=1",
        lon + 6e-4
    ));
    assert_eq!(near["workers"][0]["id"], worker.as_str(), "{near}");
    assert!(near["workers"][0]["distance_m"].as_f64().unwrap() < 0.5);
    // An unknown worker refuses the batch, naming it.
    let (s, r) = server.post_ndjson(
        "/api/positions",
        &[json!({ "worker": "W_NOBODY", "time": day1, "lon": lon, "lat": lat })],
    );
    assert_eq!(s, 422, "{r}");
    assert!(r["description"].as_str().unwrap().contains("W_NOBODY"));
}

/// Reads SSE events from `/api/live` on a thread: (id, event, data) per event.
fn sse(
    base: &str,
    last_event_id: Option<u64>,
    events: Events,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let url = format!("{base}/api/live");
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(None)
            .build()
            .into();
        let mut req = agent.get(&url);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.call().unwrap();
        let reader = BufReader::new(resp.into_body().into_reader());
        let (mut id, mut event, mut data) = (None, String::new(), String::new());
        for line in reader.lines() {
            if stop.load(Ordering::Acquire) {
                return;
            }
            let Ok(line) = line else { return };
            if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("event:") {
                v.trim().clone_into(&mut event);
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            } else if line.is_empty() {
                if let Some(i) = id.take() {
                    events.lock().unwrap().push((
                        i,
                        std::mem::take(&mut event),
                        serde_json::from_str(&data).unwrap(),
                    ));
                }
                data.clear();
            }
        }
    })
}

/// SSE events as read: (id, event, data).
type Events = Arc<Mutex<Vec<(u64, String, Value)>>>;

fn wait_for(events: &Events, n: usize) {
    for _ in 0..300 {
        if events.lock().unwrap().len() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "only {} SSE events after 30 s, wanted {n}",
        events.lock().unwrap().len()
    );
}

#[test]
fn sse_resumes_with_last_event_id_exactly_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&demo_store(dir.path()));
    let (worker, lon, lat, _) = a_worker(&server, 2);
    let first = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = sse(&server.base, None, Arc::clone(&first), Arc::clone(&stop));
    std::thread::sleep(Duration::from_millis(500));
    let mut seqs = Vec::new();
    for k in 0..10 {
        let (s, r) = server.post_json(
            "/api/incidents",
            &feature(
                None,
                lon,
                lat + 1e-5 * f64::from(k),
                &json!({ "category": "environment" }),
            ),
        );
        assert_eq!(s, 201);
        seqs.push(r["seq"].as_u64().unwrap());
    }
    wait_for(&first, 10);
    let got = first.lock().unwrap().clone();
    assert_eq!(
        got.iter().map(|e| e.0).collect::<Vec<_>>(),
        seqs,
        "live events in commit order"
    );
    assert!(got.iter().all(|e| e.1 == "report"));
    // The event carries the incident as the map draws it.
    assert_eq!(
        got[0].2["incidents"][0]["properties"]["category"],
        "environment"
    );
    // Drop the stream; more writes happen while it is away (reports, steps, positions).
    stop.store(true, Ordering::Release);
    drop(reader);
    let last_seen = seqs[9];
    for k in 0..5 {
        let (_, r) = server.post_json(
            "/api/incidents",
            &feature(
                None,
                lon,
                lat - 1e-5 * f64::from(k),
                &json!({ "category": "petition" }),
            ),
        );
        seqs.push(r["seq"].as_u64().unwrap());
    }
    let (_, rep) = server.post_json(
        "/api/incidents",
        &feature(None, lon, lat, &json!({ "category": "dispute" })),
    );
    seqs.push(rep["seq"].as_u64().unwrap());
    let (_, r) = step(
        &server,
        rep["ids"][0].as_u64().unwrap(),
        "accept",
        &json!({}),
    );
    seqs.push(r["seq"].as_u64().unwrap());
    let (s, r) = server.post_ndjson(
        "/api/positions",
        &[json!({ "worker": worker, "time": 1_793_462_400, "lon": lon, "lat": lat })],
    );
    assert_eq!(s, 200, "{r}");
    seqs.push(r["seq"].as_u64().unwrap());
    // Reconnect with the last id seen: exactly the missed events, once, in order; then live.
    let again = Arc::new(Mutex::new(Vec::new()));
    let stop2 = Arc::new(AtomicBool::new(false));
    let _reader2 = sse(
        &server.base,
        Some(last_seen),
        Arc::clone(&again),
        Arc::clone(&stop2),
    );
    let missed = seqs.len() - 10;
    wait_for(&again, missed);
    let (_, r) = server.post_json(
        "/api/incidents",
        &feature(None, lon, lat, &json!({ "category": "other" })),
    );
    seqs.push(r["seq"].as_u64().unwrap());
    wait_for(&again, missed + 1);
    std::thread::sleep(Duration::from_millis(300));
    let got: Vec<u64> = again.lock().unwrap().iter().map(|e| e.0).collect();
    assert_eq!(
        got,
        seqs[10..].to_vec(),
        "resumed feed: missed ones then live, each once"
    );
    let kinds: Vec<String> = again.lock().unwrap().iter().map(|e| e.1.clone()).collect();
    assert!(
        kinds.contains(&"step".to_owned()) && kinds.contains(&"positions".to_owned()),
        "{kinds:?}"
    );
    // The same as a page.
    let page = server.get(&format!("/api/changes?since={last_seen}"));
    let paged: Vec<u64> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(paged, seqs[10..].to_vec());
    stop2.store(true, Ordering::Release);
}

/// Fresh incidents are in the heatmap tile at once, and its count equals a recount of the
/// incidents the `h3` package puts in that hexagon.
#[test]
fn heatmap_counts_include_fresh_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&demo_store(dir.path()));
    let (_, lon, lat, _) = a_worker(&server, 11);
    let (zoom, res) = (11u32, 8u32);
    let tile_of = |lon: f64, lat: f64| {
        let n = f64::from(1u32 << zoom);
        let x = ((lon + 180.0) / 360.0 * n).floor();
        let r = lat.to_radians();
        let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
        (x as u32, y as u32)
    };
    let (tx, ty) = tile_of(lon, lat);
    let check = |expect_more: Option<u64>| -> u64 {
        let (s, bytes) = server.get_bytes(&format!("/tiles/heatmap/{zoom}/{tx}/{ty}.mvt"));
        assert!(s == 200 || s == 204, "{s}");
        let path = dir.path().join("heat.mvt");
        std::fs::write(&path, &bytes).unwrap();
        // Every incident within 1.3 km: more than the hexagon that holds the point.
        let (dx, dy) = (0.015, 0.012);
        let mut pts: Vec<[f64; 2]> = Vec::new();
        loop {
            let page = server.get(&format!(
                "/collections/incidents/items?bbox={},{},{},{}&limit=10000&offset={}",
                lon - dx,
                lat - dy,
                lon + dx,
                lat + dy,
                pts.len()
            ));
            let features = page["features"].as_array().unwrap();
            pts.extend(features.iter().map(|f| {
                [
                    f["geometry"]["coordinates"][0].as_f64().unwrap(),
                    f["geometry"]["coordinates"][1].as_f64().unwrap(),
                ]
            }));
            if features.is_empty() || pts.len() as u64 >= page["numberMatched"].as_u64().unwrap() {
                break;
            }
        }
        let mut py = Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/py/heat_cell.py"))
            .args([
                path.to_str().unwrap(),
                &lon.to_string(),
                &lat.to_string(),
                &res.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        py.stdin
            .take()
            .unwrap()
            .write_all(serde_json::to_string(&pts).unwrap().as_bytes())
            .unwrap();
        let out = py.wait_with_output().unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let tile = v["tile_count"].as_u64().unwrap_or(0);
        assert_eq!(
            tile,
            v["recount"].as_u64().unwrap(),
            "tile vs h3 recount: {v}"
        );
        if let Some(n) = expect_more {
            assert!(tile >= n, "{v}");
        }
        tile
    };
    let before = check(None);
    let batch: Vec<Value> = (0..25)
        .map(|k| {
            feature(
                None,
                lon + 1e-6 * f64::from(k),
                lat,
                &json!({ "category": "safety_hazard" }),
            )
        })
        .collect();
    let (s, _) = server.post_ndjson("/api/incidents", &batch);
    assert_eq!(s, 201);
    let after = check(Some(25));
    assert_eq!(after, before + 25, "every fresh incident in its hexagon");
}

/// `kill -9` at a random moment of sustained ingest: every acknowledged report and fix is
/// there after restart, and a batch is all there or not at all.
#[test]
fn kill_9_during_ingest_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    let server = start(&store);
    let (worker, lon, lat, _) = a_worker(&server, 1);
    let base = server.base.clone();
    let auth = server.auth();
    let acked: Arc<Mutex<Vec<Vec<u64>>>> = Arc::default();
    let sent: Arc<Mutex<Vec<Vec<u64>>>> = Arc::default();
    let fixes: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for t in 0..3u64 {
        let (base, acked, sent, stop, auth) = (
            base.clone(),
            Arc::clone(&acked),
            Arc::clone(&sent),
            Arc::clone(&stop),
            auth.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into();
            let mut k = 0u64;
            while !stop.load(Ordering::Acquire) {
                let ids: Vec<u64> = (0..20)
                    .map(|j| 700_000_000 + t * 10_000_000 + k * 20 + j)
                    .collect();
                k += 1;
                sent.lock().unwrap().push(ids.clone());
                let body: String = ids
                    .iter()
                    .map(|&id| {
                        feature(Some(id), lon, lat, &json!({ "category": "dispute" })).to_string()
                            + "\n"
                    })
                    .collect();
                let r = agent
                    .post(format!("{base}/api/incidents"))
                    .header("content-type", "application/x-ndjson")
                    .header("authorization", &auth)
                    .send(body.as_bytes());
                match r {
                    Ok(resp) if resp.status().as_u16() == 201 => acked.lock().unwrap().push(ids),
                    _ => return,
                }
            }
        }));
    }
    {
        let (base, fixes, stop, worker, auth) = (
            base.clone(),
            Arc::clone(&fixes),
            Arc::clone(&stop),
            worker.clone(),
            auth.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into();
            let mut t = 1_793_462_400;
            while !stop.load(Ordering::Acquire) {
                let batch: Vec<i64> = (0..50).map(|j| t + j).collect();
                t += 50;
                let body: String = batch
                    .iter()
                    .map(|&s| {
                        json!({ "worker": worker, "time": s, "lon": lon, "lat": lat }).to_string()
                            + "\n"
                    })
                    .collect();
                match agent
                    .post(format!("{base}/api/positions"))
                    .header("content-type", "application/x-ndjson")
                    .header("authorization", &auth)
                    .send(body.as_bytes())
                {
                    Ok(resp) if resp.status().as_u16() == 200 => {
                        fixes.lock().unwrap().extend(batch);
                    }
                    _ => return,
                }
            }
        }));
    }
    // A moment that is not a round number of writes.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::thread::sleep(Duration::from_millis(1_500 + u64::from(nanos % 1_500)));
    server.kill9();
    stop.store(true, Ordering::Release);
    for t in threads {
        let _ = t.join();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 10,
        "too few writes before the kill: {}",
        acked.len()
    );
    let server = start(&store);
    let present = |id: u64| server.try_get(&format!("/api/incidents/{id}")).unwrap().0 == 200;
    for batch in &acked {
        for &id in batch {
            assert!(present(id), "acknowledged incident {id} lost");
        }
    }
    // Unacknowledged batches: all or nothing.
    for batch in sent.lock().unwrap().iter() {
        let n = batch.iter().filter(|&&id| present(id)).count();
        assert!(
            n == 0 || n == batch.len(),
            "a batch is half there: {n} of {}",
            batch.len()
        );
    }
    // Every acknowledged fix is in the worker's track of that day.
    let acked_fixes = fixes.lock().unwrap().clone();
    let tracks = server.get(
        "/collections/patrols/items?datetime=2026-10-31T00:00:00Z/2026-11-03T00:00:00Z&limit=1000",
    );
    let points: usize = tracks["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["worker"] == worker.as_str())
        .map(|f| f["geometry"]["coordinates"].as_array().unwrap().len())
        .sum();
    assert!(
        points >= acked_fixes.len(),
        "{points} track points < {} acknowledged fixes",
        acked_fixes.len()
    );
}
