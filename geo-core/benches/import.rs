//! Imports on the demo prefecture (SPEC section 12):
//! - 1,000,000 incidents from CSV into the store and the index: target >= 500,000 rows/s;
//! - 5,382 grids validated with the topology checks and indexed: target <= 1 s.
//!
//! Each stage prints its wall time and rows/s; the whole import is timed end to end.
//! `cargo bench -p geo-core --bench import`; `scripts/bench-import` runs it beside ogr2ogr.
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stderr)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use geo_core::demo::DemoConfig;
use geo_core::formats::{write_csv, write_geojson};
use geo_core::index::Core;
use geo_core::load::{self, LoadOptions};
use geo_core::model::{Dataset, Layer};
use geo_core::source::{read_bytes, SourceOptions};
use geo_core::store::gpkg::GpkgStore;
use geo_core::store::{ChangeSet, Store};

fn rate(rows: usize, d: Duration) -> String {
    format!("{:>9.0} rows/s", rows as f64 / d.as_secs_f64())
}

fn stage(name: &str, rows: usize, d: Duration) {
    eprintln!("  {name:<44} {:>8.3} s  {}", d.as_secs_f64(), rate(rows, d));
}

fn write_store(data: Dataset) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let store = GpkgStore::open(dir.path().join("import.gpkg")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let t = Instant::now();
    rt.block_on(store.apply(ChangeSet {
        upserts: data,
        author: "bench".into(),
        summary: "import bench".into(),
        ..ChangeSet::default()
    }))
    .unwrap();
    t.elapsed()
}

/// One million incidents from onemap's CSV: parse and check, write, index.
fn incidents(demo: &Dataset) {
    let mut csv = Vec::new();
    write_csv(demo, Layer::Incidents, None, false, &mut csv).unwrap();
    let rows = demo.incidents.len();
    eprintln!(
        "-- {rows} incidents from CSV ({:.0} MB) into store and index",
        csv.len() as f64 / 1e6
    );
    let opts = LoadOptions::new(Layer::Incidents);
    for round in 1..=3 {
        eprintln!(" round {round}");
        let t0 = Instant::now();
        assert!(load::is_onemap_csv(&csv, &opts));
        let prepared = load::prepare_onemap_csv(&csv, "incidents.csv", &opts);
        let parsed = t0.elapsed();
        assert_eq!(prepared.report.errors(), 0, "{}", prepared.report);
        assert_eq!(prepared.data.incidents.len(), rows);
        stage("parse + check (onemap CSV)", rows, parsed);
        let mut data = prepared.data;
        let for_index = Dataset {
            admin: demo.admin.clone(),
            grids: demo.grids.clone(),
            incidents: data.incidents.clone(),
            ..Dataset::default()
        };
        data.incident_details.clear();
        // The store write and the index build need nothing from each other: one core each.
        let t = Instant::now();
        let (stored, indexed) = std::thread::scope(|s| {
            let store = s.spawn(|| write_store(data));
            let t = Instant::now();
            let core = Core::new(for_index);
            let _ = core.incidents().count();
            let indexed = t.elapsed();
            (store.join().unwrap(), indexed)
        });
        let both = t.elapsed();
        stage("write to the GeoPackage (one transaction)", rows, stored);
        stage("index (core + H3 cells)", rows, indexed);
        stage("store and index side by side", rows, both);
        stage(
            "TOTAL sequential (parse + store + index)",
            rows,
            parsed + stored + indexed,
        );
        stage("TOTAL parse, then store | index", rows, parsed + both);
    }
    // A foreign CSV of the same rows goes through the generic reader and field mapping.
    let t = Instant::now();
    match read_bytes("incidents.csv", &csv, &SourceOptions::default()) {
        Ok(source) => {
            let read = t.elapsed();
            stage("generic CSV reader", rows, read);
            let t = Instant::now();
            let p = load::prepare(source, "incidents.csv", &opts, &Dataset::default());
            stage("generic field mapping + checks", rows, t.elapsed());
            stage(
                "generic total (no store, no index)",
                rows,
                read + t.elapsed(),
            );
            assert_eq!(p.report.errors(), 0, "{}", p.report);
        }
        Err(e) => eprintln!("  generic CSV reader: {e}"),
    }
}

fn grid_file(demo: &Dataset) -> Vec<u8> {
    let mut out = Vec::new();
    write_geojson(demo, Layer::Grids, None, false, &mut out).unwrap();
    out
}

fn villages(demo: &Dataset) -> Dataset {
    Dataset {
        admin: demo.admin.clone(),
        ..Dataset::default()
    }
}

/// 5,382 grids: read, validate with topology checks against the villages, index.
fn grids(c: &mut Criterion, demo: &Dataset) {
    let bytes = grid_file(demo);
    let context = villages(demo);
    let n = demo.grids.len();
    eprintln!("-- {n} grids from GeoJSON: validate (topology) and index");
    let opts = LoadOptions::new(Layer::Grids);
    let run = || {
        let source = read_bytes("grids.geojson", &bytes, &SourceOptions::default()).unwrap();
        let p = load::prepare(source, "grids.geojson", &opts, &context);
        let core = Core::new(Dataset {
            admin: context.admin.clone(),
            grids: p.data.grids,
            ..Dataset::default()
        });
        (p.report, core.grids().len())
    };
    for _ in 0..3 {
        let t = Instant::now();
        let (report, indexed) = run();
        let d = t.elapsed();
        stage("read + validate + index grids", n, d);
        eprintln!(
            "    {} errors, {} warnings, {indexed} indexed",
            report.errors(),
            report.warnings()
        );
    }
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("grids: read + validate + index", |b| b.iter(run));
    g.finish();
}

fn bench(c: &mut Criterion) {
    let t = Instant::now();
    let demo = geo_core::demo::generate(&DemoConfig::prefecture().with_patrols(0)).unwrap();
    eprintln!("demo prefecture generated in {:.1?}", t.elapsed());
    grids(c, &demo);
    incidents(&demo);
}

criterion_group!(benches, bench);
criterion_main!(benches);
