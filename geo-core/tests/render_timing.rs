//! Render time per tile and layer over the full demo prefecture, or the province with
//! `ONEMAP_SCALE=province` (prints, never asserts).
//!
//! `cargo test --release -p geo-core --test render_timing -- --ignored --nocapture`
//! (`scoped_render_time_for_a_township_user` alone: add its name as a filter)
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use geo_core::access::Scope;
use geo_core::codes::AdminCode;
use geo_core::demo::{generate, DemoConfig};
use geo_core::demo::{WINDOW_END, WINDOW_START};
use geo_core::index::Core;
use geo_core::model::{Category, IncidentStatus};
use geo_core::render::{render_tile, TileFilter, TileLayer};
use geo_core::tile::TileCoord;

/// The 5x5 tiles around Jishou (109.74, 28.31) at zoom `z`.
fn tiles_at(z: u32) -> Vec<TileCoord> {
    let c = TileCoord::containing(109.74, 28.31, z).unwrap();
    let mut out = Vec::new();
    for dx in -2i64..=2 {
        for dy in -2i64..=2 {
            let x = u32::try_from(i64::from(c.x()) + dx).unwrap();
            let y = u32::try_from(i64::from(c.y()) + dy).unwrap();
            out.push(TileCoord::new(z, x, y).unwrap());
        }
    }
    out
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// The core of the demo prefecture (or province with `ONEMAP_SCALE=province`).
fn demo_core() -> Core {
    let province = std::env::var("ONEMAP_SCALE").is_ok_and(|s| s == "province");
    let config = if province {
        DemoConfig::province()
    } else {
        DemoConfig::prefecture()
    };
    let t = Instant::now();
    let core = Core::new(generate(&config).unwrap());
    println!(
        "demo {} ({} incidents) + core: {:.1} s",
        if province { "province" } else { "prefecture" },
        core.to_dataset().incidents.len(),
        t.elapsed().as_secs_f64()
    );
    core
}

/// What is timed: every tile layer unfiltered, then raw and filtered incidents and a
/// filtered heatmap.
fn lines() -> Vec<(String, TileLayer, TileFilter)> {
    let filtered = TileFilter {
        categories: vec![Category::Dispute],
        ..TileFilter::default()
    };
    // A quarter of the demo's three years, two categories, one status.
    let mid = (WINDOW_START + WINDOW_END) / 2;
    let window = TileFilter {
        from: Some(mid),
        to: Some(mid + 91 * 86_400),
        categories: vec![Category::Dispute, Category::SafetyHazard],
        statuses: vec![IncidentStatus::Closed],
        ..TileFilter::default()
    };
    TileLayer::ALL
        .iter()
        .map(|&l| (l.as_str().to_owned(), l, TileFilter::default()))
        .chain([
            (
                "incidents:raw".to_owned(),
                TileLayer::Data(geo_core::model::Layer::Incidents),
                TileFilter {
                    raw: true,
                    ..TileFilter::default()
                },
            ),
            (
                "incidents:cat".to_owned(),
                TileLayer::Data(geo_core::model::Layer::Incidents),
                filtered,
            ),
            ("heatmap:window".to_owned(), TileLayer::Heatmap, window),
        ])
        .collect()
}

/// Render times in ms, sorted, and the mean tile size in KiB: three rounds over `coords`
/// (the first warms caches; all count, nothing is reused between renders).
fn timed(
    core: &Core,
    layer: TileLayer,
    filter: &TileFilter,
    scope: &Scope,
    coords: &[TileCoord],
) -> (Vec<f64>, f64) {
    let mut ms = Vec::new();
    let mut bytes = 0usize;
    for _ in 0..3 {
        for &c in coords {
            let t = Instant::now();
            let tile = render_tile(core, layer, c, filter, scope).unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            bytes += tile.len();
        }
    }
    ms.sort_by(f64::total_cmp);
    let kib = bytes as f64 / ms.len() as f64 / 1024.0;
    (ms, kib)
}

#[test]
#[ignore = "timing over the full demo prefecture: run in release with --ignored --nocapture"]
fn render_time_per_layer_and_zoom() {
    let core = demo_core();
    println!("layer            z  tiles  p50 ms  p99 ms  max ms  mean KiB");
    for (name, layer, filter) in lines() {
        for z in [10, 12, 14, 16] {
            let coords = tiles_at(z);
            let (ms, kib) = timed(&core, layer, &filter, &Scope::ALL, &coords);
            println!(
                "{name:<15} {z:>2} {:>6} {:>7.2} {:>7.2} {:>7.2} {kib:>9.1}",
                coords.len(),
                pct(&ms, 0.5),
                pct(&ms, 0.99),
                ms[ms.len() - 1],
            );
        }
    }
}

/// The same tiles for a user bound to the township of Jishou, beside the unscoped times:
/// what cutting every layer to the caller's unit costs (the grid placement is built
/// first, as a server does in the background at start, and the unit's cell table by its
/// first tile, timed apart).
#[test]
#[ignore = "timing over the full demo prefecture: run in release with --ignored --nocapture"]
fn scoped_render_time_for_a_township_user() {
    let core = demo_core();
    let t = Instant::now();
    core.warm_placement();
    println!("grid placement: {:.2} s", t.elapsed().as_secs_f64());
    let township: AdminCode = core.locate(109.74, 28.31).unwrap().township.unwrap().code;
    let scope = Scope::unit(township);
    let extent = core.scope_extent(&scope).unwrap();
    // The tiles a township user's map asks for: those of the 5x5 around Jishou that meet
    // the township (the others are empty for them without a query).
    let township_tiles = |z: u32| -> Vec<TileCoord> {
        tiles_at(z)
            .into_iter()
            .filter(|c| {
                let b = c.bounds_lonlat();
                b.min().x <= extent.max().x
                    && extent.min().x <= b.max().x
                    && b.min().y <= extent.max().y
                    && extent.min().y <= b.max().y
            })
            .collect()
    };
    // The unit's first scoped cluster tile builds its cell table, once: timed apart.
    let first = township_tiles(10)[0];
    let t = Instant::now();
    render_tile(
        &core,
        TileLayer::Heatmap,
        first,
        &TileFilter::default(),
        &scope,
    )
    .unwrap();
    println!(
        "first scoped heatmap tile (builds the township's cell table): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("township {township}: unscoped p50 / p99 ms, then scoped p50 / p99 ms and KiB");
    println!(
        "layer            z  tiles  all p50  all p99  scoped p50  scoped p99  all KiB  scoped KiB"
    );
    for (name, layer, filter) in lines() {
        for z in [10, 12, 14, 16] {
            let coords = township_tiles(z);
            let (all, all_kib) = timed(&core, layer, &filter, &Scope::ALL, &coords);
            let (cut, cut_kib) = timed(&core, layer, &filter, &scope, &coords);
            println!(
                "{name:<15} {z:>2} {:>6} {:>8.2} {:>8.2} {:>11.2} {:>11.2} {all_kib:>8.1} {cut_kib:>11.1}",
                coords.len(),
                pct(&all, 0.5),
                pct(&all, 0.99),
                pct(&cut, 0.5),
                pct(&cut, 0.99),
            );
        }
    }
}
