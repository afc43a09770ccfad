//! Times the demo generator: `cargo run --release -p geo-core --example demo_timing -- prefecture`
//! (or `province`, or `partition` for the prefecture partition alone).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use geo_core::demo::{generate, generate_partition, DemoConfig};

fn main() -> geo_core::Result<()> {
    let which = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "prefecture".into());
    if which == "validate-province" {
        use geo::Validation;
        let d = generate_partition(&DemoConfig::province())?;
        let bad_admin = d.admin.iter().filter(|u| !u.geometry.is_valid()).count();
        let bad_grids = d.grids.iter().filter(|g| !g.geometry.is_valid()).count();
        for u in d.admin.iter().filter(|u| !u.geometry.is_valid()) {
            println!(
                "invalid {} {}: {:?}",
                u.code,
                u.name,
                u.geometry.validation_errors().first()
            );
        }
        println!("province partition: {bad_admin} invalid admin units of {}, {bad_grids} invalid grids of {}", d.admin.len(), d.grids.len());
        return Ok(());
    }
    if let Some(path) = which.strip_prefix("dump=") {
        return dump(path);
    }
    let start = Instant::now();
    let data = match which.as_str() {
        "province" => generate(&DemoConfig::province())?,
        "province-partition" => generate_partition(&DemoConfig::province())?,
        "partition" => generate_partition(&DemoConfig::prefecture())?,
        _ => generate(&DemoConfig::prefecture())?,
    };
    let secs = start.elapsed().as_secs_f64();
    let points: usize = data.patrols.iter().map(|p| p.times.len()).sum();
    println!(
        "{which}: {secs:.1} s; admin {}, grids {}, centers {}, cameras {}, incidents {}, workers {}, patrols {} ({points} points)",
        data.admin.len(),
        data.grids.len(),
        data.centers.len(),
        data.cameras.len(),
        data.incidents.len(),
        data.workers.len(),
        data.patrols.len(),
    );
    Ok(())
}

/// Writes Jishou's units, grids and some points as plain JSON, for a quick look.
fn dump(path: &str) -> geo_core::Result<()> {
    let cfg = DemoConfig::prefecture()
        .with_counties(1)
        .with_incidents(20_000)
        .with_cameras(3_000)
        .with_patrols(20);
    let d = generate(&cfg)?;
    let rings = |m: &geo_types::MultiPolygon<f64>| -> Vec<Vec<[f64; 2]>> {
        m.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
            .collect()
    };
    let doc = serde_json::json!({
        "admin": d.admin.iter().map(|u| (u.code.to_string(), rings(&u.geometry))).collect::<Vec<_>>(),
        "grids": d.grids.iter().map(|g| (g.code.to_string(), rings(&g.geometry))).collect::<Vec<_>>(),
        "cameras": d.cameras.iter().map(|c| [c.location.x(), c.location.y()]).collect::<Vec<_>>(),
        "incidents": d.incidents.iter().map(|c| [c.location.x(), c.location.y()]).collect::<Vec<_>>(),
        "patrols": d.patrols.iter().map(|p| p.track.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>()).collect::<Vec<_>>(),
    });
    std::fs::write(path, doc.to_string())?;
    Ok(())
}
