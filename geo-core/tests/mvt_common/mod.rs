//! Shared by the mvt_* tests: spawn the Python reference scripts in tests/py. A missing
//! python3 or package fails the test (the scripts exit non-zero), it never skips.

#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::doc_markdown)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value as Json;

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/py")
        .join(name)
}

fn run(name: &str, args: &[PathBuf], stdin: &[u8]) -> Json {
    let mut child = Command::new("python3")
        .arg(script(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed for the MVT tests");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Decodes tiles with the PyPI `mapbox-vector-tile` package (see tests/py/mvt_decode.py).
pub fn decode(tiles: &[Vec<u8>]) -> Vec<Json> {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = tiles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = dir.path().join(format!("{i}.mvt"));
            std::fs::write(&p, t).unwrap();
            p
        })
        .collect();
    let Json::Array(decoded) = run("mvt_decode.py", &paths, b"") else {
        panic!("unexpected decoder output");
    };
    // Every tile onemap writes must pass the strict validator and be version 2.
    for d in &decoded {
        assert_eq!(
            d["errors"],
            serde_json::json!([]),
            "invalid tile: {}",
            d["errors"]
        );
        for (name, layer) in d["layers"].as_object().unwrap() {
            assert_eq!(layer["version"], 2, "layer {name}");
        }
    }
    decoded
}

/// Decodes one tile.
pub fn decode_one(tile: &[u8]) -> Json {
    decode(&[tile.to_vec()]).pop().unwrap()
}

/// The validator's verdict on every @mapbox/mvt-fixtures fixture (npm-installed by the script).
pub fn fixtures() -> Vec<Json> {
    match run("mvt_validate.py", &[], b"") {
        Json::Array(v) => v,
        other => panic!("unexpected validator output {other}"),
    }
}

/// EPSG:4326 -> EPSG:3857 with pyproj.
pub fn pyproj_mercator(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let input =
        serde_json::to_vec(&points.iter().map(|&(x, y)| [x, y]).collect::<Vec<_>>()).unwrap();
    let out = run("mvt_pyproj.py", &[], &input);
    out.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// The decoded features of `layer` in a decoded tile.
pub fn features<'a>(tile: &'a Json, layer: &str) -> &'a Vec<Json> {
    tile["layers"][layer]["features"].as_array().unwrap()
}
