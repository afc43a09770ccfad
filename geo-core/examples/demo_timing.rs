//! Times the demo generator: `cargo run --release -p geo-core --example demo_timing -- prefecture`
//! (or `province`, or `partition` for the prefecture partition alone).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use geo_core::demo::{generate, generate_partition, DemoConfig};

fn main() -> geo_core::Result<()> {
    let which = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "prefecture".into());
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
