//! What the validation tests share: running a Python cross-check (shapely, pyproj) that is
//! embedded in the test, and writing geometries and findings as JSON for it.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::missing_panics_doc,
    clippy::print_stderr
)]

use std::path::Path;

use geo_core::validate::Finding;
use geo_types::{Geometry, MultiPolygon};
use serde_json::{json, Value};

#[path = "../common/tool.rs"]
mod tool;

/// Runs `script` with `python3` and the given arguments; returns its stdout. Fails (never
/// skips) when python3 or a package is missing or the script exits non-zero.
pub fn python(script: &str, args: &[&Path]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check.py");
    std::fs::write(&path, script).unwrap();
    tool::run(
        "python3",
        std::iter::once(path.as_os_str()).chain(args.iter().map(|a| a.as_os_str())),
    )
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
