//! Render time per tile and layer over the full demo prefecture, or the province with
//! `ONEMAP_SCALE=province` (prints, never asserts).
//!
//! `cargo test --release -p geo-core --test render_timing -- --ignored --nocapture`
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use geo_core::access::Scope;
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

#[test]
#[ignore = "timing over the full demo prefecture: run in release with --ignored --nocapture"]
fn render_time_per_layer_and_zoom() {
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
    println!("layer            z  tiles  p50 ms  p99 ms  max ms  mean KiB");
    for (name, layer, filter) in TileLayer::ALL
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
                filtered.clone(),
            ),
            (
                "heatmap:window".to_owned(),
                TileLayer::Heatmap,
                window.clone(),
            ),
        ])
    {
        for z in [10, 12, 14, 16] {
            let coords = tiles_at(z);
            let mut ms = Vec::new();
            let mut bytes = 0usize;
            // Three rounds: the first warms caches, all count (uncached: nothing is reused).
            for _ in 0..3 {
                for &c in &coords {
                    let t = Instant::now();
                    let tile = render_tile(&core, layer, c, &filter, &Scope::ALL).unwrap();
                    ms.push(t.elapsed().as_secs_f64() * 1e3);
                    bytes += tile.len();
                }
            }
            ms.sort_by(f64::total_cmp);
            println!(
                "{name:<15} {z:>2} {:>6} {:>7.2} {:>7.2} {:>7.2} {:>9.1}",
                coords.len(),
                pct(&ms, 0.5),
                pct(&ms, 0.99),
                ms[ms.len() - 1],
                bytes as f64 / ms.len() as f64 / 1024.0
            );
        }
    }
}
