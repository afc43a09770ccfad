//! The web map in a real browser: Debian's Chromium driven by npm `playwright-core`
//! (web-map/tests/browser.mjs) against the real `onemap serve --web web-map/dist` on the demo
//! prefecture. Every view must render real features, the controls must work and no request
//! may leave the server's origin. Screenshots land in target/browser-artifacts/.

// Test code: failing loudly is its job.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use onemap_e2e::Server;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

#[test]
fn web_map_views_in_chromium() {
    let root = repo();
    let web = root.join("web-map");
    let dist = web.join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "{} has no build: `npm ci && npm run build` in web-map (scripts/test does it)",
        dist.display()
    );
    assert!(
        web.join("node_modules/playwright-core").is_dir(),
        "playwright-core missing: `npm ci` in web-map (scripts/setup test does it)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).is_file(),
        "{chromium} missing: `apt-get install chromium` (scripts/setup test does it)"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("browser.gpkg");
    let server = Server::start_with(
        &store,
        &[OsStr::new("--web"), dist.as_os_str()],
        Duration::from_mins(10),
    );

    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let status = Command::new("node")
        .arg("tests/browser.mjs")
        .current_dir(&web)
        .env("ONEMAP_URL", &server.base)
        .env("ONEMAP_TOKEN", &server.token)
        .env("ARTIFACTS", &artifacts)
        .env("CHROMIUM", &chromium)
        .status()
        .expect("run node (scripts/setup installs it)");
    assert!(
        status.success(),
        "browser checks failed (see the FAIL lines above; screenshots in {})",
        artifacts.display()
    );
    for view in [
        "onemap",
        "heatmap",
        "incident",
        "dashboard",
        "import",
        "editor",
        "editor-split",
        "editor-merge",
        "editor-reshape",
        "editor-reshape-shared",
        "editor-reassign",
        "editor-conflict",
        "editor-history",
        "editor-create",
    ] {
        let png = artifacts.join(format!("{view}.png"));
        let len = std::fs::metadata(&png).map_or(0, |m| m.len());
        assert!(
            len > 10_000,
            "screenshot {} missing or blank",
            png.display()
        );
    }
}
