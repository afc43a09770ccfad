//! The checks before an import (`validate::check_areas`) on the demo prefecture: 5,382
//! grids against their 1,797 villages, every check (rings, codes, slivers, names, parents,
//! overlaps, gaps), on straight and on meandering boundaries, and the misfit cleaning that
//! runs before them. SPEC/issue 5 and 13 target: validated and indexed in <= 1 s on real
//! boundaries (~180 vertices per grid).
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stderr)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use geo_core::codes::AdminCode;
use geo_core::demo::{generate_partition, DemoConfig};
use geo_core::index::Core;
use geo_core::model::Layer;
use geo_core::validate::{check_areas, clean_coverage, Area, ParentArea, Tolerances};

/// The demo's boundaries: straight Voronoi edges, then edges that meander like roads and
/// rivers (`DemoConfig::with_edge_vertices`), ~180 vertices per grid as real grids have.
/// Last, the size of issue 13's second prefecture: 7,774 meandering grids.
const EDGES: [(&str, Option<usize>, usize); 3] = [
    ("straight", None, 0),
    ("meandering", None, 100),
    ("meandering 7774", Some(7_774), 100),
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate");
    g.sample_size(10);
    for (label, grids, edge_vertices) in EDGES {
        let t = Instant::now();
        let mut config = DemoConfig::prefecture().with_edge_vertices(edge_vertices);
        if let Some(n) = grids {
            config = config.with_grids(n);
        }
        let d = generate_partition(&config).unwrap();
        eprintln!("{label} demo partition generated in {:.2?}", t.elapsed());
        measure(&mut g, label, &d);
    }
    g.finish();
}

fn measure(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    d: &geo_core::model::Dataset,
) {
    let codes: Vec<String> = d.grids.iter().map(|g| g.code.to_string()).collect();
    let areas: Vec<Area<'_>> = d
        .grids
        .iter()
        .enumerate()
        .map(|(i, g)| Area {
            index: i,
            code: &codes[i],
            name: Some(&g.name),
            parent: None,
            geometry: &g.geometry,
        })
        .collect();
    let vcodes: Vec<(String, usize)> = d
        .admin
        .iter()
        .enumerate()
        .filter(|(_, u)| matches!(u.code, AdminCode::Village(_)))
        .map(|(i, u)| (u.code.to_string(), i))
        .collect();
    let parents: Vec<ParentArea<'_>> = vcodes
        .iter()
        .map(|(code, i)| ParentArea {
            code,
            geometry: &d.admin[*i].geometry,
        })
        .collect();
    let tol = Tolerances::default();
    let vertices: usize = d
        .grids
        .iter()
        .map(|g| {
            g.geometry
                .0
                .iter()
                .map(|p| p.exterior().0.len())
                .sum::<usize>()
        })
        .sum();
    // Plain timed runs first: the figure for BENCHMARKS.md.
    let mut times = Vec::new();
    let mut findings = 0;
    for _ in 0..7 {
        let t = Instant::now();
        findings = black_box(check_areas(Layer::Grids, &areas, &parents, &tol)).len();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let mut indexed = Vec::new();
    for _ in 0..3 {
        let ds = d.clone();
        let t = Instant::now();
        black_box(check_areas(Layer::Grids, &areas, &parents, &tol));
        black_box(Core::new(ds));
        indexed.push(t.elapsed().as_secs_f64());
    }
    indexed.sort_by(f64::total_cmp);
    eprintln!(
        "{label}: validate {} grids ({vertices} vertices) against {} villages, all checks, {} threads: \
         median {:.3} s, best {:.3} s ({findings} findings); validated + Core::new: median {:.3} s",
        areas.len(),
        parents.len(),
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        times[times.len() / 2],
        times[0],
        indexed[indexed.len() / 2],
    );
    // The import closes sub-metre misfits before the checks: its cost on a clean file.
    let mut cleaned = Vec::new();
    for _ in 0..3 {
        let mut geoms: Vec<_> = d.grids.iter().map(|g| g.geometry.clone()).collect();
        let t = Instant::now();
        black_box(clean_coverage(&mut geoms, tol.misfit_m));
        cleaned.push(t.elapsed().as_secs_f64());
    }
    cleaned.sort_by(f64::total_cmp);
    eprintln!(
        "{label}: clean_coverage of {} grids at {} m: median {:.3} s",
        areas.len(),
        tol.misfit_m,
        cleaned[cleaned.len() / 2]
    );
    g.bench_function(format!("check_areas {label} grids vs villages"), |b| {
        b.iter(|| black_box(check_areas(Layer::Grids, &areas, &parents, &tol)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
