//! Running an independent tool (python3, GDAL) from a test: the test fails, never skips,
//! when the tool is missing or reports a failure. Shared by every test helper module (the
//! `*_common` modules include this file by path).

use std::ffi::OsStr;
use std::io::Write;
use std::process::Command;

/// Runs `program args`, panics with its output unless it succeeds; returns stdout (and
/// echoes it to stderr, so a cross-check's figures show with `--nocapture`).
pub fn run<I, S>(program: &str, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = Command::new(program)
        .args(&args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} could not be started ({e}); it is required (scripts/setup test installs it)")
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::io::stderr().write_all(stdout.as_bytes());
    stdout
}
