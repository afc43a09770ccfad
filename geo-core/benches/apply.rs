//! Writes reaching the core (`Core::apply`) on the demo prefecture (and, with
//! `ONEMAP_BENCH_PROVINCE=1`, the province): one report, a batch of 100, a workflow step on
//! a built incident, a batch of GPS fixes, a one-grid redraw; and the background fold of the
//! incident delta. SPEC section 12: a write's cost must follow the change, not the data;
//! the editor's commit target (<= 200 ms with tile invalidation) needs the grid write far
//! below it.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use geo::Translate;
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::Core;
use geo_core::model::{Category, Incident, IncidentId, Lifecycle, Source, Step, Supervision};
use geo_core::store::{ChangeKind, ChangeSet};

fn report(core: &Core, n: u64) -> ChangeSet {
    let mut c = ChangeSet::new(ChangeKind::Report, "bench", "report");
    let base = core.incidents().max_id().unwrap_or(0) + 1;
    let at = core.incidents().span().map_or(0, |s| s.1);
    for k in 0..n {
        let (_, near) = core
            .incidents()
            .iter()
            .nth((k * 7_919) as usize % 100_000)
            .unwrap();
        c.upserts.incidents.push(Incident {
            id: IncidentId(base + k),
            location: near.location,
            category: Category::Dispute,
            subcategory: 0,
            source: Source::GridWorker,
            people: 1,
            status: Step::Reported,
            lifecycle: Lifecycle::reported(at),
            deadline: at + 86_400 * 7,
            supervision: Supervision::None,
        });
    }
    c
}

fn scale(c: &mut Criterion, name: &str, config: &DemoConfig) {
    let t = Instant::now();
    let core = Core::new(generate(config).unwrap());
    core.warm_placement();
    eprintln!(
        "{name}: {} grids, {} incidents, {} workers, {} patrols; built in {:.1?}",
        core.grids().len(),
        core.incidents().count(),
        core.workers().len(),
        core.patrols().len(),
        t.elapsed()
    );
    let mut g = c.benchmark_group(format!("apply/{name}"));
    g.sample_size(20).measurement_time(Duration::from_secs(5));

    let one = report(&core, 1);
    g.bench_function("report 1 incident", |b| {
        b.iter(|| black_box(core.apply(&one)));
    });
    let hundred = report(&core, 100);
    g.bench_function("report 100 incidents", |b| {
        b.iter(|| black_box(core.apply(&hundred)));
    });

    let mut step = ChangeSet::new(ChangeKind::Step, "bench", "accept");
    let (_, built) = core.incidents().iter().nth(12_345).unwrap();
    let mut next = built.clone();
    next.status = Step::Accepted;
    next.lifecycle
        .set(Step::Accepted, built.occurred_at() + 60)
        .unwrap();
    step.upserts.incidents.push(next);
    g.bench_function("step on a built incident", |b| {
        b.iter(|| black_box(core.apply(&step)));
    });

    let mut gps = ChangeSet::new(ChangeKind::Positions, "bench", "gps");
    for (_, w) in core.workers().iter().take(100) {
        let mut m = w.clone();
        m.seen_at += 30;
        gps.upserts.workers.push(m);
    }
    if let Some((_, p)) = core.patrols().iter().next() {
        let mut p = p.clone();
        let last = *p.times.last().unwrap();
        p.track.0.push(*p.track.0.last().unwrap());
        p.times.push(last + 30);
        gps.upserts.patrols.push(p);
    }
    g.bench_function("100 worker moves + 1 track", |b| {
        b.iter(|| black_box(core.apply(&gps)));
    });

    let (i, grid) = core
        .grids()
        .iter()
        .enumerate()
        .find(|(_, g)| g.valid_to.is_none())
        .map(|(i, g)| (i, (**g).clone()))
        .unwrap();
    let _ = i;
    let at = core.incidents().span().map_or(0, |s| s.1);
    let mut ended = grid.clone();
    ended.valid_to = Some(at);
    let mut redrawn = grid.clone();
    redrawn.revision += 1;
    redrawn.valid_from = at;
    redrawn.geometry = grid.geometry.translate(0.0005, 0.0);
    let mut edit = ChangeSet::new(ChangeKind::Edit, "bench", "redraw one grid");
    edit.upserts.grids = vec![ended, redrawn];
    g.bench_function("one-grid redraw", |b| {
        b.iter(|| black_box(core.apply(&edit)));
    });
    // The same report with the delta nearly full (just before a fold).
    let mut full = core.clone();
    let batch = report(&core, 1_000);
    for k in 0..30u64 {
        let mut c = batch.clone();
        for inc in &mut c.upserts.incidents {
            inc.id = IncidentId(inc.id.0 + 10_000_000 + k * 1_000);
        }
        full = full.apply(&c);
    }
    g.bench_function("report 1 incident, 30,000 in the delta", |b| {
        b.iter(|| black_box(full.apply(&one)));
    });
    g.finish();

    // The fold of a full delta, once (it runs in the background, off the write path).
    let mut big = core.clone();
    let batch = report(&core, 1_000);
    for k in 0..33u64 {
        let mut c = batch.clone();
        for inc in &mut c.upserts.incidents {
            inc.id = IncidentId(inc.id.0 + k * 1_000);
        }
        big = big.apply(&c);
    }
    let t = Instant::now();
    let folded = big.fold_incidents();
    let fold = t.elapsed();
    let t = Instant::now();
    let after = big.with_folded(folded);
    eprintln!(
        "{name}: fold of {} incidents (33,000 in the delta): {fold:.2?} in the background, swap {:.2?}",
        after.incidents().count(),
        t.elapsed()
    );
}

fn bench(c: &mut Criterion) {
    scale(
        c,
        "prefecture",
        &DemoConfig::prefecture().with_points_per_patrol(100),
    );
    if std::env::var_os("ONEMAP_BENCH_PROVINCE").is_some() {
        scale(
            c,
            "province",
            &DemoConfig::province().with_points_per_patrol(100),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
