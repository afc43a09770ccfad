//! Throughput of writing and reading 1,000,000 incidents as CSV and NDJSON (rows/s).
//! Ignored by default; run in release:
//! `cargo test --release -p geo-core --test formats_throughput -- --ignored --nocapture`

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::time::Instant;

use geo_core::formats::{
    read_csv, read_ndjson, write_csv, write_geojson, write_ndjson, CsvOptions,
};
use geo_core::model::{
    Category, Dataset, Incident, IncidentDetails, IncidentId, Layer, Lifecycle, Source, Step,
    Supervision,
};
use geo_types::Point;
use rand::{Rng, SeedableRng};

fn incidents(n: usize) -> Dataset {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut d = Dataset::default();
    for i in 0..n {
        let t0 = 1_600_000_000 + rng.random_range(0..94_000_000);
        let mut lifecycle = Lifecycle::reported(t0);
        let reached = rng.random_range(0..7);
        let mut status = Step::Reported;
        for (k, s) in Step::ALL[1..=reached].iter().enumerate() {
            lifecycle.set(*s, t0 + 3_600 * (k as i64 + 1)).unwrap();
            status = *s;
        }
        let category = Category::ALL[rng.random_range(0..7)];
        d.incidents.push(Incident {
            id: IncidentId(i as u64 + 1),
            location: Point::new(rng.random_range(109.0..110.5), rng.random_range(27.5..29.0)),
            category,
            subcategory: rng.random_range(0..category.subcategories().len()) as u8,
            source: Source::ALL[rng.random_range(0..4)],
            people: rng.random_range(1..20),
            status,
            lifecycle,
            deadline: t0 + 7 * 86_400,
            supervision: Supervision::ALL[rng.random_range(0..4)],
        });
        d.incident_details.push(IncidentDetails {
            description: format!("第{i}起事件: 楼道堆放杂物"),
            reporter: format!("王五 139{i:08}"),
        });
    }
    d
}

/// This thread's CPU time in seconds (utime + stime from /proc, 100 ticks/s): the machine
/// is shared, so wall time alone overstates the cost when other jobs run.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

#[derive(Clone, Copy)]
struct Clock(Instant, f64);

fn start() -> Clock {
    Clock(Instant::now(), cpu_seconds())
}

fn rate(what: &str, n: usize, bytes: usize, start: Clock) {
    let wall = start.0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - start.1;
    eprintln!(
        "{what:<30} {n} rows: wall {wall:6.3} s = {:>8.0} rows/s; cpu {cpu:6.2} s = {:>8.0} rows/s ({:.0} MB)",
        n as f64 / wall,
        n as f64 / cpu,
        bytes as f64 / 1e6
    );
}

#[test]
#[ignore = "throughput measurement; run in release with --ignored --nocapture"]
fn million_incidents() {
    let n = 1_000_000;
    let d = incidents(n);
    for personal in [false, true] {
        let tag = if personal {
            "with personal"
        } else {
            "no personal"
        };

        let mut csv = Vec::with_capacity(200 * n);
        let t = start();
        assert_eq!(
            write_csv(&d, Layer::Incidents, None, personal, &mut csv).unwrap(),
            n
        );
        rate(&format!("write csv ({tag})"), n, csv.len(), t);
        let t = start();
        let (back, report) =
            read_csv(csv.as_slice(), Layer::Incidents, &CsvOptions::default()).unwrap();
        rate(&format!("read csv ({tag})"), n, csv.len(), t);
        assert!(report.is_clean());
        assert_eq!(back.incidents, d.incidents);
        drop(back);

        let mut nd = Vec::with_capacity(500 * n);
        let t = start();
        assert_eq!(
            write_ndjson(&d, Layer::Incidents, None, personal, &mut nd).unwrap(),
            n
        );
        rate(&format!("write ndjson ({tag})"), n, nd.len(), t);
        let t = start();
        let (back, report) = read_ndjson(nd.as_slice(), Layer::Incidents).unwrap();
        rate(&format!("read ndjson ({tag})"), n, nd.len(), t);
        assert!(report.is_clean());
        assert_eq!(back.incidents, d.incidents);
    }
    let mut gj = Vec::new();
    let t = start();
    write_geojson(&d, Layer::Incidents, None, false, &mut gj).unwrap();
    rate("write geojson (no personal)", n, gj.len(), t);
}
