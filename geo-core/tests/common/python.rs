//! Runs a Python cross-check script; the test fails (never skips) if python3 or a package
//! is missing or the script reports a mismatch.

use std::path::PathBuf;

/// The repository's `tests/py` folder.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/py")
        .join(name)
}

/// Runs `python3 tests/py/<name> <args>` and returns its stdout; panics with its output on
/// any failure.
pub fn run(name: &str, args: &[&std::path::Path]) -> String {
    let script = script(name);
    super::tool::run(
        "python3",
        std::iter::once(script.as_os_str()).chain(args.iter().map(|a| a.as_os_str())),
    )
}
