//! Shared by the crs_* tests: runs the Python reference scripts in geo-core/tests/py. A
//! missing python3, package or tool fails the test; it never skips.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

#[path = "../common/tool.rs"]
mod tool;

/// Runs `python3 geo-core/tests/py/<name> <args>` and returns its stdout; panics with its
/// output when it cannot start or exits non-zero.
pub fn python(name: &str, args: &[String]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/py")
        .join(name);
    let script = script.to_string_lossy().into_owned();
    tool::run("python3", std::iter::once(&script).chain(args))
}

/// Metres between two nearby lon/lat points (equirectangular; exact enough below 1 km).
pub fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = 6_378_137.0_f64.to_radians();
    let dx = (a.0 - b.0) * k * f64::midpoint(a.1, b.1).to_radians().cos();
    let dy = (a.1 - b.1) * k;
    dx.hypot(dy)
}
