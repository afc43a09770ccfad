//! Limits on imports over HTTP, on the real binary: a zip bomb (honest and lying headers),
//! an upload over the size limit and a million-vertex polygon are each refused with a 4xx
//! naming the limit, quickly, and leave the server's memory as it was; a normal import
//! still works afterwards, and one user cannot keep more than their share pending.
//!
//! The figures (time to refuse, RSS before and after) are printed: run with `--no-capture`
//! to see them (BENCHMARKS.md, "Limits").

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)] // helpers of #[test] functions

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use onemap_e2e::Server;
use serde_json::Value;

/// What "quickly" means on a shared, noisy machine.
const QUICKLY: Duration = Duration::from_secs(30);

/// How much the server's RSS may grow for good after a refused upload.
const RSS_SLACK_KIB: u64 = 100 * 1024;

/// The server's resident memory, KiB.
fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// RSS once the server has had a moment to give freed memory back.
fn settled_rss_kib(server: &Server) -> u64 {
    std::thread::sleep(Duration::from_secs(2));
    rss_kib(server)
}

fn upload(server: &Server, query: &str, body: &[u8]) -> (u16, Value) {
    server
        .try_post(
            &format!("/api/imports?{query}"),
            "application/octet-stream",
            body,
        )
        .unwrap_or_else(|e| panic!("POST /api/imports?{query}: {e}"))
}

/// Uploads `body`, which must be refused with `status` and a message naming `limit`,
/// within [`QUICKLY`]; returns how much the server's RSS grew for good, KiB (checked
/// against [`RSS_SLACK_KIB`] at the end, once every case has printed its figures).
fn refused(
    server: &Server,
    case: &str,
    query: &str,
    body: &[u8],
    status: u16,
    limit: &str,
) -> (String, u64) {
    let before = settled_rss_kib(server);
    let t = Instant::now();
    let (got, answer) = upload(server, query, body);
    let took = t.elapsed();
    let peak_hint = rss_kib(server);
    let after = settled_rss_kib(server);
    eprintln!(
        "limits: {case}: {} KiB upload -> {got} in {:.2} s; RSS before {} MiB, right after {} MiB, settled {} MiB",
        body.len() / 1024,
        took.as_secs_f64(),
        before / 1024,
        peak_hint / 1024,
        after / 1024
    );
    assert_eq!(got, status, "{case}: {answer}");
    let message = answer["description"].as_str().unwrap_or_default();
    assert!(
        message.contains(limit),
        "{case}: the message names {limit}: {answer}"
    );
    assert!(took < QUICKLY, "{case}: refused after {took:?}");
    (case.to_owned(), after.saturating_sub(before))
}

/// A zip of one member `name` holding `len` zero bytes, deflated (about 1,000:1).
fn zeros_zip(name: &str, len: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file(name, o).unwrap();
    let chunk = vec![0_u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        w.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    w.finish().unwrap().into_inner()
}

/// Makes the one member's declared uncompressed size `size` (local header and central
/// directory): a header that lies about what the member inflates to.
fn lie_about_size(zip: &mut [u8], size: u32) {
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    assert_eq!(&zip[..4], b"PK\x03\x04");
    zip[22..26].copy_from_slice(&size.to_le_bytes());
    let eocd = zip.len() - 22;
    assert_eq!(&zip[eocd..eocd + 4], b"PK\x05\x06");
    let cd = u32_at(zip, eocd + 16) as usize;
    assert_eq!(&zip[cd..cd + 4], b"PK\x01\x02");
    zip[cd + 24..cd + 28].copy_from_slice(&size.to_le_bytes());
}

/// A `GeoJSON` polygon of `n` vertices: a circle near Jishou.
fn huge_polygon(n: usize) -> Vec<u8> {
    let mut out = String::with_capacity(n * 40);
    out.push_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"433101001001001","name":"big"},"geometry":{"type":"Polygon","coordinates":[["#);
    for i in 0..n {
        let a = std::f64::consts::TAU * (i % (n - 1)) as f64 / (n - 1) as f64;
        if i > 0 {
            out.push(',');
        }
        write!(
            out,
            "[{:.7},{:.7}]",
            109.7385 + 0.01 * a.cos(),
            28.3116 + 0.01 * a.sin()
        )
        .unwrap();
    }
    out.push_str("]]}}]}");
    out.into_bytes()
}

/// A one-camera CSV: the smallest real import.
const CAMERA_CSV: &[u8] = "设备编码,设备名称,经度,纬度,摄像机类型,在线状态\n\
    43310100001320000901,限额测试,109.7385,28.3116,球机,在线\n"
    .as_bytes();

fn small_import(server: &Server) -> String {
    let (status, answer) = upload(server, "layer=cameras&name=cams.csv", CAMERA_CSV);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["errors"], 0, "{answer}");
    answer["id"].as_str().unwrap().to_owned()
}

#[test]
fn limits_are_refused_quickly_and_cost_nothing_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("onemap.gpkg"), Duration::from_mins(10));

    // Warm up the import path, then forget it.
    let id = small_import(&server);
    let (status, _, _) = server.request("DELETE", &format!("/api/imports/{id}"), &[], None);
    assert_eq!(status, 204);

    let mut grown = Vec::new();

    // (a) A zip bomb: 1 GiB of zeros, about 1 MB deflated. With honest headers it is refused
    // before anything is inflated (the header declares more than the total allowed); with
    // headers that say 1 MiB it is stopped while inflating, at the first byte past that.
    let t = Instant::now();
    let bomb = zeros_zip("bomb.shp", 1 << 30);
    eprintln!(
        "limits: zip bomb made: {} KiB deflated, 1 GiB inflated, in {:.1} s",
        bomb.len() / 1024,
        t.elapsed().as_secs_f64()
    );
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    grown.push(refused(
        &server,
        "zip bomb (honest headers)",
        "layer=grids&name=bomb.zip",
        &bomb,
        413,
        "limit zip_uncompressed",
    ));
    let mut lying = bomb.clone();
    lie_about_size(&mut lying, 1 << 20);
    grown.push(refused(
        &server,
        "zip bomb (headers say 1 MiB)",
        "layer=grids&name=bomb.zip",
        &lying,
        413,
        "limit zip_declared_size",
    ));
    // The same bomb as a KMZ.
    let kmz = zeros_zip("doc.kml", 1 << 30);
    grown.push(refused(
        &server,
        "KMZ bomb",
        "layer=grids&name=bomb.kmz",
        &kmz,
        413,
        "limit zip_uncompressed",
    ));
    drop((bomb, lying, kmz));

    // (b) An upload over the size limit (256 MiB).
    let oversized = vec![b' '; (256 << 20) + 1];
    grown.push(refused(
        &server,
        "upload over 256 MiB",
        "layer=grids&name=big.geojson",
        &oversized,
        413,
        "limit upload_bytes",
    ));
    drop(oversized);

    // (c) A polygon of a million vertices.
    let polygon = huge_polygon(1_000_000);
    grown.push(refused(
        &server,
        "1,000,000-vertex polygon",
        "layer=grids&name=big.geojson",
        &polygon,
        413,
        "limit vertices_per_geometry",
    ));
    // The same polygon as a lone Feature, not in a collection.
    let prefix = br#"{"type":"FeatureCollection","features":["#.len();
    let lone = &polygon[prefix..polygon.len() - 2];
    assert!(lone.starts_with(br#"{"type":"Feature""#) && lone.ends_with(b"}"));
    grown.push(refused(
        &server,
        "1,000,000-vertex polygon, lone Feature",
        "layer=grids&name=big.geojson",
        lone,
        413,
        "limit vertices_per_geometry",
    ));
    drop(polygon);
    for (case, kib) in &grown {
        assert!(
            *kib <= RSS_SLACK_KIB,
            "{case}: the server kept {kib} KiB more than before"
        );
    }

    // A normal small import still works, all the way to the store.
    let id = small_import(&server);
    let (status, _, answer) =
        server.request("POST", &format!("/api/imports/{id}/commit"), &[], None);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["written"], 1, "{answer}");

    // One user may keep three imports pending; a fourth is refused (429) until one goes.
    let ids: Vec<String> = (0..3).map(|_| small_import(&server)).collect();
    let (status, answer) = upload(&server, "layer=cameras&name=cams.csv", CAMERA_CSV);
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["description"]
            .as_str()
            .unwrap_or_default()
            .contains("limit pending_imports_per_owner"),
        "{answer}"
    );
    let (status, _, _) = server.request("DELETE", &format!("/api/imports/{}", ids[0]), &[], None);
    assert_eq!(status, 204);
    let _ = small_import(&server);
}
