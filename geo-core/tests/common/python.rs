//! Runs a Python cross-check script; the test fails (never skips) if python3 or a package
//! is missing or the script reports a mismatch.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// The repository's `tests/py` folder.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/py")
        .join(name)
}

/// Runs `python3 tests/py/<name> <args>` and returns its stdout; panics with its output on
/// any failure.
pub fn run(name: &str, args: &[&std::path::Path]) -> String {
    let out = Command::new("python3")
        .arg(script(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 could not be started ({e}); it is required for this test")
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    std::io::stderr().write_all(stdout.as_bytes()).unwrap();
    stdout
}
