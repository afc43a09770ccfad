//! Test support: start the real `onemap` binary on a free port and talk HTTP to it.

// Test support: failing loudly is its job.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `onemap` binary under test: `$ONEMAP_BIN` (set by scripts/test) or the release build.
#[must_use]
pub fn onemap_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("ONEMAP_BIN") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/onemap")
}

/// A running `onemap serve`; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// A token of an admin user (unit: Hunan, which holds the demo data) made for this
    /// server; every request of these helpers carries it unless it names its own
    /// `authorization` header.
    pub token: String,
}

/// The unit test users are bound to: the province of the demo prefecture.
pub const TEST_UNIT: &str = "430000";

/// Adds a user to the store the `serve` arguments name (`--postgres URL` in `args`, else
/// `--store STORE`) and returns its token.
///
/// # Panics
/// When `onemap user add` fails.
#[must_use]
pub fn add_user(
    store: &Path,
    args: &[&std::ffi::OsStr],
    name: &str,
    role: &str,
    unit: &str,
) -> String {
    let mut cmd = Command::new(onemap_bin());
    cmd.args(["user", "add", name, "--role", role, "--unit", unit]);
    match args.iter().position(|a| *a == "--postgres") {
        Some(i) => cmd.arg("--postgres").arg(args[i + 1]),
        None => cmd.arg("--store").arg(store),
    };
    let out = cmd.output().expect("run onemap user add");
    assert!(
        out.status.success(),
        "onemap user add {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A user name not used before in this store (servers restart on the same store).
fn fresh_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Server {
    /// Starts `onemap serve --store STORE` on a free loopback port and waits until `/ready`.
    ///
    /// # Panics
    /// When the binary cannot start or is not ready within `timeout`.
    #[must_use]
    pub fn start(store: &Path, timeout: Duration) -> Self {
        Self::start_with(store, &[], timeout)
    }

    /// Starts `onemap serve --store STORE ARGS...` (e.g. `--web DIR`) like [`Server::start`].
    ///
    /// # Panics
    /// When the binary cannot start or is not ready within `timeout`.
    #[must_use]
    pub fn start_with(store: &Path, args: &[&std::ffi::OsStr], timeout: Duration) -> Self {
        let bin = onemap_bin();
        assert!(
            bin.is_file(),
            "{} missing: build it with `cargo build --release -p tile-server`",
            bin.display()
        );
        let token = add_user(store, args, &fresh_name("test-admin"), "admin", TEST_UNIT);
        // Test clients hammer the server far beyond any person's pace: no per-user rate
        // limit unless a test asks for one (tests/access.rs checks the limiter).
        let unlimited: &[&std::ffi::OsStr] = if args.iter().any(|a| *a == "--rate-per-user") {
            &[]
        } else {
            &[
                std::ffi::OsStr::new("--rate-per-user"),
                std::ffi::OsStr::new("0"),
            ]
        };
        let mut child = Command::new(&bin)
            .args(["serve", "--bind", "127.0.0.1:0", "--store"])
            .arg(store)
            .args(args)
            .args(unlimited)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start onemap");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("onemap exited before listening")
                .expect("read stdout");
            if let Some(rest) = line.strip_prefix("onemap listening on ") {
                break rest.trim_end_matches('/').to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let server = Self { child, base, token };
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = server.try_get("/ready") {
                return server;
            }
            assert!(
                started.elapsed() < timeout,
                "onemap not ready after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The `Authorization` header value of the server's admin token.
    #[must_use]
    pub fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// GET a path; returns the status and the body parsed as JSON (Null if not JSON).
    pub fn try_get(&self, path: &str) -> Result<(u16, Value), ureq::Error> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_mins(1)))
            .build()
            .into();
        let mut resp = agent
            .get(format!("{}{path}", self.base))
            .header("authorization", self.auth())
            .call()?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string()?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// GET a path's raw bytes (tiles); returns the status and the body.
    ///
    /// # Panics
    /// When the request cannot be sent.
    #[must_use]
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_mins(1)))
            .build()
            .into();
        let mut resp = agent
            .get(format!("{}{path}", self.base))
            .header("authorization", self.auth())
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        (status, body)
    }

    /// POST `body` with `content_type` to a path; returns the status and the body parsed as
    /// JSON (Null if not JSON).
    pub fn try_post(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<(u16, Value), ureq::Error> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_mins(2)))
            .build()
            .into();
        let mut resp = agent
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .header("authorization", self.auth())
            .send(body)?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string()?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// POST JSON to a path; returns the status and the JSON answer.
    ///
    /// # Panics
    /// When the request cannot be sent.
    #[must_use]
    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.try_post(path, "application/json", body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// POST NDJSON lines to a path; returns the status and the JSON answer.
    ///
    /// # Panics
    /// When the request cannot be sent.
    #[must_use]
    pub fn post_ndjson(&self, path: &str, lines: &[Value]) -> (u16, Value) {
        let mut body = String::new();
        for l in lines {
            body.push_str(&l.to_string());
            body.push('\n');
        }
        self.try_post(path, "application/x-ndjson", body.as_bytes())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Any request: `method` on a path with extra `headers` and an optional JSON body;
    /// returns the status, the `ETag` header if any, and the body parsed as JSON (Null if
    /// not JSON).
    ///
    /// # Panics
    /// When the request cannot be sent.
    #[must_use]
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Option<String>, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_mins(2)))
            .build()
            .into();
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            req = req.header("authorization", self.auth());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(bytes)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let mut resp = agent
            .run(req)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            etag,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// The process id (to read its memory from /proc).
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// GET a path that must answer 200 with JSON.
    ///
    /// # Panics
    /// On any other answer.
    #[must_use]
    pub fn get(&self, path: &str) -> Value {
        let (status, body) = self
            .try_get(path)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(status, 200, "GET {path} -> {status}: {body}");
        body
    }

    /// Sends SIGKILL (no clean shutdown) and waits for the process to end.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command and returns its stdout; panics with its stderr when it fails.
///
/// # Panics
/// When the program is missing or exits non-zero.
#[must_use]
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} could not run ({e}); scripts/setup test installs it")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Great-circle distance in metres (haversine, mean Earth radius), independent of geo-core.
#[must_use]
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// The feature count GDAL's `ogrinfo` reports for one layer of a file (or `OAPIF:` URL).
///
/// # Panics
/// When `ogrinfo` fails or prints no count.
#[must_use]
pub fn ogr_feature_count(path: &Path, layer: &str) -> u64 {
    let out = run(
        "ogrinfo",
        &["-ro", "-so", path.to_str().expect("utf-8 path"), layer],
    );
    out.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in {out}"))
}

/// Runs `onemap ARGS... --store STORE` and panics with its stderr when it fails.
///
/// # Panics
/// When the command exits non-zero.
pub fn onemap(args: &[&str], store: &Path) {
    let bin = onemap_bin();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--store", store.to_str().expect("utf-8 path")]);
    let _ = run(bin.to_str().expect("utf-8 path"), &all);
}
