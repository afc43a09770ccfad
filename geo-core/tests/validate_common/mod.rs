//! What the validation tests share: running a Python cross-check (shapely, pyproj) that is
//! embedded in the test, and writing geometries and findings as JSON for it.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::missing_panics_doc,
    clippy::print_stderr
)]

use std::io::Write;
use std::path::Path;
use std::process::Command;

use geo_core::validate::Finding;
use geo_types::{Geometry, MultiPolygon};
use serde_json::{json, Value};

/// Runs `script` with `python3` and the given arguments; returns its stdout. Fails (never
/// skips) when python3 or a package is missing or the script exits non-zero.
pub fn python(script: &str, args: &[&Path]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check.py");
    std::fs::write(&path, script).unwrap();
    let out = Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 could not be started ({e}); it is required for this test")
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the shapely cross-check failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    std::io::stderr().write_all(stdout.as_bytes()).unwrap();
    stdout
}

/// A multipolygon as a `GeoJSON` geometry object.
pub fn geojson(m: &MultiPolygon<f64>) -> Value {
    let g = geojson::Geometry::from(&Geometry::MultiPolygon(m.clone()));
    serde_json::to_value(g).unwrap()
}

/// A finding as JSON, with its geometry (which the report leaves out).
pub fn finding_json(f: &Finding) -> Value {
    let mut v = serde_json::to_value(f).unwrap();
    if let Some(Geometry::MultiPolygon(m)) = &f.geometry {
        v["geometry"] = geojson(m);
    }
    v
}

/// Writes `value` to `name` in `dir` and returns the path.
pub fn write_json(dir: &Path, name: &str, value: &Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(value).unwrap()).unwrap();
    p
}

/// JSON of findings.
pub fn findings_json(findings: &[Finding]) -> Value {
    json!(findings.iter().map(finding_json).collect::<Vec<_>>())
}
