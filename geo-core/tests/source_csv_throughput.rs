//! Throughput of the generic CSV reader on a 15-column incident-like CSV (rows/s printed,
//! never asserted). The million-row run is ignored by default; run it in release:
//! `cargo test --release -p geo-core --test source_csv_throughput -- --ignored --nocapture`

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::fmt::Write as _;
use std::time::Instant;

use geo_core::source::{read_bytes, SourceOptions};
use geo_types::Geometry;
use serde_json::json;

/// The allocator the `onemap` binary uses: one map and a dozen strings per row make the
/// allocator a large part of the cost, so measure with the production one.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `n` rows: id, lon, lat and 12 text columns (Chinese text in three of them).
fn csv(n: usize) -> String {
    let mut s = String::with_capacity(200 * n);
    s.push_str("id,lon,lat,category,subcategory,status,source,people,reported_at,deadline,supervision,grid,village,description,reporter\n");
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let lon = 109.0 + (x % 1_500_000) as f64 * 1e-6;
        let lat = 27.5 + (x >> 24) as f64 % 1_500_000.0 * 1e-6;
        writeln!(
            s,
            "{i},{lon:.6},{lat:.6},dispute,{},reported,hotline,{},2024-05-01T08:{:02}:00Z,2024-05-08T08:00:00Z,normal,4331010010010{:02},433101001001,楼道堆放杂物第{i}起,",
            x % 5,
            x % 20,
            i % 60,
            i % 100
        )
        .unwrap();
    }
    s
}

/// This thread's CPU time in seconds (utime + stime, 100 ticks/s): the machine is shared,
/// so wall time alone overstates the cost when other jobs run.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

/// Peak resident memory of this process (`VmHWM`), in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    kb / 1e3
}

/// Reads `n` generated rows as UTF-8 and as GBK, each twice: the first read of a process
/// pays for fresh memory pages (the features' maps and strings), the second reuses them.
fn measure(n: usize) {
    let text = csv(n);
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    for (label, bytes) in [("UTF-8", text.as_bytes()), ("GBK", gbk.as_ref())] {
        for run in ["first", "again"] {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let src = read_bytes("incidents.csv", bytes, &SourceOptions::default()).unwrap();
            let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
            eprintln!(
                "read csv {label:<5} ({run}) {n} rows x 15 columns ({:.0} MB): wall {wall:.3} s = {:.0} rows/s; cpu {cpu:.2} s = {:.0} rows/s; peak RSS {:.0} MB",
                bytes.len() as f64 / 1e6,
                n as f64 / wall,
                n as f64 / cpu.max(0.01),
                peak_mb(),
            );
            assert!(src.problems.is_empty());
            assert_eq!(src.features.len(), n);
            let last = &src.features[n - 1];
            assert!(matches!(last.geometry, Some(Geometry::Point(_))));
            assert_eq!(last.properties.len(), 13);
            assert_eq!(last.properties["reporter"], json!(null));
            assert_eq!(
                last.properties["description"],
                json!(format!("楼道堆放杂物第{}起", n - 1))
            );
        }
    }
}

#[test]
fn csv_read_rate_100k_rows() {
    measure(100_000);
}

#[test]
#[ignore = "throughput measurement; run in release with --ignored --nocapture"]
fn csv_read_rate_million_rows() {
    measure(1_000_000);
}
