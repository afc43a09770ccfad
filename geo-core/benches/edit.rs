//! Grid edits on the demo prefecture (and, with `ONEMAP_BENCH_PROVINCE=1`, the province):
//! the preview of a shared-vertex move, a split and a merge (plan, findings and impact), the
//! commit's build under the write lock (plan and findings) and `Core::apply` of the edit.
//! Targets (issue 11): preview <= 50 ms, commit <= 200 ms with tile invalidation.
#![allow(clippy::unwrap_used, clippy::many_single_char_names, missing_docs)]

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{BoundingRect, Centroid};
use geo_core::codes::GridCode;
use geo_core::demo::{generate, DemoConfig};
use geo_core::edit::{findings, plan, preview, EditOp, Limits};
use geo_core::index::Core;

const AT: i64 = 1_800_000_000;

/// A vertex held by three current grids, and two neighbours of one village.
fn picks(core: &Core) -> ([f64; 2], [f64; 2], GridCode, Vec<GridCode>) {
    let mut by: HashMap<(u64, u64), HashSet<GridCode>> = HashMap::new();
    for g in core
        .grids()
        .iter()
        .filter(|g| g.valid_to.is_none())
        .take(400)
    {
        for p in &g.geometry.0 {
            for c in &p.exterior().0 {
                by.entry((c.x.to_bits(), c.y.to_bits()))
                    .or_default()
                    .insert(g.code);
            }
        }
    }
    let mut nodes: Vec<_> = by.into_iter().filter(|(_, s)| s.len() >= 3).collect();
    nodes.sort_by_key(|(k, _)| *k);
    let ((x, y), holders) = nodes[nodes.len() / 2].clone();
    let from = [f64::from_bits(x), f64::from_bits(y)];
    let first = *holders.iter().min().unwrap();
    let c = core
        .grid_by_code(first)
        .unwrap()
        .geometry
        .centroid()
        .unwrap();
    let to = [
        from[0] + (c.x() - from[0]) * 0.05,
        from[1] + (c.y() - from[1]) * 0.05,
    ];
    let pair = nodes
        .iter()
        .flat_map(|(_, h)| h.iter().flat_map(move |&a| h.iter().map(move |&b| (a, b))))
        .find(|(a, b)| {
            a < b
                && a.village() == b.village()
                && plan(
                    core,
                    &EditOp::Merge {
                        grids: vec![*a, *b],
                    },
                    AT,
                )
                .is_ok()
        })
        .unwrap();
    (from, to, first, vec![pair.0, pair.1])
}

fn scale(c: &mut Criterion, name: &str, config: &DemoConfig) {
    let t = Instant::now();
    let core = Core::new(generate(config).unwrap());
    core.warm_placement();
    eprintln!(
        "{name}: {} grids, {} incidents, {} cameras, {} patrols; built in {:.1?}",
        core.grids().len(),
        core.incidents().count(),
        core.cameras().len(),
        core.patrols().len(),
        t.elapsed()
    );
    let (from, to, grid, pair) = picks(&core);
    let b = core
        .grid_by_code(grid)
        .unwrap()
        .geometry
        .bounding_rect()
        .unwrap();
    let cy = f64::midpoint(b.min().y, b.max().y);
    let ops = [
        ("move_vertex", EditOp::MoveVertex { from, to }),
        (
            "split",
            EditOp::Split {
                grid,
                line: vec![
                    [b.min().x - 0.001, cy],
                    [b.max().x + 0.001, cy + b.height() * 0.1],
                ],
            },
        ),
        ("merge", EditOp::Merge { grids: pair }),
    ];
    let limits = Limits::default();
    let mut g = c.benchmark_group(format!("edit/{name}"));
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    for (op_name, op) in &ops {
        let p = preview(&core, op, AT, &limits).unwrap();
        eprintln!(
            "{op_name}: {} grids after, {} findings, {} incidents and {} cameras change grid",
            p.edit.after.len(),
            p.findings.len(),
            p.impact.incidents.total,
            p.impact.cameras.total
        );
        g.bench_function(format!("preview {op_name}"), |bench| {
            bench.iter(|| black_box(preview(&core, op, AT, &limits).unwrap()));
        });
        g.bench_function(
            format!("commit build {op_name} (plan + findings)"),
            |bench| {
                bench.iter(|| {
                    let e = plan(&core, op, AT).unwrap();
                    black_box(findings(&core, &e, &limits));
                    black_box(e.change_set("bench", "bench"))
                });
            },
        );
        let changes = plan(&core, op, AT).unwrap().change_set("bench", "bench");
        g.bench_function(format!("Core::apply {op_name}"), |bench| {
            bench.iter(|| black_box(core.apply(&changes)));
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    scale(
        c,
        "prefecture",
        &DemoConfig::prefecture().with_patrols(2_000),
    );
    if std::env::var_os("ONEMAP_BENCH_PROVINCE").is_some() {
        scale(c, "province", &DemoConfig::province());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
