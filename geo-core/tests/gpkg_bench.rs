//! Throughput of the GeoPackage store on a million incidents (SPEC 12: import >= 500,000
//! rows/s into store and index). Run in release and read the printed figures:
//! `cargo test --release -p geo-core --test gpkg_bench -- --ignored --nocapture`.
//! Nothing here asserts a timing; the test checks the data and prints the rates.

// Tests may unwrap and panic (BRIEF); helpers outside #[test] fns need it said.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)]

use std::time::Instant;

use geo_core::model::{
    Category, Dataset, Incident, IncidentDetails, IncidentId, Layer, Lifecycle, Source, Step,
    Supervision,
};
use geo_core::store::{ChangeSet, GpkgStore, Store};
use geo_types::Point;
use rand::{Rng, SeedableRng};

const N: u64 = 1_000_000;
const T0: i64 = 1_600_000_000;

fn incidents(n: u64) -> (Vec<Incident>, Vec<IncidentDetails>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let mut incs = Vec::with_capacity(n as usize);
    let mut dets = Vec::with_capacity(n as usize);
    for id in 0..n {
        let at = T0 + rng.random_range(0..94_608_000);
        let mut life = Lifecycle::reported(at);
        let reached = rng.random_range(0..7);
        for s in &Step::ALL[1..=reached] {
            life.set(*s, at + 3600 * s.index() as i64).unwrap();
        }
        let category = Category::ALL[rng.random_range(0..7)];
        incs.push(Incident {
            id: IncidentId(id),
            location: Point::new(rng.random_range(109.0..110.5), rng.random_range(27.8..29.0)),
            category,
            subcategory: rng.random_range(0..category.subcategories().len()) as u8,
            source: Source::ALL[rng.random_range(0..4)],
            people: rng.random_range(1..20),
            status: Step::ALL[reached],
            lifecycle: life,
            deadline: at + 7 * 86_400,
            supervision: Supervision::ALL[rng.random_range(0..4)],
        });
        dets.push(IncidentDetails {
            description: format!("事件描述 {id}"),
            reporter: "网格员".into(),
        });
    }
    (incs, dets)
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat: on a shared
/// machine wall time varies with the load, CPU time much less.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s; index 11, 12 after the ')'.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn million_incidents_apply_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.gpkg");
    let (incs, dets) = incidents(N);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = GpkgStore::open(&path).unwrap();
        let changes = ChangeSet {
            upserts: Dataset { incidents: incs.clone(), incident_details: dets, ..Dataset::default() },
            author: "bench".into(),
            summary: "1M incidents".into(),
            ..ChangeSet::default()
        };
        let (t, c) = (Instant::now(), cpu_s());
        let applied = store.apply(changes).await.unwrap();
        let (apply_s, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - c);
        assert_eq!(applied.rows, N);
        println!(
            "apply {N} incidents (with details, one transaction, fsync'd): {apply_s:.2} s wall = {:.0} rows/s; {cpu:.2} s CPU = {:.0} rows/CPU-s",
            N as f64 / apply_s,
            N as f64 / cpu
        );

        let (t, c) = (Instant::now(), cpu_s());
        let data = store.load().await.unwrap();
        let (load_s, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - c);
        assert_eq!(data.incidents, incs);
        println!("load {N} incidents: {load_s:.2} s wall = {:.0} rows/s; {cpu:.2} s CPU", N as f64 / load_s);

        // Re-applying the same million is all updates (old geometry read for the dirty box).
        let changes = ChangeSet {
            upserts: Dataset { incidents: incs, ..Dataset::default() },
            ..ChangeSet::default()
        };
        let (t, c) = (Instant::now(), cpu_s());
        store.apply(changes).await.unwrap();
        let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - c);
        println!("re-apply {N} incidents as updates (no details): {s:.2} s wall = {:.0} rows/s; {cpu:.2} s CPU", N as f64 / s);
        assert_eq!(store.count(Layer::Incidents).await.unwrap(), N);
    });
    let size = std::fs::metadata(&path).unwrap().len()
        + std::fs::metadata(path.with_extension("gpkg-wal")).map_or(0, |m| m.len());
    println!("file size (db + wal): {:.1} MB", size as f64 / 1e6);
}
