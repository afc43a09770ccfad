//! The HTTP API fuzzed from its own OpenAPI document with schemathesis (PyPI): no answer
//! is a server error, every documented answer matches its schema. And the document
//! describes every route the router has.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use onemap_e2e::{onemap, Server};

/// Every route the router declares (`.route("...")` in the router's sources), in
/// OpenAPI's path syntax.
fn declared_routes() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tile-server/src");
    let mut out = Vec::new();
    for file in ["lib.rs", "routes/import.rs"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for part in text.split(".route(").skip(1) {
            let rest = part.trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let path = &rest[..rest.find('"').unwrap()];
            // The tile path's last segment carries the `.mvt` suffix.
            out.push(if path == "/tiles/{layer}/{z}/{x}/{y}" {
                "/tiles/{layer}/{z}/{x}/{y}.mvt".to_owned()
            } else {
                path.replace("{id}/items/{fid}", "{collectionId}/items/{featureId}")
                    .replace("/collections/{id}", "/collections/{collectionId}")
                    .replace("/tiles/{file}", "/tiles/{tileset}")
            });
        }
    }
    out
}

#[test]
fn the_api_holds_to_its_openapi_document_under_fuzzing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("openapi.gpkg");
    onemap(&["demo", "--counties", "1"], &store);
    let server = Server::start(&store, Duration::from_mins(5));

    let doc = server.get("/openapi.json");
    let paths = doc["paths"].as_object().unwrap();
    let missing: Vec<String> = declared_routes()
        .into_iter()
        .filter(|r| !paths.contains_key(r))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json: {missing:?}"
    );
    assert!(paths.len() >= 45, "{} paths", paths.len());

    let report = dir.path().join("schemathesis");
    let started = Instant::now();
    let out = Command::new("schemathesis")
        .args([
            "run",
            &format!("{}/openapi.json", server.base),
            "--url",
            &server.base,
        ])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--header", &format!("Authorization: {}", server.auth())])
        // The live stream never ends; it has its own tests.
        .args(["--exclude-path", "/api/live"])
        // One worker: with two, schemathesis itself failed once on CPython 3.11 ("AST
        // constructor recursion depth mismatch", a thread-safety error of its generator).
        .args(["--max-examples", "40", "--seed", "2260", "--workers", "1"])
        .args(["--request-timeout", "30", "--no-color"])
        .arg("--report-dir")
        .arg(&report)
        // Its cache of crashes goes to the working directory: keep it out of the tree.
        .current_dir(dir.path())
        .output()
        .expect("schemathesis (scripts/setup test installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("generated")
                || l.contains("passed")
                || l.contains("failed")
                || l.contains("Tested")
        })
        .collect();
    eprintln!(
        "schemathesis: {:.0} s, {}",
        started.elapsed().as_secs_f64(),
        summary.join(" | ")
    );
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server is still up and answering after the run.
    assert_eq!(server.try_get("/ready").unwrap().0, 200);
}
