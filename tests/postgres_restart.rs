//! PostgreSQL restarted under load (`pg_ctlcluster restart`): reads keep being served from
//! memory, writes answer 503 with a clear message meanwhile and succeed again by
//! themselves, and no acknowledged write is lost (a fresh server on the database has every
//! one). Restarts the shared local server: serialised against the other PostgreSQL tests by
//! the `postgres` test group in .config/nextest.toml.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::many_single_char_names,
    clippy::too_many_lines
)]

use std::ffi::OsStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onemap_e2e::{onemap_bin, run, Server};
use serde_json::json;

fn server_url() -> String {
    std::env::var("ONEMAP_TEST_POSTGRES_HOST")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn psql(sql: &str) {
    let admin = format!("{}/postgres", server_url());
    let _ = run("psql", &[&admin, "-qc", sql]);
}

fn pg_version() -> String {
    let out = run("ls", &["/etc/postgresql"]);
    out.split_whitespace().last().unwrap_or("15").to_owned()
}

#[test]
fn postgres_restart_under_load_loses_no_acknowledged_write() {
    let name = format!("onemap_e2e_restart_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    psql(&format!("CREATE DATABASE {name}"));
    let url = format!("{}/{name}", server_url());
    let bin = onemap_bin();
    let _ = run(
        bin.to_str().unwrap(),
        &["demo", "--counties", "1", "--postgres", &url],
    );
    let dummy = std::env::temp_dir().join("onemap-unused.gpkg");
    let args = [OsStr::new("--postgres"), OsStr::new(&url)];
    let server = Server::start_with(&dummy, &args, Duration::from_mins(5));
    let w = server.get("/collections/workers/items?limit=1");
    let c = &w["features"][0]["geometry"]["coordinates"];
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<u64>::new()));
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let writer = {
        let (stop, acked, refused, base, auth) = (
            stop.clone(),
            acked.clone(),
            refused.clone(),
            server.base.clone(),
            server.auth(),
        );
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into();
            let mut id = 950_000_000_u64;
            while !stop.load(Ordering::Acquire) {
                id += 1;
                let body = json!({ "type": "Feature", "id": id,
                    "geometry": { "type": "Point", "coordinates": [lon, lat] },
                    "properties": { "category": "dispute" } });
                let mut resp = agent
                    .post(format!("{base}/api/incidents"))
                    .header("authorization", &auth)
                    .send_json(&body)
                    .unwrap();
                let status = resp.status().as_u16();
                let text = resp.body_mut().read_to_string().unwrap_or_default();
                match status {
                    201 => acked.lock().unwrap().push(id),
                    503 => refused.lock().unwrap().push(text),
                    other => panic!("write answered {other}: {text}"),
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let reads_ok = Arc::new(Mutex::new((0usize, 0usize)));
    let reader = {
        let (stop, reads_ok, base) = (stop.clone(), reads_ok.clone(), server.base.clone());
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            while !stop.load(Ordering::Acquire) {
                for path in [
                    "/collections/incidents/items?limit=5",
                    "/tiles/grids/8/206/107.mvt",
                    "/api/counters",
                ] {
                    let status = agent
                        .get(format!("{base}{path}"))
                        .call()
                        .unwrap()
                        .status()
                        .as_u16();
                    let mut r = reads_ok.lock().unwrap();
                    r.0 += 1;
                    r.1 += usize::from(status == 200);
                    assert_eq!(status, 200, "{path} during the restart");
                }
            }
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    let before = acked.lock().unwrap().len();
    assert!(before > 0, "writes go through before the restart");
    let _ = run(
        "pg_ctlcluster",
        &[
            "--skip-systemctl-redirect",
            &pg_version(),
            "main",
            "restart",
        ],
    );
    // Writes come back by themselves.
    let back = Instant::now();
    let after_restart = acked.lock().unwrap().len();
    while acked.lock().unwrap().len() < after_restart + 20 {
        assert!(
            back.elapsed() < Duration::from_mins(1),
            "writes did not come back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Release);
    writer.join().unwrap();
    reader.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    let refused = refused.lock().unwrap().clone();
    let reads = *reads_ok.lock().unwrap();
    eprintln!(
        "{} writes acknowledged, {} answered 503, {} reads all 200",
        acked.len(),
        refused.len(),
        reads.0
    );
    for r in &refused {
        assert!(
            r.contains("unavailable") && r.contains("PostgreSQL"),
            "clear 503 message: {r}"
        );
    }
    drop(server);
    // Every acknowledged write is in the database: a fresh server shows each.
    let fresh = Server::start_with(&dummy, &args, Duration::from_mins(5));
    for id in &acked {
        let (s, _) = fresh.try_get(&format!("/api/incidents/{id}")).unwrap();
        assert_eq!(s, 200, "acknowledged incident {id} lost");
    }
    drop(fresh);
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
